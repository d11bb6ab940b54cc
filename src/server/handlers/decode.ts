// Decoding create/update bodies: JSON, YAML or protobuf, checked against the
// URL (kind, apiVersion, namespace) and, per fieldValidation, against the
// kind's schema. Unknown fields are reported (Strict: 400; Warn: warnings) and
// never stored, as a Go server drops them while decoding.

import { cannotHandleError, decodeBody, strictDecodingError } from '../../api/decode/body.ts';
import { findTypeError } from '../../api/schema/type-check.ts';
import { errors } from '../../api/errors.ts';
import { fieldValidationDirective, fieldValidationError, pruneUnknownFields, strictWarnings } from '../../api/schema/strict.ts';
import type { JsonValue, KubeObject } from '../../api/types.ts';
import { apiVersionOf, type ResourceDef } from '../../registry/types.ts';
import { requireObject } from '../http/body.ts';
import type { BodyFormat } from '../http/negotiate.ts';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** Decodes a protobuf body to its JSON object form. Installed at startup. */
export type ProtobufDecoder = (buf: Uint8Array) => Record<string, unknown>;

let protobufDecoder: ProtobufDecoder = () => {
  throw errors.unsupportedMediaType('application/vnd.kubernetes.protobuf', ['application/json', 'application/yaml']);
};

export function setProtobufDecoder(d: ProtobufDecoder): void { protobufDecoder = d; }

export function parseFieldValidation(v: string | null): FieldValidation {
  const d = fieldValidationDirective(v);
  if (d === undefined) {
    const e = fieldValidationError(v ?? '');
    throw errors.badRequest(`${e.field}: ${e.detail ?? 'invalid'}`);
  }
  return d;
}

/** Decode a body of the given format into a plain object, without schema checks (DeleteOptions, Scale). */
export function decodeRaw(buf: Buffer, format: BodyFormat, into = { group: '', version: 'v1', kind: 'Object' }): Record<string, unknown> {
  switch (format) {
    case 'json': case 'yaml': return requireObject(decodeBody(buf, { format, into, strict: false }).object);
    case 'protobuf': return requireObject(protobufDecoder(buf));
    default: throw errors.unsupportedMediaType(format, ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
  }
}

export interface Decoded {
  obj: KubeObject;
  /** Warnings to send in Warning headers (fieldValidation=Warn). */
  warnings: string[];
}

/**
 * Decode an object body for `def` in `namespace`, applying the body checks a
 * real server makes before anything is stored.
 */
export function decodeObject(def: ResourceDef, namespace: string | undefined, buf: Buffer, format: BodyFormat,
  validation: FieldValidation, source: 'body' | 'patch' = 'body'): Decoded {
  const schema = def.schema?.();
  let raw: Record<string, unknown>;
  let problems: string[] = [];
  if (format === 'json' || format === 'yaml') {
    const d = decodeBody(buf, { format, into: def, schema, strict: validation !== 'Ignore' });
    raw = requireObject(d.object);
    problems = d.strictErrors;
    if (problems.length > 0 && validation === 'Strict') throw strictDecodingError(d.gvk, def.kind, problems);
    // A value of the wrong JSON type fails decoding into the kind's Go types: 400 for a
    // body, 422 on "patch" for the result of a patch, as upstream answers them.
    // Custom resources are not Go types: their schema validation reports wrong types (422) instead.
    const typeError = schema && !def.custom ? findTypeError(schema, raw as JsonValue, def.kind) : undefined;
    if (typeError) {
      if (source === 'patch') {
        throw errors.invalid({ group: '', kind: '' }, '', [{ type: 'FieldValueInvalid', field: 'patch', value: buf.toString('utf8'), detail: typeError }]);
      }
      throw cannotHandleError(d.gvk, def.kind, typeError);
    }
  } else {
    raw = decodeRaw(buf, format);
  }
  const want = apiVersionOf(def);
  if (raw.apiVersion !== undefined && raw.apiVersion !== '' && raw.apiVersion !== want) {
    throw errors.badRequest(`the API version in the data (${String(raw.apiVersion)}) does not match the expected API version (${want})`);
  }
  if (raw.kind !== undefined && raw.kind !== '' && raw.kind !== def.kind) {
    throw errors.badRequest(`the kind in the data (${String(raw.kind)}) does not match the expected kind (${def.kind})`);
  }
  if (schema) raw = pruneUnknownFields(schema, raw as JsonValue) as Record<string, unknown>;
  const obj = raw as KubeObject;
  if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
  const ns = obj.metadata.namespace;
  if (def.scope === 'Namespaced' && ns !== undefined && ns !== '' && namespace !== undefined && ns !== namespace) {
    throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  return { obj, warnings: validation === 'Warn' ? strictWarnings(problems) : [] };
}
