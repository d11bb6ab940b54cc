import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import type { JsonObject } from '../types.ts';
import { schemaForKind } from '../schema/index.ts';
import { applyPatch, patchTypeOf } from './apply-patch.ts';
import type { PatchOptions, PatchType } from './apply-patch.ts';

const schema = schemaForKind('apps', 'v1', 'Deployment')!;
const strict: PatchOptions = { schema, validation: 'Strict' };
const warn: PatchOptions = { schema, validation: 'Warn' };
const ignore: PatchOptions = { schema, validation: 'Ignore' };

function current(): JsonObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { app: 'web' } },
    spec: { replicas: 1, template: { spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
  };
}

function rejected(type: PatchType, body: string, opts: PatchOptions = strict): ApiError {
  try {
    applyPatch(type, body, current(), opts);
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    return e;
  }
  assert.fail('expected the patch to be rejected');
}

test('content types', () => {
  assert.equal(patchTypeOf('application/json-patch+json'), 'json');
  assert.equal(patchTypeOf('application/merge-patch+json; charset=utf-8'), 'merge');
  assert.equal(patchTypeOf('application/strategic-merge-patch+json'), 'strategic');
  assert.equal(patchTypeOf('application/apply-patch+yaml'), undefined);
});

test('each patch type applies', () => {
  const j = applyPatch('json', '[{"op":"replace","path":"/spec/replicas","value":3}]', current(), strict);
  assert.equal((j.object['spec'] as JsonObject)['replicas'], 3);
  const m = applyPatch('merge', '{"metadata":{"labels":{"tier":"front"}}}', current(), strict);
  assert.deepEqual((m.object['metadata'] as JsonObject)['labels'], { app: 'web', tier: 'front' });
  const s = applyPatch('strategic', '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"envoy"}]}}}}', current(), strict);
  const containers = (((s.object['spec'] as JsonObject)['template'] as JsonObject)['spec'] as JsonObject)['containers'] as JsonObject[];
  assert.deepEqual(containers.map((c) => c['name']), ['side', 'web']);
  assert.deepEqual(s.warnings, []);
});

test('Strict: unknown and duplicate fields fail with 422 in upstream wording', () => {
  const e = rejected('strategic', '{"spec":{"foo":1,"replicas":2,"replicas":3,"template":{"spec":{"containers":[{"name":"web","bar":1}]}}}}');
  assert.equal(e.code, 422);
  assert.equal(e.reason, 'Invalid');
  assert.equal(e.message, ' "" is invalid: patch: Invalid value: "map[spec:map[foo:1 replicas:3 template:map[spec:map[containers:[map[bar:1 name:web]]]]]]": ' +
    'strict decoding error: duplicate field "spec.replicas", unknown field "spec.foo", unknown field "spec.template.spec.containers[0].bar"');
  const m = rejected('merge', '{"spec":{"zzz":1,"aaa":2}}');
  assert.match(m.message, /^ "" is invalid: patch: Invalid value: "\{\\"apiVersion\\":\\"apps\/v1\\",.*": strict decoding error: unknown field "spec.aaa", unknown field "spec.zzz"$/);
  const j = rejected('json', '[{"op":"add","path":"/spec/foo","value":1,"extra":true}]');
  assert.match(j.message, /strict decoding error: json patch unknown field "\[0\]\.extra", unknown field "spec\.foo"$/);
});

test('Warn returns warnings and drops unknown fields; Ignore only drops them', () => {
  const w = applyPatch('merge', '{"spec":{"foo":1},"metadata":{"labels":{"a":"1","a":"2"}}}', current(), warn);
  assert.deepEqual(w.warnings, ['duplicate field "metadata.labels.a"', 'unknown field "spec.foo"']);
  assert.equal('foo' in (w.object['spec'] as JsonObject), false);
  assert.deepEqual((w.object['metadata'] as JsonObject)['labels'], { app: 'web', a: '2' });
  const i = applyPatch('strategic', '{"spec":{"foo":1}}', current(), ignore);
  assert.deepEqual(i.warnings, []);
  assert.equal('foo' in (i.object['spec'] as JsonObject), false);
});

test('malformed bodies', () => {
  assert.equal(rejected('merge', '{"a":').message, 'error decoding patch: unexpected end of JSON input');
  assert.equal(rejected('merge', '{"a":', ignore).message, 'Invalid JSON Patch');
  assert.equal(rejected('merge', 'null', ignore).message, 'Invalid JSON Patch');
  assert.equal(rejected('merge', '[1]').message, 'error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}');
  assert.equal(rejected('json', '{"op":"add"}').message, 'error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp');
  assert.equal(rejected('json', '[{"op":1}]').message, 'error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.op of type string');
  assert.equal(rejected('json', '{"op":"add"}', ignore).message, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  assert.equal(rejected('json', '[x]', ignore).message, "invalid character 'x' looking for beginning of value");
  const failed = rejected('json', '[{"op":"test","path":"/spec/replicas","value":5}]');
  assert.equal(failed.code, 422);
  assert.equal(failed.message, 'the server rejected our request due to an error in our request');
  assert.equal(rejected('strategic', '{"a":}').message, "invalid character '}' looking for beginning of value");
  assert.equal(rejected('strategic', '"x"').message, 'json: cannot unmarshal string into Go value of type map[string]interface {}');
  const arr = rejected('json', '[{"op":"replace","path":"","value":[1]}]');
  assert.equal(arr.code, 422);
  assert.match(arr.message, /^ "" is invalid: patch: Invalid value: "\[1\]": couldn't get version\/kind; json parse error: json: cannot unmarshal array/);
});
