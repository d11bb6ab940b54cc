// Defaulting of custom resources from their schema's `default`s (upstream's
// structural defaulting): a missing field, or a null one whose schema is not
// nullable, gets a copy of its default; then defaulting recurses into every
// member, so defaults inside a defaulted object apply as well. Null list items
// and map values get their schema's default too.

import { additionalSchema, cloneJSON, itemsSchema } from './props.ts';
import type { Props } from './props.ts';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNonNullableNull(x: unknown, s: Props | undefined): boolean {
  return (x === null || x === undefined) && s !== undefined && s.nullable !== true;
}

/** Apply the schema's defaults to a value, in place. */
export function applyDefaults(x: unknown, s: Props | undefined, depth = 0): void {
  if (!s || depth > 512) return;
  if (isObject(x)) {
    for (const [k, prop] of s.properties ?? []) {
      if (prop.default === undefined) continue;
      if (!Object.prototype.hasOwnProperty.call(x, k) || isNonNullableNull(x[k], prop)) x[k] = cloneJSON(prop.default);
    }
    const ap = additionalSchema(s);
    for (const k of Object.keys(x)) {
      const prop = s.properties?.get(k);
      if (prop) {
        applyDefaults(x[k], prop, depth + 1);
      } else if (s.additionalProperties !== undefined) {
        if (ap && isNonNullableNull(x[k], ap) && ap.default !== undefined) x[k] = cloneJSON(ap.default);
        applyDefaults(x[k], ap, depth + 1);
      }
    }
  } else if (Array.isArray(x)) {
    const items = itemsSchema(s);
    for (let i = 0; i < x.length; i++) {
      if (items && isNonNullableNull(x[i], items) && items.default !== undefined) x[i] = cloneJSON(items.default);
      applyDefaults(x[i], items, depth + 1);
    }
  }
}
