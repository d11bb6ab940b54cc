// Kubernetes JSONPath (client-go's util/jsonpath): parse templates such as
// `{.spec.replicas}` or `{range .items[*]}{.metadata.name}{"\n"}{end}` and
// evaluate them over decoded JSON.

export { JSONPath, JSONPathError, JSONPathSyntaxError, NO_VALUE, parseJSONPath, textOf } from './jsonpath.ts';
export { Parser, parseTemplate, unquoteExtend } from './parser.ts';
export type { ListNode, Node, SliceParam } from './parser.ts';
export { goFloat, goJSON, goJSONIndent, goNumber, goTypeOf, goValue, isGoInt } from './values.ts';
