import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.ts';
import { inLine, wantDigest, withWanted } from './copies.ts';
import { copiedWhenAll } from './to-host.ts';

const want: KubeObject = {
  apiVersion: 'policy/v1', kind: 'PodDisruptionBudget',
  metadata: { name: 'web-x-shop-x-a', labels: { 'kubevisor.dev/vcluster': 'a' }, annotations: { 'kubevisor.dev/object-name': 'web' } },
  spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
};
const have = (o: Partial<KubeObject> = {}): KubeObject => ({
  ...want, metadata: { ...want.metadata, uid: 'h-1', resourceVersion: '7', ...o.metadata }, status: { disruptionsAllowed: 0 }, ...(o.spec ? { spec: o.spec } : {}),
});

test('a host copy is in line when labels, wanted annotations and owned fields agree', () => {
  assert.ok(inLine(have(), want, ['spec'], undefined));
  // Annotations a host controller added are left alone.
  assert.ok(inLine(have({ metadata: { annotations: { ...want.metadata.annotations, 'host.example/seen': 'yes' } } }), want, ['spec'], undefined));
  assert.ok(!inLine(have({ metadata: { labels: { 'kubevisor.dev/vcluster': 'a', extra: 'x' } } }), want, ['spec'], undefined));
  assert.ok(!inLine(have({ metadata: { annotations: {} } }), want, ['spec'], undefined));
  assert.ok(!inLine(have({ spec: { minAvailable: 0, selector: { matchLabels: { app: 'web' } } } }), want, ['spec'], undefined));
});

test('a copy still at the version our write of the same translation produced is in line whatever the host defaulted', () => {
  const defaulted = have({ spec: { ...(want.spec as object), hostDefault: true } });
  assert.ok(!inLine(defaulted, want, ['spec'], undefined));
  assert.ok(inLine(defaulted, want, ['spec'], { rv: '7', want: wantDigest(want) }));
  // Changed on the host since, or a new translation: compared again.
  assert.ok(!inLine(defaulted, want, ['spec'], { rv: '6', want: wantDigest(want) }));
  assert.ok(!inLine(defaulted, want, ['spec'], { rv: '7', want: '{}' }));
  // An annotation gone from the virtual object leaves the host too, though the host may add its own.
  assert.ok(!inLine(have(), { ...want, metadata: { ...want.metadata, annotations: {} } }, ['spec'], { rv: '7', want: wantDigest(want) }));
});

test('the update keeps the host object but takes labels, annotations and owned fields', () => {
  const next = withWanted(have({ spec: { minAvailable: 5 } }), { ...want, spec: undefined }, ['spec']);
  assert.equal(next.metadata.uid, 'h-1');
  assert.equal(next.metadata.resourceVersion, '7');
  assert.equal(next.spec, undefined);
  assert.deepEqual(next.status, { disruptionsAllowed: 0 });
});

test('what stays virtual when every config map / secret is copied', () => {
  const secret = (type: string): KubeObject => ({ metadata: { name: 's', namespace: 'ns' }, type });
  assert.ok(copiedWhenAll('secret', secret('Opaque')));
  assert.ok(copiedWhenAll('secret', secret('kubernetes.io/tls')));
  assert.ok(copiedWhenAll('secret', { metadata: { name: 's', namespace: 'ns' } }));
  assert.ok(!copiedWhenAll('secret', secret('kubernetes.io/service-account-token')));
  assert.ok(!copiedWhenAll('secret', secret('bootstrap.kubernetes.io/token')));
  assert.ok(copiedWhenAll('configmap', { metadata: { name: 'settings', namespace: 'ns' } }));
  assert.ok(!copiedWhenAll('configmap', { metadata: { name: 'kube-root-ca.crt', namespace: 'ns' } }));
  assert.ok(!copiedWhenAll('configmap', { metadata: { name: 'settings', namespace: 'ns', deletionTimestamp: '2025-01-01T00:00:00Z' } }));
  assert.ok(!copiedWhenAll('configmap', { metadata: { name: 'from-host', namespace: 'ns', labels: { 'kubevisor.dev/from-host': 'true' } } }));
});

test('owned parts may be paths: a claim\'s requested size is compared and written alone, the host\'s spec kept', () => {
  const fields = ['spec.resources.requests.storage'];
  const claim = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c', labels: {}, resourceVersion: '3' }, spec });
  const want = claim({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } });
  const have = claim({ accessModes: ['ReadWriteOnce'], storageClassName: 'host', volumeName: 'pv-1', resources: { requests: { storage: '1Gi' }, limits: { storage: '5Gi' } } });
  assert.ok(!inLine(have, want, fields, undefined));
  assert.ok(inLine(claim({ ...(have.spec as object), resources: { requests: { storage: '2Gi' } } }), want, fields, undefined));
  const next = withWanted(have, want, fields);
  assert.deepEqual(next.spec, { accessModes: ['ReadWriteOnce'], storageClassName: 'host', volumeName: 'pv-1', resources: { requests: { storage: '2Gi' }, limits: { storage: '5Gi' } } });
  assert.equal((have.spec as { resources: { requests: { storage: string } } }).resources.requests.storage, '1Gi', 'the host object is not changed');
});
