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
import { ProtoWriter } from './proto-writer.ts';

const str = (v: Json | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: Json | undefined): number | undefined => (typeof v === 'number' ? v : undefined);
const bool = (v: Json | undefined): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
const strs = (v: Json | undefined): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : undefined;

/** Any { google.protobuf.Any value = 1; string yaml = 2; } in `field`. */
function writeAny(w: ProtoWriter, field: number, v: Json): void {
  w.fork(field).string(2, `${JSON.stringify(v)}\n`, true).ldelim();
}

/** `repeated NamedAny vendor_extension` (NamedAny { string name = 1; Any value = 2; }) for every x-* key. */
function vendorExtensions(w: ProtoWriter, field: number, o: JsonObject): void {
  for (const k in o) {
    if (!k.startsWith('x-')) continue;
    w.fork(field).string(1, k, true);
    writeAny(w, 2, o[k]!);
    w.ldelim();
  }
}

function anys(w: ProtoWriter, field: number, v: Json | undefined): void {
  if (Array.isArray(v)) for (const x of v) writeAny(w, field, x);
}

// ---------------------------------------------------------------------------
// Schema

/** message Schema (its fields, into the message open in `w`). */
function writeSchema(w: ProtoWriter, s: JsonObject): void {
  w.string(1, str(s.$ref));
  w.string(2, str(s.format));
  w.string(3, str(s.title));
  w.string(4, str(s.description));
  if (s.default !== undefined) writeAny(w, 5, s.default);
  w.double(6, num(s.multipleOf));
  w.double(7, num(s.maximum));
  w.bool(8, bool(s.exclusiveMaximum));
  w.double(9, num(s.minimum));
  w.bool(10, bool(s.exclusiveMinimum));
  w.int(11, num(s.maxLength));
  w.int(12, num(s.minLength));
  w.string(13, str(s.pattern));
  w.int(14, num(s.maxItems));
  w.int(15, num(s.minItems));
  w.bool(16, bool(s.uniqueItems));
  w.int(17, num(s.maxProperties));
  w.int(18, num(s.minProperties));
  w.strings(19, strs(s.required));
  anys(w, 20, s.enum);
  const ap = s.additionalProperties;
  // AdditionalPropertiesItem { oneof { Schema schema = 1; bool boolean = 2; } }
  if (typeof ap === 'boolean') w.fork(21).bool(2, ap, true).ldelim();
  else if (isObject(ap)) { w.fork(21).fork(1); writeSchema(w, ap); w.ldelim().ldelim(); }
  // TypeItem { repeated string value = 1; }
  const type = strs(s.type);
  if (type && type.length > 0) w.fork(22).strings(1, type).ldelim();
  // ItemsItem { repeated Schema schema = 1; }
  const items = s.items;
  if (isObject(items)) { w.fork(23).fork(1); writeSchema(w, items); w.ldelim().ldelim(); }
  else if (Array.isArray(items)) {
    w.fork(23);
    for (const x of items) if (isObject(x)) { w.fork(1); writeSchema(w, x); w.ldelim(); }
    w.ldelim();
  }
  if (Array.isArray(s.allOf)) for (const x of s.allOf) if (isObject(x)) { w.fork(24); writeSchema(w, x); w.ldelim(); }
  // Properties { repeated NamedSchema additional_properties = 1; }
  if (isObject(s.properties)) {
    w.fork(25);
    const props = s.properties;
    for (const name in props) {
      const p = props[name];
      if (!isObject(p)) continue;
      w.fork(1).string(1, name, true).fork(2);
      writeSchema(w, p);
      w.ldelim().ldelim();
    }
    w.ldelim();
  }
  w.string(26, str(s.discriminator));
  w.bool(27, bool(s.readOnly));
  if (s.example !== undefined) writeAny(w, 30, s.example);
  vendorExtensions(w, 31, s);
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
/** Field order of PrimitivesItems. */
const ITEMS_FIELDS = [
  'type', 'format', 'items', 'collectionFormat', 'default', 'maximum', 'exclusiveMaximum', 'minimum',
  'exclusiveMinimum', 'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'enum',
  'multipleOf', 'x-',
] as const;
/** Field order of Header: PrimitivesItems' fields, then description and vendor extensions. */
const HEADER_FIELDS = [...ITEMS_FIELDS.slice(0, -1), 'description', 'x-'];

const BOOL_KEYS = new Set(['required', 'allowEmptyValue', 'exclusiveMaximum', 'exclusiveMinimum', 'uniqueItems']);
const DOUBLE_KEYS = new Set(['maximum', 'minimum', 'multipleOf']);
const INT_KEYS = new Set(['maxLength', 'minLength', 'maxItems', 'minItems']);

function writeByLayout(w: ProtoWriter, o: JsonObject, layout: readonly string[]): void {
  for (let i = 0; i < layout.length; i++) {
    const key = layout[i]!;
    const field = i + 1;
    if (key === 'x-') { vendorExtensions(w, field, o); continue; }
    const v = o[key];
    if (v === undefined) continue;
    if (BOOL_KEYS.has(key)) w.bool(field, bool(v));
    else if (DOUBLE_KEYS.has(key)) w.double(field, num(v));
    else if (INT_KEYS.has(key)) w.int(field, num(v));
    else if (key === 'default') writeAny(w, field, v);
    else if (key === 'enum') anys(w, field, v);
    else if (key === 'items') { if (isObject(v)) { w.fork(field); writeByLayout(w, v, ITEMS_FIELDS); w.ldelim(); } }
    else w.string(field, str(v));
  }
}

/** message Parameter { oneof { BodyParameter body_parameter = 1; NonBodyParameter non_body_parameter = 2; } } */
function writeParameter(w: ProtoWriter, p: JsonObject): void {
  if (p.in === 'body') {
    w.fork(1)
      .string(1, str(p.description))
      .string(2, str(p.name))
      .string(3, str(p.in))
      .bool(4, bool(p.required));
    if (isObject(p.schema)) { w.fork(5); writeSchema(w, p.schema); w.ldelim(); }
    vendorExtensions(w, 6, p);
    w.ldelim();
    return;
  }
  // NonBodyParameter { oneof { header = 1; form_data = 2; query = 3; path = 4; } }
  const which = p.in === 'header' ? 1 : p.in === 'formData' ? 2 : p.in === 'path' ? 4 : 3;
  w.fork(2).fork(which);
  writeByLayout(w, p, which === 1 || which === 4 ? PATH_FIELDS : QUERY_FIELDS);
  w.ldelim().ldelim();
}

/** message ParametersItem { oneof { Parameter parameter = 1; JsonReference json_reference = 2; } } in `field`. */
function writeParametersItem(w: ProtoWriter, field: number, p: JsonObject): void {
  w.fork(field);
  if (typeof p.$ref === 'string') {
    w.fork(2).string(1, p.$ref).string(2, str(p.description)).ldelim();
  } else {
    w.fork(1);
    writeParameter(w, p);
    w.ldelim();
  }
  w.ldelim();
}

// ---------------------------------------------------------------------------
// Operations and paths

/** message Responses { repeated NamedResponseValue response_code = 1; repeated NamedAny vendor_extension = 2; } */
function writeResponses(w: ProtoWriter, rs: JsonObject): void {
  for (const code in rs) {
    const r = rs[code];
    if (code.startsWith('x-') || !isObject(r)) continue;
    w.fork(1).string(1, code, true).fork(2);
    if (typeof r.$ref === 'string') {
      w.fork(2).string(1, r.$ref).ldelim();
    } else {
      w.fork(1).string(1, str(r.description));
      if (isObject(r.schema)) { w.fork(2).fork(1); writeSchema(w, r.schema); w.ldelim().ldelim(); }
      if (isObject(r.headers)) {
        w.fork(3);
        for (const name in r.headers) {
          const h = r.headers[name];
          if (!isObject(h)) continue;
          w.fork(1).string(1, name, true).fork(2);
          writeByLayout(w, h, HEADER_FIELDS);
          w.ldelim().ldelim();
        }
        w.ldelim();
      }
      vendorExtensions(w, 5, r);
      w.ldelim();
    }
    w.ldelim().ldelim();
  }
  vendorExtensions(w, 2, rs);
}

/** repeated SecurityRequirement { repeated NamedStringArray additional_properties = 1; } */
function writeSecurity(w: ProtoWriter, field: number, sec: Json | undefined): void {
  if (!Array.isArray(sec)) return;
  for (const req of sec) {
    if (!isObject(req)) continue;
    w.fork(field);
    for (const name in req) w.fork(1).string(1, name, true).fork(2).strings(1, strs(req[name])).ldelim().ldelim();
    w.ldelim();
  }
}

/** message Operation */
function writeOperation(w: ProtoWriter, op: JsonObject): void {
  w.strings(1, strs(op.tags));
  w.string(2, str(op.summary));
  w.string(3, str(op.description));
  w.string(5, str(op.operationId));
  w.strings(6, strs(op.produces));
  w.strings(7, strs(op.consumes));
  if (Array.isArray(op.parameters)) for (const p of op.parameters) if (isObject(p)) writeParametersItem(w, 8, p);
  if (isObject(op.responses)) { w.fork(9); writeResponses(w, op.responses); w.ldelim(); }
  w.strings(10, strs(op.schemes));
  w.bool(11, bool(op.deprecated));
  writeSecurity(w, 12, op.security);
  vendorExtensions(w, 13, op);
}

const OPERATION_FIELDS: ReadonlyArray<readonly [string, number]> = [
  ['get', 2], ['put', 3], ['post', 4], ['delete', 5], ['options', 6], ['head', 7], ['patch', 8],
];

/** message PathItem */
function writePathItem(w: ProtoWriter, item: JsonObject): void {
  w.string(1, str(item.$ref));
  for (const [verb, field] of OPERATION_FIELDS) {
    const op = item[verb];
    if (isObject(op)) { w.fork(field); writeOperation(w, op); w.ldelim(); }
  }
  if (Array.isArray(item.parameters)) for (const p of item.parameters) if (isObject(p)) writeParametersItem(w, 9, p);
  vendorExtensions(w, 10, item);
}

/** SecurityDefinitions { repeated NamedSecurityDefinitionsItem additional_properties = 1; } */
function writeSecurityDefinitions(w: ProtoWriter, defs: JsonObject): void {
  for (const name in defs) {
    const d = defs[name];
    if (!isObject(d)) continue;
    if (d.type === 'basic') {
      // SecurityDefinitionsItem.basic_authentication_security = 1
      w.fork(1).string(1, name, true).fork(2).fork(1).string(1, str(d.type)).string(2, str(d.description));
      vendorExtensions(w, 3, d);
      w.ldelim().ldelim().ldelim();
    } else if (d.type === 'apiKey') {
      // SecurityDefinitionsItem.api_key_security = 2
      w.fork(1).string(1, name, true).fork(2).fork(2)
        .string(1, str(d.type)).string(2, str(d.name)).string(3, str(d.in)).string(4, str(d.description));
      vendorExtensions(w, 5, d);
      w.ldelim().ldelim().ldelim();
    }
    // OAuth2 flows do not occur in Kubernetes documents.
  }
}

/** The whole `openapi.v2.Document`. */
export function encodeSwaggerDocument(doc: SwaggerDoc): Uint8Array {
  const w = new ProtoWriter(1 << 20);
  w.string(1, doc.swagger);
  if (isObject(doc.info)) {
    const info = doc.info;
    w.fork(2).string(1, str(info.title)).string(2, str(info.version)).string(3, str(info.description));
    vendorExtensions(w, 7, info);
    w.ldelim();
  }
  w.string(3, str(doc.host));
  w.string(4, str(doc.basePath));
  w.strings(5, strs(doc.schemes));
  w.strings(6, strs(doc.consumes));
  w.strings(7, strs(doc.produces));
  // Paths { repeated NamedAny vendor_extension = 1; repeated NamedPathItem path = 2; }
  w.fork(8);
  vendorExtensions(w, 1, doc.paths);
  for (const p in doc.paths) {
    if (p.startsWith('x-')) continue;
    w.fork(2).string(1, p, true).fork(2);
    writePathItem(w, doc.paths[p]!);
    w.ldelim().ldelim();
  }
  w.ldelim();
  // Definitions { repeated NamedSchema additional_properties = 1; }
  w.fork(9);
  for (const name in doc.definitions) {
    w.fork(1).string(1, name, true).fork(2);
    writeSchema(w, doc.definitions[name]!);
    w.ldelim().ldelim();
  }
  w.ldelim();
  // ParameterDefinitions { repeated NamedParameter additional_properties = 1; }
  if (doc.parameters) {
    w.fork(10);
    for (const name in doc.parameters) {
      w.fork(1).string(1, name, true).fork(2);
      writeParameter(w, doc.parameters[name]!);
      w.ldelim().ldelim();
    }
    w.ldelim();
  }
  writeSecurity(w, 12, doc.security);
  if (isObject(doc.securityDefinitions)) { w.fork(13); writeSecurityDefinitions(w, doc.securityDefinitions); w.ldelim(); }
  vendorExtensions(w, 16, doc as unknown as JsonObject);
  return w.finish();
}
