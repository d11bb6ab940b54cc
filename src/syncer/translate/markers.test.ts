import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { parseLabelSelector } from '../../api/selectors/labels.ts';
import { fromHostAnnotations, fromHostLabels, toHostMeta } from './labels.ts';
import { isManagedBy, managedSelector, standsFor, virtualIdentity } from './markers.ts';

const target = { vcluster: 'team-a', hostNamespace: 'tenants' };

const cm: KubeObject = {
  apiVersion: 'v1', kind: 'ConfigMap',
  metadata: {
    name: 'settings', namespace: 'shop', uid: 'u-1', resourceVersion: '42', creationTimestamp: '2024-01-01T00:00:00Z',
    ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'x', uid: 'p' }], finalizers: ['f'],
    labels: { app: 'shop', 'kubevisor.dev/vcluster': 'team-b', 'kubevisor.dev/namespace': 'other' },
    annotations: { note: 'hi', 'kubevisor.dev/object-name': 'forged' },
  },
};

test('host metadata: renamed, markers set, server-owned fields dropped', () => {
  const m = toHostMeta(cm, 'ConfigMap', target);
  assert.equal(m.name, 'settings-x-shop-x-team-a');
  assert.equal(m.namespace, 'tenants');
  assert.equal(m.uid, undefined);
  assert.equal(m.resourceVersion, undefined);
  assert.equal(m.ownerReferences, undefined);
  assert.equal(m.finalizers, undefined);
  assert.equal(m.labels!['app'], 'shop');
  // The tenant's forged markers do not survive as markers.
  assert.equal(m.labels!['kubevisor.dev/vcluster'], 'team-a');
  assert.equal(m.labels!['kubevisor.dev/namespace'], 'shop');
  assert.equal(m.annotations!['kubevisor.dev/object-name'], 'settings');
  assert.equal(m.annotations!['kubevisor.dev/object-uid'], 'u-1');
  assert.equal(m.annotations!['kubevisor.dev/object-kind'], 'ConfigMap');
  assert.equal(m.annotations!['note'], 'hi');
});

test('identity, managed predicate and the way back', () => {
  const host: KubeObject = { metadata: toHostMeta(cm, 'ConfigMap', target) };
  assert.deepEqual(virtualIdentity(host), { vcluster: 'team-a', kind: 'ConfigMap', name: 'settings', namespace: 'shop', uid: 'u-1' });
  assert.ok(isManagedBy(host, 'team-a'));
  assert.ok(isManagedBy(host, 'team-a', 'ConfigMap'));
  assert.ok(!isManagedBy(host, 'team-a', 'Secret'));
  assert.ok(!isManagedBy(host, 'team-b'));
  assert.ok(standsFor(host, cm, 'ConfigMap', 'team-a'));
  assert.ok(!standsFor(host, { ...cm, metadata: { ...cm.metadata, uid: 'u-2' } }, 'ConfigMap', 'team-a'));
  assert.ok(parseLabelSelector(managedSelector('team-a')).matches(host.metadata.labels));
  assert.ok(!parseLabelSelector(managedSelector('team-b')).matches(host.metadata.labels));
  // Reserved keys come back as the tenant wrote them; markers do not.
  assert.deepEqual(fromHostLabels(host.metadata), cm.metadata.labels);
  assert.deepEqual(fromHostAnnotations(host.metadata), cm.metadata.annotations);
});

test('objects without complete or consistent markers are nobody\'s', () => {
  assert.equal(virtualIdentity({ metadata: { name: 'unrelated', labels: { app: 'x' } } }), undefined);
  const host: KubeObject = { metadata: toHostMeta(cm, 'ConfigMap', target) };
  host.metadata.labels!['kubevisor.dev/vcluster'] = 'team-b';
  assert.equal(virtualIdentity(host), undefined);
  assert.ok(!isManagedBy(host, 'team-a') && !isManagedBy(host, 'team-b'));
});

test('a long virtual cluster name gives a valid label and full annotation', () => {
  const vc = `tenant-${'q'.repeat(80)}`;
  const host: KubeObject = { metadata: toHostMeta(cm, 'ConfigMap', { vcluster: vc, hostNamespace: 'tenants' }) };
  assert.ok(host.metadata.labels!['kubevisor.dev/vcluster'].length <= 63);
  assert.ok(isManagedBy(host, vc));
  assert.ok(host.metadata.name!.length <= 63);
});

test('cluster-scoped objects get cluster names and no namespace marker', () => {
  const pc: KubeObject = { metadata: { name: 'high', uid: 'u' } };
  const m = toHostMeta(pc, 'PriorityClass', target);
  assert.equal(m.name, 'kubevisor-high-x-tenants-x-team-a');
  assert.equal(m.namespace, undefined);
  assert.equal(m.labels!['kubevisor.dev/namespace'], undefined);
  assert.deepEqual(virtualIdentity({ metadata: m }), { vcluster: 'team-a', kind: 'PriorityClass', name: 'high', uid: 'u' });
});
