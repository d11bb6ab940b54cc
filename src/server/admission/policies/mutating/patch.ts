// A MutatingAdmissionPolicy mutation's result applied to the object, as
// upstream's patchers do:
//
// - ApplyConfiguration: the expression's `Object{...}` value (type names
//   following the field path: `Object.spec{...}` at `spec`) is read against
//   the kind's schema, refused when it sets an atomic list, map or struct
//   (`invalid ApplyConfiguration: may not mutate atomic arrays, maps or
//   structs: .spec.x`), and merged into the object with structured-merge
//   semantics (../../../../api/managedfields/typed.ts: maps and structs merge
//   field by field, list-type map lists item by item on their keys, set lists
//   by value; what the configuration sets wins). Nothing records field
//   ownership, as upstream.
// - JSONPatch: the expression's list of `JSONPatch{op, path, from, value}`
//   is applied in order (a failed `test` leaves the object as it was, as
//   upstream), and the result read as the kind reads a body.
//
// Failures are MutationFailure with upstream's text (the policy's
// failurePolicy decides); a patched object the kind cannot hold is a 500, as
// upstream's decoding.

import { constructedType, JsonConversionError, toJsonValue, typeNameMismatches } from '../../../../api/cel/construction.ts';
import { celTypeName } from '../../../../api/cel/values.ts';
import { formatTypedErrors, merge, resolve, rootType, TypedValueError, validate, type TypeRef } from '../../../../api/managedfields/index.ts';
import { applyJsonPatch, type JsonPatch } from '../../../../api/patch/json-patch.ts';
import { PatchError } from '../../../../api/patch/patch-error.ts';
import type { SchemaNode } from '../../../../api/schema/types.ts';
import type { JsonObject, JsonValue, KubeObject } from '../../../../api/types.ts';

/** A mutation that failed: its text is upstream's (the failurePolicy decides). */
export class MutationFailure extends Error {}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Paths of the atomic lists, maps and structs `v` sets (upstream's findAtomics). */
export function findAtomics(v: JsonValue, tr: TypeRef, path = ''): string[] {
  const out: string[] = [];
  const a = resolve(tr);
  if (a.map && isObject(v)) {
    if (a.map.atomic) out.push(path);
    for (const [k, x] of Object.entries(v)) {
      const f = a.map.fields.get(k);
      if (f) out.push(...findAtomics(x, f, `${path}.${k}`));
    }
  }
  if (a.list && Array.isArray(v)) {
    if (a.list.atomic) out.push(path);
    v.forEach((x, i) => out.push(...findAtomics(x, a.list!.elem, `${path}[${i}]`)));
  }
  return out;
}

/**
 * `shown` (the object in the matched version, of kind `gvk` = `GROUP/VERSION,
 * Kind=KIND`) with the ApplyConfiguration `value` merged in; `schema`: the
 * kind's (undefined: none known).
 */
export function applyConfiguration(shown: KubeObject, schema: SchemaNode | undefined, gvk: string, value: unknown): KubeObject {
  if (constructedType(value) !== 'Object') throw new MutationFailure(`must evaluate to Object but got ${constructedType(value) ?? celTypeName(value)}`);
  const mismatches = typeNameMismatches(value);
  if (mismatches.length > 0) throw new MutationFailure(`type mismatch: ${mismatches.join('\n')}`);
  let patch: JsonObject;
  try {
    patch = toJsonValue(value) as JsonObject;
  } catch (e) {
    if (e instanceof JsonConversionError) throw new MutationFailure(`error applying patch: ${e.message}`);
    throw e;
  }
  patch.apiVersion = shown.apiVersion ?? '';
  patch.kind = shown.kind ?? '';
  const fail = (why: string) => new MutationFailure(`error applying patch: ${why}`);
  if (!schema) throw fail(`failed to convert patch object to typed object: no corresponding type for ${gvk}`);
  const tr = rootType(schema);
  const patchErrors = validate(patch, tr);
  if (patchErrors.length > 0) throw fail(`failed to convert patch object to typed object: ${formatTypedErrors(patchErrors)}`);
  const atomics = findAtomics(patch, tr);
  if (atomics.length > 0) throw fail(`invalid ApplyConfiguration: may not mutate atomic arrays, maps or structs: ${atomics.join(', ')}`);
  const live = shown as unknown as JsonObject;
  const liveErrors = validate(live, tr, true);
  if (liveErrors.length > 0) throw fail(`failed to convert original object to typed object: ${formatTypedErrors(liveErrors)}`);
  let merged: JsonValue | undefined;
  try {
    merged = merge(live, patch, tr);
  } catch (e) {
    if (e instanceof TypedValueError) throw fail(`failed to merge patch: ${e.message}`);
    throw e;
  }
  const out = (isObject(merged) ? merged : {}) as unknown as KubeObject;
  if (!isObject(out.metadata)) out.metadata = {};
  return out;
}

/** The JSON patch a JSONPatch mutation's result stands for. */
export function jsonPatchOf(value: unknown): JsonPatch {
  if (!Array.isArray(value)) throw new MutationFailure(`must evaluate to list(JSONPatch) but got ${celTypeName(value)}`);
  return value.map((v) => {
    if (constructedType(v) !== 'JSONPatch') {
      throw new MutationFailure(`type mismatch: JSONPatchType.expression should evaluate to array of JSONPatch, got element of ${constructedType(v) ?? celTypeName(v)}`);
    }
    const f = v as Record<string, unknown>;
    const op: JsonObject = { op: (f.op as string | undefined) ?? '', path: (f.path as string | undefined) ?? '' };
    if (typeof f.from === 'string' && f.from !== '') op.from = f.from;
    if ('value' in f) {
      const mismatches = typeNameMismatches(f.value);
      if (mismatches.length > 0) throw new MutationFailure(`type mismatch: ${mismatches.join('\n')}`);
      try {
        op.value = toJsonValue(f.value) as JsonValue;
      } catch (e) {
        if (e instanceof JsonConversionError) throw new MutationFailure(`JSONPath valueExpression evaluated to a type that could not marshal to JSON: ${e.message}`);
        throw e;
      }
    }
    return op;
  });
}

/**
 * `shown` with the patch applied, as JSON (`read` turns it into the kind);
 * undefined when a `test` operation failed (the object stays as it was).
 */
export function applyPatch(shown: KubeObject, patch: JsonPatch): JsonObject | undefined {
  let out: JsonValue;
  try {
    out = applyJsonPatch(shown as unknown as JsonValue, patch);
  } catch (e) {
    if (!(e instanceof PatchError)) throw e;
    if (/^testing value .* failed: test failed$/.test(e.detail)) return undefined;
    throw new MutationFailure(`JSON Patch: ${e.detail}`);
  }
  if (!isObject(out)) throw new MutationFailure('JSON Patch: the patched document is not an object');
  return out;
}
