import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJson, strictFieldErrorText } from '../decode/json.ts';
import { schemaForKind } from './index.ts';
import {
  fieldValidationDirective, fieldValidationError, pruneUnknownFields, schemaTracker, strictDecodingMessage, strictWarnings,
  unknownFields, warningHeaderValue,
} from './strict.ts';
import { formatFieldError } from '../errors.ts';

const deployment = schemaForKind('apps', 'v1', 'Deployment')!;

const body = {
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name: 'web', labels: { anything: 'goes' }, bogus: 1 },
  spec: {
    replicas: 2, foo: { deep: { x: 1 } },
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'nginx', imagePullPolicy: 'Always', foo: 1, ports: [{ containerPort: 80, bar: 2 }] }] },
    },
  },
  status: { zzz: true },
};

test('unknown fields by path, in document or sorted order', () => {
  assert.deepEqual(unknownFields(deployment, body), [
    'metadata.bogus', 'spec.foo', 'spec.template.spec.containers[0].foo', 'spec.template.spec.containers[0].ports[0].bar', 'status.zzz',
  ]);
  const reordered = { status: body.status, spec: body.spec, metadata: body.metadata };
  assert.deepEqual(unknownFields(deployment, reordered)[0], 'status.zzz');
  assert.deepEqual(unknownFields(deployment, reordered, 'sorted')[0], 'metadata.bogus');
  assert.deepEqual(unknownFields(deployment, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: {} }), []);
});

test('opaque and map values accept anything; empty structs accept nothing', () => {
  const cr = schemaForKind('apps', 'v1', 'ControllerRevision')!;
  assert.deepEqual(unknownFields(cr, { data: { any: { thing: [1, { x: 1 }] } }, revision: 1, metadata: { managedFields: [{ fieldsV1: { 'f:x': {} } }] } }), []);
  const crd = schemaForKind('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition')!;
  assert.deepEqual(unknownFields(crd, {
    spec: { versions: [{ name: 'v1', subresources: { status: { nope: 1 } }, schema: { openAPIV3Schema: { 'x-kubernetes-preserve-unknown-fields': true, default: { a: 1 } } } }] },
  }), ['spec.versions[0].subresources.status.nope']);
  // A value of the wrong JSON type is not an unknown field.
  assert.deepEqual(unknownFields(deployment, { spec: 'oops', metadata: { name: { a: 1 } } }), []);
});

test('the JSON decoder finds the same problems in document order, with duplicates', () => {
  const text = '{"kind":"Deployment","metadata":{"name":"a","name":"b","bogus":1},"spec":{"replicas":1,"replicas":2,"foo":{"x":1,"x":2},' +
    '"template":{"spec":{"containers":[{"name":"c","foo":1}]}}}}';
  const r = decodeJson(text, { tracker: schemaTracker(), root: deployment });
  const texts = r.strictErrors.map(strictFieldErrorText);
  assert.deepEqual(texts, [
    'duplicate field "metadata.name"', 'unknown field "metadata.bogus"', 'duplicate field "spec.replicas"', 'unknown field "spec.foo"',
    'unknown field "spec.template.spec.containers[0].foo"',
  ]);
  assert.equal(strictDecodingMessage(texts.slice(0, 2)), 'strict decoding error: duplicate field "metadata.name", unknown field "metadata.bogus"');
  // Duplicates inside an opaque value are not checked (Go hands it over raw).
  const cr = schemaForKind('apps', 'v1', 'ControllerRevision')!;
  assert.deepEqual(decodeJson('{"data":{"a":1,"a":2},"revision":1,"revision":2}', { tracker: schemaTracker(), root: cr }).strictErrors,
    [{ kind: 'duplicate', path: 'revision' }]);
});

test('pruning drops unknown fields only', () => {
  const pruned = pruneUnknownFields(deployment, body) as typeof body;
  assert.deepEqual(unknownFields(deployment, pruned), []);
  assert.equal('bogus' in pruned.metadata, false);
  assert.deepEqual(pruned.metadata.labels, { anything: 'goes' });
  assert.deepEqual(pruned.spec.template.spec.containers[0], { name: 'web', image: 'nginx', imagePullPolicy: 'Always', ports: [{ containerPort: 80 }] });
  assert.deepEqual(pruned.status, {});
  assert.equal(body.metadata.bogus, 1, 'input untouched');
});

test('directives, warnings and headers', () => {
  assert.equal(fieldValidationDirective(undefined), 'Warn');
  assert.equal(fieldValidationDirective(''), 'Warn');
  assert.equal(fieldValidationDirective('Strict'), 'Strict');
  assert.equal(fieldValidationDirective('Ignore'), 'Ignore');
  assert.equal(fieldValidationDirective('strict'), undefined);
  assert.equal(formatFieldError(fieldValidationError('strict')),
    'fieldValidation: Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"');
  assert.deepEqual(strictWarnings(['unknown field "spec.foo"', 'yaml: unmarshal errors:\n  line 3: key "a" already set in map\n  line 5: key "b" already set in map']),
    ['unknown field "spec.foo"', 'line 3: key "a" already set in map', 'line 5: key "b" already set in map']);
  assert.equal(warningHeaderValue('unknown field "spec.foo"'), '299 - "unknown field \\"spec.foo\\""');
  assert.equal(warningHeaderValue('a\\b'), '299 - "a\\\\b"');
});
