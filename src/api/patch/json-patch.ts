// JSON Patch (RFC 6902, `application/json-patch+json`) with the behaviour of the
// library kube-apiserver uses (evanphx/json-patch v4), including its quirks:
//   - `replace` of a missing object member adds it; `copy` from a missing member copies null;
//   - negative array indices count from the end;
//   - a path is split on "/" and its first segment ignored (so "a/b" acts like "/b");
//   - an operation without `value` uses null.
// Errors (all PatchError):
//   400 - the body is not a list of operation objects (Go's decoding wording);
//   413 - more than 10000 operations;
//   422 - an operation cannot be applied. Upstream answers with the generic
//         "the server rejected our request due to an error in our request"; the
//         library's own text ("add operation does not apply: doc is missing path: ...",
//         "testing value /x failed: test failed") is kept in `detail`.
import type { JsonObject, JsonValue } from '../types.ts';
import { cloneJson, hasOwn, isJsonObject, jsonEqual, setKey, withDepthGuard } from './json-values.ts';
import { PatchError } from './patch-error.ts';

/** One operation as sent; fields are interpreted when applied, as upstream does. */
export type JsonPatchOperation = JsonObject | null;
export type JsonPatch = readonly JsonPatchOperation[];

export const maxJsonPatchOperations = 10000;

/** Go's name for the JSON type of a value, as in "cannot unmarshal X into ...". */
function goJsonTypeName(v: JsonValue): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  switch (typeof v) {
    case 'object': return 'object';
    case 'string': return 'string';
    case 'number': return 'number';
    default: return 'bool';
  }
}

/**
 * Checks that a decoded body is a JSON patch: a list of objects (null means no
 * operations). Throws PatchError 400/413.
 */
export function decodeJsonPatch(body: JsonValue): JsonPatch {
  if (body === null) return [];
  if (!Array.isArray(body)) {
    throw PatchError.badRequest(`json: cannot unmarshal ${goJsonTypeName(body)} into Go value of type jsonpatch.Patch`);
  }
  for (const op of body) {
    if (op !== null && !isJsonObject(op)) {
      throw PatchError.badRequest(`json: cannot unmarshal ${goJsonTypeName(op)} into Go value of type jsonpatch.Operation`);
    }
  }
  if (body.length > maxJsonPatchOperations) {
    throw PatchError.tooLarge(`The allowed maximum operations in a JSON patch is ${maxJsonPatchOperations}, got ${body.length}`);
  }
  return body as JsonPatchOperation[];
}

/** An internal failure carrying the library-level text. */
class OpFailure extends Error {}

const missing = 'missing value';
const invalidIndex = 'invalid index referenced';

function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Go's strconv.Atoi. */
function atoi(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new OpFailure(`strconv.Atoi: parsing ${goQuote(s)}: invalid syntax`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new OpFailure(`strconv.Atoi: parsing ${goQuote(s)}: value out of range`);
  return n;
}

/** RFC 6901 unescaping: `~1` is `/`, `~0` is `~`, scanned left to right. */
export function decodePointerToken(t: string): string {
  if (!t.includes('~')) return t;
  return t.replace(/~[01]/g, (m) => (m === '~1' ? '/' : '~'));
}

/** RFC 6901 escaping of one reference token. */
export function encodePointerToken(t: string): string {
  return t.replace(/~/g, '~0').replace(/\//g, '~1');
}

type Container = JsonObject | JsonValue[];

function invalidIndexError(idx: number): OpFailure {
  return new OpFailure(`Unable to access invalid index: ${idx}: ${invalidIndex}`);
}

/** Reads a member; undefined or null both mean "nil" to upstream. Arrays may throw. */
function get(con: Container, key: string): JsonValue | undefined {
  if (!Array.isArray(con)) return hasOwn(con, key) ? con[key] : undefined;
  let idx = atoi(key);
  if (idx < 0) {
    if (idx < -con.length) throw invalidIndexError(idx);
    idx += con.length;
  }
  if (idx >= con.length) throw invalidIndexError(idx);
  return con[idx];
}

function set(con: Container, key: string, val: JsonValue): void {
  if (!Array.isArray(con)) {
    setKey(con, key, val);
    return;
  }
  let idx = atoi(key);
  if (idx < 0) {
    if (idx < -con.length) throw invalidIndexError(idx);
    idx += con.length;
  }
  con[idx] = val;
}

function add(con: Container, key: string, val: JsonValue): void {
  if (!Array.isArray(con)) {
    setKey(con, key, val);
    return;
  }
  if (key === '-') {
    con.push(val);
    return;
  }
  let idx: number;
  try {
    idx = atoi(key);
  } catch (e) {
    throw new OpFailure(`value was not a proper array index: '${key}': ${(e as Error).message}`);
  }
  const size = con.length + 1;
  if (idx >= size) throw invalidIndexError(idx);
  if (idx < 0) {
    if (idx < -size) throw invalidIndexError(idx);
    idx += size;
  }
  con.splice(idx, 0, val);
}

function remove(con: Container, key: string): void {
  if (!Array.isArray(con)) {
    if (!hasOwn(con, key)) throw new OpFailure(`Unable to remove nonexistent key: ${key}: ${missing}`);
    delete con[key];
    return;
  }
  let idx = atoi(key);
  if (idx >= con.length) throw invalidIndexError(idx);
  if (idx < 0) {
    if (idx < -con.length) throw invalidIndexError(idx);
    idx += con.length;
  }
  con.splice(idx, 1);
}

/** The container holding the last token of `path`, and that token; undefined when absent. */
function findObject(root: Container, path: string): { con: Container; key: string } | undefined {
  const split = path.split('/');
  if (split.length < 2) return undefined;
  let doc: Container = root;
  for (let i = 1; i < split.length - 1; i++) {
    let next: JsonValue | undefined;
    try {
      next = get(doc, decodePointerToken(split[i]!));
    } catch {
      return undefined;
    }
    if (next === undefined || next === null || typeof next !== 'object') return undefined;
    doc = next;
  }
  return { con: doc, key: decodePointerToken(split[split.length - 1]!) };
}

function stringField(op: JsonObject, name: 'path' | 'from'): string {
  const v = op[name];
  if (v === undefined || v === null) {
    throw new OpFailure(name === 'path' ? `operation missing path field: ${missing}` : `operation, missing from field: ${missing}`);
  }
  if (typeof v !== 'string') throw new OpFailure(`json: cannot unmarshal ${goJsonTypeName(v)} into Go value of type string`);
  return v;
}

function wrap<T>(fn: () => T, prefix: string): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof OpFailure) throw new OpFailure(`${prefix}${e.message}`);
    throw e;
  }
}

/** The operation's value; absent counts as null. */
function opValue(op: JsonObject): JsonValue {
  return hasOwn(op, 'value') ? cloneJson(op['value']!) : null;
}

/**
 * Applies a JSON patch to a document and returns the new document (the input is
 * not modified). `patch` may be the decoded body or a result of decodeJsonPatch.
 */
export function applyJsonPatch(doc: JsonValue, patch: JsonValue | JsonPatch): JsonValue {
  return withDepthGuard(() => applyOps(doc, patch));
}

function applyOps(doc: JsonValue, patch: JsonValue | JsonPatch): JsonValue {
  const ops = decodeJsonPatch(patch as JsonValue);
  if (typeof doc !== 'object' || doc === null) throw PatchError.cannotApply('document is not an object or array');
  const state = { root: cloneJson(doc) as Container };
  for (const raw of ops) {
    const op: JsonObject = raw ?? {};
    const kind = typeof op['op'] === 'string' ? op['op'] : 'unknown';
    try {
      switch (kind) {
        case 'add': opAdd(state.root, op); break;
        case 'remove': opRemove(state.root, op); break;
        case 'replace': opReplace(state, op); break;
        case 'move': opMove(state.root, op); break;
        case 'test': opTest(state.root, op); break;
        case 'copy': opCopy(state.root, op); break;
        default: throw new OpFailure(`Unexpected kind: ${kind}`);
      }
    } catch (e) {
      if (e instanceof OpFailure) throw PatchError.cannotApply(e.message);
      throw e;
    }
  }
  return state.root;
}

function opAdd(root: Container, op: JsonObject): void {
  let path: string;
  try {
    path = stringField(op, 'path');
  } catch {
    throw new OpFailure(`add operation failed to decode path: ${missing}`);
  }
  const found = findObject(root, path);
  if (!found) throw new OpFailure(`add operation does not apply: doc is missing path: "${path}": ${missing}`);
  wrap(() => add(found.con, found.key, opValue(op)), `error in add for path: '${path}': `);
}

function opRemove(root: Container, op: JsonObject): void {
  let path: string;
  try {
    path = stringField(op, 'path');
  } catch {
    throw new OpFailure(`remove operation failed to decode path: ${missing}`);
  }
  const found = findObject(root, path);
  if (!found) throw new OpFailure(`remove operation does not apply: doc is missing path: "${path}": ${missing}`);
  wrap(() => remove(found.con, found.key), `error in remove for path: '${path}': `);
}

function opReplace(state: { root: Container }, op: JsonObject): void {
  const path = wrap(() => stringField(op, 'path'), 'replace operation failed to decode path: ');
  if (path === '') {
    const v = hasOwn(op, 'value') ? op['value'] : undefined;
    if (typeof v !== 'object' || v === null) {
      // Upstream formats a nil error with %w here.
      throw new OpFailure('replace operation value must be object or array: %!w(<nil>)');
    }
    state.root = cloneJson(v) as Container;
    return;
  }
  const found = findObject(state.root, path);
  if (!found) throw new OpFailure(`replace operation does not apply: doc is missing path: ${path}: ${missing}`);
  try {
    get(found.con, found.key);
  } catch {
    throw new OpFailure(`replace operation does not apply: doc is missing key: ${path}: ${missing}`);
  }
  wrap(() => set(found.con, found.key, opValue(op)), `error in remove for path: '${path}': `);
}

function opMove(root: Container, op: JsonObject): void {
  const from = wrap(() => stringField(op, 'from'), 'move operation failed to decode from: ');
  const src = findObject(root, from);
  if (!src) throw new OpFailure(`move operation does not apply: doc is missing from path: ${from}: ${missing}`);
  const val = wrap(() => get(src.con, src.key), `error in move for path: '${src.key}': `) ?? null;
  wrap(() => remove(src.con, src.key), `error in move for path: '${src.key}': `);
  const path = wrap(() => stringField(op, 'path'), 'move operation failed to decode path: ');
  const dst = findObject(root, path);
  if (!dst) throw new OpFailure(`move operation does not apply: doc is missing destination path: ${path}: ${missing}`);
  wrap(() => add(dst.con, dst.key, val), `error in move for path: '${path}': `);
}

function opTest(root: Container, op: JsonObject): void {
  const path = wrap(() => stringField(op, 'path'), 'test operation failed to decode path: ');
  const hasValue = hasOwn(op, 'value');
  const want = hasValue ? op['value']! : null;
  if (path === '') {
    if (hasValue && jsonEqual(root, want)) return;
    throw new OpFailure(`testing value ${path} failed: test failed`);
  }
  const found = findObject(root, path);
  if (!found) throw new OpFailure(`test operation does not apply: is missing path: ${path}: ${missing}`);
  const val = wrap(() => get(found.con, found.key), `error in test for path: '${path}': `);
  if (val === undefined || val === null) {
    if (want === null) return;
    throw new OpFailure(`testing value ${path} failed: test failed`);
  }
  if (hasValue && jsonEqual(val, want)) return;
  throw new OpFailure(`testing value ${path} failed: test failed`);
}

function opCopy(root: Container, op: JsonObject): void {
  const from = wrap(() => stringField(op, 'from'), 'copy operation failed to decode from: ');
  const src = findObject(root, from);
  if (!src) throw new OpFailure(`copy operation does not apply: doc is missing from path: ${from}: ${missing}`);
  const val = wrap(() => get(src.con, src.key), `error in copy for from: '${from}': `) ?? null;
  let path: string;
  try {
    path = stringField(op, 'path');
  } catch {
    throw new OpFailure(`copy operation failed to decode path: ${missing}`);
  }
  const dst = findObject(root, path);
  if (!dst) throw new OpFailure(`copy operation does not apply: doc is missing destination path: ${path}: ${missing}`);
  wrap(() => add(dst.con, dst.key, cloneJson(val)), 'error while adding value during copy: ');
}
