// Encodes an OpenAPI v2 (swagger 2.0) JSON document as the gnostic
// `openapi.v2.Document` protobuf message: what kube-apiserver serves at
// /openapi/v2 for Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf,
// and what kubectl 1.27/1.28 decode with proto.Unmarshal for explain, apply
// validation and strategic merge patches.
//
// Field numbers follow openapiv2/OpenAPIv2.proto of google/gnostic-models.
// Values that the message keeps as YAML (`Any.yaml`: defaults, enums, examples,
// vendor extensions such as x-kubernetes-group-version-kind) are written as
// JSON text, which is valid YAML.

import type { Json, JsonObject, SwaggerDoc } from './derive.ts';
import { isObject } from './derive.ts';
import { ProtoMessage } from './proto-writer.ts';

const str = (v: Json | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: Json | undefined): number | undefined => (typeof v === 'number' ? v : undefined);
const bool = (v: Json | undefined): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
const strs = (v: Json | undefined): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : undefined;

/** Any { google.protobuf.Any value = 1; string yaml = 2; } */
function any(v: Json): ProtoMessage {
  return new ProtoMessage().string(2, `${JSON.stringify(v)}\n`, true);
}

/** `repeated NamedAny vendor_extension` (NamedAny { string name = 1; Any value = 2; }) for every x-* key. */
function vendorExtensions(m: ProtoMessage, field: number, o: JsonObject): void {
  for (const [k, v] of Object.entries(o)) {
    if (!k.startsWith('x-')) continue;
    m.message(field, new ProtoMessage().string(1, k, true).message(2, any(v)));
  }
}

function anys(m: ProtoMessage, field: number, v: Json | undefined): void {
  if (Array.isArray(v)) for (const x of v) m.message(field, any(x));
}

// ---------------------------------------------------------------------------
// Schema

/** message Schema */
export function encodeSchema(s: JsonObject): ProtoMessage {
  const m = new ProtoMessage();
  m.string(1, str(s.$ref));
  m.string(2, str(s.format));
  m.string(3, str(s.title));
  m.string(4, str(s.description));
  if (s.default !== undefined) m.message(5, any(s.default));
  m.double(6, num(s.multipleOf));
  m.double(7, num(s.maximum));
  m.bool(8, bool(s.exclusiveMaximum));
  m.double(9, num(s.minimum));
  m.bool(10, bool(s.exclusiveMinimum));
  m.int(11, num(s.maxLength));
  m.int(12, num(s.minLength));
  m.string(13, str(s.pattern));
  m.int(14, num(s.maxItems));
  m.int(15, num(s.minItems));
  m.bool(16, bool(s.uniqueItems));
  m.int(17, num(s.maxProperties));
  m.int(18, num(s.minProperties));
  m.strings(19, strs(s.required));
  anys(m, 20, s.enum);
  const ap = s.additionalProperties;
  if (typeof ap === 'boolean') m.message(21, new ProtoMessage().bool(2, ap, true));
  else if (isObject(ap)) m.message(21, new ProtoMessage().message(1, encodeSchema(ap)));
  const type = strs(s.type);
  if (type && type.length > 0) m.message(22, new ProtoMessage().strings(1, type));
  const items = s.items;
  if (isObject(items)) m.message(23, new ProtoMessage().message(1, encodeSchema(items)));
  else if (Array.isArray(items)) {
    const it = new ProtoMessage();
    for (const x of items) if (isObject(x)) it.message(1, encodeSchema(x));
    m.message(23, it);
  }
  if (Array.isArray(s.allOf)) for (const x of s.allOf) if (isObject(x)) m.message(24, encodeSchema(x));
  if (isObject(s.properties)) {
    const props = new ProtoMessage();
    for (const [name, p] of Object.entries(s.properties)) {
      if (isObject(p)) props.message(1, new ProtoMessage().string(1, name, true).message(2, encodeSchema(p)));
    }
    m.message(25, props);
  }
  m.string(26, str(s.discriminator));
  m.bool(27, bool(s.readOnly));
  if (s.example !== undefined) m.message(30, any(s.example));
  vendorExtensions(m, 31, s);
  return m;
}

// ---------------------------------------------------------------------------
// Parameters

/** Field order of QueryParameterSubSchema and FormDataParameterSubSchema (numbered from 1). */
const QUERY_FIELDS = [
  'required', 'in', 'description', 'name', 'allowEmptyValue', 'type', 'format', 'items', 'collectionFormat',
  'default', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength', 'minLength', 'pattern',
  'maxItems', 'minItems', 'uniqueItems', 'enum', 'multipleOf', 'x-',
] as const;
/** Field order of PathParameterSubSchema and HeaderParameterSubSchema (no allowEmptyValue). */
const PATH_FIELDS = QUERY_FIELDS.filter((f) => f !== 'allowEmptyValue');
/** Field order of PrimitivesItems and Header. */
const ITEMS_FIELDS = [
  'type', 'format', 'items', 'collectionFormat', 'default', 'maximum', 'exclusiveMaximum', 'minimum',
  'exclusiveMinimum', 'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'enum',
  'multipleOf', 'x-',
] as const;

const BOOL_KEYS = new Set(['required', 'allowEmptyValue', 'exclusiveMaximum', 'exclusiveMinimum', 'uniqueItems']);
const DOUBLE_KEYS = new Set(['maximum', 'minimum', 'multipleOf']);
const INT_KEYS = new Set(['maxLength', 'minLength', 'maxItems', 'minItems']);

function encodeByLayout(o: JsonObject, layout: readonly string[]): ProtoMessage {
  const m = new ProtoMessage();
  layout.forEach((key, i) => {
    const field = i + 1;
    if (key === 'x-') { vendorExtensions(m, field, o); return; }
    const v = o[key];
    if (v === undefined) return;
    if (BOOL_KEYS.has(key)) m.bool(field, bool(v));
    else if (DOUBLE_KEYS.has(key)) m.double(field, num(v));
    else if (INT_KEYS.has(key)) m.int(field, num(v));
    else if (key === 'default') m.message(field, any(v));
    else if (key === 'enum') anys(m, field, v);
    else if (key === 'items') { if (isObject(v)) m.message(field, encodeByLayout(v, ITEMS_FIELDS)); }
    else m.string(field, str(v));
  });
  return m;
}

/** message Parameter { oneof { BodyParameter body_parameter = 1; NonBodyParameter non_body_parameter = 2; } } */
export function encodeParameter(p: JsonObject): ProtoMessage {
  if (p.in === 'body') {
    const b = new ProtoMessage()
      .string(1, str(p.description))
      .string(2, str(p.name))
      .string(3, str(p.in))
      .bool(4, bool(p.required));
    if (isObject(p.schema)) b.message(5, encodeSchema(p.schema));
    vendorExtensions(b, 6, p);
    return new ProtoMessage().message(1, b);
  }
  let which: number;
  let sub: ProtoMessage;
  switch (p.in) {
    case 'header': which = 1; sub = encodeByLayout(p, PATH_FIELDS); break;
    case 'formData': which = 2; sub = encodeByLayout(p, QUERY_FIELDS); break;
    case 'path': which = 4; sub = encodeByLayout(p, PATH_FIELDS); break;
    default: which = 3; sub = encodeByLayout(p, QUERY_FIELDS); break;
  }
  return new ProtoMessage().message(2, new ProtoMessage().message(which, sub));
}

/** message ParametersItem { oneof { Parameter parameter = 1; JsonReference json_reference = 2; } } */
function encodeParametersItem(p: JsonObject): ProtoMessage {
  if (typeof p.$ref === 'string') {
    return new ProtoMessage().message(2, new ProtoMessage().string(1, p.$ref).string(2, str(p.description)));
  }
  return new ProtoMessage().message(1, encodeParameter(p));
}

// ---------------------------------------------------------------------------
// Operations and paths

function encodeResponses(rs: JsonObject): ProtoMessage {
  const m = new ProtoMessage();
  for (const [code, r] of Object.entries(rs)) {
    if (code.startsWith('x-') || !isObject(r)) continue;
    let value: ProtoMessage;
    if (typeof r.$ref === 'string') {
      value = new ProtoMessage().message(2, new ProtoMessage().string(1, r.$ref));
    } else {
      const resp = new ProtoMessage().string(1, str(r.description));
      if (isObject(r.schema)) resp.message(2, new ProtoMessage().message(1, encodeSchema(r.schema)));
      if (isObject(r.headers)) {
        const hs = new ProtoMessage();
        for (const [name, h] of Object.entries(r.headers)) {
          if (isObject(h)) hs.message(1, new ProtoMessage().string(1, name, true).message(2, encodeHeader(h)));
        }
        resp.message(3, hs);
      }
      vendorExtensions(resp, 5, r);
      value = new ProtoMessage().message(1, resp);
    }
    m.message(1, new ProtoMessage().string(1, code, true).message(2, value));
  }
  vendorExtensions(m, 2, rs);
  return m;
}

/** message Header (same layout as PrimitivesItems, then description = 18, vendor_extension = 19). */
function encodeHeader(h: JsonObject): ProtoMessage {
  const layout = [...ITEMS_FIELDS.slice(0, -1), 'description', 'x-'];
  return encodeByLayout(h, layout);
}

function encodeSecurity(m: ProtoMessage, field: number, sec: Json | undefined): void {
  if (!Array.isArray(sec)) return;
  for (const req of sec) {
    if (!isObject(req)) continue;
    const r = new ProtoMessage();
    for (const [name, scopes] of Object.entries(req)) {
      r.message(1, new ProtoMessage().string(1, name, true).message(2, new ProtoMessage().strings(1, strs(scopes))));
    }
    m.message(field, r);
  }
}

/** message Operation */
function encodeOperation(op: JsonObject): ProtoMessage {
  const m = new ProtoMessage();
  m.strings(1, strs(op.tags));
  m.string(2, str(op.summary));
  m.string(3, str(op.description));
  m.string(5, str(op.operationId));
  m.strings(6, strs(op.produces));
  m.strings(7, strs(op.consumes));
  if (Array.isArray(op.parameters)) for (const p of op.parameters) if (isObject(p)) m.message(8, encodeParametersItem(p));
  if (isObject(op.responses)) m.message(9, encodeResponses(op.responses));
  m.strings(10, strs(op.schemes));
  m.bool(11, bool(op.deprecated));
  encodeSecurity(m, 12, op.security);
  vendorExtensions(m, 13, op);
  return m;
}

const OPERATION_FIELDS: Record<string, number> = { get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8 };

/** message PathItem */
function encodePathItem(item: JsonObject): ProtoMessage {
  const m = new ProtoMessage();
  m.string(1, str(item.$ref));
  for (const [verb, field] of Object.entries(OPERATION_FIELDS)) {
    const op = item[verb];
    if (isObject(op)) m.message(field, encodeOperation(op));
  }
  if (Array.isArray(item.parameters)) for (const p of item.parameters) if (isObject(p)) m.message(9, encodeParametersItem(p));
  vendorExtensions(m, 10, item);
  return m;
}

function encodeSecurityDefinitions(defs: JsonObject): ProtoMessage {
  const m = new ProtoMessage();
  for (const [name, d] of Object.entries(defs)) {
    if (!isObject(d)) continue;
    const item = new ProtoMessage();
    if (d.type === 'basic') {
      const b = new ProtoMessage().string(1, str(d.type)).string(2, str(d.description));
      vendorExtensions(b, 3, d);
      item.message(1, b);
    } else if (d.type === 'apiKey') {
      const k = new ProtoMessage().string(1, str(d.type)).string(2, str(d.name)).string(3, str(d.in)).string(4, str(d.description));
      vendorExtensions(k, 5, d);
      item.message(2, k);
    } else {
      continue; // OAuth2 flows do not occur in Kubernetes documents.
    }
    m.message(1, new ProtoMessage().string(1, name, true).message(2, item));
  }
  return m;
}

/** The whole `openapi.v2.Document`. */
export function encodeSwaggerDocument(doc: SwaggerDoc): Uint8Array {
  const m = new ProtoMessage();
  m.string(1, doc.swagger);
  const info = doc.info;
  if (isObject(info)) {
    const i = new ProtoMessage().string(1, str(info.title)).string(2, str(info.version)).string(3, str(info.description));
    vendorExtensions(i, 7, info);
    m.message(2, i);
  }
  m.string(3, str(doc.host));
  m.string(4, str(doc.basePath));
  m.strings(5, strs(doc.schemes));
  m.strings(6, strs(doc.consumes));
  m.strings(7, strs(doc.produces));
  const paths = new ProtoMessage();
  for (const [p, item] of Object.entries(doc.paths)) {
    if (p.startsWith('x-')) continue;
    paths.message(2, new ProtoMessage().string(1, p, true).message(2, encodePathItem(item)));
  }
  vendorExtensions(paths, 1, doc.paths);
  m.message(8, paths);
  const defs = new ProtoMessage();
  for (const [name, s] of Object.entries(doc.definitions)) {
    defs.message(1, new ProtoMessage().string(1, name, true).message(2, encodeSchema(s)));
  }
  m.message(9, defs);
  if (doc.parameters) {
    const params = new ProtoMessage();
    for (const [name, p] of Object.entries(doc.parameters)) {
      params.message(1, new ProtoMessage().string(1, name, true).message(2, encodeParameter(p)));
    }
    m.message(10, params);
  }
  encodeSecurity(m, 12, doc.security);
  if (isObject(doc.securityDefinitions)) m.message(13, encodeSecurityDefinitions(doc.securityDefinitions));
  vendorExtensions(m, 16, doc as unknown as JsonObject);
  return m.finish();
}
