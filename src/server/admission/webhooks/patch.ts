// A mutating webhook's JSONPatch applied to the object it was sent, with the
// project's JSON patch (upstream's evanphx/json-patch behaviour), then read
// as the kind reads a body: fields the kind does not have dropped, a value of
// the wrong type refused (an internal error, as upstream's decoding into the
// kind's Go type fails), as upstream decodes the patched JSON. A CONNECT's
// options are read as their own kind (../connect.ts).

import { errors } from '../../../api/errors.ts';
import { applyJsonPatch, decodeJsonPatch, type JsonPatch } from '../../../api/patch/json-patch.ts';
import { PatchError } from '../../../api/patch/patch-error.ts';
import { pruneUnknownFields } from '../../../api/schema/strict.ts';
import { findTypeError } from '../../../api/schema/type-check.ts';
import type { JsonValue, KubeObject } from '../../../api/types.ts';
import type { ResourceDef } from '../../../registry/types.ts';
import { readConnectOptions } from '../connect.ts';

/** The patch bytes decoded as a JSON patch; a string (the reason, for the failure policy) when they are not one. */
export function decodePatch(bytes: Buffer): JsonPatch | string {
  let v: JsonValue;
  try {
    v = JSON.parse(bytes.toString('utf8')) as JsonValue;
  } catch (e) {
    return `received undecodable patch in webhook response: ${(e as Error).message}`;
  }
  try {
    return decodeJsonPatch(v);
  } catch (e) {
    return `received undecodable patch in webhook response: ${e instanceof PatchError ? e.detail : (e as Error).message}`;
  }
}

/**
 * `obj` (of `def`'s version) with `patch` applied, as the kind reads it.
 * Throws a 500 InternalError when the patch does not apply or leaves a value
 * the kind cannot hold.
 */
export function applyWebhookPatch(def: ResourceDef, obj: KubeObject, patch: JsonPatch): KubeObject {
  return readPatched(def, applied(obj, patch));
}

/** A patched object (of `def`'s version) read as the kind reads a body; a 500 InternalError when it holds a value the kind cannot. */
export function readPatched(def: ResourceDef, patchedJson: { [key: string]: JsonValue }): KubeObject {
  let out: JsonValue = patchedJson;
  const schema = def.schema?.();
  if (schema) {
    const typeError = def.custom ? undefined : findTypeError(schema, out, def.kind);
    if (typeError) throw errors.internal(typeError);
    out = pruneUnknownFields(schema, out);
  }
  const patched = out as unknown as KubeObject;
  if (typeof patched.metadata !== 'object' || patched.metadata === null || Array.isArray(patched.metadata)) patched.metadata = {};
  return patched;
}

/** An object of a kind other than the resource's own (a Scale, a Binding ...) with `patch` applied. */
export function applyJsonPatchTo(obj: KubeObject, patch: JsonPatch): KubeObject {
  const patched = applied(obj, patch) as unknown as KubeObject;
  if (typeof patched.metadata !== 'object' || patched.metadata === null || Array.isArray(patched.metadata)) patched.metadata = {};
  return patched;
}

/** A CONNECT's options (`kind`: PodExecOptions ...) with `patch` applied, read as that kind reads JSON. */
export function applyOptionsPatch(kind: string, obj: KubeObject, patch: JsonPatch): KubeObject {
  return readConnectOptions(kind, applied(obj, patch));
}

function applied(obj: KubeObject, patch: JsonPatch): { [key: string]: JsonValue } {
  let out: JsonValue;
  try {
    out = applyJsonPatch(obj as unknown as JsonValue, patch);
  } catch (e) {
    throw errors.internal(e instanceof PatchError ? e.detail : (e as Error).message);
  }
  if (typeof out !== 'object' || out === null || Array.isArray(out)) throw errors.internal('the patched object is not a JSON object');
  return out;
}
