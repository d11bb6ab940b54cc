import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import {
  toProps, validateCustomResource, validateCustomResourceStatusUpdate, validateCustomResourceUpdate, validateValue,
} from './index.ts';
import type { CustomResourceContext } from './index.ts';

const msgs = (errs: readonly FieldError[]) => errs.map(formatFieldError);

function check(specSchema: Record<string, unknown>, spec: unknown): string[] {
  const schema = toProps({ type: 'object', properties: { spec: { type: 'object', properties: specSchema } } });
  return msgs(validateValue({ spec }, schema));
}

test('type errors name the JSON type found', () => {
  assert.deepEqual(check({ replicas: { type: 'integer' } }, { replicas: 'three' }), [
    'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
  ]);
  assert.deepEqual(check({ on: { type: 'boolean' }, tags: { type: 'array', items: { type: 'string' } } }, { on: 1, tags: ['a', 2] }), [
    'spec.on: Invalid value: "integer": spec.on in body must be of type boolean: "integer"',
    'spec.tags[1]: Invalid value: "integer": spec.tags[1] in body must be of type string: "integer"',
  ]);
  assert.deepEqual(check({ o: { type: 'object' } }, { o: [] }), ['spec.o: Invalid value: "array": spec.o in body must be of type object: "array"']);
  // A fraction in an integer field also fails the integer range check, as upstream reports.
  assert.deepEqual(check({ n: { type: 'integer' } }, { n: 1.5 }), [
    'spec.n: Invalid value: "number": spec.n in body must be of type integer: "number"',
    '<nil>: Invalid value: "": Checked value must be of type integer (default format) in spec.n',
  ]);
});

test('null is refused unless nullable', () => {
  assert.deepEqual(check({ s: { type: 'string' } }, { s: null }), ['spec.s: Invalid value: "null": spec.s in body must be of type string: "null"']);
  assert.deepEqual(check({ s: { type: 'string', nullable: true } }, { s: null }), []);
});

test('required, enum, pattern, lengths', () => {
  const schema = toProps({
    type: 'object',
    properties: { spec: { type: 'object', required: ['image', 'size'], properties: {
      image: { type: 'string', minLength: 3, maxLength: 5, pattern: '^[a-z]+$' },
      size: { type: 'string', enum: ['small', 'large', 3] },
    } } },
    required: ['spec'],
  });
  assert.deepEqual(msgs(validateValue({}, schema)), ['spec: Required value']);
  assert.deepEqual(msgs(validateValue({ spec: {} }, schema)), ['spec.image: Required value', 'spec.size: Required value']);
  assert.deepEqual(msgs(validateValue({ spec: { image: 'ab', size: 'medium' } }, schema)), [
    'spec.image: Invalid value: "ab": spec.image in body should be at least 3 chars long',
    'spec.size: Unsupported value: "medium": supported values: "small", "large", "3"',
  ]);
  assert.deepEqual(msgs(validateValue({ spec: { image: 'abcdef', size: 'small' } }, schema)), ['spec.image: Too long: may not be more than 5 bytes']);
  assert.deepEqual(msgs(validateValue({ spec: { image: 'AB1', size: 'small' } }, schema)), [
    "spec.image: Invalid value: \"AB1\": spec.image in body should match '^[a-z]+$'",
  ]);
});

test('numbers: minimum, maximum, exclusive bounds, multipleOf, int32', () => {
  const s = { n: { type: 'integer', minimum: 1, maximum: 10 }, x: { type: 'number', exclusiveMinimum: true, minimum: 0.5, multipleOf: 0.5 }, m: { type: 'integer', multipleOf: 5 }, i: { type: 'integer', format: 'int32' } };
  assert.deepEqual(check(s, { n: 0, x: 0.5, m: 7, i: 3000000000 }), [
    'spec.n: Invalid value: 0: spec.n in body should be greater than or equal to 1',
    'spec.x: Invalid value: 0.5: spec.x in body should be greater than 0.5',
    'spec.m: Invalid value: 7: spec.m in body should be a multiple of 5',
    '<nil>: Invalid value: "": Checked value must be of type integer with format int32 in spec.i',
  ]);
  assert.deepEqual(check(s, { n: 11, x: 1.25 }), [
    'spec.n: Invalid value: 11: spec.n in body should be less than or equal to 10',
    'spec.x: Invalid value: 1.25: spec.x in body should be a multiple of 0.5',
  ]);
});

test('arrays: minItems, maxItems', () => {
  const s = { l: { type: 'array', minItems: 1, maxItems: 2, items: { type: 'string' } } };
  assert.deepEqual(check(s, { l: [] }), ['spec.l: Invalid value: 0: spec.l in body should have at least 1 items']);
  const tooMany = check(s, { l: ['a', 'b', 'c'] });
  assert.equal(tooMany.length, 1);
  assert.match(tooMany[0]!, /^spec\.l: Too many: (3: )?must have at most 2 items$/);
});

test('formats upstream checks (and ones it ignores)', () => {
  const s = {
    d: { type: 'string', format: 'date' }, t: { type: 'string', format: 'date-time' }, u: { type: 'string', format: 'uuid' },
    e: { type: 'string', format: 'email' }, h: { type: 'string', format: 'hostname' }, v4: { type: 'string', format: 'ipv4' },
    v6: { type: 'string', format: 'ipv6' }, c: { type: 'string', format: 'cidr' }, b: { type: 'string', format: 'byte' },
    uri: { type: 'string', format: 'uri' }, k: { type: 'string', format: 'k8s-short-name' }, other: { type: 'string', format: 'docker-image' },
  };
  const ok = { d: '2024-02-29', t: '2024-01-01T10:00:00Z', u: '8f2c1a2e-1234-4abc-9def-0123456789ab', e: 'a@example.com', h: 'example.com', v4: '10.0.0.1', v6: '2001:db8::1', c: '10.0.0.0/8', b: 'aGVsbG8=', uri: 'https://example.com/x', k: 'my-name', other: '!!!' };
  assert.deepEqual(check(s, ok), []);
  assert.deepEqual(check(s, { d: '2023-02-29', t: '2024-01-01 10:00', u: 'nope', e: 'nope', h: '-x', v4: '::1', v6: '10.0.0.1', c: '10.0.0.0', b: 'not base64!', uri: 'relative/path', k: 'My_Name' }), [
    'spec.d: Invalid value: "2023-02-29": spec.d in body must be of type date: "2023-02-29"',
    'spec.t: Invalid value: "2024-01-01 10:00": spec.t in body must be of type date-time: "2024-01-01 10:00"',
    'spec.u: Invalid value: "nope": spec.u in body must be of type uuid: "nope"',
    'spec.e: Invalid value: "nope": spec.e in body must be of type email: "nope"',
    'spec.h: Invalid value: "-x": spec.h in body must be of type hostname: "-x"',
    'spec.v4: Invalid value: "::1": spec.v4 in body must be of type ipv4: "::1"',
    'spec.v6: Invalid value: "10.0.0.1": spec.v6 in body must be of type ipv6: "10.0.0.1"',
    'spec.c: Invalid value: "10.0.0.0": spec.c in body must be of type cidr: "10.0.0.0"',
    'spec.b: Invalid value: "not base64!": spec.b in body must be of type byte: "not base64!"',
    'spec.uri: Invalid value: "relative/path": spec.uri in body must be of type uri: "relative/path"',
    'spec.k: Invalid value: "My_Name": spec.k in body must be of type k8s-short-name: "My_Name"',
  ]);
  // A number where a date string is expected fails on the format.
  assert.deepEqual(check(s, { d: 5 }), ['spec.d: Invalid value: "int64": spec.d in body must be of type date: "int64"']);
});

test('x-kubernetes-int-or-string', () => {
  const s = { port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] } };
  assert.deepEqual(check(s, { port: 80 }), []);
  assert.deepEqual(check(s, { port: 'http' }), []);
  assert.deepEqual(check(s, { port: true }), [
    'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
    '<nil>: Invalid value: "": "spec.port" must validate at least one schema (anyOf)',
    'spec.port: Invalid value: "boolean": spec.port in body must be of type integer: "boolean"',
  ]);
});

test('additionalProperties: schema per value, false forbids keys', () => {
  assert.deepEqual(check({ labels: { type: 'object', additionalProperties: { type: 'string' } } }, { labels: { a: 'x', b: 1 } }), [
    'spec.labels.b: Invalid value: "integer": spec.labels.b in body must be of type string: "integer"',
  ]);
  assert.deepEqual(check({ none: { type: 'object', additionalProperties: false } }, { none: { a: 1 } }), [
    'spec.none: Invalid value: "a": spec.none.a in body is a forbidden property',
  ]);
});

test('oneOf / allOf / not messages are reported without a field', () => {
  const s = { v: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, oneOf: [{ required: ['a'] }, { required: ['b'] }], not: { required: ['c'] } } };
  assert.deepEqual(check(s, { v: {} }), [
    '<nil>: Invalid value: "": "spec.v" must validate one and only one schema (oneOf). Found none valid',
    'spec.v.a: Required value',
  ]);
  assert.deepEqual(check(s, { v: { a: 'x', b: 'y' } }), ['<nil>: Invalid value: "": "spec.v" must validate one and only one schema (oneOf). Found 2 valid alternatives']);
  assert.deepEqual(check(s, { v: { a: 'x', c: 1 } }), ['<nil>: Invalid value: "": "spec.v" must not validate the schema (not)']);
});

const ctx: CustomResourceContext = {
  group: 'stable.example.com', version: 'v1', kind: 'CronTab', namespaced: true,
  schema: toProps({
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          replicas: { type: 'integer', maximum: 5 },
          template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
          ports: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['port'], items: { type: 'object', required: ['port'], properties: { port: { type: 'integer' }, name: { type: 'string' } } } },
          tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
        },
      },
      status: { type: 'object', properties: { replicas: { type: 'integer' } } },
    },
  }),
  scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
};

function cr(spec: unknown, status?: unknown): Record<string, unknown> {
  const o: Record<string, unknown> = { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'a', namespace: 'default' }, spec };
  if (status !== undefined) o.status = status;
  return o;
}

test('a whole custom resource: metadata, embedded resources, list sets and maps, scale paths', () => {
  assert.deepEqual(msgs(validateCustomResource(cr({ replicas: 1 }), ctx)), []);
  assert.deepEqual(msgs(validateCustomResource({ ...cr({}), metadata: { name: 'Bad_Name' } }, ctx)), [
    'metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
    'metadata.namespace: Required value',
  ]);
  assert.deepEqual(msgs(validateCustomResource(cr({ template: { metadata: { name: 'x' } } }), ctx)), [
    'spec.template.apiVersion: Required value',
    'spec.template.kind: Required value',
  ]);
  assert.deepEqual(msgs(validateCustomResource(cr({ tags: ['a', 'b', 'a', 'a'], ports: [{ port: 80 }, { port: 443 }, { port: 80, name: 'again' }] }), ctx)), [
    'spec.tags[2]: Duplicate value: "a"',
    'spec.ports[2]: Duplicate value: {"port":80}',
  ]);
  assert.deepEqual(msgs(validateCustomResource(cr({ replicas: -1 }), ctx)), ['.spec.replicas: Invalid value: -1: should be a non-negative integer']);
  assert.deepEqual(msgs(validateCustomResource({ ...cr({}), kind: 'Other' }, ctx)), ['kind: Invalid value: "Other": must be CronTab']);
});

test('update ratchets: unchanged invalid values pass, changed ones fail', () => {
  const old = cr({ replicas: 9, tags: ['x'] });
  assert.deepEqual(msgs(validateCustomResourceUpdate(cr({ replicas: 9, tags: ['x', 'y'] }), old, ctx)), []);
  assert.deepEqual(msgs(validateCustomResourceUpdate(cr({ replicas: 8 }), old, ctx)), ['spec.replicas: Invalid value: 8: spec.replicas in body should be less than or equal to 5']);
  assert.deepEqual(msgs(validateCustomResource(old, ctx)), ['spec.replicas: Invalid value: 9: spec.replicas in body should be less than or equal to 5']);
});

test('status updates validate status alone, paths below status', () => {
  const old = cr({ replicas: 1 }, { replicas: 1 });
  assert.deepEqual(msgs(validateCustomResourceStatusUpdate(cr({ replicas: 1 }, { replicas: 'many' }), old, ctx)), [
    'status.replicas: Invalid value: "string": replicas in body must be of type integer: "string"',
    '.status.replicas: Invalid value: 0: .status.replicas accessor error: many is of the type string, expected int64',
  ]);
});
