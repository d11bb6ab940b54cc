import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import {
  addDaemonPodTolerations, addOrUpdateToleration, fitsNodeAffinity, replaceNodeNameAffinity, targetNodeName, toleratesTaint, untoleratedTaint,
} from './scheduling.ts';
import { canonicalJson, fnv1, fnv1a, isPodAvailable, safeEncode, scaledValue, utf8 } from './util.ts';
import type { PodSpec } from './util.ts';
import { parentAndOrdinal } from './statefulset.ts';

const node = (name: string, labels: Record<string, string>): KubeObject => ({ metadata: { name, labels } });
const required = (...terms: unknown[]): PodSpec => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } });

test('FNV and the safe encoding behind revision names', () => {
  assert.equal(fnv1(utf8('')), 0x811c9dc5);
  assert.equal(fnv1(utf8('a')), 0x050c5d7e);
  assert.equal(fnv1a(utf8('a')), 0xe40c292c);
  assert.equal(safeEncode('0123456789'), '456789bcdf');
  assert.equal(canonicalJson({ b: [1, { d: 1, c: 2 }], a: 'x' }), '{"a":"x","b":[1,{"c":2,"d":1}]}');
});

test('int-or-percent scaling', () => {
  assert.equal(scaledValue(2, 10, true), 2);
  assert.equal(scaledValue('25%', 10, true), 3);
  assert.equal(scaledValue('25%', 10, false), 2);
  assert.equal(scaledValue('x', 10, false), undefined);
});

test('availability needs Ready for longer than minReadySeconds', () => {
  const pod = { metadata: {}, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2025-01-01T00:00:00Z' }] } };
  assert.ok(isPodAvailable(pod, 0, new Date('2025-01-01T00:00:00Z')));
  assert.ok(!isPodAvailable(pod, 5, new Date('2025-01-01T00:00:05Z')));
  assert.ok(isPodAvailable(pod, 5, new Date('2025-01-01T00:00:05.001Z')));
});

test('stateful pod names', () => {
  assert.deepEqual(parentAndOrdinal('web-12'), { parent: 'web', ordinal: 12 });
  assert.deepEqual(parentAndOrdinal('my-web-0'), { parent: 'my-web', ordinal: 0 });
  assert.deepEqual(parentAndOrdinal('web'), { parent: '', ordinal: -1 });
});

test('required node affinity: nodeSelector, expressions, fields, empty terms', () => {
  const n = node('n1', { zone: 'a', cpus: '8' });
  assert.ok(fitsNodeAffinity({}, n));
  assert.ok(fitsNodeAffinity({ nodeSelector: { zone: 'a' } }, n));
  assert.ok(!fitsNodeAffinity({ nodeSelector: { zone: 'b' } }, n));
  assert.ok(fitsNodeAffinity(required({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }), n));
  assert.ok(!fitsNodeAffinity(required({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }), n));
  assert.ok(fitsNodeAffinity(required({ matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }), n));
  assert.ok(fitsNodeAffinity(required({ matchExpressions: [{ key: 'cpus', operator: 'Gt', values: ['4'] }] }), n));
  assert.ok(!fitsNodeAffinity(required({ matchExpressions: [{ key: 'cpus', operator: 'Lt', values: ['4'] }] }), n));
  assert.ok(fitsNodeAffinity(required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }), n));
  assert.ok(!fitsNodeAffinity(required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }), n));
  // Terms are ORed; an empty term selects nothing; a malformed one is skipped.
  assert.ok(fitsNodeAffinity(required({}, { matchExpressions: [{ key: 'zone', operator: 'Exists' }] }), n));
  assert.ok(!fitsNodeAffinity(required({}), n));
  assert.ok(!fitsNodeAffinity(required({ matchExpressions: [{ key: 'zone', operator: 'Bogus' }] }), n));
  assert.ok(!fitsNodeAffinity(required(), n));
});

test('taints and tolerations', () => {
  const taint = { key: 'k', value: 'v', effect: 'NoSchedule' };
  assert.ok(toleratesTaint({ key: 'k', operator: 'Equal', value: 'v' }, taint));
  assert.ok(toleratesTaint({ key: 'k', value: 'v', effect: 'NoSchedule' }, taint));
  assert.ok(!toleratesTaint({ key: 'k', value: 'w' }, taint));
  assert.ok(!toleratesTaint({ key: 'k', operator: 'Exists', effect: 'NoExecute' }, taint));
  assert.ok(toleratesTaint({ operator: 'Exists' }, taint));
  assert.equal(untoleratedTaint([taint, { key: 'x', effect: 'PreferNoSchedule' }], [], (t) => t.effect !== 'PreferNoSchedule'), taint);
});

test('daemon tolerations are added once; an equal toleration with seconds is replaced', () => {
  const spec: PodSpec = { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }, { key: 'mine', operator: 'Exists' }] };
  addDaemonPodTolerations(spec);
  assert.equal(spec.tolerations?.length, 7);
  assert.deepEqual(spec.tolerations?.[0], { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' });
  assert.ok(!spec.tolerations?.some((t) => t.key === 'node.kubernetes.io/network-unavailable'));
  const before = JSON.stringify(spec.tolerations);
  addDaemonPodTolerations(spec);
  assert.equal(JSON.stringify(spec.tolerations), before);
  const hostNet: PodSpec = { hostNetwork: true };
  addDaemonPodTolerations(hostNet);
  assert.equal(hostNet.tolerations?.at(-1)?.key, 'node.kubernetes.io/network-unavailable');
  addOrUpdateToleration(hostNet, { key: 'x', operator: 'Exists' });
  assert.equal(hostNet.tolerations?.length, 8);
});

test('binding a daemon pod to its node through affinity', () => {
  const aff = replaceNodeNameAffinity({
    podAntiAffinity: { x: 1 },
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] },
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1 }],
    },
  }, 'n7');
  assert.deepEqual(aff, {
    podAntiAffinity: { x: 1 },
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n7'] }] }] },
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1 }],
    },
  });
  assert.equal(targetNodeName({ affinity: aff }), 'n7');
  assert.equal(targetNodeName({ nodeName: 'bound', affinity: aff }), 'bound');
  assert.equal(targetNodeName({}), undefined);
});
