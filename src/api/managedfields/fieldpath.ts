// Field paths and sets of them, as server-side apply records ownership, and their
// FieldsV1 form (the `fieldsV1` of a managedFields entry).
//
// A path is a list of elements: a field name (`f:spec`), the key of an item of an
// associative list (`k:{"name":"web"}`), a value of a set (`v:"x"`) or a list index
// (`i:0`). A set is a tree: at each level the elements that are members of the set
// themselves, and the elements below which further members live. In FieldsV1 a level
// is a JSON object whose keys are the serialized elements in element order; a member
// that also has children is marked by a `".": {}` entry first in its object.
import { LruMap } from '../lru-map.ts';
import type { JsonObject, JsonValue } from '../types.ts';
import { compareUtf8, goFormatFloat, goJsonMarshal, goQuote } from '../decode/go-text.ts';
import { hasOwn, isJsonObject, jsonEqual } from '../patch/json-values.ts';

/**
 * One step of a path. Key fields are sorted by name. Key and value elements keep their
 * FieldsV1 text once worked out (`text`): elements are shared by the sets built from
 * one another.
 */
export type PathElement =
  | { readonly t: 'f'; readonly name: string }
  | { readonly t: 'k'; readonly fields: ReadonlyArray<readonly [string, JsonValue]>; text?: string }
  | { readonly t: 'v'; readonly value: JsonValue; text?: string }
  | { readonly t: 'i'; readonly index: number };

export type Path = readonly PathElement[];

export function fieldElement(name: string): PathElement {
  return { t: 'f', name };
}

/** The element naming an associative-list item by its key fields. */
export function keyElement(fields: Record<string, JsonValue> | ReadonlyArray<readonly [string, JsonValue]>): PathElement {
  const list = Array.isArray(fields) ? [...fields] as [string, JsonValue][] : Object.entries(fields);
  list.sort((a, b) => compareUtf8(a[0], b[0]));
  return { t: 'k', fields: list, text: undefined };
}

export function valueElement(value: JsonValue): PathElement {
  return { t: 'v', value, text: undefined };
}

export function indexElement(index: number): PathElement {
  return { t: 'i', index };
}

/** A path from strings (field names) and numbers (indices), or elements. */
export function makePath(...parts: ReadonlyArray<string | number | PathElement>): Path {
  return parts.map((p) => (typeof p === 'string' ? fieldElement(p) : typeof p === 'number' ? indexElement(p) : p));
}

// ---- values: order, equality and text as structured-merge-diff has them ----------

function kindRank(v: JsonValue): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'boolean') return 2;
  if (Array.isArray(v)) return 3;
  if (v === null) return 5;
  return 4;
}

/** A total order of values: numbers, strings, booleans, lists, maps, then null. */
export function compareValues(a: JsonValue, b: JsonValue): number {
  const ra = kindRank(a);
  const rb = kindRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0: return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 1: return Math.sign(compareUtf8(a as string, b as string));
    case 2: return a === b ? 0 : a === false ? -1 : 1;
    case 3: {
      const x = a as JsonValue[];
      const y = b as JsonValue[];
      for (let i = 0; ; i++) {
        if (i >= x.length && i >= y.length) return 0;
        if (i >= x.length) return -1;
        if (i >= y.length) return 1;
        const c = compareValues(x[i]!, y[i]!);
        if (c !== 0) return c;
      }
    }
    case 4: return compareMaps(a as JsonObject, b as JsonObject);
    default: return 0;
  }
}

// Maps compare over the union of their keys in byte order.
function compareMaps(a: JsonObject, b: JsonObject): number {
  const la = Object.keys(a).length;
  const lb = Object.keys(b).length;
  if (la === 0 && lb === 0) return 0;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(compareUtf8);
  let i = 0;
  for (const k of keys) {
    let c: number;
    if (i === la) c = -1;
    else if (i === lb) c = 1;
    else if (!hasOwn(a, k)) c = 1;
    else if (!hasOwn(b, k)) c = -1;
    else c = compareValues(a[k]!, b[k]!);
    i++;
    if (c !== 0) return c;
  }
  return 0;
}

/** How a value prints in a path: `"web"`, `80`, `true`, `null`, `[a,b]`. */
export function valueString(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : goFormatFloat(v);
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(valueString).join(',')}]`;
  return Object.keys(v).map((k) => `${k}=${valueString(v[k]!)}`).join('');
}

// ---- elements ---------------------------------------------------------------------

const typeRank = { f: 0, k: 1, v: 2, i: 3 } as const;

export function compareElements(a: PathElement, b: PathElement): number {
  if (a.t !== b.t) return typeRank[a.t] < typeRank[b.t] ? -1 : 1;
  switch (a.t) {
    case 'f': return Math.sign(compareUtf8(a.name, (b as typeof a).name));
    case 'k': {
      const x = a.fields;
      const y = (b as typeof a).fields;
      for (let i = 0; ; i++) {
        if (i >= x.length && i >= y.length) return 0;
        if (i >= x.length) return -1;
        if (i >= y.length) return 1;
        const c = Math.sign(compareUtf8(x[i]![0], y[i]![0])) || compareValues(x[i]![1], y[i]![1]);
        if (c !== 0) return c;
      }
    }
    case 'v': return compareValues(a.value, (b as typeof a).value);
    case 'i': {
      const j = (b as typeof a).index;
      return a.index < j ? -1 : a.index > j ? 1 : 0;
    }
  }
}

export function elementsEqual(a: PathElement, b: PathElement): boolean {
  if (a.t !== b.t) return false;
  switch (a.t) {
    case 'f': return a.name === (b as typeof a).name;
    case 'k': {
      const y = (b as typeof a).fields;
      return a.fields.length === y.length && a.fields.every(([n, v], i) => n === y[i]![0] && jsonEqual(v, y[i]![1]));
    }
    case 'v': return jsonEqual(a.value, (b as typeof a).value);
    case 'i': return a.index === (b as typeof a).index;
  }
}

/** An element as it prints in a path: `.spec`, `[name="web"]`, `[="x"]`, `[0]`. */
export function elementString(e: PathElement): string {
  switch (e.t) {
    case 'f': return `.${e.name}`;
    case 'k': return `[${e.fields.map(([n, v]) => `${n}=${valueString(v)}`).join(',')}]`;
    case 'v': return `[=${valueString(e.value)}]`;
    case 'i': return `[${e.index}]`;
  }
}

/** A path as upstream prints it: `.spec.template.spec.containers[name="web"].image`. */
export function pathString(p: Path): string {
  return p.map(elementString).join('');
}

/** The FieldsV1 key of an element: `f:name`, `k:{"name":"web"}`, `v:"x"`, `i:0`. */
export function serializeElement(e: PathElement): string {
  switch (e.t) {
    case 'f': return `f:${e.name}`;
    case 'i': return `i:${e.index}`;
    case 'k': return e.text ??= `k:{${e.fields.map(([n, v]) => `${goJsonMarshal(n)}:${goJsonMarshal(v)}`).join(',')}}`;
    case 'v': return e.text ??= `v:${goJsonMarshal(e.value)}`;
  }
}

/** A FieldsV1 key that is not valid. */
export class FieldsV1Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldsV1Error';
  }
}

/** An element type this version does not know (upstream drops such keys). */
const UNKNOWN_ELEMENT = Symbol('unknown path element type');

function parseJsonExact(s: string): JsonValue {
  try {
    return JSON.parse(s) as JsonValue;
  } catch (e) {
    throw new FieldsV1Error((e as Error).message);
  }
}

/** Parses a FieldsV1 key; throws FieldsV1Error when it is malformed. */
export function deserializeElement(s: string): PathElement {
  const pe = parseElement(s);
  if (pe === UNKNOWN_ELEMENT) throw new FieldsV1Error('unknown path element type');
  return pe;
}

function parseElement(s: string): PathElement | typeof UNKNOWN_ELEMENT {
  if (s.length < 2) throw new FieldsV1Error('key must be 2 characters long:');
  if (s[1] !== ':') throw new FieldsV1Error(`missing colon: ${s}`);
  const rest = s.slice(2);
  switch (s[0]) {
    case 'f': return { t: 'f', name: rest };
    case 'v': return { t: 'v', value: parseJsonExact(rest), text: undefined };
    case 'k': {
      const v = parseJsonExact(rest);
      if (!isJsonObject(v)) throw new FieldsV1Error(`expected an object of key fields: ${rest}`);
      return keyElement(Object.entries(v));
    }
    case 'i': {
      if (!/^[+-]?\d+$/.test(rest)) throw new FieldsV1Error(`strconv.Atoi: parsing ${goQuote(rest)}: invalid syntax`);
      return { t: 'i', index: Number(rest) };
    }
    default: return UNKNOWN_ELEMENT;
  }
}

// ---- sets ---------------------------------------------------------------------------

interface Child {
  readonly pe: PathElement;
  readonly set: FieldSet;
}

function search<T>(list: readonly T[], pe: PathElement, get: (x: T) => PathElement): { found: boolean; at: number } {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const c = compareElements(get(list[mid]!), pe);
    if (c === 0) return { found: true, at: mid };
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return { found: false, at: lo };
}

// toFieldsV1's reverse memory (see there), for the recently made objects only: it keeps
// their sets alive, several times the size of the objects.
const setOfFieldsV1 = new LruMap<object, FieldSet>(4096);

function forget(s: FieldSet): void {
  if (s.emitted) setOfFieldsV1.delete(s.emitted);
  s.emitted = undefined;
  s.emittedMember = undefined;
}

const self = (e: PathElement) => e;
const childPe = (c: Child) => c.pe;

/**
 * A set of field paths. Sets built by `insert` may be changed; the results of the
 * operations share subtrees with their inputs and must be treated as read-only.
 */
export class FieldSet {
  /** Elements that are members at this level, sorted. */
  members: PathElement[];
  /** Elements below which members live, sorted. */
  children: Child[];
  /**
   * The FieldsV1 object of this set, once built, and of this set as a member (starting
   * with ".": {}): the sets an operation returns share the subtrees it left alone, whose
   * objects are then not built again. insert forgets them along the path it changes.
   */
  emitted: JsonObject | undefined = undefined;
  emittedMember: JsonObject | undefined = undefined;

  constructor(members: PathElement[] = [], children: Child[] = []) {
    this.members = members;
    this.children = children;
  }

  static fromPaths(paths: Iterable<Path | ReadonlyArray<string | number | PathElement>>): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(makePath(...p));
    return s;
  }

  /** Adds a path (its parents are not added). The empty path is never a member. */
  insert(p: Path): void {
    if (p.length === 0) return;
    let s: FieldSet = this;
    forget(s);
    for (let i = 0; i < p.length - 1; i++) {
      s = s.descend(p[i]!);
      forget(s);
    }
    const pe = p[p.length - 1]!;
    const { found, at } = search(s.members, pe, self);
    if (!found) s.members.splice(at, 0, pe);
  }

  /** The subset below `pe`, created when absent (for building). */
  descend(pe: PathElement): FieldSet {
    const { found, at } = search(this.children, pe, childPe);
    if (found) return this.children[at]!.set;
    const set = new FieldSet();
    this.children.splice(at, 0, { pe, set });
    return set;
  }

  has(p: Path): boolean {
    if (p.length === 0) return false;
    let s: FieldSet | undefined = this;
    for (let i = 0; i < p.length - 1; i++) {
      s = s.child(p[i]!);
      if (!s) return false;
    }
    return search(s.members, p[p.length - 1]!, self).found;
  }

  hasMember(pe: PathElement): boolean {
    return search(this.members, pe, self).found;
  }

  child(pe: PathElement): FieldSet | undefined {
    const { found, at } = search(this.children, pe, childPe);
    return found ? this.children[at]!.set : undefined;
  }

  /** The paths below `pe`, without `pe` (empty when none). */
  withPrefix(pe: PathElement): FieldSet {
    return this.child(pe) ?? new FieldSet();
  }

  isEmpty(): boolean {
    return this.members.length === 0 && this.children.every((c) => c.set.isEmpty());
  }

  /** Number of member paths. */
  size(): number {
    return this.members.length + this.children.reduce((n, c) => n + c.set.size(), 0);
  }

  union(o: FieldSet): FieldSet {
    const members: PathElement[] = [];
    let i = 0;
    let j = 0;
    const a = this.members;
    const b = o.members;
    while (i < a.length && j < b.length) {
      const c = compareElements(a[i]!, b[j]!);
      if (c < 0) members.push(a[i++]!);
      else {
        members.push(b[j]!);
        if (c === 0) i++;
        j++;
      }
    }
    while (i < a.length) members.push(a[i++]!);
    while (j < b.length) members.push(b[j++]!);
    const children: Child[] = [];
    const x = this.children;
    const y = o.children;
    i = 0;
    j = 0;
    while (i < x.length && j < y.length) {
      const c = compareElements(x[i]!.pe, y[j]!.pe);
      if (c < 0) children.push(x[i++]!);
      else if (c > 0) children.push(y[j++]!);
      else {
        children.push({ pe: x[i]!.pe, set: x[i]!.set.union(y[j]!.set) });
        i++;
        j++;
      }
    }
    while (i < x.length) children.push(x[i++]!);
    while (j < y.length) children.push(y[j++]!);
    return new FieldSet(members, children);
  }

  /** The leaf members in both sets. */
  intersection(o: FieldSet): FieldSet {
    const members = this.members.filter((pe) => o.hasMember(pe));
    const children: Child[] = [];
    for (const c of this.children) {
      const d = o.child(c.pe);
      if (!d) continue;
      const r = c.set.intersection(d);
      if (!r.isEmpty()) children.push({ pe: c.pe, set: r });
    }
    return new FieldSet(members, children);
  }

  /** Members of this set not in `o` (a parent minus its child is still the parent). */
  difference(o: FieldSet): FieldSet {
    const members = this.members.filter((pe) => !o.hasMember(pe));
    const children: Child[] = [];
    for (const c of this.children) {
      const d = o.child(c.pe);
      if (!d) {
        children.push(c);
        continue;
      }
      const r = c.set.difference(d);
      if (!r.isEmpty()) children.push({ pe: c.pe, set: r });
    }
    return new FieldSet(members, children);
  }

  /** Like difference, but a member of `o` also removes everything below it. */
  recursiveDifference(o: FieldSet): FieldSet {
    const members = this.members.filter((pe) => !o.hasMember(pe));
    const children: Child[] = [];
    for (const c of this.children) {
      if (o.hasMember(c.pe)) continue;
      const d = o.child(c.pe);
      if (!d) {
        children.push(c);
        continue;
      }
      const r = c.set.recursiveDifference(d);
      if (!r.isEmpty()) children.push({ pe: c.pe, set: r });
    }
    return new FieldSet(members, children);
  }

  equals(o: FieldSet): boolean {
    if (this.members.length !== o.members.length || this.children.length !== o.children.length) return false;
    for (let i = 0; i < this.members.length; i++) if (!elementsEqual(this.members[i]!, o.members[i]!)) return false;
    for (let i = 0; i < this.children.length; i++) {
      if (!elementsEqual(this.children[i]!.pe, o.children[i]!.pe) || !this.children[i]!.set.equals(o.children[i]!.set)) return false;
    }
    return true;
  }

  /** Every member path, depth first: a level's members before its children. */
  paths(): Path[] {
    const out: Path[] = [];
    const walk = (s: FieldSet, prefix: PathElement[]) => {
      for (const m of s.members) out.push([...prefix, m]);
      for (const c of s.children) walk(c.set, [...prefix, c.pe]);
    };
    walk(this, []);
    return out;
  }

  toString(): string {
    return this.paths().map(pathString).join('\n');
  }

  /**
   * The FieldsV1 object of this set. Remembered both ways: a manager whose fields a write
   * leaves alone keeps its set, so the next write decodes the stored FieldsV1 object back
   * to this set, and encodes it again to the same object, without reading or emitting it.
   * The object is shared: read-only, as stored objects are.
   */
  toFieldsV1(): JsonObject {
    const f = emit(this, false);
    if (!setOfFieldsV1.has(f)) setOfFieldsV1.set(f, this);
    return f;
  }

  /** The FieldsV1 text exactly as upstream serializes it. */
  toFieldsV1Json(): string {
    return emitText(this, false);
  }

  /** Reads a FieldsV1 object (null or undefined is the empty set). Throws FieldsV1Error. */
  static fromFieldsV1(f: JsonValue | undefined): FieldSet {
    if (f === undefined || f === null) return new FieldSet();
    const known = typeof f === 'object' ? setOfFieldsV1.get(f) : undefined;
    if (known) return known;
    if (!isJsonObject(f)) throw new FieldsV1Error(`ReadMapCB: expect { or n, but found ${goJsonMarshal(f).charAt(0)}`);
    return readLevel(f).children ?? new FieldSet();
  }
}

function emit(s: FieldSet, includeSelf: boolean): JsonObject {
  if (includeSelf) return s.emittedMember ??= emitLevel(s, true);
  return s.emitted ??= emitLevel(s, false);
}

function emitLevel(s: FieldSet, includeSelf: boolean): JsonObject {
  const out: JsonObject = {};
  if (includeSelf && (s.members.length > 0 || s.children.length > 0)) out['.'] = {};
  let i = 0;
  let j = 0;
  const m = s.members;
  const c = s.children;
  while (i < m.length || j < c.length) {
    const cmp = i >= m.length ? 1 : j >= c.length ? -1 : compareElements(m[i]!, c[j]!.pe);
    if (cmp < 0) out[serializeElement(m[i++]!)] = {};
    else if (cmp > 0) {
      out[serializeElement(c[j]!.pe)] = emit(c[j]!.set, false);
      j++;
    } else {
      out[serializeElement(c[j]!.pe)] = emit(c[j]!.set, true);
      i++;
      j++;
    }
  }
  return out;
}

function emitText(s: FieldSet, includeSelf: boolean): string {
  const parts: string[] = [];
  if (includeSelf && (s.members.length > 0 || s.children.length > 0)) parts.push('".":{}');
  let i = 0;
  let j = 0;
  const m = s.members;
  const c = s.children;
  while (i < m.length || j < c.length) {
    const cmp = i >= m.length ? 1 : j >= c.length ? -1 : compareElements(m[i]!, c[j]!.pe);
    if (cmp < 0) parts.push(`${goJsonMarshal(serializeElement(m[i++]!))}:{}`);
    else {
      parts.push(`${goJsonMarshal(serializeElement(c[j]!.pe))}:${emitText(c[j]!.set, cmp === 0)}`);
      if (cmp === 0) i++;
      j++;
    }
  }
  return `{${parts.join(',')}}`;
}

// One level of FieldsV1: the subset below it, and whether it is itself a member.
function readLevel(obj: JsonObject): { children: FieldSet | undefined; isMember: boolean } {
  let children: FieldSet | undefined;
  let isMember = false;
  for (const key of Object.keys(obj)) {
    const v = obj[key]!;
    if (key === '.') {
      isMember = true;
      continue;
    }
    const pe = parseElement(key);
    if (pe === UNKNOWN_ELEMENT) continue;
    if (v !== null && !isJsonObject(v)) throw new FieldsV1Error(`ReadMapCB: expect { or n, but found ${goJsonMarshal(v).charAt(0)}`);
    const sub = v === null ? { children: undefined, isMember: true } : readLevel(v);
    if (sub.isMember) {
      children ??= new FieldSet();
      children.insert([pe]);
    }
    if (sub.children) {
      children ??= new FieldSet();
      const { found, at } = search(children.children, pe, childPe);
      if (found) children.children[at] = { pe, set: children.children[at]!.set.union(sub.children) };
      else children.children.splice(at, 0, { pe, set: sub.children });
    }
  }
  if (!children) isMember = true;
  return { children, isMember };
}
