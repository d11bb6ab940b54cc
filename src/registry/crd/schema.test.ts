import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pruneUnknownFields, unknownFields } from '../../api/schema/strict.ts';
import { objectMetaRef, schemaNodeFor } from './index.ts';

const meta = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { ref: objectMetaRef } };

test('the root gets apiVersion, kind and ObjectMeta; properties, items and extensions carry over', () => {
  const node = schemaNodeFor({
    type: 'object',
    properties: {
      metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 10 } } },
      spec: {
        type: 'object',
        required: ['ports'],
        properties: {
          ports: {
            type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['port'],
            items: { type: 'object', properties: { port: { type: 'integer', format: 'int32' }, target: { 'x-kubernetes-int-or-string': true } } },
          },
          labels: { type: 'object', additionalProperties: { type: 'string' }, 'x-kubernetes-map-type': 'atomic' },
          mode: { type: 'string', enum: ['a', 'b'], default: 'a' },
        },
      },
    },
  }, { group: 'g.io', version: 'v1', kind: 'K' });
  assert.deepEqual(node, {
    type: 'object',
    properties: {
      metadata: { ref: objectMetaRef },
      spec: {
        type: 'object',
        required: ['ports'],
        properties: {
          ports: {
            type: 'array', listType: 'map', listMapKeys: ['port'],
            items: { type: 'object', properties: { port: { type: 'integer', format: 'int32' }, target: { intOrString: true } } },
          },
          labels: { type: 'object', additionalProperties: { type: 'string' }, mapType: 'atomic' },
          mode: { type: 'string', enum: ['a', 'b'], default: 'a' },
        },
      },
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
    },
    gvk: [{ group: 'g.io', version: 'v1', kind: 'K' }],
  });
});

test('preserve-unknown-fields: opaque alone, open beside declared properties', () => {
  const node = schemaNodeFor({
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          raw: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          open: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { known: { type: 'object', properties: { a: { type: 'string' } } } } },
          tmpl: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
        },
      },
    },
  });
  const spec = node.properties!.spec!.properties!;
  assert.deepEqual(spec.raw, { type: 'object', preserveUnknownFields: true });
  assert.deepEqual(spec.open, { type: 'object', properties: { known: { type: 'object', properties: { a: { type: 'string' } } } }, additionalProperties: true });
  assert.deepEqual(spec.tmpl, { type: 'object', embeddedResource: true, properties: meta, additionalProperties: true });

  // Strict field validation over this form reports what upstream's pruning drops.
  const obj = {
    apiVersion: 'g.io/v1', kind: 'K', metadata: { name: 'a', bogus: 1 },
    spec: { raw: { x: 1 }, open: { y: 1, known: { a: 'b', c: 'd' } }, tmpl: { apiVersion: 'v1', kind: 'Pod', metadata: { nope: 1 }, spec: {} }, zzz: 1 },
  };
  assert.deepEqual(unknownFields(node, obj), ['metadata.bogus', 'spec.open.known.c', 'spec.tmpl.metadata.nope', 'spec.zzz']);
  assert.deepEqual((pruneUnknownFields(node, obj) as any).spec.open, { y: 1, known: { a: 'b' } });
});

test('without a schema every field is kept', () => {
  assert.deepEqual(schemaNodeFor(undefined), { type: 'object', additionalProperties: true, properties: meta });
  assert.deepEqual(schemaNodeFor({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }), { type: 'object', additionalProperties: true, properties: meta });
});
