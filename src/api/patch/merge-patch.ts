// JSON Merge Patch (RFC 7386, `application/merge-patch+json`): objects merge
// recursively, null deletes a member, anything else (arrays included) replaces.
// Behaves as the library kube-apiserver uses (evanphx/json-patch v4 MergePatch):
// nulls inside a value that replaces (or newly adds) a member are pruned from its
// objects, including objects inside arrays; a patch that is null, a string, a number
// or a boolean is rejected with 400 "Invalid JSON Patch".
import type { JsonObject, JsonValue } from '../types.ts';
import { cloneJson, hasOwn, isJsonObject, setKey, withDepthGuard } from './json-values.ts';
import { PatchError } from './patch-error.ts';

/** Copies `v`, dropping null members of its objects at any depth (array items stay). */
function pruned(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map((x) => pruned(x));
  if (!isJsonObject(v)) return v;
  const out: JsonObject = {};
  for (const k of Object.keys(v)) {
    const x = v[k]!;
    if (x !== null) setKey(out, k, pruned(x));
  }
  return out;
}

/** Merges `patch` into `doc` in place. */
function mergeInto(doc: JsonObject, patch: JsonObject): void {
  for (const k of Object.keys(patch)) {
    const pv = patch[k]!;
    if (pv === null) {
      delete doc[k];
      continue;
    }
    const cur = hasOwn(doc, k) ? doc[k] : undefined;
    if (cur === undefined || cur === null) {
      setKey(doc, k, pruned(pv));
    } else if (isJsonObject(cur)) {
      if (isJsonObject(pv)) mergeInto(cur, pv);
      else setKey(doc, k, cloneJson(pv)); // upstream keeps nulls in an array replacing an object
    } else {
      setKey(doc, k, pruned(pv));
    }
  }
}

/**
 * Applies a merge patch to a document, returning the result (inputs are not modified).
 * An array patch replaces the whole document (with nulls pruned from its objects).
 * Throws PatchError 400 "Invalid JSON Patch" for a null or scalar patch.
 */
export function applyMergePatch(doc: JsonValue, patch: JsonValue): JsonValue {
  if (Array.isArray(patch)) return withDepthGuard(() => pruned(patch));
  if (!isJsonObject(patch)) throw PatchError.badRequest('Invalid JSON Patch');
  if (!isJsonObject(doc)) return withDepthGuard(() => pruned(patch));
  return withDepthGuard(() => {
    const out = cloneJson(doc);
    mergeInto(out, patch);
    return out;
  });
}

/** RFC 7386's MergePatch on plain values: a non-object patch replaces the target. */
export function mergePatchValue(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  return withDepthGuard(() => mergeValue(target, patch));
}

function mergeValue(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const out: JsonObject = isJsonObject(target) ? cloneJson(target) : {};
  for (const k of Object.keys(patch)) {
    const pv = patch[k]!;
    if (pv === null) delete out[k];
    else setKey(out, k, mergeValue(hasOwn(out, k) ? out[k] : undefined, pv));
  }
  return out;
}
