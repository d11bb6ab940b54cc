// Kubernetes' escaping of object property names into CEL identifiers
// (k8s.io/apiserver/pkg/cel): a property of a schema object is reached in CEL
// under its escaped name (`self.__namespace__`, `self.foo__dash__bar`); a name
// that cannot be escaped is not reachable at all.

/** CEL's reserved words: a property named one of these is `__word__`. */
const reserved = new Set([
  'true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let',
  'loop', 'package', 'namespace', 'return', 'var', 'void', 'while',
]);

const plain = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * The CEL identifier of a property name: reserved words become `__word__`;
 * `__`, `.`, `-` and `/` become `__underscores__`, `__dot__`, `__dash__`,
 * `__slash__`; undefined when the name starts with a digit, is empty, or has
 * any other character.
 */
export function escapeProperty(name: string): string | undefined {
  if (name === '' || (name[0]! >= '0' && name[0]! <= '9')) return undefined;
  if (reserved.has(name)) return `__${name}__`;
  if (plain.test(name) && !name.includes('__')) return name;
  if (!/^[a-zA-Z0-9_./-]*$/.test(name)) return undefined;
  return name.replace(/__|[./-]/g, (m) => (m === '__' ? '__underscores__' : m === '.' ? '__dot__' : m === '-' ? '__dash__' : '__slash__'));
}
