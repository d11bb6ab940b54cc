import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import { schemaForKind } from '../schema/index.ts';
import { decodeBody, strictDecodingError, summarizeBody } from './body.ts';
import type { DecodeBodyOptions } from './body.ts';
import { before } from 'node:test';
import { loadYaml } from './yaml-lib.ts';

// The decoders use the yaml library, which the server loads on first use.
before(() => loadYaml());

const into = { group: '', version: 'v1', kind: 'Pod' };
const schema = schemaForKind('', 'v1', 'Pod')!;
const json: DecodeBodyOptions = { format: 'json', into, schema, strict: true };

function rejected(body: string, opts: DecodeBodyOptions = json): ApiError {
  try {
    decodeBody(body, opts);
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.code, 400);
    assert.equal(e.reason, 'BadRequest');
    return e;
  }
  assert.fail('expected rejection');
}

test('a good body decodes, with defaults for apiVersion/kind', () => {
  const r = decodeBody('{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i"}]}}', json);
  assert.deepEqual(r.gvk, { group: '', version: 'v1', kind: 'Pod' });
  assert.deepEqual(r.strictErrors, []);
  assert.equal((r.object['metadata'] as { name: string }).name, 'p');
  assert.deepEqual(decodeBody('{"apiVersion":"apps/v1","kind":"Deployment"}', json).gvk, { group: 'apps', version: 'v1', kind: 'Deployment' });
});

test('strict problems are returned in upstream order and worded for Strict mode', () => {
  const r = decodeBody('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","name":"q"},"spec":{"foo":1,"containers":[{"name":"c","bar":2}]}}', json);
  assert.deepEqual(r.strictErrors, ['duplicate field "metadata.name"', 'unknown field "spec.foo"', 'unknown field "spec.containers[0].bar"']);
  const e = strictDecodingError(r.gvk, 'Pod', r.strictErrors);
  assert.equal(e.code, 400);
  assert.equal(e.message, 'Pod in version "v1" cannot be handled as a Pod: strict decoding error: duplicate field "metadata.name", ' +
    'unknown field "spec.foo", unknown field "spec.containers[0].bar"');
  assert.deepEqual(decodeBody('{"metadata":{"name":"p","name":"q"},"spec":{"foo":1}}', { ...json, strict: false }).strictErrors, []);
});

test('YAML bodies: go-yaml duplicates first, then unknown fields in sorted order', () => {
  const yaml = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  name: q\nspec:\n  zzz: 1\n  aaa: 2\n';
  const r = decodeBody(yaml, { ...json, format: 'yaml' });
  assert.deepEqual(r.strictErrors, ['yaml: unmarshal errors:\n  line 5: key "name" already set in map', 'unknown field "spec.aaa"', 'unknown field "spec.zzz"']);
  assert.equal(rejected('a: b: c', { ...json, format: 'yaml' }).message,
    'the object provided is unrecognized (must be of type Pod): yaml: line 1: mapping values are not allowed in this context (613a20623a2063)');
});

test('malformed bodies give upstream 400 texts', () => {
  assert.equal(rejected('').message,
    'the object provided is unrecognized (must be of type Pod): couldn\'t get version/kind; json parse error: unexpected end of JSON input (<empty>)');
  assert.equal(rejected('{"apiVersion":"v1","kind":"Pod","metadata":{"name":}}').message,
    'the object provided is unrecognized (must be of type Pod): couldn\'t get version/kind; json parse error: ' +
    'invalid character \'}\' looking for beginning of value ({"apiVersion":"v1","kind":"Pod ...)');
  assert.equal(rejected('[1]').message, 'the object provided is unrecognized (must be of type Pod): couldn\'t get version/kind; json parse error: ' +
    'json: cannot unmarshal array into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" } (5b315d)');
  assert.equal(rejected('{"apiVersion":5}').message, 'the object provided is unrecognized (must be of type Pod): couldn\'t get version/kind; json parse error: ' +
    'json: cannot unmarshal number into Go struct field .apiVersion of type string ({"apiVersion":5})');
  assert.equal(rejected('{"apiVersion":"a/b/c"}').message,
    'the object provided is unrecognized (must be of type Pod): unexpected GroupVersion string: a/b/c ({"apiVersion":"a/b/c"})');
  assert.equal(rejected('{"kind":"Pod","spec":{"x":1e999}}').message,
    'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number 1e999 into Go value of type float64');
  assert.equal(summarizeBody('x'.repeat(40)), `${'78'.repeat(30)} ...`);
});
