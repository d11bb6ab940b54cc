// Defensive access to request bodies. A body is arbitrary JSON: any field may
// hold the wrong type. Readers return the value when it has the expected type,
// nothing when the field is absent (undefined or null, as Go's decoder treats
// null), and record a type error otherwise, worded like the API server's schema
// errors: `spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"`.

import type { FieldError } from '../errors.ts';
import { child, index } from './fieldpath.ts';
import { deepCopy } from '../json-copy.ts';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The JSON schema type name of a value. */
export function jsonTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'object') return 'object';
  return typeof v; // 'string' | 'boolean' | ...
}

export function typeInvalid(field: string, value: unknown, expected: string): FieldError {
  const actual = jsonTypeName(value);
  return { type: 'FieldValueTypeInvalid', field, value: actual, detail: `${field} in body must be of type ${expected}: "${actual}"` };
}

function absent(v: unknown): boolean {
  return v === undefined || v === null;
}

// ---- readers that report ---------------------------------------------------------

export function getObject(parent: Obj, k: string, base: string, errs: FieldError[]): Obj | undefined {
  const v = parent[k];
  if (absent(v)) return undefined;
  if (isObj(v)) return v;
  errs.push(typeInvalid(child(base, k), v, 'object'));
  return undefined;
}

export function getArray(parent: Obj, k: string, base: string, errs: FieldError[]): unknown[] | undefined {
  const v = parent[k];
  if (absent(v)) return undefined;
  if (Array.isArray(v)) return v;
  errs.push(typeInvalid(child(base, k), v, 'array'));
  return undefined;
}

export function getString(parent: Obj, k: string, base: string, errs: FieldError[]): string | undefined {
  const v = parent[k];
  if (absent(v)) return undefined;
  if (typeof v === 'string') return v;
  errs.push(typeInvalid(child(base, k), v, 'string'));
  return undefined;
}

export function getInt(parent: Obj, k: string, base: string, errs: FieldError[]): number | undefined {
  const v = parent[k];
  if (absent(v)) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  errs.push(typeInvalid(child(base, k), v, 'integer'));
  return undefined;
}

export function getNumber(parent: Obj, k: string, base: string, errs: FieldError[]): number | undefined {
  const v = parent[k];
  if (absent(v)) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  errs.push(typeInvalid(child(base, k), v, 'number'));
  return undefined;
}

export function getBool(parent: Obj, k: string, base: string, errs: FieldError[]): boolean | undefined {
  const v = parent[k];
  if (absent(v)) return undefined;
  if (typeof v === 'boolean') return v;
  errs.push(typeInvalid(child(base, k), v, 'boolean'));
  return undefined;
}

/** An IntOrString field (ports, percentages). */
export function getIntOrString(parent: Obj, k: string, base: string, errs: FieldError[]): number | string | undefined {
  const v = parent[k];
  if (absent(v)) return undefined;
  if (typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v))) return v;
  errs.push(typeInvalid(child(base, k), v, 'integer or string'));
  return undefined;
}

/** A map of strings (labels, annotations, data); bad values are reported at `path[key]`. */
export function getStringMap(parent: Obj, k: string, base: string, errs: FieldError[]): Record<string, string> | undefined {
  const v = parent[k];
  if (absent(v)) return undefined;
  const path = child(base, k);
  if (!isObj(v)) {
    errs.push(typeInvalid(path, v, 'object'));
    return undefined;
  }
  return stringMapOf(v, path, errs);
}

export function stringMapOf(v: Obj, path: string, errs: FieldError[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [mk, mv] of Object.entries(v)) {
    if (mv === null || mv === undefined) { out[mk] = ''; continue; }
    if (typeof mv !== 'string') {
      errs.push(typeInvalid(`${path}[${mk}]`, mv, 'string'));
      continue;
    }
    out[mk] = mv;
  }
  return out;
}

/** A list of strings; bad items are reported at `path[i]`. */
export function getStringArray(parent: Obj, k: string, base: string, errs: FieldError[]): string[] | undefined {
  const arr = getArray(parent, k, base, errs);
  if (arr === undefined) return undefined;
  const path = child(base, k);
  const out: string[] = [];
  arr.forEach((item, i) => {
    if (typeof item === 'string') out.push(item);
    else errs.push(typeInvalid(index(path, i), item, 'string'));
  });
  return out;
}

/** The object items of a list, each with its path; other items are reported. */
export function objectItems(arr: unknown[] | undefined, path: string, errs: FieldError[]): Array<{ item: Obj; path: string; i: number }> {
  const out: Array<{ item: Obj; path: string; i: number }> = [];
  (arr ?? []).forEach((item, i) => {
    const p = index(path, i);
    if (isObj(item)) out.push({ item, path: p, i });
    else errs.push(typeInvalid(p, item, 'object'));
  });
  return out;
}

/** A list field of objects: getArray + objectItems. */
export function getObjectList(parent: Obj, k: string, base: string, errs: FieldError[]): Array<{ item: Obj; path: string; i: number }> {
  return objectItems(getArray(parent, k, base, errs), child(base, k), errs);
}

// ---- quiet accessors (for defaulting: skip what has the wrong shape) -------------

export function objAt(v: unknown): Obj | undefined {
  return isObj(v) ? v : undefined;
}

export function arrAt(v: unknown): unknown[] | undefined {
  return Array.isArray(v) ? v : undefined;
}

export function strAt(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function intAt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

/** The object items of a list, silently skipping anything else. */
export function objsAt(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}

/** parent[k] as an object, created (or replaced, when absent) if needed; undefined when it holds something else. */
export function ensureObj(parent: Obj, k: string): Obj | undefined {
  const v = parent[k];
  if (absent(v)) {
    const o: Obj = {};
    parent[k] = o;
    return o;
  }
  return isObj(v) ? v : undefined;
}

/** Set parent[k] = value when it is absent (undefined or null). */
export function setDefault(parent: Obj, k: string, value: unknown): void {
  if (absent(parent[k])) parent[k] = value;
}

/** Set parent[k] = value when it is absent or the empty string (Go's "" zero value). */
export function setDefaultStr(parent: Obj, k: string, value: string): void {
  const v = parent[k];
  if (absent(v) || v === '') parent[k] = value;
}

export function deepClone<T>(v: T): T {
  return v === undefined ? v : (deepCopy(v));
}

/**
 * True when a JSON value is what Go would decode to a zero value: absent, null,
 * "", 0, false, an empty list, or an object of nothing but zero values.
 */
export function isZero(v: unknown): boolean {
  if (absent(v) || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObj(v)) return Object.values(v).every(isZero);
  return false;
}

/**
 * Equality the way the API server compares decoded objects (Semantic.DeepEqual
 * on Go structs): an omitted field equals its zero value, so `hostNetwork: false`
 * equals no hostNetwork, and `[]` equals no list.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const az = isZero(a), bz = isZero(b);
  if (az || bz) return az && bz;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => semanticEqual(x, b[i]));
  }
  if (isObj(a) && isObj(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!semanticEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}
