import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { isFromHost } from './from-host.ts';
import { claimRefOf, toVirtualVolume, volumeDiffers } from './volume.ts';

const hostPv: KubeObject = {
  apiVersion: 'v1', kind: 'PersistentVolume',
  metadata: {
    name: 'pvc-1234', uid: 'h', finalizers: ['kubernetes.io/pv-protection'],
    labels: { 'topology.kubernetes.io/zone': 'z1' }, annotations: { 'pv.kubernetes.io/provisioned-by': 'csi.example.com' },
  },
  spec: {
    capacity: { storage: '5Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'fast', volumeMode: 'Filesystem',
    persistentVolumeReclaimPolicy: 'Delete', csi: { driver: 'csi.example.com', volumeHandle: 'vol-1' },
    claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'tenants', name: 'data-x-shop-x-a', uid: 'hc', resourceVersion: '9' },
  },
  status: { phase: 'Bound' },
};
const claim = { namespace: 'shop', name: 'data', uid: 'vc' };

test('the virtual volume: the host volume\'s name and spec, bound to the virtual claim', () => {
  const v = toVirtualVolume(hostPv, claim);
  assert.equal(v.metadata.name, 'pvc-1234');
  assert.ok(isFromHost(v));
  assert.equal(v.metadata.labels?.['topology.kubernetes.io/zone'], 'z1');
  assert.equal(v.metadata.annotations?.['pv.kubernetes.io/provisioned-by'], 'csi.example.com');
  assert.equal(v.metadata.finalizers, undefined);
  const spec = v.spec as Record<string, unknown>;
  assert.deepEqual(spec.claimRef, { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'shop', name: 'data', uid: 'vc' });
  for (const f of ['capacity', 'accessModes', 'storageClassName', 'volumeMode', 'persistentVolumeReclaimPolicy', 'csi']) {
    assert.deepEqual(spec[f], (hostPv.spec as Record<string, unknown>)[f], f);
  }
  assert.deepEqual(v.status, { phase: 'Bound' });
  assert.equal(claimRefOf(hostPv)?.name, 'data-x-shop-x-a');
});

test('a stored virtual volume differs only when the host volume changed or its phase is not Bound', () => {
  const want = toVirtualVolume(hostPv, claim);
  const stored: KubeObject = { ...want, metadata: { ...want.metadata, uid: 'u', resourceVersion: '1' },
    spec: { ...(want.spec as object), claimRef: { ...claimRefOf(want), resourceVersion: '4' } }, status: { phase: 'Pending' } };
  assert.deepEqual(volumeDiffers(stored, want), { object: false, status: true });
  const grown = toVirtualVolume({ ...hostPv, spec: { ...(hostPv.spec as object), capacity: { storage: '10Gi' } } }, claim);
  assert.deepEqual(volumeDiffers({ ...stored, status: { phase: 'Bound' } }, grown), { object: true, status: false });
});
