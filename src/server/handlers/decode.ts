// Decoding create/update bodies: JSON, YAML or protobuf, checked against the
// URL (kind, apiVersion, namespace) and, per fieldValidation, against the schema.

import { errors } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { apiVersionOf, type ResourceDef } from '../../registry/types.ts';
import { parseJsonBody, parseYamlBody, requireObject } from '../http/body.ts';
import type { BodyFormat } from '../http/negotiate.ts';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** Decodes a protobuf body to its JSON object form. Installed at startup. */
export type ProtobufDecoder = (buf: Uint8Array) => Record<string, unknown>;
/** Lists unknown/duplicate field problems, e.g. `unknown field "spec.foo"`. */
export type FieldChecker = (def: ResourceDef, obj: Record<string, unknown>, raw: Buffer | undefined, format: BodyFormat) => string[];

let protobufDecoder: ProtobufDecoder = () => { throw errors.unsupportedMediaType('application/vnd.kubernetes.protobuf', ['application/json', 'application/yaml']); };
let fieldChecker: FieldChecker = () => [];

export function setProtobufDecoder(d: ProtobufDecoder): void { protobufDecoder = d; }
export function setFieldChecker(c: FieldChecker): void { fieldChecker = c; }

export function parseFieldValidation(v: string | null): FieldValidation {
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw errors.badRequest(`fieldValidation: Invalid value: "${v}": fieldValidation must be one of "Ignore", "Warn", or "Strict"`);
}

/** Decode a body of the given format into a plain object. */
export function decodeRaw(buf: Buffer, format: BodyFormat): Record<string, unknown> {
  switch (format) {
    case 'json': return requireObject(parseJsonBody(buf));
    case 'yaml': return requireObject(parseYamlBody(buf));
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
  validation: FieldValidation): Decoded {
  const raw = decodeRaw(buf, format);
  const want = apiVersionOf(def);
  if (raw.apiVersion !== undefined && raw.apiVersion !== '' && raw.apiVersion !== want) {
    throw errors.badRequest(`the API version in the data (${String(raw.apiVersion)}) does not match the expected API version (${want})`);
  }
  if (raw.kind !== undefined && raw.kind !== '' && raw.kind !== def.kind) {
    throw errors.badRequest(`the kind in the data (${String(raw.kind)}) does not match the expected kind (${def.kind})`);
  }
  const obj = raw as KubeObject;
  if (obj.metadata === undefined) obj.metadata = {};
  const ns = obj.metadata.namespace;
  if (def.scope === 'Namespaced' && ns !== undefined && ns !== '' && namespace !== undefined && ns !== namespace) {
    throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  let warnings: string[] = [];
  if (validation !== 'Ignore') {
    const problems = fieldChecker(def, raw, format === 'protobuf' ? undefined : buf, format);
    if (problems.length > 0) {
      if (validation === 'Strict') throw errors.badRequest(`strict decoding error: ${problems.join(', ')}`);
      warnings = problems;
    }
  }
  return { obj, warnings };
}
