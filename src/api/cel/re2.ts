// Go regular expressions (RE2 syntax, as used by `pattern` in CRD schemas and
// by CEL's matches, find and findAll) run
// on JavaScript's engine: the common differences are translated (flag groups,
// \A \z, POSIX classes, \Q..\E, (?P<name>)), what RE2 refuses (lookaround,
// backreferences) is refused, and failures are worded like Go's regexp errors.

const posix: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~', space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};

export class GoRegexpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GoRegexpError';
  }
}

function fail(code: string, arg: string): never {
  throw new GoRegexpError(`error parsing regexp: ${code}: \`${arg}\``);
}

function escapeLiteral(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/**
 * Translate an RE2 pattern to JavaScript source, or throw GoRegexpError. Flag
 * groups `(?i)` become modifier groups `(?i:...)` up to the end of the enclosing
 * group (reopened after each `|`), which is their reach in RE2.
 */
function translate(pattern: string): string {
  const src = pattern;
  // Modifier groups opened by (?flags) at each open group, to reopen after `|`.
  const openModifiers: string[][] = [[]];
  let out = '';
  let inClass = false;
  // Open groups; each counts the modifier groups `(?i)` opened inside it, closed with it.
  const pending: number[] = [0];
  const closePending = () => {
    out += ')'.repeat(pending[pending.length - 1]!);
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) fail('trailing backslash at end of expression', '');
      if (n === 'Q') {
        const end = src.indexOf('\\E', i + 2);
        const lit = end < 0 ? src.slice(i + 2) : src.slice(i + 2, end);
        out += escapeLiteral(lit);
        i = end < 0 ? src.length : end + 1;
        continue;
      }
      if (n === 'A' && !inClass) { out += '^'; i++; continue; }
      if (n === 'z' && !inClass) { out += '$(?![\\s\\S])'; i++; continue; }
      if (/[1-9]/.test(n)) fail('invalid escape sequence', `\\${n}`);
      if (n === 'C' || n === 'Z') fail('invalid escape sequence', `\\${n}`);
      out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && src[i + 1] === ':') {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(src.slice(i));
        if (m) {
          const cls = posix[m[2]!];
          if (!cls || m[1]) fail('invalid character class range', m[0]);
          out += cls;
          i += m[0].length - 1;
          continue;
        }
      }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A leading ] (or ^]) is a literal in RE2.
      if (src[i + 1] === '^') { out += '^'; i++; }
      if (src[i + 1] === ']') { out += '\\]'; i++; }
      continue;
    }
    if (c === '|') {
      // Flags set by (?i) reach across alternation: close and reopen the modifier groups.
      const n = pending[pending.length - 1]!;
      const reopen = openModifiers[openModifiers.length - 1] ?? [];
      closePending();
      out += '|';
      out += reopen.join('');
      pending[pending.length - 1] = n;
      continue;
    }
    if (c === ')') {
      closePending();
      pending.pop();
      openModifiers.pop();
      if (pending.length === 0) fail('unexpected )', pattern);
      out += ')';
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      const rest = src.slice(i);
      const named = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      if (named) {
        out += `(?<${named[1]}>`;
        i += named[0].length - 1;
        pending.push(0);
        openModifiers.push([]);
        continue;
      }
      const fm = /^\(\?([imsU]*(?:-[imsU]*)?):/.exec(rest);
      if (fm) {
        out += `(?${fm[1]!.replace(/U/g, '')}:`;
        i += fm[0].length - 1;
        pending.push(0);
        openModifiers.push([]);
        continue;
      }
      const set = /^\(\?([imsU]*(?:-[imsU]*)?)\)/.exec(rest);
      if (set) {
        const f = set[1]!.replace(/U/g, '');
        if (f !== '' && f !== '-') {
          const open = `(?${f.endsWith('-') ? f.slice(0, -1) : f}:`;
          out += open;
          pending[pending.length - 1]!++;
          (openModifiers[openModifiers.length - 1] ?? (openModifiers[openModifiers.length - 1] = [])).push(open);
        }
        i += set[0].length - 1;
        continue;
      }
      if (rest.startsWith('(?<') || rest.startsWith('(?=') || rest.startsWith('(?!')) {
        fail('invalid or unsupported Perl syntax', rest.slice(0, rest.startsWith('(?<') ? 4 : 3));
      }
      fail('invalid or unsupported Perl syntax', rest.slice(0, 3));
    }
    if (c === '(') {
      pending.push(0);
      openModifiers.push([]);
    }
    out += c;
  }
  closePending();
  return out;
}

function goMessage(pattern: string, e: Error): string {
  const m = e.message;
  if (/Unterminated group/i.test(m)) return `error parsing regexp: missing closing ): \`${pattern}\``;
  if (/Unmatched '\)'/i.test(m)) return `error parsing regexp: unexpected ): \`${pattern}\``;
  if (/Unterminated character class|missing \//i.test(m)) return `error parsing regexp: missing closing ]: \`${pattern}\``;
  if (/Nothing to repeat/i.test(m)) {
    const op = /[*+?{]/.exec(pattern)?.[0] ?? '*';
    return `error parsing regexp: missing argument to repetition operator: \`${op}\``;
  }
  if (/Range out of order/i.test(m)) return `error parsing regexp: invalid character class range: \`${pattern}\``;
  if (/numbers out of order/i.test(m)) return `error parsing regexp: invalid repeat count: \`${pattern}\``;
  if (/Invalid escape|Invalid property name/i.test(m)) return `error parsing regexp: invalid escape sequence: \`${pattern}\``;
  return `error parsing regexp: invalid syntax: \`${pattern}\``;
}

const compiled = new Map<string, RegExp | GoRegexpError>();

/** Compile an RE2 pattern (unanchored, like Go's MatchString); throws GoRegexpError. */
export function compileGoRegexp(pattern: string): RegExp {
  const hit = compiled.get(pattern);
  if (hit instanceof RegExp) return hit;
  if (hit) throw hit;
  let result: RegExp | GoRegexpError;
  try {
    const source = translate(pattern);
    try {
      result = new RegExp(source, 'u');
    } catch {
      try {
        result = new RegExp(source);
      } catch (e) {
        result = new GoRegexpError(goMessage(pattern, e as Error));
      }
    }
  } catch (e) {
    result = e instanceof GoRegexpError ? e : new GoRegexpError(goMessage(pattern, e as Error));
  }
  if (compiled.size > 4096) compiled.clear();
  compiled.set(pattern, result);
  if (result instanceof GoRegexpError) throw result;
  return result;
}
