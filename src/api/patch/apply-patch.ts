// A PATCH request body applied the way kube-apiserver's patch handler does for
// built-in kinds: decoding the body (with its error texts), applying it, then field
// validation of the result (`fieldValidation=Strict|Warn|Ignore`) and dropping
// unknown fields. Type checks and defaulting of the result are left to the caller.
//
//   json      application/json-patch+json       (RFC 6902)
//   merge     application/merge-patch+json      (RFC 7386)
//   strategic application/strategic-merge-patch+json
//
// Strict problems fail with 422 ` "" is invalid: patch: Invalid value: "...": strict
// decoding error: unknown field "spec.foo"` (kubectl: "The request is invalid: ...");
// in Warn mode they come back as warnings.
import { errors, fieldError } from '../errors.ts';
import type { ApiError } from '../errors.ts';
import type { JsonObject, JsonValue } from '../types.ts';
import { JsonSyntaxError, JsonValueError, SKIP, UNKNOWN, decodeJson, strictFieldErrorText } from '../decode/json.ts';
import type { FieldTracker } from '../decode/json.ts';
import { compareUtf8, goJsonMarshal, goSprintValue } from '../decode/go-text.ts';
import { pruneUnknownFields, strictDecodingMessage, unknownFields } from '../schema/strict.ts';
import type { FieldValidation } from '../schema/strict.ts';
import type { SchemaNode } from '../schema/types.ts';
import { applyJsonPatch, decodeJsonPatch } from './json-patch.ts';
import { applyMergePatch } from './merge-patch.ts';
import { PatchError } from './patch-error.ts';
import { applyStrategicMergePatchDetailed } from './strategic-merge-patch.ts';
import { isJsonObject } from './json-values.ts';

export type PatchType = 'json' | 'merge' | 'strategic';

/** The patch type of a Content-Type (parameters ignored), or undefined. */
export function patchTypeOf(contentType: string): PatchType | undefined {
  switch (contentType.split(';')[0]!.trim().toLowerCase()) {
    case 'application/json-patch+json': return 'json';
    case 'application/merge-patch+json': return 'merge';
    case 'application/strategic-merge-patch+json': return 'strategic';
    default: return undefined;
  }
}

export interface PatchOptions {
  /** The kind's schema: needed for strategic merge patch and for finding unknown fields. */
  schema: SchemaNode;
  validation: FieldValidation;
}

export interface PatchOutcome {
  /** The patched object, unknown fields dropped. */
  object: JsonObject;
  /** Warn mode: one warning per strict problem. */
  warnings: string[];
}

type OpCtx = 'list' | 'op' | 'any';

/** Tracks `[]jsonPatchOp` (op, path, from, value) as upstream's strict decode does. */
const jsonPatchOpTracker: FieldTracker<OpCtx> = {
  member(ctx, key) {
    if (ctx === 'op') return key === 'op' || key === 'path' || key === 'from' ? SKIP : key === 'value' ? 'any' : UNKNOWN;
    return ctx === 'any' ? 'any' : SKIP;
  },
  item: (ctx) => (ctx === 'list' ? 'op' : ctx === 'any' ? 'any' : SKIP),
};

function goJsonType(v: JsonValue): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/** Type problems upstream's strict decode of `[]jsonPatchOp` reports. */
function jsonPatchOpTypeError(v: JsonValue): string | undefined {
  if (v === null) return undefined;
  if (!Array.isArray(v)) return `json: cannot unmarshal ${goJsonType(v)} into Go value of type []handlers.jsonPatchOp`;
  for (const op of v) {
    if (op === null) continue;
    if (!isJsonObject(op)) return `json: cannot unmarshal ${goJsonType(op)} into Go value of type handlers.jsonPatchOp`;
    for (const f of ['op', 'path', 'from'] as const) {
      const x = op[f];
      if (x !== undefined && x !== null && typeof x !== 'string') {
        return `json: cannot unmarshal ${goJsonType(x)} into Go struct field jsonPatchOp.${f} of type string`;
      }
    }
  }
  return undefined;
}

function decodeFailure(e: unknown, prefix: string): never {
  if (e instanceof JsonSyntaxError || e instanceof JsonValueError) throw PatchError.badRequest(`${prefix}${e.message}`);
  throw e;
}

/** The 422 upstream raises for strict problems in a patched object. */
function strictPatchFailure(shown: string, problems: readonly string[]): ApiError {
  return errors.invalid({ group: '', kind: '' }, '', [fieldError.invalid('patch', shown, strictDecodingMessage(problems))]);
}

function unknownTexts(schema: SchemaNode, obj: JsonValue): string[] {
  return unknownFields(schema, obj, 'sorted').map((path) => strictFieldErrorText({ kind: 'unknown', path }));
}

function finish(patched: JsonValue, problems: string[], shown: () => string, opts: PatchOptions): PatchOutcome {
  if (!isJsonObject(patched)) {
    throw errors.invalid({ group: '', kind: '' }, '', [fieldError.invalid('patch', goJsonMarshal(patched),
      `couldn't get version/kind; json parse error: json: cannot unmarshal ${goJsonType(patched)} into Go value of type struct { ` +
      'APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }')]);
  }
  let warnings: string[] = [];
  if (opts.validation !== 'Ignore' && problems.length > 0) {
    if (opts.validation === 'Strict') throw strictPatchFailure(shown(), problems);
    warnings = problems;
  }
  return { object: pruneUnknownFields(opts.schema, patched) as JsonObject, warnings };
}

/**
 * Applies a PATCH body to the current object. Throws ApiError/PatchError with
 * upstream's status and text; returns the new object and any warnings.
 */
export function applyPatch(type: PatchType, body: string | Uint8Array, current: JsonObject, opts: PatchOptions): PatchOutcome {
  const strict = opts.validation !== 'Ignore';
  switch (type) {
    case 'json': {
      let problems: string[] = [];
      let patch: JsonValue;
      if (strict) {
        let r;
        try {
          r = decodeJson(body, { tracker: jsonPatchOpTracker, root: 'list' as OpCtx });
        } catch (e) {
          decodeFailure(e, 'error decoding patch: ');
        }
        const typeError = jsonPatchOpTypeError(r.value);
        if (typeError) throw PatchError.badRequest(`error decoding patch: ${typeError}`);
        problems = r.strictErrors.map((e) => `json patch ${strictFieldErrorText(e)}`);
        patch = r.value;
      } else {
        try {
          patch = decodeJson(body, { duplicates: false }).value;
        } catch (e) {
          decodeFailure(e, '');
        }
      }
      const ops = decodeJsonPatch(patch);
      const patched = applyJsonPatch(current, ops);
      if (strict) problems.push(...unknownTexts(opts.schema, patched));
      return finish(patched, problems, () => goJsonMarshal(patched), opts);
    }
    case 'merge': {
      let problems: string[] = [];
      let patch: JsonValue;
      if (strict) {
        let r;
        try {
          r = decodeJson(body);
        } catch (e) {
          decodeFailure(e, 'error decoding patch: ');
        }
        if (r.value !== null && !isJsonObject(r.value)) {
          throw PatchError.badRequest(`error decoding patch: json: cannot unmarshal ${goJsonType(r.value)} into Go value of type map[string]interface {}`);
        }
        problems = r.strictErrors.map(strictFieldErrorText);
        patch = r.value;
      } else {
        try {
          patch = decodeJson(body, { duplicates: false }).value;
        } catch (e) {
          if (e instanceof JsonSyntaxError) throw PatchError.badRequest('Invalid JSON Patch');
          throw e;
        }
      }
      const patched = applyMergePatch(current, patch);
      if (strict) problems.push(...unknownTexts(opts.schema, patched));
      return finish(patched, problems, () => goJsonMarshal(patched), opts);
    }
    case 'strategic': {
      let problems: string[] = [];
      let patch: JsonValue;
      try {
        const r = decodeJson(body, { duplicates: strict });
        patch = r.value;
        problems = r.strictErrors.map(strictFieldErrorText);
      } catch (e) {
        decodeFailure(e, '');
      }
      if (patch !== null && !isJsonObject(patch)) {
        throw PatchError.badRequest(`json: cannot unmarshal ${goJsonType(patch)} into Go value of type map[string]interface {}`);
      }
      const { result, patchAfter } = applyStrategicMergePatchDetailed(current, patch, opts.schema);
      if (strict) {
        // Upstream sorts the unknown-field problems of the patched object by their text.
        const unknown = unknownFields(opts.schema, result).map((path) => `unknown field "${path}"`).sort(compareUtf8);
        problems.push(...unknown);
      }
      return finish(result, problems, () => goSprintValue(patchAfter), opts);
    }
  }
}
