// Field validation as kube-apiserver does it for `fieldValidation=Strict|Warn|Ignore`:
// which members of a decoded object the kind's schema does not have, in upstream's
// wording (`unknown field "spec.containers[0].foo"`), how the problems are reported
// (Strict: one 400 error; Warn: one `Warning: 299 - "..."` header each), and the
// object with unknown fields dropped (what upstream stores when it does not fail).
//
// What counts as known follows Go's decoding into the built-in types: declared
// properties, any key of a map, anything below an opaque type (RawExtension,
// FieldsV1, ...); an empty struct knows no fields. Values whose JSON type does not
// match the schema are left to validation (upstream fails them while decoding).
import { fieldError } from '../errors.ts';
import type { FieldError } from '../errors.ts';
import type { FieldTracker } from '../decode/json.ts';
import { SKIP, UNKNOWN } from '../decode/json.ts';
import { compareUtf8 } from '../decode/go-text.ts';
import { withDepthGuard } from '../patch/json-values.ts';
import type { JsonObject, JsonValue } from '../types.ts';
import { deref } from './index.ts';
import type { SchemaNode } from './types.ts';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

const directives: readonly string[] = ['Ignore', 'Strict', 'Warn'];

/**
 * The directive of a `fieldValidation` query value: absent or "" means Warn (the
 * server default); anything else unsupported gives undefined (see fieldValidationError).
 */
export function fieldValidationDirective(param: string | null | undefined): FieldValidation | undefined {
  if (param === undefined || param === null || param === '') return 'Warn';
  return directives.includes(param) ? (param as FieldValidation) : undefined;
}

/** The 422 cause upstream gives for an unsupported `fieldValidation` value. */
export function fieldValidationError(param: string): FieldError {
  return fieldError.notSupported('fieldValidation', param, ['', 'Ignore', 'Strict', 'Warn']);
}

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

type Step = SchemaNode | typeof UNKNOWN | typeof SKIP;

/** A value of this schema is taken as it is (Go hands it to a custom decoder). */
function unchecked(node: SchemaNode): boolean {
  if (node.preserveUnknownFields) return true;
  const n = deref(node);
  return n.opaque === true || n.preserveUnknownFields === true;
}

/** What decoding a member named `key` of an object described by `node` means. */
function memberStep(node: SchemaNode, key: string): Step {
  const n = deref(node);
  let child: SchemaNode | undefined;
  if (n.properties && hasOwn(n.properties, key)) child = n.properties[key]!;
  else if (n.additionalProperties !== undefined) {
    if (n.additionalProperties === true) return SKIP;
    child = n.additionalProperties;
  } else if (n.type === 'object' || n.properties) return UNKNOWN;
  else return SKIP; // not an object type: a type mismatch, not an unknown field
  return unchecked(child) ? SKIP : child;
}

function itemStep(node: SchemaNode): SchemaNode | typeof SKIP {
  const n = deref(node);
  return n.items && !unchecked(n.items) ? n.items : SKIP;
}

/** A tracker for decodeJson that knows the fields of `schema` (use `schema` as root). */
export function schemaTracker(): FieldTracker<SchemaNode> {
  return { member: memberStep, item: itemStep };
}

/** The root context for decoding a kind: the schema itself, or SKIP for opaque ones. */
export function trackerRoot(schema: SchemaNode): SchemaNode | typeof SKIP {
  return unchecked(schema) ? SKIP : schema;
}

/** Go's strict path step for a member: `a.b`, or `b` at the top. */
function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

export type KeyOrder = 'document' | 'sorted';

/**
 * The paths of unknown fields in `value` (e.g. `spec.foo`, `spec.containers[0].bar`),
 * in document order or with keys sorted at each level (the order upstream sees after
 * re-encoding a map, as for YAML bodies and JSON/merge patches).
 */
export function unknownFields(schema: SchemaNode, value: JsonValue, order: KeyOrder = 'document'): string[] {
  const out: string[] = [];
  const walk = (node: SchemaNode, v: JsonValue, path: string): void => {
    if (Array.isArray(v)) {
      const item = itemStep(node);
      if (item === SKIP) return;
      for (let i = 0; i < v.length; i++) walk(item, v[i]!, `${path}[${i}]`);
      return;
    }
    if (typeof v !== 'object' || v === null) return;
    const keys = order === 'sorted' ? Object.keys(v).sort(compareUtf8) : Object.keys(v);
    for (const k of keys) {
      const step = memberStep(node, k);
      if (step === SKIP) continue;
      if (step === UNKNOWN) out.push(join(path, k));
      else walk(step, v[k]!, join(path, k));
    }
  };
  if (!unchecked(schema)) withDepthGuard(() => walk(schema, value, ''));
  return out;
}

/**
 * `unknown field "spec.foo"` as upstream words unknown fields found in an object (a
 * patched map); the JSON decoder's own texts come from strictFieldErrorText.
 */
export function unknownFieldText(path: string): string {
  return `unknown field "${path}"`;
}

/** A copy of `value` without the members the schema does not know. */
export function pruneUnknownFields(schema: SchemaNode, value: JsonValue): JsonValue {
  const prune = (node: SchemaNode, v: JsonValue): JsonValue => {
    if (Array.isArray(v)) {
      const item = itemStep(node);
      return item === SKIP ? v : v.map((x) => prune(item, x));
    }
    if (typeof v !== 'object' || v === null) return v;
    const out: JsonObject = {};
    for (const k of Object.keys(v)) {
      const step = memberStep(node, k);
      if (step === UNKNOWN) continue;
      const x = step === SKIP ? v[k]! : prune(step, v[k]!);
      if (k === '__proto__') Object.defineProperty(out, k, { value: x, writable: true, enumerable: true, configurable: true });
      else out[k] = x;
    }
    return out;
  };
  return unchecked(schema) ? value : withDepthGuard(() => prune(schema, value));
}

/** Upstream's aggregate text: `strict decoding error: unknown field "a", duplicate field "b"`. */
export function strictDecodingMessage(errors: readonly string[]): string {
  return `strict decoding error: ${errors.join(', ')}`;
}

const yamlPrefixes = ['yaml: unmarshal errors:\n', 'error converting YAML to JSON: yaml: unmarshal errors:\n'];

/**
 * The warnings Warn mode adds, one per problem: a go-yaml multi-line error becomes
 * one warning per line (`line 4: key "a" already set in map`).
 */
export function strictWarnings(errors: readonly string[]): string[] {
  const out: string[] = [];
  for (const e of errors) {
    const prefix = yamlPrefixes.find((p) => e.startsWith(p));
    if (!prefix) out.push(e);
    else for (const line of e.slice(prefix.length).split('\n')) out.push(line.trim());
  }
  return out;
}

/** The `Warning` header value for one warning: `299 - "unknown field \"spec.foo\""`. */
export function warningHeaderValue(text: string): string {
  return `299 - "${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
