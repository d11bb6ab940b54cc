import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject } from '../types.ts';
import type { SchemaNode } from '../schema/types.ts';
import { schemaForKind } from '../schema/index.ts';
import {
  compare, formatTypedErrors, merge, removeItems, resolve, rootType, toFieldSet, typeRef, validate, zeroObject, FieldSet,
  keyElement,
} from './index.ts';

const deployment = rootType(schemaForKind('apps', 'v1', 'Deployment')!);
const pod = rootType(schemaForKind('', 'v1', 'Pod')!);

const fields = (v: JsonObject, tr = deployment) => toFieldSet(v, tr).toFieldsV1Json();

test('toFieldSet: struct fields are not members unless empty or null; map keys always are', () => {
  assert.equal(fields({ metadata: { labels: { app: 'web' }, annotations: {} }, spec: { replicas: 1, paused: null } }),
    '{"f:metadata":{"f:annotations":{},"f:labels":{"f:app":{}}},"f:spec":{"f:paused":{},"f:replicas":{}}}');
});

test('toFieldSet: list types and map types from the schema', () => {
  const d: JsonObject = {
    metadata: { finalizers: ['b', 'a'], ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u1' }] },
    spec: {
      selector: { matchLabels: { app: 'web' } }, // LabelSelector: x-kubernetes-map-type atomic
      template: {
        spec: {
          containers: [{ name: 'web', args: ['a', 'b'], ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }] }],
          nodeSelector: { disk: 'ssd' }, // x-kubernetes-map-type: atomic
        },
      },
    },
  };
  assert.equal(fields(d),
    '{"f:metadata":{"f:finalizers":{"v:\\"a\\"":{},"v:\\"b\\"":{}},"f:ownerReferences":{"k:{\\"uid\\":\\"u1\\"}":{}}},'
    + '"f:spec":{"f:selector":{},"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"web\\"}":{".":{},"f:args":{},"f:name":{},'
    + '"f:ports":{"k:{\\"containerPort\\":53,\\"protocol\\":\\"UDP\\"}":{".":{},"f:containerPort":{},"f:protocol":{}},'
    + '"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{}}}}},"f:nodeSelector":{}}}}}');
});

test('a list with only patchStrategy merge and a merge key is a list keyed by that key; without a key, a set', () => {
  const schema: SchemaNode = {
    type: 'object',
    properties: {
      keyed: { type: 'array', patchStrategy: 'merge', patchMergeKey: 'name', items: { type: 'object', properties: { name: { type: 'string' }, v: { type: 'string' } } } },
      set: { type: 'array', patchStrategy: 'merge', items: { type: 'string' } },
      plain: { type: 'array', items: { type: 'string' } },
      retain: { type: 'array', patchStrategy: 'retainKeys', items: { type: 'string' } },
    },
  };
  const tr = typeRef(schema);
  assert.deepEqual(resolve(typeRef(schema.properties!['keyed']!)).list?.keys, ['name']);
  assert.equal(toFieldSet({ keyed: [{ name: 'a', v: 'x' }], set: ['q'], plain: ['z'], retain: ['r'] }, tr).toFieldsV1Json(),
    '{"f:keyed":{"k:{\\"name\\":\\"a\\"}":{".":{},"f:name":{},"f:v":{}}},"f:plain":{},"f:retain":{},"f:set":{"v:\\"q\\"":{}}}');
});

test('opaque values: RawExtension is atomic, JSON and preserve-unknown-fields are granular maps of deduced values', () => {
  const cr: SchemaNode = {
    type: 'object',
    properties: {
      spec: { type: 'object', preserveUnknownFields: true, properties: { size: { type: 'integer' } } },
      raw: { ref: 'io.k8s.apimachinery.pkg.runtime.RawExtension' },
      json: { ref: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON' },
    },
  };
  const tr = rootType(cr);
  assert.equal(toFieldSet({ spec: { size: 1, extra: { a: [1, 2], b: 'x' } }, raw: { a: { b: 1 } }, json: { a: { b: 1 } }, metadata: { labels: { x: 'y' } } }, tr).toFieldsV1Json(),
    '{"f:json":{"f:a":{".":{},"f:b":{}}},"f:metadata":{"f:labels":{"f:x":{}}},"f:raw":{},"f:spec":{"f:extra":{".":{},"f:a":{},"f:b":{}},"f:size":{}}}');
});

test('compare: added, modified and removed fields; new maps are members themselves', () => {
  const a = { metadata: { name: 'x' }, spec: { replicas: 1, template: { spec: { containers: [{ name: 'web', image: 'a' }] } } } };
  const b = { metadata: { name: 'x', labels: { app: 'web' } }, spec: { template: { spec: { containers: [{ name: 'web', image: 'b' }, { name: 'side', image: 'c' }] } } } };
  const c = compare(a, b, deployment);
  assert.equal(c.added.toString(), '.metadata.labels\n.metadata.labels.app\n.spec.template.spec.containers[name="side"]\n.spec.template.spec.containers[name="side"].image\n.spec.template.spec.containers[name="side"].name');
  assert.equal(c.modified.toString(), '.spec.template.spec.containers[name="web"].image');
  assert.equal(c.removed.toString(), '.spec.replicas');
});

test('merge: granular maps merge, associative lists merge by key (applied order first for shared items), sets union, atomic lists replaced', () => {
  const live: JsonObject = {
    metadata: { labels: { a: '1', b: '2' }, finalizers: ['x', 'y'] },
    spec: {
      selector: { matchLabels: { a: '1', b: '2' } },
      template: { spec: { containers: [{ name: 'one', image: 'i1', args: ['p', 'q'] }, { name: 'two', image: 'i2' }] } },
    },
  };
  const config: JsonObject = {
    metadata: { labels: { b: '3', c: '4' }, finalizers: ['z', 'x'] },
    spec: {
      selector: { matchLabels: { c: '4' } },
      template: { spec: { containers: [{ name: 'three', image: 'i3' }, { name: 'one', args: ['r'] }] } },
    },
  };
  assert.deepEqual(merge(live, config, deployment), {
    metadata: { labels: { a: '1', b: '3', c: '4' }, finalizers: ['z', 'x', 'y'] },
    spec: {
      selector: { matchLabels: { c: '4' } },
      template: { spec: { containers: [{ name: 'three', image: 'i3' }, { name: 'one', image: 'i1', args: ['r'] }, { name: 'two', image: 'i2' }] } },
    },
  });
  // Without shared items, new items go after the live ones.
  assert.deepEqual(merge({ metadata: { finalizers: ['a', 'b'] } }, { metadata: { finalizers: ['c'] } }, deployment), { metadata: { finalizers: ['a', 'b', 'c'] } });
});

test('removeItems removes members and whole subtrees; emptied maps become null like upstream', () => {
  const v = { metadata: { labels: { a: '1' }, annotations: { x: 'y', z: 'w' } }, spec: { replicas: 2, paused: true } };
  const out = removeItems(v, FieldSet.fromPaths([['metadata', 'labels', 'a'], ['metadata', 'annotations', 'x'], ['spec']]), deployment);
  assert.deepEqual(out, { metadata: { labels: null, annotations: { z: 'w' } } });
});

test('validation: undeclared fields, wrong scalar types, duplicate keys, missing keys', () => {
  assert.equal(formatTypedErrors(validate({ spec: { foo: 1 } }, deployment)), '.spec.foo: field not declared in schema');
  assert.equal(formatTypedErrors(validate({ spec: { replicas: 'x' } }, deployment)), '.spec.replicas: expected numeric (int or float), got string');
  const dup = { spec: { containers: [{ name: 'a' }, { name: 'a' }] } };
  assert.equal(formatTypedErrors(validate(dup, pod)), '.spec.containers: duplicate entries for key [name="a"]');
  assert.deepEqual(validate(dup, pod, true), []);
  assert.equal(formatTypedErrors(validate({ spec: { containers: [{ image: 'a' }] } }, pod)),
    '.spec.containers: element 0: associative list with keys has an element that omits all key fields ["name"] (and doesn\'t have default values for any key fields)');
  assert.equal(formatTypedErrors(validate({ spec: { replicas: 'x', paused: 3 } }, deployment)),
    'errors:\n  .spec.replicas: expected numeric (int or float), got string\n  .spec.paused: expected boolean, got &{3}');
});

test('the zero object of a kind has its value structs and required lists', () => {
  assert.deepEqual(zeroObject(schemaForKind('apps', 'v1', 'Deployment')!), {
    metadata: { creationTimestamp: null },
    spec: { selector: null, strategy: {}, template: { metadata: { creationTimestamp: null }, spec: { containers: null } } },
    status: {},
  });
  assert.equal(keyElement({ name: 'x' }).t, 'k');
});

test('a custom resource\'s root always has ObjectMeta metadata, whatever its schema says', () => {
  const cr: SchemaNode = { type: 'object', properties: { metadata: { type: 'object', properties: { name: { type: 'string' } } }, spec: { type: 'object', properties: { x: { type: 'string' } } } } };
  const tr = rootType(cr);
  assert.deepEqual(validate({ apiVersion: 'e.com/v1', kind: 'W', metadata: { name: 'a', labels: { k: 'v' } }, spec: { x: 'y' } }, tr), []);
  assert.equal(toFieldSet({ metadata: { labels: { k: 'v' }, finalizers: ['f'] } }, tr).toFieldsV1Json(), '{"f:metadata":{"f:finalizers":{"v:\\"f\\"":{}},"f:labels":{"f:k":{}}}}');
});
