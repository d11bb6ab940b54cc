// CEL values as @marcbachmann/cel-js holds them (int: bigint, double: number,
// uint: an object with a bigint `value`, bytes: Uint8Array, timestamp: Date,
// duration: seconds/nanos, list: array, map: object or Map) and CEL's equality
// and ordering over them, for the libraries that compare elements.

import { LibraryError } from './errors.ts';

/** A value of one of the libraries' own types: compared by its own rule. */
export interface Comparable {
  equals(other: unknown): boolean;
}

function isUint(v: unknown): v is { value: bigint } {
  return typeof v === 'object' && v !== null && v.constructor?.name === 'UnsignedInt' && typeof (v as { value?: unknown }).value === 'bigint';
}

function isDuration(v: unknown): v is { seconds: bigint; nanos: number } {
  return typeof v === 'object' && v !== null && v.constructor?.name === 'Duration' && typeof (v as { seconds?: unknown }).seconds === 'bigint';
}

function numeric(v: unknown): bigint | number | undefined {
  if (typeof v === 'bigint' || typeof v === 'number') return v;
  if (isUint(v)) return v.value;
  return undefined;
}

function isMapLike(v: unknown): v is Record<string, unknown> | Map<unknown, unknown> {
  return v instanceof Map || (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype);
}

function entries(v: Record<string, unknown> | Map<unknown, unknown>): [unknown, unknown][] {
  return v instanceof Map ? [...v.entries()] : Object.entries(v);
}

/** CEL equality: numbers across int, uint and double; lists and maps element-wise. */
export function celEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const na = numeric(a), nb = numeric(b);
  if (na !== undefined || nb !== undefined) {
    if (na === undefined || nb === undefined) return false;
    // eslint-disable-next-line eqeqeq
    return na == nb;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => celEqual(x, b[i]));
  }
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (isDuration(a) || isDuration(b)) return isDuration(a) && isDuration(b) && a.seconds === b.seconds && a.nanos === b.nanos;
  if (typeof (a as Partial<Comparable>).equals === 'function') return a.constructor === b.constructor && (a as Comparable).equals(b);
  if (isMapLike(a) && isMapLike(b)) {
    const ea = entries(a), eb = entries(b);
    if (ea.length !== eb.length) return false;
    return ea.every(([k, v]) => eb.some(([k2, v2]) => celEqual(k, k2) && celEqual(v, v2)));
  }
  return false;
}

/** The CEL type name of a value, for error texts. */
export function celTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'null_type';
  switch (typeof v) {
    case 'bigint': return 'int';
    case 'number': return 'double';
    case 'string': return 'string';
    case 'boolean': return 'bool';
  }
  if (isUint(v)) return 'uint';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof Date) return 'google.protobuf.Timestamp';
  if (isDuration(v)) return 'google.protobuf.Duration';
  if (isMapLike(v)) return 'map';
  const named = (v as { celType?: string }).celType;
  return named ?? 'dyn';
}

function kind(v: unknown): string | undefined {
  if (numeric(v) !== undefined) return 'number';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof Date) return 'timestamp';
  if (isDuration(v)) return 'duration';
  return undefined;
}

/** Whether CEL orders values of this kind (int, uint, double, bool, string, bytes, timestamp, duration). */
export function isOrderable(v: unknown): boolean {
  return kind(v) !== undefined;
}

function cmpStrings(a: string, b: string): number {
  // Go compares strings by UTF-8 bytes, which orders like code points.
  const ia = a[Symbol.iterator](), ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next(), y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0)!, cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

/** CEL ordering (-1, 0, 1); values of different kinds have none (throws upstream's no-such-overload). */
export function celCompare(a: unknown, b: unknown): number {
  const ka = kind(a), kb = kind(b);
  if (ka === undefined || ka !== kb) throw new LibraryError('no such overload');
  switch (ka) {
    case 'number': {
      const x = numeric(a)!, y = numeric(b)!;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'string': return cmpStrings(a as string, b as string);
    case 'bool': return a === b ? 0 : a ? 1 : -1;
    case 'bytes': {
      const x = a as Uint8Array, y = b as Uint8Array;
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
      return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
    }
    case 'timestamp': {
      const x = (a as Date).getTime(), y = (b as Date).getTime();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    default: {
      const x = a as { seconds: bigint; nanos: number }, y = b as { seconds: bigint; nanos: number };
      if (x.seconds !== y.seconds) return x.seconds < y.seconds ? -1 : 1;
      return x.nanos === y.nanos ? 0 : x.nanos < y.nanos ? -1 : 1;
    }
  }
}

/** Go's strconv.Quote of a string (for error texts that quote their input). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}
