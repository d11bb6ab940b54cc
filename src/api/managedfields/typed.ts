// Walks of JSON values along their schema, as structured-merge-diff does them:
// validation, the set of fields a value sets, comparison of two values (added,
// modified, removed fields), merging an applied configuration into a live object, and
// removing a set of fields from a value.
//
// Values are plain JSON; `undefined` stands for "absent" and differs from `null`.
import type { JsonObject, JsonValue } from '../types.ts';
import type { SchemaNode } from '../schema/types.ts';
import { deref, refName } from '../schema/index.ts';
import { goFormatFloat, goQuote } from '../decode/go-text.ts';
import { hasOwn, isJsonObject, jsonEqual, setKey } from '../patch/json-values.ts';
import { NONE, elemIsMap, fieldType, keyFieldDefault, resolve } from './atoms.ts';
import type { Atom, ListAtom, ScalarKind, TypeRef } from './atoms.ts';
import {
  FieldSet, elementString, elementsEqual, keyElement, serializeElement, valueElement,
} from './fieldpath.ts';
import type { PathElement } from './fieldpath.ts';

type Value = JsonValue | undefined;

/** A problem with a value, at a path printed as upstream does (`.spec.replicas`). */
export interface TypedError {
  path: string;
  message: string;
}

/** Thrown by the walks when a value does not fit its schema. */
export class TypedValueError extends Error {
  readonly errors: TypedError[];
  constructor(errors: TypedError[]) {
    super(formatTypedErrors(errors));
    this.name = 'TypedValueError';
    this.errors = errors;
  }
}

/** Upstream's text of a list of validation errors. */
export function formatTypedErrors(errs: readonly TypedError[]): string {
  const one = (e: TypedError) => (e.path ? `${e.path}: ${e.message}` : e.message);
  if (errs.length === 1) return one(errs[0]!);
  return ['errors:', ...errs.map((e) => `  ${one(e)}`)].join('\n');
}

function err(message: string): TypedError[] {
  return [{ path: '', message }];
}

function prefixed(errs: TypedError[], prefix: string): TypedError[] {
  for (const e of errs) e.path = prefix + e.path;
  return errs;
}

// ---- Go's printing of unstructured values (for error texts) ------------------------

function goNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : goFormatFloat(v);
}

/** %#v of an unstructured value. */
function goSharpV(v: JsonValue): string {
  if (v === null) return 'interface {}(nil)';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[]interface {}{${v.map(goSharpV).join(', ')}}`;
  return `map[string]interface {}{${Object.keys(v).sort().map((k) => `${goQuote(k)}:${goSharpV(v[k]!)}`).join(', ')}}`;
}

/** %v of an unstructured value. */
function goV(v: JsonValue): string {
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(goV).join(' ')}]`;
  return `map[${Object.keys(v).sort().map((k) => `${k}:${goV(v[k]!)}`).join(' ')}]`;
}

function goType(v: JsonValue): string {
  if (v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

// ---- shared pieces ------------------------------------------------------------------

type Picked = 'map' | 'scalar' | 'list' | 'any';

/** Which part of an atom applies to a value (deduceAtom). */
function pick(a: Atom, v: Value): Picked {
  if (v === undefined || v === null) return 'any';
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return a.scalar ? 'scalar' : 'any';
  if (Array.isArray(v)) return a.list ? 'list' : 'any';
  return a.map ? 'map' : 'any';
}

/** Which handler runs for a picked atom (maps first, then scalars, then lists). */
function handlerOf(a: Atom, p: Picked): 'map' | 'scalar' | 'list' | undefined {
  if (p !== 'any') return p;
  if (a.map) return 'map';
  if (a.scalar) return 'scalar';
  if (a.list) return 'list';
  return undefined;
}

function noTypeError(tr: TypeRef): TypedError[] {
  return err(`schema error: no type found matching: ${'node' in tr && tr.node.ref ? tr.node.ref : 'inlined type'}`);
}

function invalidAtomError(): TypedError[] {
  return err('schema error: invalid atom: inlined');
}

function validateScalar(t: ScalarKind, v: Value, prefix: string): TypedError[] {
  if (v === undefined || v === null) return [];
  switch (t) {
    case 'numeric':
      if (typeof v !== 'number') return err(`${prefix}expected numeric (int or float), got ${goType(v)}`);
      return [];
    case 'string':
      if (typeof v !== 'string') return err(`${prefix}expected string, got &value.valueUnstructured{Value:${goSharpV(v)}}`);
      return [];
    case 'boolean':
      if (typeof v !== 'boolean') return err(`${prefix}expected boolean, got &{${goV(v)}}`);
      return [];
    case 'untyped':
      if (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') return err(`${prefix}expected any scalar, got &{${goV(v)}}`);
      return [];
  }
}

function asList(v: Value): JsonValue[] | undefined {
  return Array.isArray(v) ? v : undefined;
}

function asMap(v: Value): JsonObject | undefined {
  return isJsonObject(v) ? v : undefined;
}

function mapValueError(v: JsonValue): TypedError[] {
  return err(`expected map, got &{${goV(v)}}`);
}

function listValueError(v: JsonValue): TypedError[] {
  return err(`expected list, got &{${goV(v)}}`);
}

/** The path element of an associative-list item, or an error text. */
export function listItemElement(list: ListAtom, item: JsonValue): PathElement | string {
  if (list.atomic) return 'invalid indexing of non-associative list';
  if (list.keys.length > 0) {
    if (item === null) return 'associative list with keys may not have a null element';
    if (!isJsonObject(item)) return 'associative list with keys may not have non-map elements';
    const fields: [string, JsonValue][] = [];
    for (const k of list.keys) {
      if (hasOwn(item, k)) fields.push([k, item[k]!]);
      else {
        if (!elemIsMap(list)) return `couldn't find default value for ${k}: associative list may not have non-map types`;
        const def = keyFieldDefault(list, k);
        if (def !== undefined && def !== null) fields.push([k, def]);
      }
    }
    if (fields.length === 0) {
      return `associative list with keys has an element that omits all key fields [${list.keys.map(goQuote).join(' ')}] (and doesn't have default values for any key fields)`;
    }
    return keyElement(fields);
  }
  if (isJsonObject(item)) return "associative list without keys has an element that's a map type";
  if (Array.isArray(item)) return 'not supported: associative list with lists as elements';
  if (item === null) return "associative list without keys has an element that's an explicit null";
  return valueElement(item);
}

const peKey = serializeElement;

// ---- validation ----------------------------------------------------------------------

/**
 * Checks a value against its type: scalar types, map/list shapes, undeclared fields,
 * associative-list keys and (unless allowed) duplicate items. Returns the problems.
 */
export function validate(v: JsonValue, tr: TypeRef, allowDuplicates = false): TypedError[] {
  const errs: TypedError[] = [];
  validateInto(v, tr, allowDuplicates, errs);
  return errs;
}

/** Prefix the paths of the errors from `start` on (path texts are only made for errors). */
function prefixFrom(errs: TypedError[], start: number, prefix: string): void {
  for (let i = start; i < errs.length; i++) errs[i]!.path = prefix + errs[i]!.path;
}

function validateInto(v: JsonValue, tr: TypeRef, allowDuplicates: boolean, errs: TypedError[]): void {
  if ('none' in tr) {
    errs.push(...noTypeError(tr));
    return;
  }
  const a = resolve(tr);
  switch (handlerOf(a, pick(a, v))) {
    case 'scalar':
      errs.push(...validateScalar(a.scalar!, v, ''));
      return;
    case 'map': {
      if (v === null) return;
      const m = asMap(v);
      if (!m) {
        errs.push(...mapValueError(v));
        return;
      }
      const fields = a.map!.fields;
      for (const k in m) {
        const declared = fields.get(k);
        const t = declared ?? a.map!.elem;
        if (!declared && 'none' in t) {
          errs.push({ path: elementString({ t: 'f', name: k }), message: 'field not declared in schema' });
          break;
        }
        const start = errs.length;
        validateInto(m[k]!, t, allowDuplicates, errs);
        if (errs.length > start) prefixFrom(errs, start, elementString({ t: 'f', name: k }));
      }
      return;
    }
    case 'list': {
      if (v === null) return;
      const l = asList(v);
      if (!l) {
        errs.push(...listValueError(v));
        return;
      }
      const list = a.list!;
      const seen = allowDuplicates ? undefined : new Set<string>();
      for (let i = 0; i < l.length; i++) {
        let pe: PathElement;
        if (list.atomic) pe = { t: 'i', index: i };
        else {
          const r = listItemElement(list, l[i]!);
          if (typeof r === 'string') {
            errs.push({ path: '', message: `element ${i}: ${r}` });
            return;
          }
          pe = r;
          if (seen) {
            const key = peKey(pe);
            if (seen.has(key)) errs.push({ path: '', message: `duplicate entries for key ${elementString(pe)}` });
            seen.add(key);
          }
        }
        const start = errs.length;
        validateInto(l[i]!, list.elem, allowDuplicates, errs);
        if (errs.length > start) prefixFrom(errs, start, elementString(pe));
      }
      return;
    }
    default:
      errs.push(...invalidAtomError());
  }
}

// ---- the set of fields of a value ----------------------------------------------------

/** The fields a value sets (upstream ToFieldSet). Assumes a validated value. */
export function toFieldSet(v: JsonValue, tr: TypeRef): FieldSet {
  const set = new FieldSet();
  fieldsOf(v, tr, [], set);
  return set;
}

function fieldsOf(v: JsonValue, tr: TypeRef, path: PathElement[], set: FieldSet): void {
  const a = resolve(tr);
  switch (handlerOf(a, pick(a, v))) {
    case 'scalar':
      set.insert(path);
      return;
    case 'list': {
      const list = a.list!;
      if (list.atomic) {
        set.insert(path);
        return;
      }
      const l = asList(v);
      if (!l) return;
      const pes = l.map((item) => listItemElement(list, item));
      const seen = new Set<string>();
      const dups = new Set<string>();
      pes.forEach((pe) => {
        if (typeof pe === 'string') return;
        const k = peKey(pe);
        if (seen.has(k)) {
          if (!dups.has(k)) {
            set.insert([...path, pe]);
            dups.add(k);
          }
        } else seen.add(k);
      });
      l.forEach((item, i) => {
        const pe = pes[i]!;
        if (typeof pe === 'string' || dups.has(peKey(pe))) return;
        const p = [...path, pe];
        fieldsOf(item, list.elem, p, set);
        set.insert(p);
      });
      return;
    }
    case 'map': {
      const m = a.map!;
      if (m.atomic) {
        set.insert(path);
        return;
      }
      const obj = asMap(v);
      if (!obj) return;
      for (const k of Object.keys(obj)) {
        const val = obj[k]!;
        const p = [...path, { t: 'f' as const, name: k }];
        fieldsOf(val, fieldType(m, k), p, set);
        if (val === null || (isJsonObject(val) && Object.keys(val).length === 0)) set.insert(p);
        else if (!m.fields.has(k)) set.insert(p);
      }
      return;
    }
    default:
      return;
  }
}

// ---- comparison ----------------------------------------------------------------------

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

export function isSame(c: Comparison): boolean {
  return c.added.isEmpty() && c.modified.isEmpty() && c.removed.isEmpty();
}

interface CmpWalker {
  lhs: Value;
  rhs: Value;
  tr: TypeRef;
  path: PathElement[];
  inLeaf: boolean;
  out: Comparison;
  /** Problems found, in walk order; paths relative to the walk's start until prefixed. */
  errs: TypedError[];
}

/** Which fields `rhs` added, modified and removed relative to `lhs` (either may be absent). */
export function compare(lhs: Value, rhs: Value, tr: TypeRef): Comparison {
  const out: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  const errs: TypedError[] = [];
  cmpWalk({ lhs, rhs, tr, path: [], inLeaf: false, out, errs });
  if (errs.length > 0) throw new TypedValueError(errs);
  return out;
}

/** Walk one child; its errors get the child's path element in front (made only when there are some). */
function cmpChild(w: CmpWalker, pe: PathElement, lhs: Value, rhs: Value, tr: TypeRef): void {
  const start = w.errs.length;
  cmpWalk({ lhs, rhs, tr, path: [...w.path, pe], inLeaf: false, out: w.out, errs: w.errs });
  if (w.errs.length > start) prefixFrom(w.errs, start, elementString(pe));
}

function cmpWalk(w: CmpWalker): void {
  if (w.lhs === undefined && w.rhs === undefined) {
    w.errs.push({ path: '', message: 'at least one of lhs and rhs must be provided' });
    return;
  }
  if ('none' in w.tr) {
    w.errs.push(...noTypeError(w.tr));
    return;
  }
  const a = resolve(w.tr);
  const pl = pick(a, w.lhs);
  const pr = pick(a, w.rhs);
  if (w.rhs === undefined) cmpHandle(a, pl, w);
  else if (w.lhs === undefined || pl === pr) cmpHandle(a, pr, w);
  else {
    cmpHandle(a, pl, { ...w });
    cmpHandle(a, pr, w);
  }
  if (!w.inLeaf) {
    if (w.lhs === undefined) w.out.added.insert(w.path);
    else if (w.rhs === undefined) w.out.removed.insert(w.path);
  }
}

function cmpLeaf(w: CmpWalker): void {
  if (w.inLeaf) return;
  w.inLeaf = true;
  if (w.lhs === undefined) w.out.added.insert(w.path);
  else if (w.rhs === undefined) w.out.removed.insert(w.path);
  else if (!jsonEqual(w.lhs, w.rhs)) w.out.modified.insert(w.path);
}

function cmpHandle(a: Atom, p: Picked, w: CmpWalker): void {
  switch (handlerOf(a, p)) {
    case 'scalar': {
      const le = validateScalar(a.scalar!, w.lhs, 'lhs: ');
      const re = validateScalar(a.scalar!, w.rhs, 'rhs: ');
      if (le.length > 0 && re.length > 0) w.errs.push(...le, ...re);
      else cmpLeaf(w);
      return;
    }
    case 'list': {
      const list = a.list!;
      const l = asList(w.lhs);
      const r = asList(w.rhs);
      const emptyPromote = (!l || l.length === 0) && (!r || r.length === 0);
      if (list.atomic || emptyPromote) cmpLeaf(w);
      else cmpListItems(list, l, r, w);
      return;
    }
    case 'map': {
      const m = a.map!;
      const l = asMap(w.lhs);
      const r = asMap(w.rhs);
      const emptyPromote = (!l || isEmptyMap(l)) && (!r || isEmptyMap(r));
      if (m.atomic || emptyPromote) {
        cmpLeaf(w);
        return;
      }
      const visit = (k: string, lv: Value, rv: Value) => {
        // Equal subtrees hold no differences; most updates change a small part of an object.
        if (lv !== undefined && rv !== undefined && (lv === rv || jsonEqual(lv, rv))) return;
        cmpChild(w, { t: 'f', name: k }, lv, rv, fieldType(m, k));
      };
      if (l) for (const k in l) visit(k, l[k], r && hasOwn(r, k) ? r[k] : undefined);
      if (r) for (const k in r) if (!l || !hasOwn(l, k)) visit(k, undefined, r[k]);
      return;
    }
    default:
      w.errs.push(...invalidAtomError());
  }
}

function isEmptyMap(m: JsonObject): boolean {
  for (const _ in m) return false;
  return true;
}

function cmpListItems(list: ListAtom, lhs: JsonValue[] | undefined, rhs: JsonValue[] | undefined, w: CmpWalker): void {
  const errs = w.errs;
  const all: PathElement[] = [];
  const lv = new Map<string, JsonValue[]>();
  const rv = new Map<string, JsonValue[]>();
  (lhs ?? []).forEach((item, i) => {
    const pe = listItemElement(list, item);
    if (typeof pe === 'string') {
      errs.push({ path: '', message: `element ${i}: ${pe}` });
      return;
    }
    const k = peKey(pe);
    const got = lv.get(k);
    if (got) got.push(item);
    else {
      lv.set(k, [item]);
      all.push(pe);
    }
  });
  (rhs ?? []).forEach((item, i) => {
    const pe = listItemElement(list, item);
    if (typeof pe === 'string') {
      errs.push({ path: '', message: `element ${i}: ${pe}` });
      return;
    }
    const k = peKey(pe);
    const got = rv.get(k);
    if (got) got.push(item);
    else {
      rv.set(k, [item]);
      if (!lv.has(k)) all.push(pe);
    }
  });
  for (const pe of all) {
    const k = peKey(pe);
    const ll = lv.get(k) ?? [];
    const rl = rv.get(k) ?? [];
    if (ll.length === 1 && rl.length === 1 && jsonEqual(ll[0], rl[0])) continue;
    if (ll.length <= 1 && rl.length <= 1) cmpChild(w, pe, ll[0], rl[0], list.elem);
    else if (ll.length >= 2 && rl.length >= 2) {
      const same = ll.length === rl.length && ll.every((x, i) => jsonEqual(x, rl[i]));
      if (!same) w.out.modified.insert([...w.path, pe]);
    } else if (ll.length >= 2) {
      if (rl.length !== 0) cmpChild(w, pe, undefined, rl[0], list.elem);
      w.out.removed.insert([...w.path, pe]);
    } else {
      if (ll.length !== 0) cmpChild(w, pe, ll[0], undefined, list.elem);
      w.out.added.insert([...w.path, pe]);
    }
  }
}

// ---- merge ---------------------------------------------------------------------------

interface MergeWalker {
  lhs: Value;
  rhs: Value;
  tr: TypeRef;
  inLeaf: boolean;
  out: Value;
}

/**
 * Merges `rhs` (an applied configuration) into `lhs` (the live object): fields of
 * granular maps and items of associative lists merge, everything else is replaced.
 * Returns undefined when the result is empty.
 */
export function merge(lhs: Value, rhs: Value, tr: TypeRef): Value {
  const w: MergeWalker = { lhs, rhs, tr, inLeaf: false, out: undefined };
  const errs = mergeWalk(w);
  if (errs.length > 0) throw new TypedValueError(errs);
  return w.out;
}

function mergeWalk(w: MergeWalker): TypedError[] {
  if (w.lhs === undefined && w.rhs === undefined) return err('at least one of lhs and rhs must be provided');
  if ('none' in w.tr) return noTypeError(w.tr);
  const a = resolve(w.tr);
  const pl = pick(a, w.lhs);
  const pr = pick(a, w.rhs);
  if (w.rhs === undefined) return mergeHandle(a, pl, w);
  if (w.lhs === undefined || pl === pr) return mergeHandle(a, pr, w);
  return [...mergeHandle(a, pl, { ...w }), ...mergeHandle(a, pr, w)];
}

function mergeLeaf(w: MergeWalker): void {
  if (w.inLeaf) return;
  w.inLeaf = true;
  w.out = w.rhs !== undefined ? w.rhs : w.lhs;
}

function mergeHandle(a: Atom, p: Picked, w: MergeWalker): TypedError[] {
  switch (handlerOf(a, p)) {
    case 'scalar': {
      const le = validateScalar(a.scalar!, w.lhs, 'lhs: ');
      const re = validateScalar(a.scalar!, w.rhs, 'rhs: ');
      if (le.length > 0 && re.length > 0) return [...le, ...re];
      mergeLeaf(w);
      return [];
    }
    case 'list': {
      const list = a.list!;
      const l = asList(w.lhs);
      const r = asList(w.rhs);
      const emptyPromote = (!l || l.length === 0) && (!r || r.length === 0);
      if (list.atomic || emptyPromote) {
        mergeLeaf(w);
        return [];
      }
      return mergeListItems(list, l, r, w);
    }
    case 'map': {
      const m = a.map!;
      const l = asMap(w.lhs);
      const r = asMap(w.rhs);
      const emptyPromote = (!l || Object.keys(l).length === 0) && (!r || Object.keys(r).length === 0);
      if (m.atomic || emptyPromote) {
        mergeLeaf(w);
        return [];
      }
      const errs: TypedError[] = [];
      const out: JsonObject = {};
      const visit = (k: string, lv: Value, rv: Value) => {
        const w2: MergeWalker = { lhs: lv, rhs: rv, tr: fieldType(m, k), inLeaf: false, out: undefined };
        errs.push(...prefixed(mergeWalk(w2), elementString({ t: 'f', name: k })));
        if (w2.out !== undefined) setKey(out, k, w2.out);
      };
      if (l) for (const k of Object.keys(l)) visit(k, l[k], r && hasOwn(r, k) ? r[k] : undefined);
      if (r) for (const k of Object.keys(r)) if (!l || !hasOwn(l, k)) visit(k, undefined, r[k]);
      if (Object.keys(out).length > 0) w.out = out;
      return errs;
    }
    default: return invalidAtomError();
  }
}

interface Indexed {
  pes: PathElement[];
  /** Item by element key; null for duplicated items. */
  observed: Map<string, JsonValue>;
}

function indexItems(list: ListAtom, items: JsonValue[] | undefined, allowDuplicates: boolean, errs: TypedError[]): Indexed {
  const pes: PathElement[] = [];
  const observed = new Map<string, JsonValue>();
  (items ?? []).forEach((item, i) => {
    const pe = listItemElement(list, item);
    if (typeof pe === 'string') {
      errs.push(...err(`element ${i}: ${pe}`));
      return;
    }
    const k = peKey(pe);
    if (observed.has(k) && !allowDuplicates) {
      errs.push(...err(`duplicate entries for key ${elementString(pe)}`));
      return;
    }
    observed.set(k, observed.has(k) ? null : item);
    pes.push(pe);
  });
  return { pes, observed };
}

function mergeListItems(list: ListAtom, lhs: JsonValue[] | undefined, rhs: JsonValue[] | undefined, w: MergeWalker): TypedError[] {
  const errs: TypedError[] = [];
  const R = indexItems(list, rhs, false, errs);
  const L = indexItems(list, lhs, true, errs);
  if (errs.length > 0) return errs;
  const out: JsonValue[] = [];
  const shared = R.pes.filter((pe) => L.observed.has(peKey(pe)));
  let next: PathElement | undefined = shared.shift();
  const mergedR = new Set<string>();
  const mergeItem = (pe: PathElement, l: Value, r: Value) => {
    const w2: MergeWalker = { lhs: l, rhs: r, tr: list.elem, inLeaf: false, out: undefined };
    errs.push(...prefixed(mergeWalk(w2), elementString(pe)));
    if (w2.out !== undefined) out.push(w2.out);
  };
  const lLen = L.pes.length;
  const rLen = R.pes.length;
  for (let li = 0, ri = 0; li < lLen || ri < rLen;) {
    if (li < lLen && ri < rLen) {
      const pe = L.pes[li]!;
      if (elementsEqual(pe, R.pes[ri]!)) {
        const k = peKey(pe);
        mergedR.add(k);
        mergeItem(pe, L.observed.get(k), R.observed.get(k));
        li++;
        ri++;
        next = shared.shift();
        continue;
      }
      if (R.observed.has(peKey(pe)) && next !== undefined && !elementsEqual(next, pe)) {
        li++;
        continue;
      }
    }
    if (li < lLen) {
      const pe = L.pes[li]!;
      const k = peKey(pe);
      if (!R.observed.has(k)) {
        mergeItem(pe, lhs![li], undefined);
        li++;
        continue;
      } else if (mergedR.has(k)) {
        li++;
      }
    }
    if (ri < rLen) {
      const pe = R.pes[ri]!;
      const k = peKey(pe);
      mergedR.add(k);
      mergeItem(pe, L.observed.has(k) ? L.observed.get(k) : undefined, R.observed.get(k));
      ri++;
      if (next !== undefined && elementsEqual(next, pe)) next = shared.shift();
    }
  }
  if (out.length > 0) w.out = out;
  return errs;
}

// ---- removal ---------------------------------------------------------------------------

/**
 * The value without the fields of `toRemove` (upstream RemoveItems). Like upstream, a
 * map or list emptied by the removal becomes null (absent at the top).
 */
export function removeItems(v: JsonValue, toRemove: FieldSet, tr: TypeRef): JsonValue {
  return removeWalk(v, toRemove, tr) ?? null;
}

function removeWalk(v: JsonValue, toRemove: FieldSet, tr: TypeRef): Value {
  const a = resolve(tr);
  switch (handlerOf(a, pick(a, v))) {
    case 'scalar': return v;
    case 'list': {
      const l = asList(v);
      if (!l || l.length === 0) return undefined;
      const list = a.list!;
      if (list.atomic) return undefined;
      const out: JsonValue[] = [];
      for (const item of l) {
        const pe = listItemElement(list, item);
        if (typeof pe === 'string') {
          out.push(item);
          continue;
        }
        if (toRemove.hasMember(pe)) continue;
        const sub = toRemove.withPrefix(pe);
        out.push(sub.isEmpty() ? item : removeWalk(item, sub, list.elem) ?? null);
      }
      return out.length > 0 ? out : undefined;
    }
    case 'map': {
      const obj = asMap(v);
      if (!obj || Object.keys(obj).length === 0) return undefined;
      const m = a.map!;
      if (m.atomic) return undefined;
      const out: JsonObject = {};
      for (const k of Object.keys(obj)) {
        const pe: PathElement = { t: 'f', name: k };
        if (toRemove.hasMember(pe)) continue;
        const sub = toRemove.withPrefix(pe);
        setKey(out, k, sub.isEmpty() ? obj[k]! : removeWalk(obj[k]!, sub, fieldType(m, k)) ?? null);
      }
      return Object.keys(out).length > 0 ? out : undefined;
    }
    default: return undefined;
  }
}

// ---- named fields --------------------------------------------------------------------

/**
 * The set plus every declared struct field that has members below it (upstream
 * EnsureNamedFieldsAreMembers): `a.b.c` also gives `a` and `a.b` when those are
 * declared fields, but not map keys or list items.
 */
export function ensureNamedFieldsAreMembers(s: FieldSet, tr: TypeRef): FieldSet {
  const a = resolve(tr);
  const members = [...s.members];
  const extra: PathElement[] = [];
  const children = s.children.map((c) => {
    let t: TypeRef = NONE;
    if (c.pe.t === 'f' && a.map) {
      if (a.map.fields.has(c.pe.name)) extra.push(c.pe);
      t = fieldType(a.map, c.pe.name);
    } else if (c.pe.t === 'k' && a.list) t = a.list.elem;
    return { pe: c.pe, set: ensureNamedFieldsAreMembers(c.set, t) };
  });
  const out = new FieldSet(members, children);
  for (const pe of extra) out.insert([pe]);
  return out;
}

// ---- the zero object of a kind ---------------------------------------------------------

/** Non-pointer struct fields that Go keeps as `{}` even when empty, by definition. */
const valueStructs: Record<string, readonly string[]> = {
  'io.k8s.api.apps.v1.DeploymentSpec': ['strategy', 'template'],
  'io.k8s.api.apps.v1.ReplicaSetSpec': ['template'],
  'io.k8s.api.apps.v1.StatefulSetSpec': ['template', 'updateStrategy'],
  'io.k8s.api.apps.v1.DaemonSetSpec': ['template', 'updateStrategy'],
  'io.k8s.api.batch.v1.JobSpec': ['template'],
  'io.k8s.api.batch.v1.CronJobSpec': ['jobTemplate'],
  'io.k8s.api.core.v1.Container': ['resources'],
  'io.k8s.api.core.v1.EphemeralContainer': ['resources'],
  'io.k8s.api.core.v1.PersistentVolumeClaimSpec': ['resources'],
  'io.k8s.api.core.v1.ServiceStatus': ['loadBalancer'],
};

/** Struct fields that are pointers although named like value structs. */
const pointerStructs: Record<string, readonly string[]> = {
  'io.k8s.api.core.v1.ReplicationControllerSpec': ['template'],
};

/**
 * The object an empty Go value of the kind turns into (what upstream compares a
 * created object against): `metadata: {creationTimestamp: null}`, `spec: {}` and
 * `status: {}` (with their value structs), and null for required maps and lists. Which
 * granular fields are present here decides where a create's entry says `".": {}`.
 */
export function zeroObject(schema: SchemaNode): JsonObject {
  return zeroStruct(schema, 0) ?? {};
}

function zeroStruct(node: SchemaNode, depth: number): JsonObject | undefined {
  const d = deref(node);
  if (!d.properties || depth > 12) return undefined;
  const name = refNameOf(node);
  const out: JsonObject = {};
  const valueFields = new Set(valueStructs[name ?? ''] ?? []);
  const pointers = new Set(pointerStructs[name ?? ''] ?? []);
  const required = new Set(d.required ?? []);
  for (const [k, p] of Object.entries(d.properties)) {
    const pd = deref(p);
    const pname = refNameOf(p);
    if (pname === 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta') {
      out[k] = { creationTimestamp: null };
      continue;
    }
    const isStruct = pd.properties !== undefined && pd.additionalProperties === undefined && !pd.opaque;
    if (isStruct) {
      if (pointers.has(k)) continue;
      if (valueFields.has(k) || k === 'spec' || k === 'status' || (required.has(k) && pd.mapType !== 'atomic')) {
        const z = zeroStruct(p, depth + 1);
        if (z) out[k] = z;
      } else if (required.has(k)) out[k] = null;
      continue;
    }
    if (required.has(k) && (pd.type === 'array' || pd.additionalProperties !== undefined)) out[k] = null;
  }
  return out;
}

function refNameOf(n: SchemaNode): string | undefined {
  return n.ref !== undefined ? refName(n) : undefined;
}
