import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Json, JsonObject, SwaggerDoc } from './derive.ts';
import { openapiV2Json, openapiV2Protobuf } from './index.ts';
import { fieldString, readFields } from './proto-reader.ts';
import type { WireField } from './proto-reader.ts';
import { ProtoWriter } from './proto-writer.ts';
import { encodeSwaggerDocument } from './v2-proto.ts';

// An independent decoder of the gnostic openapi.v2 message layout (field
// numbers from openapiv2/OpenAPIv2.proto), turning messages back into JSON.

const sub = (f: WireField): WireField[] => readFields(f.bytes!);
const byField = (fs: WireField[], n: number): WireField[] => fs.filter((f) => f.field === n);
const one = (fs: WireField[], n: number): WireField | undefined => {
  const all = byField(fs, n);
  assert.ok(all.length <= 1, `field ${n} repeated`);
  return all[0];
};

/** Any { value = 1; yaml = 2 } — our yaml is JSON text. */
function decodeAny(f: WireField): Json {
  const y = one(sub(f), 2);
  assert.ok(y, 'Any.yaml is set');
  return JSON.parse(fieldString(y)) as Json;
}

function decodeNamedAnys(fs: WireField[], n: number, into: JsonObject): void {
  for (const f of byField(fs, n)) {
    const na = sub(f);
    into[fieldString(one(na, 1)!)] = decodeAny(one(na, 2)!);
  }
}

function decodeSchema(buf: WireField): JsonObject {
  const fs = sub(buf);
  const out: JsonObject = {};
  for (const f of fs) {
    switch (f.field) {
      case 1: out.$ref = fieldString(f); break;
      case 2: out.format = fieldString(f); break;
      case 3: out.title = fieldString(f); break;
      case 4: out.description = fieldString(f); break;
      case 5: out.default = decodeAny(f); break;
      case 6: out.multipleOf = f.double!; break;
      case 7: out.maximum = f.double!; break;
      case 8: out.exclusiveMaximum = f.varint === 1n; break;
      case 9: out.minimum = f.double!; break;
      case 10: out.exclusiveMinimum = f.varint === 1n; break;
      case 11: out.maxLength = Number(f.varint); break;
      case 12: out.minLength = Number(f.varint); break;
      case 13: out.pattern = fieldString(f); break;
      case 14: out.maxItems = Number(f.varint); break;
      case 15: out.minItems = Number(f.varint); break;
      case 16: out.uniqueItems = f.varint === 1n; break;
      case 17: out.maxProperties = Number(f.varint); break;
      case 18: out.minProperties = Number(f.varint); break;
      case 19: ((out.required ??= []) as Json[]).push(fieldString(f)); break;
      case 20: ((out.enum ??= []) as Json[]).push(decodeAny(f)); break;
      case 21: {
        const ap = sub(f);
        const s = one(ap, 1);
        const b = one(ap, 2);
        assert.ok((s === undefined) !== (b === undefined), 'AdditionalPropertiesItem is a oneof');
        out.additionalProperties = s ? decodeSchema(s) : b!.varint === 1n;
        break;
      }
      case 22: {
        const types = byField(sub(f), 1).map(fieldString);
        out.type = types.length === 1 ? types[0]! : types;
        break;
      }
      case 23: {
        const items = byField(sub(f), 1).map(decodeSchema);
        assert.equal(items.length, 1);
        out.items = items[0]!;
        break;
      }
      case 24: ((out.allOf ??= []) as Json[]).push(decodeSchema(f)); break;
      case 25: {
        const props: JsonObject = {};
        for (const p of byField(sub(f), 1)) {
          const ns = sub(p);
          props[fieldString(one(ns, 1)!)] = decodeSchema(one(ns, 2)!);
        }
        out.properties = props;
        break;
      }
      case 26: out.discriminator = fieldString(f); break;
      case 27: out.readOnly = f.varint === 1n; break;
      case 30: out.example = decodeAny(f); break;
      case 31: break;
      default: assert.fail(`unexpected Schema field ${f.field}`);
    }
  }
  decodeNamedAnys(fs, 31, out);
  return out;
}

const QUERY = ['required', 'in', 'description', 'name', 'allowEmptyValue', 'type', 'format', 'items', 'collectionFormat', 'default'];
const PATH = QUERY.filter((k) => k !== 'allowEmptyValue');

function decodeParameter(f: WireField): JsonObject {
  const fs = sub(f);
  const body = one(fs, 1);
  if (body) {
    const b = sub(body);
    const out: JsonObject = {};
    for (const x of b) {
      if (x.field === 1) out.description = fieldString(x);
      else if (x.field === 2) out.name = fieldString(x);
      else if (x.field === 3) out.in = fieldString(x);
      else if (x.field === 4) out.required = x.varint === 1n;
      else if (x.field === 5) out.schema = decodeSchema(x);
    }
    return out;
  }
  const nonBody = sub(one(fs, 2)!);
  assert.equal(nonBody.length, 1, 'NonBodyParameter is a oneof');
  const which = nonBody[0]!.field;
  const layout = which === 2 || which === 3 ? QUERY : PATH;
  const uniqueItemsField = which === 2 || which === 3 ? 20 : 19;
  const out: JsonObject = {};
  for (const x of sub(nonBody[0]!)) {
    const key = layout[x.field - 1];
    if (x.field === uniqueItemsField) out.uniqueItems = x.varint === 1n;
    else if (key === 'required' || key === 'allowEmptyValue') out[key] = x.varint === 1n;
    else if (key === 'default') out.default = decodeAny(x);
    else if (key === 'items') assert.fail('no items expected in Kubernetes parameters');
    else if (key !== undefined) out[key] = fieldString(x);
    else assert.fail(`unexpected parameter field ${x.field}`);
  }
  const expectIn = { 1: 'header', 2: 'formData', 3: 'query', 4: 'path' }[which];
  assert.equal(out.in, expectIn);
  return out;
}

function decodeParametersItem(f: WireField): JsonObject {
  const fs = sub(f);
  const ref = one(fs, 2);
  if (ref) return { $ref: fieldString(one(sub(ref), 1)!) };
  return decodeParameter(one(fs, 1)!);
}

function decodeOperation(f: WireField): JsonObject {
  const fs = sub(f);
  const out: JsonObject = {};
  const strings = (n: number): string[] | undefined => {
    const v = byField(fs, n).map(fieldString);
    return v.length ? v : undefined;
  };
  if (strings(1)) out.tags = strings(1)!;
  if (one(fs, 5)) out.operationId = fieldString(one(fs, 5)!);
  if (strings(6)) out.produces = strings(6)!;
  if (strings(7)) out.consumes = strings(7)!;
  const params = byField(fs, 8).map(decodeParametersItem);
  if (params.length) out.parameters = params;
  const responses: JsonObject = {};
  for (const r of byField(sub(one(fs, 9)!), 1)) {
    const nr = sub(r);
    const resp = sub(one(sub(one(nr, 2)!), 1)!);
    const v: JsonObject = { description: one(resp, 1) ? fieldString(one(resp, 1)!) : '' };
    const schemaItem = one(resp, 2);
    if (schemaItem) v.schema = decodeSchema(one(sub(schemaItem), 1)!);
    responses[fieldString(one(nr, 1)!)] = v;
  }
  out.responses = responses;
  if (strings(10)) out.schemes = strings(10)!;
  decodeNamedAnys(fs, 13, out);
  return out;
}

const OPS: Record<number, string> = { 2: 'get', 3: 'put', 4: 'post', 5: 'delete', 6: 'options', 7: 'head', 8: 'patch' };

function decodePathItem(f: WireField): JsonObject {
  const out: JsonObject = {};
  const fs = sub(f);
  for (const x of fs) if (OPS[x.field]) out[OPS[x.field]!] = decodeOperation(x);
  const params = byField(fs, 9).map(decodeParametersItem);
  if (params.length) out.parameters = params;
  return out;
}

function decodeDocument(buf: Uint8Array): SwaggerDoc {
  const fs = readFields(buf);
  const info = sub(one(fs, 2)!);
  const doc: SwaggerDoc = {
    swagger: fieldString(one(fs, 1)!),
    info: { title: fieldString(one(info, 1)!), version: fieldString(one(info, 2)!) },
    paths: {},
    definitions: {},
    parameters: {},
  };
  for (const p of byField(sub(one(fs, 8)!), 2)) {
    const np = sub(p);
    doc.paths[fieldString(one(np, 1)!)] = decodePathItem(one(np, 2)!);
  }
  for (const d of byField(sub(one(fs, 9)!), 1)) {
    const nd = sub(d);
    doc.definitions[fieldString(one(nd, 1)!)] = decodeSchema(one(nd, 2)!);
  }
  for (const d of byField(sub(one(fs, 10)!), 1)) {
    const nd = sub(d);
    doc.parameters![fieldString(one(nd, 1)!)] = decodeParameter(one(nd, 2)!);
  }
  const security: Json[] = [];
  for (const s of byField(fs, 12)) {
    const req: JsonObject = {};
    for (const n of byField(sub(s), 1)) {
      const ns = sub(n);
      req[fieldString(one(ns, 1)!)] = byField(sub(one(ns, 2)!), 1).map(fieldString);
    }
    security.push(req);
  }
  doc.security = security;
  const secDefs: JsonObject = {};
  for (const n of byField(sub(one(fs, 13)!), 1)) {
    const ns = sub(n);
    const apiKey = sub(one(sub(one(ns, 2)!), 2)!);
    secDefs[fieldString(one(ns, 1)!)] = { type: fieldString(one(apiKey, 1)!), name: fieldString(one(apiKey, 2)!), in: fieldString(one(apiKey, 3)!) };
  }
  doc.securityDefinitions = secDefs;
  return doc;
}

/** JSON with object keys sorted, so that key order does not matter in comparisons. */
function canonical(v: Json): Json {
  if (Array.isArray(v)) return v.map(canonical);
  if (v === null || typeof v !== 'object') return v;
  const out: JsonObject = {};
  for (const k of Object.keys(v).sort()) out[k] = canonical(v[k]!);
  return out;
}

const SERVED = ['v1', 'apps/v1', 'batch/v1', 'apiextensions.k8s.io/v1', 'rbac.authorization.k8s.io/v1'];

describe('openapi v2 protobuf', () => {
  const json = JSON.parse(openapiV2Json(SERVED).body.toString('utf8')) as SwaggerDoc;
  const pb = openapiV2Protobuf(SERVED);
  const decoded = decodeDocument(pb.body);

  it('decodes back to the JSON document: header, security', () => {
    assert.equal(decoded.swagger, '2.0');
    assert.deepEqual(decoded.info, json.info);
    assert.deepEqual(decoded.security, json.security);
    assert.deepEqual(decoded.securityDefinitions, json.securityDefinitions);
    assert.match(pb.etag, /^"[0-9A-F]{128}"$/);
    assert.notEqual(pb.etag, openapiV2Json(SERVED).etag);
  });

  for (const name of [
    'io.k8s.api.apps.v1.Deployment',
    'io.k8s.api.core.v1.PodSpec',
    'io.k8s.api.core.v1.Container',
    'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
    'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions',
    'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
    'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps',
  ]) {
    it(`round-trips definition ${name}`, () => {
      assert.ok(json.definitions[name], `${name} served`);
      assert.deepEqual(canonical(decoded.definitions[name]!), canonical(json.definitions[name]!));
    });
  }

  it('round-trips every definition, parameter and path', () => {
    assert.deepEqual(Object.keys(decoded.definitions), Object.keys(json.definitions));
    assert.deepEqual(canonical(decoded.definitions as Json), canonical(json.definitions as Json));
    assert.deepEqual(canonical(decoded.parameters as Json), canonical(json.parameters as Json));
    assert.deepEqual(Object.keys(decoded.paths), Object.keys(json.paths));
    assert.deepEqual(canonical(decoded.paths as Json), canonical(json.paths as Json));
  });

  it('lets kubectl 1.27 find fieldValidation on the PATCH of a kind the way it searches (inline query parameter, GVK extension)', () => {
    const fs = readFields(pb.body);
    let found = false;
    for (const p of byField(sub(one(fs, 8)!), 2)) {
      const item = sub(one(sub(p), 2)!);
      const patch = one(item, 8);
      if (!patch) continue;
      const op = sub(patch);
      const gvk = byField(op, 13).map(sub).find((na) => fieldString(one(na, 1)!) === 'x-kubernetes-group-version-kind');
      if (!gvk) continue;
      const value = decodeAny(one(gvk, 2)!) as JsonObject;
      if (value.group !== 'apps' || value.kind !== 'Deployment' || value.version !== 'v1') continue;
      for (const param of byField(op, 8)) {
        const parameter = one(sub(param), 1);
        if (!parameter) continue;
        const nonBody = one(sub(parameter), 2);
        if (!nonBody) continue;
        const query = one(sub(nonBody), 3);
        if (query && fieldString(one(sub(query), 4)!) === 'fieldValidation') found = true;
      }
      break;
    }
    assert.ok(found);
  });

  it('encodes a oneof false and empty messages explicitly', () => {
    const doc: SwaggerDoc = {
      swagger: '2.0', info: { title: 't', version: 'v' }, paths: {},
      definitions: { A: { type: 'object', additionalProperties: false, properties: { e: {} } } },
    };
    const back = decodeDocument(encodeSwaggerDocument({ ...doc, parameters: {}, securityDefinitions: {} }));
    assert.deepEqual(back.definitions.A, { type: 'object', additionalProperties: false, properties: { e: {} } });
  });
});

describe('ProtoWriter', () => {
  it('writes varints, strings, doubles and nested messages in wire format', () => {
    const long = 'x'.repeat(200);
    const w = new ProtoWriter(4);
    w.int(1, 300).string(2, 'hé').double(3, 1.5).fork(4).int(1, 150).ldelim().int(5, -1).bool(6, true).string(7, '');
    w.fork(8).fork(1).ldelim().string(2, long).ldelim();
    w.message(9, (m) => m.bool(1, false, true));
    const bytes = w.finish();
    assert.deepEqual([...bytes.subarray(0, 3)], [0x08, 0xac, 0x02]);
    const fs = readFields(bytes);
    assert.deepEqual(fs.map((f) => f.field), [1, 2, 3, 4, 5, 6, 8, 9]);
    assert.equal(fs[0]!.varint, 300n);
    assert.equal(fieldString(fs[1]!), 'hé');
    assert.equal(fs[2]!.double, 1.5);
    assert.deepEqual([...fs[3]!.bytes!], [0x08, 0x96, 0x01]);
    assert.equal(fs[4]!.varint, 0xffffffffffffffffn);
    assert.equal(fs[5]!.varint, 1n);
    const nested = readFields(fs[6]!.bytes!);
    assert.deepEqual(nested.map((f) => [f.field, f.bytes!.length]), [[1, 0], [2, 200]]);
    assert.equal(fieldString(nested[1]!), long);
    assert.deepEqual([...fs[7]!.bytes!], [0x08, 0x00]);
    assert.throws(() => new ProtoWriter().fork(1).finish(), /not closed/);
  });
});
