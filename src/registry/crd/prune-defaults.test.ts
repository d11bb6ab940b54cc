import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, coerceAndDefault, coerceMetadata, pruneNonNullableNulls, pruneUnknown, toProps } from './index.ts';

const schema = toProps({
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        image: { type: 'string' },
        replicas: { type: 'integer', default: 1 },
        config: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { known: { type: 'object', properties: { a: { type: 'string' } } } } },
        template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object', properties: { x: { type: 'string' } } } } },
        items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, weight: { type: 'integer', default: 10 } } } },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        anything: { type: 'object', additionalProperties: true },
        resources: { type: 'object', default: { limits: {} }, properties: { limits: { type: 'object', properties: { cpu: { type: 'string', default: '1' } } } } },
        note: { type: 'string', nullable: true },
        gone: { type: 'string' },
      },
    },
  },
});

test('pruning drops unknown fields and reports their paths', () => {
  const obj = {
    apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a' },
    extra: 1,
    spec: {
      image: 'nginx', bogus: true,
      config: { free: { form: 1 }, known: { a: 'x', b: 'dropped' } },
      template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { x: 'y', z: 'dropped' }, other: 1 },
      items: [{ name: 'a', extra: 1 }],
      labels: { a: 'b' },
      anything: { k: { nested: 1 }, s: 'kept' },
    },
  };
  const unknown = pruneUnknown(obj, schema, { trackUnknownFields: true });
  assert.deepEqual(unknown, [
    'extra', 'spec.anything.k.nested', 'spec.bogus', 'spec.config.known.b', 'spec.items[0].extra', 'spec.template.other', 'spec.template.spec.z',
  ]);
  assert.deepEqual(obj, {
    apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a' },
    spec: {
      image: 'nginx',
      config: { free: { form: 1 }, known: { a: 'x' } },
      template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { x: 'y' } },
      items: [{ name: 'a' }],
      labels: { a: 'b' },
      // additionalProperties: true keeps keys, not what is inside objects (upstream prunes those).
      anything: { k: {}, s: 'kept' },
    },
  });
});

test('metadata is reduced to ObjectMeta, at the root and in embedded resources', () => {
  const obj = { metadata: { name: 'a', bogus: 1 }, spec: { template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', nope: 2, creationTimestamp: null } } } };
  assert.deepEqual(coerceMetadata(obj, schema), ['metadata.bogus', 'spec.template.metadata.nope']);
  assert.deepEqual(obj, { metadata: { name: 'a' }, spec: { template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } } } });
});

test('nulls are dropped unless nullable or defaulted', () => {
  const obj = { spec: { image: null, note: null, replicas: null } };
  pruneNonNullableNulls(obj, schema);
  assert.deepEqual(obj, { spec: { note: null, replicas: null } });
});

test('defaults apply to missing and null fields, recursively into defaulted objects and list items', () => {
  const obj: Record<string, unknown> = { spec: { replicas: null, items: [{ name: 'a' }, { name: 'b', weight: 3 }] } };
  applyDefaults(obj, schema);
  assert.deepEqual(obj, {
    spec: {
      replicas: 1,
      items: [{ name: 'a', weight: 10 }, { name: 'b', weight: 3 }],
      resources: { limits: { cpu: '1' } },
    },
  });
  // No spec: nothing below it is defaulted.
  const empty: Record<string, unknown> = {};
  applyDefaults(empty, schema);
  assert.deepEqual(empty, {});
});

test('coerceAndDefault is prune + nulls + metadata + defaults', () => {
  const obj = { apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a', junk: 1 }, spec: { gone: null, bogus: 1 } };
  coerceAndDefault(obj, schema);
  assert.deepEqual(obj, { apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a' }, spec: { replicas: 1, resources: { limits: { cpu: '1' } } } });
});
