// Small helpers over plain JSON values shared by the patch implementations.
import { ApiError } from '../errors.ts';
import type { JsonObject, JsonValue } from '../types.ts';
import { deepCopy } from '../json-copy.ts';

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sets a property safely even when the key is `__proto__`. */
export function setKey(obj: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

export const hasOwn = (obj: object, key: string): boolean => Object.prototype.hasOwnProperty.call(obj, key);

/** A deep copy of a JSON value. */
export function cloneJson<T extends JsonValue>(v: T): T {
  return deepCopy(v);
}

/** Structural equality of JSON values (object key order does not matter). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  // Keys holding undefined count as absent (objects built in code may carry them).
  const ka = Object.keys(a).filter((k) => a[k] !== undefined);
  if (ka.length !== Object.keys(b).filter((k) => b[k] !== undefined).length) return false;
  for (const k of ka) {
    if (!hasOwn(b, k) || !jsonEqual(a[k], b[k])) return false;
  }
  return true;
}

/** The error for values nested deeper than the JS stack allows the recursive walks to go. */
export class NestingTooDeepError extends ApiError {
  constructor() {
    super(400, 'BadRequest', 'the object is nested too deeply to be processed');
    this.name = 'NestingTooDeepError';
  }
}

/** Runs a recursive walk, turning a stack overflow into NestingTooDeepError. */
export function withDepthGuard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message)) throw new NestingTooDeepError();
    throw e;
  }
}
