// Strategic merge patch (`application/strategic-merge-patch+json`) for built-in
// kinds, driven by the generated schema's x-kubernetes-patch-strategy and
// x-kubernetes-patch-merge-key, with the semantics of apimachinery's strategicpatch
// (StrategicMergeMapPatch: parallel deletion lists merged, unmatched nulls ignored):
//   - maps merge recursively; `null` deletes a key;
//   - lists with strategy `merge` merge by their merge key (lists of objects) or as
//     sets (lists of scalars); other lists are replaced;
//   - `$patch: replace | delete` on a map, `{"$patch": "replace"}` and
//     `{"<key>": v, "$patch": "delete"}` items in a merging list;
//   - `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`, `$retainKeys`;
//   - fields with strategy `replace` (and maps with `$patch: replace`) take the patch as is.
// Errors are PatchErrors with upstream's status: 400 for malformed directives
// ("invalid patch format of retainKeys", ...), 422 for lists of lists, 500 (no
// reason) for the rest ("map: map[image:x] does not contain declared merge key: name").
import type { StatusReason } from '../errors.ts';
import type { JsonObject, JsonValue } from '../types.ts';
import { goQuote, goSprintValue } from '../decode/go-text.ts';
import { deref, refName } from '../schema/index.ts';
import type { SchemaNode } from '../schema/types.ts';
import { cloneJson, hasOwn, isJsonObject, setKey, withDepthGuard } from './json-values.ts';
import { PatchError } from './patch-error.ts';

const directiveMarker = '$patch';
const deleteDirective = 'delete';
const replaceDirective = 'replace';
const mergeDirective = 'merge';
const retainKeysStrategy = 'retainKeys';
const deleteFromPrimitiveListPrefix = '$deleteFromPrimitiveList';
const retainKeysDirective = '$retainKeys';
const setElementOrderPrefix = '$setElementOrder';

/** Upstream's error texts for malformed patches (400). */
const errBadPatchFormatForPrimitiveList = 'invalid patch format of primitive list';
const errBadPatchFormatForRetainKeys = 'invalid patch format of retainKeys';
const errBadPatchFormatForSetElementOrderList = 'invalid patch format of setElementOrder list';
const errNoListOfLists = 'lists of lists are not supported';

function badRequest(msg: string): PatchError {
  return PatchError.badRequest(msg);
}

/** An error upstream returns unconverted: 500 with no reason. */
function internal(msg: string): PatchError {
  return new PatchError(500, '' as StatusReason, msg);
}

// ---- Go type view of JSON values --------------------------------------------

type GoKind = 'map' | 'slice' | 'string' | 'bool' | 'int64' | 'float64' | 'nil';

function goKind(v: JsonValue | undefined): GoKind {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return 'slice';
  switch (typeof v) {
    case 'object': return 'map';
    case 'string': return 'string';
    case 'boolean': return 'bool';
    default: return Number.isInteger(v) ? 'int64' : 'float64';
  }
}

const goTypeNames: Record<GoKind, string> = {
  map: 'map[string]interface {}', slice: '[]interface {}', string: 'string', bool: 'bool', int64: 'int64', float64: 'float64', nil: '%!s(<nil>)',
};

/** Go's == on interface values holding decoded JSON scalars (maps and slices never compare equal here). */
function goEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  const ka = goKind(a);
  if (ka !== goKind(b)) return false;
  if (ka === 'nil') return true;
  if (ka === 'map' || ka === 'slice') return a === b;
  return a === b;
}

function errNoMergeKey(m: JsonObject, key: string): PatchError {
  return internal(`map: ${goSprintValue(m)} does not contain declared merge key: ${key}`);
}

function errBadArgType(expected: GoKind, actual: JsonValue | undefined): PatchError {
  return internal(`expected a ${goTypeNames[expected]}, but received a ${goTypeNames[goKind(actual)]}`);
}

// ---- patch metadata from the schema -----------------------------------------

/** Where in the type tree a merge is: a struct, a map, a list element or something untyped. */
interface Meta {
  /** The schema node of the current value (undefined: no schema, e.g. inside an unknown field). */
  node: SchemaNode | undefined;
}

interface FieldMeta {
  meta: Meta;
  strategies: string[];
  mergeKey: string;
}

/** Go's reflect Kind of the type a schema node stands for. */
function goTypeKind(node: SchemaNode | undefined): string {
  if (!node) return 'interface';
  const n = deref(node);
  if (n.opaque) return 'struct';
  if (n.type === 'array') return 'slice';
  if (n.additionalProperties !== undefined && !n.properties) return 'map';
  if (n.type === 'object' || n.properties) return 'struct';
  if (n.type === 'integer') return n.format === 'int32' ? 'int32' : 'int64';
  if (n.type === 'number') return 'float64';
  if (n.type === 'boolean') return 'bool';
  return n.type === 'string' && n.format === 'byte' ? 'slice' : 'string';
}

/** The Go struct name of a node (for messages): io.k8s.api.core.v1.PodSpec → PodSpec. */
function structName(node: SchemaNode | undefined): string {
  const name = node ? refName(node) : undefined;
  if (!name) return '';
  return name.slice(name.lastIndexOf('.') + 1);
}

function asciiFold(s: string): string {
  return s.toLowerCase();
}

/** Upstream's LookupPatchMetadataForStruct: the field's schema and patch tags. */
function lookupForStruct(meta: Meta, key: string): FieldMeta {
  const kind = goTypeKind(meta.node);
  if (kind !== 'struct') {
    throw internal(`merging an object in json but data type is not struct, instead is: ${kind}`);
  }
  const n = deref(meta.node!);
  let field: SchemaNode | undefined;
  if (n.properties) {
    if (hasOwn(n.properties, key)) field = n.properties[key];
    else {
      const folded = asciiFold(key);
      const name = Object.keys(n.properties).find((p) => asciiFold(p) === folded);
      if (name !== undefined) field = n.properties[name];
    }
  }
  if (!field) {
    throw internal(`unable to find api field in struct ${structName(meta.node)} for the json field ${goQuote(key)}`);
  }
  const strategies = (field.patchStrategy ?? '').split(',');
  return { meta: { node: field }, strategies, mergeKey: field.patchMergeKey ?? '' };
}

/** Upstream's LookupPatchMetadataForSlice: the element schema and the list's patch tags. */
function lookupForSlice(meta: Meta, key: string): FieldMeta {
  const f = lookupForStruct(meta, key);
  const fieldNode = f.meta.node!;
  const kind = goTypeKind(fieldNode);
  // A pointer to a struct is accepted upstream with the struct as element type; the
  // schema does not tell pointers apart, so every struct field is treated so.
  if (kind === 'struct') return { meta: { node: fieldNode }, strategies: f.strategies, mergeKey: f.mergeKey };
  if (kind !== 'slice') throw internal(`expected slice or array type, but got: ${goTypeKind(meta.node)}`);
  const n = deref(fieldNode);
  const elem = n.items;
  if (elem && goTypeKind(elem) === 'slice' && deref(elem).type === 'array') throw internal('unexpected slice of slice');
  return { meta: { node: elem }, strategies: f.strategies, mergeKey: f.mergeKey };
}

/** Splits `retainKeys` from the other strategy, as upstream's extractRetainKeysPatchStrategy. */
function otherStrategy(strategies: string[]): string {
  switch (strategies.length) {
    case 0: return '';
    case 1: return strategies[0] === retainKeysStrategy ? '' : strategies[0]!;
    case 2:
      if (strategies[0] === retainKeysStrategy) return strategies[1]!;
      if (strategies[1] === retainKeysStrategy) return strategies[0]!;
      throw internal(`unexpected patch strategy: [${strategies.join(' ')}]`);
    default:
      throw internal(`unexpected patch strategy: [${strategies.join(' ')}]`);
  }
}

function schemaName(meta: Meta): string {
  return goTypeKind(meta.node);
}

// ---- helpers mirroring upstream ----------------------------------------------

/** Drops maps carrying `$patch` (returns keep=false for such a map itself). May modify `v`. */
function removeDirectives(v: JsonValue): { value: JsonValue; keep: boolean } {
  if (isJsonObject(v)) {
    if (hasOwn(v, directiveMarker)) return { value: null, keep: false };
    for (const k of Object.keys(v)) {
      const r = removeDirectives(v[k]!);
      if (r.keep) v[k] = r.value;
      else delete v[k];
    }
    return { value: v, keep: true };
  }
  if (Array.isArray(v)) {
    const out: JsonValue[] = [];
    for (const x of v) {
      const r = removeDirectives(x);
      if (r.keep) out.push(r.value);
    }
    return { value: out, keep: true };
  }
  return { value: v, keep: true };
}

/** Removes null members from maps at any depth (lists are traversed). */
function discardNullValues(v: JsonValue): void {
  if (isJsonObject(v)) {
    for (const k of Object.keys(v)) {
      if (v[k] === null) delete v[k];
      else discardNullValues(v[k]!);
    }
  } else if (Array.isArray(v)) {
    for (const x of v) discardNullValues(x);
  }
}

/** The element kind shared by all items of the lists; errors as upstream's sliceElementType. */
function sliceElementKind(...lists: Array<JsonValue[] | undefined>): GoKind {
  let prev: GoKind | undefined;
  for (const l of lists) {
    for (const v of l ?? []) {
      const k = goKind(v);
      if (prev === undefined) {
        if (k === 'nil') throw internal('runtime error: invalid memory address or nil pointer dereference');
        prev = k;
        if (prev === 'slice') throw PatchError.cannotApply(errNoListOfLists);
      } else if (prev !== k) {
        throw internal(`list element types are not identical: ${goSprintSlices(lists)}`);
      }
    }
  }
  if (prev === undefined) throw internal('no elements in any of the given slices');
  return prev;
}

function goSprintSlices(lists: Array<JsonValue[] | undefined>): string {
  return `[${lists.map((l) => goSprintValue(l ?? [])).join(' ')}]`;
}

function mergeKeyValue(item: JsonValue, mergeKey: string): JsonValue | undefined {
  return isJsonObject(item) ? item[mergeKey] : undefined;
}

/** Upstream's index(): position of an item (by merge key value for maps), or -1. */
function indexIn(list: readonly JsonValue[] | undefined, item: JsonValue, mergeKey: string, kind: GoKind): number {
  if (!list) return -1;
  const val = (x: JsonValue): JsonValue | undefined => (kind === 'map' ? (isJsonObject(x) ? x[mergeKey] : undefined) : x);
  const want = val(item);
  for (let i = 0; i < list.length; i++) if (goEqual(want, val(list[i]!))) return i;
  return -1;
}

function findByMergeKey(list: readonly JsonValue[], key: string, value: JsonValue | undefined): { map: JsonObject; index: number } | undefined {
  for (let i = 0; i < list.length; i++) {
    const v = list[i]!;
    if (!isJsonObject(v)) throw internal(`value for key ${i} is not a map`);
    if (hasOwn(v, key) && goEqual(v[key], value)) return { map: v, index: i };
  }
  return undefined;
}

function validateMergeKeyInLists(mergeKey: string, ...lists: Array<readonly JsonValue[] | undefined>): void {
  for (const l of lists) {
    for (const item of l ?? []) {
      if (!isJsonObject(item)) throw errBadArgType('map', item);
      if (!hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
    }
  }
}

/** Sorts `toSort` by positions in `order`, keeping `$patch: delete` items last. */
function normalizeSliceOrder(toSort: JsonValue[], order: readonly JsonValue[] | undefined, mergeKey: string, kind: GoKind): JsonValue[] {
  let items = toSort;
  let toDelete: JsonValue[] = [];
  if (kind === 'map') {
    validateMergeKeyInLists(mergeKey, toSort, order);
    const keep: JsonValue[] = [];
    toDelete = [];
    for (const v of toSort) {
      if (!isJsonObject(v)) throw errBadArgType('map', v);
      if (v[directiveMarker] === deleteDirective) toDelete.push(v);
      else keep.push(v);
    }
    items = keep;
  }
  const pos = items.map((v) => indexIn(order, v, mergeKey, kind));
  const idx = items.map((_, i) => i);
  // Stable: items found in `order` by their position there; others keep their place relative to each other.
  idx.sort((a, b) => {
    const pa = pos[a]!;
    const pb = pos[b]!;
    if (pa >= 0 && pb >= 0 && pa !== pb) return pa - pb;
    return a - b;
  });
  return [...idx.map((i) => items[i]!), ...toDelete];
}

/** Upstream's mergeSortedSlice: interleaves server-only items into the patch items. */
function mergeSortedSlice(left: JsonValue[], right: JsonValue[], serverOrder: readonly JsonValue[] | undefined, mergeKey: string, kind: GoKind): JsonValue[] {
  const out: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]!);
    else if (j >= right.length) out.push(left[i++]!);
    else {
      const li = indexIn(serverOrder, left[i]!, mergeKey, kind);
      const ri = indexIn(serverOrder, right[j]!, mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]!);
      else out.push(right[j++]!);
    }
  }
  return out;
}

function normalizeElementOrder(patch: JsonValue[], serverOnly: JsonValue[], patchOrder: readonly JsonValue[] | undefined,
  serverOrder: readonly JsonValue[] | undefined, mergeKey: string, kind: GoKind): JsonValue[] {
  const p = normalizeSliceOrder(patch, patchOrder, mergeKey, kind);
  const s = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  return mergeSortedSlice(s, p, serverOrder, mergeKey, kind);
}

function partitionPrimitives(list: readonly JsonValue[], by: readonly JsonValue[] | undefined): [JsonValue[], JsonValue[]] {
  const inPatch: JsonValue[] = [];
  const serverOnly: JsonValue[] = [];
  for (const v of list) {
    if ((by ?? []).some((x) => goEqual(x, v))) inPatch.push(v);
    else serverOnly.push(v);
  }
  return [inPatch, serverOnly];
}

function partitionMaps(list: readonly JsonValue[], by: readonly JsonValue[] | undefined, mergeKey: string): [JsonValue[], JsonValue[]] {
  const inPatch: JsonValue[] = [];
  const serverOnly: JsonValue[] = [];
  for (const v of list) {
    if (!isJsonObject(v)) throw errBadArgType('map', v);
    if (!hasOwn(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
    if (findByMergeKey(by ?? [], mergeKey, v[mergeKey])) inPatch.push(v);
    else serverOnly.push(v);
  }
  return [inPatch, serverOnly];
}

/** Go's in-place scalar de-duplication (it moves the last element into a duplicate's slot). */
function deduplicateScalars(s: JsonValue[]): JsonValue[] {
  let length = s.length - 1;
  for (let i = 0; i < length; i++) {
    for (let j = i + 1; j <= length; j++) {
      if (goEqual(s[i], s[j])) {
        s[j] = s[length]!;
        s.length = length;
        length--;
        j--;
      }
    }
  }
  return s;
}

function extractKey(s: string, prefix: string): string {
  const slash = s.indexOf('/');
  if (slash < 0 || s.slice(0, slash) !== prefix) {
    if (prefix === deleteFromPrimitiveListPrefix) throw badRequest(errBadPatchFormatForPrimitiveList);
    if (prefix === setElementOrderPrefix) throw badRequest(errBadPatchFormatForSetElementOrderList);
    throw internal(`fail to find unknown prefix ${goQuote(prefix)} in ${s}\n`);
  }
  return s.slice(slash + 1);
}

// ---- the merge ---------------------------------------------------------------

function handleDirectiveInMergeMap(directive: JsonValue, patch: JsonObject): JsonObject {
  if (directive === replaceDirective) {
    delete patch[directiveMarker];
    return patch;
  }
  if (directive === deleteDirective) return {};
  throw internal(`unknown patch type: ${typeof directive === 'string' ? directive : goSprintValue(directive)} in map: ${goSprintValue(patch)}`);
}

function applyRetainKeysDirective(original: JsonObject, patch: JsonObject): void {
  if (!hasOwn(patch, retainKeysDirective)) return;
  const retain = patch[retainKeysDirective];
  delete patch[retainKeysDirective];
  if (!Array.isArray(retain)) throw badRequest(errBadPatchFormatForRetainKeys);
  const keep = (k: string) => retain.some((x) => x === k);
  for (const k of Object.keys(patch)) {
    const v = patch[k];
    if (v === null || k.startsWith(deleteFromPrimitiveListPrefix) || k.startsWith(setElementOrderPrefix)) continue;
    if (!keep(k)) throw badRequest(errBadPatchFormatForRetainKeys);
  }
  for (const k of Object.keys(original)) if (!keep(k)) delete original[k];
}

function validatePatchWithSetOrderList(patchList: JsonValue | undefined, setOrderList: JsonValue, mergeKey: string): void {
  if (!Array.isArray(setOrderList)) throw badRequest(errBadPatchFormatForSetElementOrderList);
  // An absent patch list is a nil []interface{} upstream, which passes this check.
  if (patchList !== undefined && !Array.isArray(patchList)) throw badRequest(errBadPatchFormatForSetElementOrderList);
  const list = patchList ?? [];
  if (setOrderList.length === 0 || list.length === 0) return;
  let nonDelete: JsonValue[] = list;
  if (mergeKey !== '') {
    nonDelete = [];
    for (const v of list) {
      if (!isJsonObject(v)) throw errBadArgType('map', v);
      if (v[directiveMarker] !== deleteDirective) nonDelete.push(v);
    }
  }
  let p = 0;
  let o = 0;
  while (p < nonDelete.length && o < setOrderList.length) {
    const item = nonDelete[p]!;
    if (isJsonObject(item) && hasOwn(item, directiveMarker)) {
      p++;
      continue;
    }
    let equal: boolean;
    if (mergeKey === '') equal = goEqual(item, setOrderList[o]);
    else {
      const left = item;
      const right = setOrderList[o]!;
      if (!isJsonObject(left)) throw errBadArgType('map', left);
      if (!isJsonObject(right)) throw errBadArgType('map', right);
      if (!hasOwn(left, mergeKey)) throw errNoMergeKey(left, mergeKey);
      if (!hasOwn(right, mergeKey)) throw errNoMergeKey(right, mergeKey);
      equal = goEqual(left[mergeKey], right[mergeKey]);
    }
    if (equal) p++;
    o++;
  }
  if (p < nonDelete.length && o >= setOrderList.length) {
    throw internal(`The order in patch list:\n${goSprintValue(list)}\n doesn't match ${setElementOrderPrefix} list:\n${goSprintValue(setOrderList)}\n`);
  }
}

/** Applies `$setElementOrder/<list>` directives (merging those lists now). */
function mergePatchIntoOriginal(original: JsonObject, patch: JsonObject, meta: Meta): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(setElementOrderPrefix)) continue;
    const order = patch[key]!;
    delete patch[key];
    if (!Array.isArray(order)) throw errBadArgType('slice', order);
    const listKey = extractKey(key, setElementOrderPrefix);
    const foundOriginal = hasOwn(original, listKey);
    const foundPatch = hasOwn(patch, listKey);
    let originalList: JsonValue[] | undefined;
    let patchList: JsonValue[] | undefined;
    if (foundOriginal) {
      const v = original[listKey]!;
      if (!Array.isArray(v)) throw errBadArgType('slice', v);
      originalList = v;
    }
    if (foundPatch) {
      const v = patch[listKey]!;
      if (!Array.isArray(v)) throw errBadArgType('slice', v);
      patchList = v;
    }
    const f = lookupForSlice(meta, listKey);
    const strategy = otherStrategy(f.strategies);
    validatePatchWithSetOrderList(patchList, order, f.mergeKey);

    let merged: JsonValue[];
    let serverOrder = originalList;
    if (foundOriginal && !foundPatch) merged = originalList ?? [];
    else if (!foundOriginal && foundPatch) merged = (removeDirectives(patchList ?? []).value as JsonValue[]);
    else if (foundOriginal && foundPatch) {
      const r = mergeSliceHandlerWithView(originalList, patchList, f.meta, strategy, f.mergeKey, false);
      merged = r.merged;
      serverOrder = r.view;
    } else continue;

    const [patchItems, serverOnly] = f.mergeKey === ''
      ? partitionPrimitives(merged, order)
      : partitionMaps(merged, order, f.mergeKey);
    const kind = sliceElementKind(serverOrder, patchList);
    original[listKey] = normalizeElementOrder(patchItems, serverOnly, order, serverOrder, f.mergeKey, kind);
    delete patch[listKey];
  }
}

function mergeMap(original: JsonObject | null, patch: JsonObject, meta: Meta): JsonObject {
  if (hasOwn(patch, directiveMarker)) return handleDirectiveInMergeMap(patch[directiveMarker]!, patch);
  const orig = original ?? {};
  applyRetainKeysDirective(orig, patch);
  mergePatchIntoOriginal(orig, patch, meta);

  for (const rawKey of Object.keys(patch)) {
    const patchV = patch[rawKey]!;
    let k = rawKey;
    let isDeleteList = false;
    if (rawKey.startsWith(deleteFromPrimitiveListPrefix)) {
      k = extractKey(rawKey, deleteFromPrimitiveListPrefix);
      isDeleteList = true;
    }
    if (patchV === null) {
      delete orig[k];
      continue;
    }
    if (!hasOwn(orig, k)) {
      if (!isDeleteList) {
        discardNullValues(patchV);
        const r = removeDirectives(patchV);
        if (r.keep) setKey(orig, k, r.value);
      }
      continue;
    }
    const origV = orig[k]!;
    const ok = goKind(origV);
    if (ok !== goKind(patchV)) {
      if (!isDeleteList) {
        discardNullValues(patchV);
        const r = removeDirectives(patchV);
        if (r.keep) setKey(orig, k, r.value);
        else delete orig[k];
      }
      continue;
    }
    if (ok === 'map') {
      const f = lookupForStruct(meta, k);
      const strategy = otherStrategy(f.strategies);
      orig[k] = strategy !== replaceDirective ? mergeMap(origV as JsonObject, patchV as JsonObject, f.meta) : patchV;
    } else if (ok === 'slice') {
      const f = lookupForSlice(meta, k);
      const strategy = otherStrategy(f.strategies);
      orig[k] = mergeSliceHandler(origV as JsonValue[], patchV as JsonValue[], f.meta, strategy, f.mergeKey, isDeleteList);
    } else {
      const r = removeDirectives(patchV);
      if (r.keep) setKey(orig, k, r.value);
      else delete orig[k];
    }
  }
  return orig;
}

function mergeSliceHandler(original: JsonValue[] | undefined, patch: JsonValue[] | undefined, meta: Meta,
  strategy: string, mergeKey: string, isDeleteList: boolean): JsonValue[] {
  return mergeSliceHandlerWithView(original, patch, meta, strategy, mergeKey, isDeleteList).merged;
}

/**
 * Like mergeSliceHandler, also returning what the caller's view of `original` holds
 * afterwards. Upstream deletes and appends in place on the original slice's storage,
 * and the $setElementOrder step orders server-only items by that mutated view.
 */
function mergeSliceHandlerWithView(original: JsonValue[] | undefined, patch: JsonValue[] | undefined, meta: Meta,
  strategy: string, mergeKey: string, isDeleteList: boolean): { merged: JsonValue[]; view: JsonValue[] | undefined } {
  if (strategy === mergeDirective || isDeleteList) return mergeSlice(original ?? [], patch ?? [], meta, mergeKey, isDeleteList);
  return { merged: patch ?? [], view: original };
}

/** Go slice storage shared by the caller's view of the original list and the working list. */
interface Storage { backing: JsonValue[]; cap: number }

function mergeSlice(original: JsonValue[], patch: JsonValue[], meta: Meta, mergeKey: string,
  isDeleteList: boolean): { merged: JsonValue[]; view: JsonValue[] } {
  if (original.length === 0 && patch.length === 0) return { merged: original, view: original };
  const kind = sliceElementKind(original, patch);
  if (kind !== 'map') {
    if (isDeleteList) return { merged: original.filter((v) => !patch.some((d) => goEqual(d, v))), view: original };
    const merged = deduplicateScalars([...original, ...patch]);
    const [patchItems, serverOnly] = partitionPrimitives(merged, patch);
    return { merged: normalizeElementOrder(patchItems, serverOnly, patch, original, mergeKey, kind), view: original };
  }
  if (mergeKey === '') throw internal(`cannot merge lists without merge key for ${schemaName(meta)}`);
  const storage: Storage = { backing: [...original], cap: original.length };
  const special = mergeSliceWithSpecialElements(storage, patch, mergeKey);
  const orig = special.list.slice(0, special.len);
  const merged = mergeSliceWithoutSpecialElements(storage, special, special.rest ?? [], mergeKey, meta);
  const [patchItems, serverOnly] = partitionMaps(merged, special.rest, mergeKey);
  return {
    merged: normalizeElementOrder(patchItems, serverOnly, special.rest, orig, mergeKey, kind),
    view: storage.backing.slice(0, storage.cap),
  };
}

/** A working list: `list` (possibly the shared backing array) with `len` items in use. */
interface Working { list: JsonValue[]; len: number; rest: JsonValue[] | undefined }

/** Applies `$patch` items of a merging list; returns the working original and the remaining patch. */
function mergeSliceWithSpecialElements(storage: Storage, patch: JsonValue[], mergeKey: string): Working {
  const rest: JsonValue[] = [];
  let replace = false;
  const list = storage.backing;
  let len = storage.cap;
  for (const v of patch) {
    const item = v as JsonObject;
    if (!hasOwn(item, directiveMarker)) {
      rest.push(v);
      continue;
    }
    const directive = item[directiveMarker];
    if (directive === deleteDirective) {
      if (!hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
      const value = item[mergeKey];
      for (;;) {
        const found = findByMergeKey(list.slice(0, len), mergeKey, value);
        if (!found) break;
        // append(original[:k], original[k+1:]...) shifts within the same storage.
        for (let i = found.index; i < len - 1; i++) list[i] = list[i + 1]!;
        len--;
      }
    } else if (directive === replaceDirective) {
      replace = true;
    } else if (directive === mergeDirective) {
      throw internal('merging lists cannot yet be specified in the patch');
    } else {
      throw internal(`unknown patch type: ${typeof directive === 'string' ? directive : goSprintValue(directive ?? null)} in map: ${goSprintValue(item)}`);
    }
  }
  if (replace) return { list: rest, len: rest.length, rest: undefined };
  return { list, len, rest };
}

function mergeSliceWithoutSpecialElements(storage: Storage, work: Working, patch: JsonValue[], mergeKey: string, meta: Meta): JsonValue[] {
  let list = work.list;
  let len = work.len;
  for (const v of patch) {
    const item = v as JsonObject;
    if (!hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
    // Items appended here are found by later patch items with the same key, as upstream.
    const found = findByMergeKey(list.slice(0, len), mergeKey, item[mergeKey]);
    if (found) {
      list[found.index] = mergeMap(found.map, item, meta);
    } else if (list === storage.backing && len < storage.cap) {
      list[len++] = v; // append within capacity writes into the shared storage
    } else {
      if (list === storage.backing) list = list.slice(0, len);
      list[len++] = v;
    }
  }
  return list.slice(0, len);
}

/**
 * Applies a strategic merge patch to an object of a built-in kind described by
 * `schema` (e.g. schemaForKind('apps','v1','Deployment')). Returns a new object;
 * the inputs are not modified. A null patch changes nothing.
 */
export function applyStrategicMergePatch(original: JsonObject, patch: JsonValue, schema: SchemaNode): JsonObject {
  return applyStrategicMergePatchDetailed(original, patch, schema).result;
}

/**
 * As applyStrategicMergePatch, also returning the patch as upstream leaves it after
 * applying (directives and merged lists removed), which upstream prints in strict
 * field validation errors. The two may share sub-objects.
 */
export function applyStrategicMergePatchDetailed(original: JsonObject, patch: JsonValue, schema: SchemaNode): { result: JsonObject; patchAfter: JsonObject } {
  if (patch === null) return { result: cloneJson(original), patchAfter: {} };
  if (!isJsonObject(patch)) {
    throw badRequest(`json: cannot unmarshal ${Array.isArray(patch) ? 'array' : typeof patch === 'boolean' ? 'bool' : typeof patch} into Go value of type map[string]interface {}`);
  }
  return withDepthGuard(() => {
    const patchAfter = cloneJson(patch);
    return { result: mergeMap(cloneJson(original), patchAfter, { node: schema }), patchAfter };
  });
}
