import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { classDiffers, FROM_HOST_LABEL, fromHostClass, isFromHost, isSyncedToHost, withClassData } from './from-host.ts';

const hostClass: KubeObject = {
  apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass',
  metadata: {
    name: 'fast', uid: 'h-1', resourceVersion: '7', creationTimestamp: '2024-01-01T00:00:00Z', finalizers: ['x'],
    labels: { tier: 'gold', 'kubevisor.dev/simulated': 'true' },
    annotations: {
      'storageclass.kubernetes.io/is-default-class': 'true',
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
      'kubevisor.dev/object-name': 'forged',
    },
  },
  provisioner: 'csi.example.com', parameters: { type: 'ssd' }, reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer',
  allowVolumeExpansion: true,
};

test('a host class copy: same name and data, the host\'s labels and annotations without kubevisor keys, marked', () => {
  const v = fromHostClass(hostClass);
  assert.deepEqual(v.metadata, {
    name: 'fast',
    labels: { tier: 'gold', [FROM_HOST_LABEL]: 'true' },
    annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
  });
  assert.equal(v.apiVersion, 'storage.k8s.io/v1');
  assert.equal(v.kind, 'StorageClass');
  assert.deepEqual(v['parameters'], { type: 'ssd' });
  assert.equal(v['provisioner'], 'csi.example.com');
  assert.equal(v['allowVolumeExpansion'], true);
  assert.ok(isFromHost(v));
  assert.ok(!isFromHost(hostClass));
  // A deep copy: the host object stays as it was.
  (v['parameters'] as Record<string, string>).type = 'hdd';
  assert.deepEqual(hostClass['parameters'], { type: 'ssd' });
});

test('priority and ingress classes copy their fields and spec the same way', () => {
  const pc = fromHostClass({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000, globalDefault: false, description: 'd', preemptionPolicy: 'Never' });
  assert.deepEqual({ value: pc['value'], globalDefault: pc['globalDefault'], description: pc['description'], preemptionPolicy: pc['preemptionPolicy'] },
    { value: 1000, globalDefault: false, description: 'd', preemptionPolicy: 'Never' });
  const ic = fromHostClass({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } });
  assert.deepEqual(ic.spec, { controller: 'k8s.io/ingress-nginx' });
});

test('a copy differs when the host\'s labels, annotations or data change, not for server-owned metadata', () => {
  const want = fromHostClass(hostClass);
  const stored: KubeObject = { ...want, metadata: { ...want.metadata, uid: 'v-1', resourceVersion: '3', creationTimestamp: 'now', managedFields: [] } };
  assert.equal(classDiffers(stored, want), false);
  assert.equal(classDiffers(stored, fromHostClass({ ...hostClass, metadata: { ...hostClass.metadata, labels: { tier: 'silver' } } })), true);
  assert.equal(classDiffers(stored, fromHostClass({ ...hostClass, allowVolumeExpansion: false })), true);
  assert.equal(classDiffers({ ...stored, mountOptions: ['ro'] }, want), true, 'a field the tenant added goes');
  // An update keeps the stored identity and takes the wanted data.
  const next = withClassData({ ...stored, metadata: { ...stored.metadata, labels: { tier: 'tin', [FROM_HOST_LABEL]: 'true' } }, parameters: { type: 'x' } }, want);
  assert.equal(next.metadata.uid, 'v-1');
  assert.equal(next.metadata.resourceVersion, '3');
  assert.deepEqual(next.metadata.labels, want.metadata.labels);
  assert.deepEqual(next['parameters'], { type: 'ssd' });
});

test('host objects another virtual cluster synced there are not the host\'s own', () => {
  assert.equal(isSyncedToHost({ metadata: { name: 'p-x-a', labels: { 'kubevisor.dev/vcluster': 'a' } } }), true);
  assert.equal(isSyncedToHost(hostClass), false);
});
