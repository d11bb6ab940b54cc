import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject, JsonValue } from '../types.ts';
import { schemaForKind } from '../schema/index.ts';
import type { SchemaNode } from '../schema/types.ts';
import { applyStrategicMergePatch } from './strategic-merge-patch.ts';
import { PatchError } from './patch-error.ts';

const deploymentSchema = schemaForKind('apps', 'v1', 'Deployment')!;
const podSchema = schemaForKind('', 'v1', 'Pod')!;

function deployment(): JsonObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web', tier: 'front' }, finalizers: ['a', 'b', 'c'] },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }], args: ['-a'] },
            { name: 'sidecar', image: 'envoy' },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
        },
      },
    },
  };
}

function patched(patch: JsonValue, original: JsonObject = deployment(), schema: SchemaNode = deploymentSchema): JsonObject {
  return applyStrategicMergePatch(original, patch, schema);
}

function containers(o: JsonObject): JsonObject[] {
  return ((((o['spec'] as JsonObject)['template'] as JsonObject)['spec'] as JsonObject)['containers'] as JsonObject[]);
}

function failure(patch: JsonValue, original: JsonObject = deployment(), schema: SchemaNode = deploymentSchema): PatchError {
  try {
    applyStrategicMergePatch(original, patch, schema);
  } catch (e) {
    assert.ok(e instanceof PatchError, String(e));
    return e;
  }
  assert.fail('expected the patch to fail');
}

test('what kubectl sends: an image change with $setElementOrder', () => {
  const original = deployment();
  const out = patched({ spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ image: 'nginx:1.26', name: 'web' }] } } } }, original);
  assert.deepEqual(containers(out), [
    { name: 'web', image: 'nginx:1.26', ports: [{ containerPort: 80, protocol: 'TCP' }], args: ['-a'] },
    { name: 'sidecar', image: 'envoy' },
  ]);
  assert.equal(containers(original)[0]!['image'], 'nginx:1.25', 'input untouched');
});

test('$setElementOrder decides the order, including new items', () => {
  const out = patched({ spec: { template: { spec: {
    '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'new' }, { name: 'web' }],
    containers: [{ name: 'new', image: 'busybox' }],
  } } } });
  assert.deepEqual(containers(out).map((c) => c['name']), ['sidecar', 'new', 'web']);
  // Without it, patch items come first, then the rest in their old order.
  const plain = patched({ spec: { template: { spec: { containers: [{ name: 'new', image: 'busybox' }] } } } });
  assert.deepEqual(containers(plain).map((c) => c['name']), ['new', 'web', 'sidecar']);
  // Reordering with only the order list.
  const reordered = patched({ spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'web' }] } } } });
  assert.deepEqual(containers(reordered).map((c) => c['name']), ['sidecar', 'web']);
});

test('lists merge by key, nested lists by their own keys, other lists replace', () => {
  const out = patched({ spec: { template: { spec: { containers: [
    { name: 'web', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }], args: ['-b'] },
  ] } } } });
  const web = containers(out)[0]!;
  assert.deepEqual(web['ports'], [{ containerPort: 80, protocol: 'TCP', name: 'http' }, { containerPort: 443 }]);
  assert.deepEqual(web['args'], ['-b'], 'args has no merge strategy');
});

test('$patch directives in lists and maps', () => {
  const del = patched({ spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } });
  assert.deepEqual(containers(del).map((c) => c['name']), ['web']);
  const rep = patched({ spec: { template: { spec: { containers: [{ name: 'only', image: 'x' }, { $patch: 'replace' }] } } } });
  assert.deepEqual(containers(rep), [{ name: 'only', image: 'x' }]);
  const mapReplace = patched({ metadata: { labels: { $patch: 'replace', fresh: 'yes' } } });
  assert.deepEqual((mapReplace['metadata'] as JsonObject)['labels'], { fresh: 'yes' });
  const mapDelete = patched({ metadata: { labels: { $patch: 'delete' } } });
  assert.deepEqual((mapDelete['metadata'] as JsonObject)['labels'], {});
  // A map with a directive that is not in the original is dropped.
  const dropped = patched({ metadata: { annotations: { $patch: 'delete' } } });
  assert.equal('annotations' in (dropped['metadata'] as JsonObject), false);
  assert.deepEqual(patched({ $patch: 'replace', kind: 'Deployment' }), { kind: 'Deployment' });
});

test('null deletes; nulls inside new values are dropped', () => {
  const out = patched({ metadata: { labels: { tier: null, extra: 'x' }, annotations: { a: 'b', c: null } }, spec: { strategy: null } });
  const md = out['metadata'] as JsonObject;
  assert.deepEqual(md['labels'], { app: 'web', extra: 'x' });
  assert.deepEqual(md['annotations'], { a: 'b' });
  assert.equal('strategy' in (out['spec'] as JsonObject), false);
});

test('primitive lists with merge strategy merge as sets, with deletion lists', () => {
  const add = patched({ metadata: { finalizers: ['d', 'a'] } });
  // Patch items first (in patch order) unless the old order says a kept item comes earlier.
  assert.deepEqual((add['metadata'] as JsonObject)['finalizers'], ['d', 'a', 'b', 'c']);
  const del = patched({ metadata: { '$deleteFromPrimitiveList/finalizers': ['b'], finalizers: ['z'] } });
  assert.deepEqual((del['metadata'] as JsonObject)['finalizers'], ['z', 'a', 'c']);
  const ordered = patched({ metadata: { '$setElementOrder/finalizers': ['c', 'a', 'b'] } });
  assert.deepEqual((ordered['metadata'] as JsonObject)['finalizers'], ['c', 'a', 'b']);
  // A null deletion list removes the whole field (upstream behaviour).
  const gone = patched({ metadata: { '$deleteFromPrimitiveList/finalizers': null } });
  assert.equal('finalizers' in (gone['metadata'] as JsonObject), false);
});

test('$retainKeys clears the fields not listed', () => {
  const out = patched({ spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } });
  assert.deepEqual((out['spec'] as JsonObject)['strategy'], { type: 'Recreate' });
  const vol = patched({ spec: { template: { spec: { volumes: [{ name: 'data', $retainKeys: ['name', 'configMap'], configMap: { name: 'cm' } }] } } } });
  assert.deepEqual((((vol['spec'] as JsonObject)['template'] as JsonObject)['spec'] as JsonObject)['volumes'], [{ name: 'data', configMap: { name: 'cm' } }]);
  const e = failure({ spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } });
  assert.equal(e.code, 400);
  assert.equal(e.message, 'invalid patch format of retainKeys');
  assert.equal(failure({ spec: { strategy: { $retainKeys: 'type' } } }).message, 'invalid patch format of retainKeys');
});

test('the replace strategy takes the patch as it is', () => {
  const pdbSchema = schemaForKind('policy', 'v1', 'PodDisruptionBudget')!;
  const pdb = { spec: { selector: { matchLabels: { a: '1' }, matchExpressions: [{ key: 'b', operator: 'Exists' }] } } };
  assert.deepEqual(applyStrategicMergePatch(pdb, { spec: { selector: { matchLabels: { c: '3' } } } }, pdbSchema),
    { spec: { selector: { matchLabels: { c: '3' } } } });
});

test('upstream ordering rules on a synthetic schema', () => {
  const schema: SchemaNode = { type: 'object', properties: {
    mergingList: { type: 'array', items: { type: 'object', properties: { name: { type: 'integer' }, value: { type: 'string' }, other: { type: 'string' } } },
      patchStrategy: 'merge', patchMergeKey: 'name' },
    mergingIntList: { type: 'array', items: { type: 'integer' }, patchStrategy: 'merge' },
  } };
  const orig: JsonObject = { mergingList: [{ name: 1 }, { name: 2, value: 'b' }, { name: 3 }], mergingIntList: [1, 2, 3] };
  assert.deepEqual(applyStrategicMergePatch(orig, { mergingList: [{ name: 3, value: 'c' }, { name: 1, value: 'a' }, { name: 2, other: 'x' }] }, schema)['mergingList'],
    [{ name: 3, value: 'c' }, { name: 1, value: 'a' }, { name: 2, value: 'b', other: 'x' }]);
  assert.deepEqual(applyStrategicMergePatch(orig, { mergingList: [{ name: 3, value: 'c' }, { name: 1, value: 'a' }] }, schema)['mergingList'],
    [{ name: 2, value: 'b' }, { name: 3, value: 'c' }, { name: 1, value: 'a' }]);
  assert.deepEqual(applyStrategicMergePatch(orig, { mergingIntList: [3, 1] }, schema)['mergingIntList'], [2, 3, 1]);
  assert.deepEqual(applyStrategicMergePatch({ mergingIntList: [1, 2] }, { mergingIntList: [2, 3] }, schema)['mergingIntList'], [1, 2, 3]);
  assert.deepEqual(applyStrategicMergePatch({ mergingList: [{ name: 1 }, { name: 1 }, { name: 2, value: 'a' }, { name: 3 }, { name: 3 }] },
    { mergingList: [{ name: 1, $patch: 'delete' }, { name: 3, $patch: 'delete' }] }, schema)['mergingList'], [{ name: 2, value: 'a' }]);
  assert.deepEqual(applyStrategicMergePatch({ mergingList: [] }, { mergingList: [] }, schema)['mergingList'], []);
  // Two patch items with one key: the second merges into the first.
  assert.deepEqual(applyStrategicMergePatch({ mergingList: [] }, { mergingList: [{ name: 5, value: 'x' }, { name: 5, other: 'y' }] }, schema)['mergingList'],
    [{ name: 5, value: 'x', other: 'y' }]);
});

test('deletions and additions reuse list storage as upstream does', () => {
  // Upstream deletes and appends in place; $setElementOrder then orders the
  // server-only items by that storage, which puts 4 before the new 3 here.
  const schema: SchemaNode = { type: 'object', properties: {
    mergingList: { type: 'array', items: { type: 'object', properties: { name: { type: 'integer' }, other: { type: 'string' } } },
      patchStrategy: 'merge', patchMergeKey: 'name' },
  } };
  const out = applyStrategicMergePatch({ mergingList: [{ name: 1 }, { name: 2, other: 'b' }, { name: 4, other: 'c' }] },
    { '$setElementOrder/mergingList': [{ name: 2 }, { name: 3 }], mergingList: [{ name: 3 }, { name: 1, $patch: 'delete' }] }, schema);
  assert.deepEqual(out['mergingList'], [{ name: 2, other: 'b' }, { name: 4, other: 'c' }, { name: 3 }]);
});

test('errors carry upstream texts and status codes', () => {
  const noKey = failure({ spec: { template: { spec: { containers: [{ image: 'x' }] } } } });
  assert.equal(noKey.code, 500);
  assert.equal(noKey.message, 'map: map[image:x] does not contain declared merge key: name');
  assert.equal(noKey.toStatus().reason, undefined, 'a 500 with no reason leaves reason out of the Status');
  const bad = failure({ metadata: { $setElementOrderfinalizers: ['a'] } });
  assert.equal(bad.code, 400);
  assert.equal(bad.message, 'invalid patch format of setElementOrder list');
  assert.equal(failure({ metadata: { $deleteFromPrimitiveListfinalizers: ['a'] } }).message, 'invalid patch format of primitive list');
  const merge = failure({ metadata: { labels: { $patch: 'merge' } } });
  assert.equal(merge.code, 500);
  assert.equal(merge.message, 'unknown patch type: merge in map: map[$patch:merge]');
  assert.equal(failure({ spec: { template: { spec: { containers: [{ name: 'web', $patch: 'merge' }] } } } }).message,
    'merging lists cannot yet be specified in the patch');
  const lists = failure({ metadata: { finalizers: [['x']] } }, { metadata: { finalizers: [] } });
  assert.equal(lists.code, 422);
  assert.equal(lists.detail, 'lists of lists are not supported');
  assert.equal(failure({ metadata: { finalizers: [1] } }).message, 'list element types are not identical: [[a b c] [1]]');
  assert.equal(failure({ spec: { template: { spec: { '$setElementOrder/containers': 'web' } } } }).message,
    'expected a []interface {}, but received a string');
  assert.equal(failure({ spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }], containers: [{ name: 'web' }, { name: 'sidecar' }] } } } }).message,
    'The order in patch list:\n[map[name:web] map[name:sidecar]]\n doesn\'t match $setElementOrder list:\n[map[name:sidecar]]\n');
  // Nested maps under a map-typed field cannot be merged upstream.
  const original = { metadata: { name: 'p' }, spec: { nodeSelector: { a: 'b' } } };
  assert.deepEqual(applyStrategicMergePatch(original, { spec: { nodeSelector: { c: 'd' } } }, podSchema)['spec'], { nodeSelector: { a: 'b', c: 'd' } });
  assert.equal(failure({ spec: { nodeSelector: { a: { x: 1 } } } }, { spec: { nodeSelector: { a: { y: 1 } } } } as JsonObject, podSchema).message,
    'merging an object in json but data type is not struct, instead is: map');
  assert.equal(failure({ spec: { bogus: { x: 1 } } }, { spec: { bogus: { y: 1 } } } as JsonObject, podSchema).message,
    'unable to find api field in struct PodSpec for the json field "bogus"');
  assert.equal(failure([1] as JsonValue).message, 'json: cannot unmarshal array into Go value of type map[string]interface {}');
});

test('unknown fields are simply added (strict checks come later)', () => {
  const out = patched({ spec: { foo: { bar: 1 } } });
  assert.deepEqual((out['spec'] as JsonObject)['foo'], { bar: 1 });
  assert.deepEqual(patched(null), deployment());
});
