import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  csiDriverTable, csiNodeTable, csiStorageCapacityTable, persistentVolumeClaimTable, persistentVolumeTable,
  storageClassTable, volumeAttachmentTable, volumeAttributesClassTable,
} from './storage.ts';
import { DAY, HOUR, MINUTE, NOW, ago, header, obj } from './testing.ts';

test('persistent volume', () => {
  assert.deepEqual(header(persistentVolumeTable), [
    'Name', 'Capacity', 'Access Modes', 'Reclaim Policy', 'Status', 'Claim', 'StorageClass', 'VolumeAttributesClass', 'Reason', 'Age', 'VolumeMode*',
  ]);
  const pv = obj('pvc-5f1e', 6 * DAY, {
    spec: {
      capacity: { storage: '10240Mi' }, accessModes: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete', storageClassName: 'standard', volumeMode: 'Filesystem',
      claimRef: { kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data-db-0' },
    },
    status: { phase: 'Bound' },
  }, { namespace: undefined });
  assert.deepEqual(persistentVolumeTable.cells(pv, NOW), [
    'pvc-5f1e', '10Gi', 'RWO,ROX', 'Delete', 'Bound', 'default/data-db-0', 'standard', '<unset>', '', '6d', 'Filesystem',
  ]);
  const released = obj('manual', HOUR, {
    spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOncePod', 'ReadWriteMany'], persistentVolumeReclaimPolicy: 'Retain', volumeAttributesClassName: 'gold' },
    status: { phase: 'Failed', reason: 'VolumeFailedRecycle' },
  }, { annotations: { 'volume.beta.kubernetes.io/storage-class': 'legacy' }, deletionTimestamp: ago(MINUTE) });
  assert.deepEqual(persistentVolumeTable.cells(released, NOW), [
    'manual', '1Gi', 'RWX,RWOP', 'Retain', 'Terminating', '', 'legacy', 'gold', 'VolumeFailedRecycle', '60m', '<unset>',
  ]);
});

test('persistent volume claim', () => {
  assert.deepEqual(header(persistentVolumeClaimTable), [
    'Name', 'Status', 'Volume', 'Capacity', 'Access Modes', 'StorageClass', 'VolumeAttributesClass', 'Age', 'VolumeMode*',
  ]);
  const bound = obj('data-db-0', 6 * DAY, {
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } }, storageClassName: 'standard', volumeName: 'pvc-5f1e', volumeMode: 'Filesystem' },
    status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '5Gi' } },
  });
  assert.deepEqual(persistentVolumeClaimTable.cells(bound, NOW), ['data-db-0', 'Bound', 'pvc-5f1e', '5Gi', 'RWO', 'standard', '<unset>', '6d', 'Filesystem']);
  const pending = obj('scratch', 2 * MINUTE, { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Pending' } });
  assert.deepEqual(persistentVolumeClaimTable.cells(pending, NOW), ['scratch', 'Pending', '', '', '', '', '<unset>', '2m', '<unset>']);
});

test('storage class', () => {
  assert.deepEqual(header(storageClassTable), ['Name', 'Provisioner', 'ReclaimPolicy', 'VolumeBindingMode', 'AllowVolumeExpansion', 'Age']);
  const sc = obj('standard', 20 * DAY, {
    provisioner: 'rancher.io/local-path', reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer',
  }, { namespace: undefined, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } });
  assert.deepEqual(storageClassTable.cells(sc, NOW), ['standard (default)', 'rancher.io/local-path', 'Delete', 'WaitForFirstConsumer', false, '20d']);
  const other = obj('fast', 20 * DAY, { provisioner: 'csi.example.com', allowVolumeExpansion: true }, { annotations: { 'storageclass.beta.kubernetes.io/is-default-class': 'false' } });
  assert.deepEqual(storageClassTable.cells(other, NOW), ['fast', 'csi.example.com', 'Delete', 'Immediate', true, '20d']);
});

test('volume attributes class', () => {
  assert.deepEqual(header(volumeAttributesClassTable), ['Name', 'DriverName', 'Age']);
  assert.deepEqual(volumeAttributesClassTable.cells(obj('gold', DAY, { driverName: 'csi.example.com' }), NOW), ['gold', 'csi.example.com', '24h']);
});

test('CSI driver', () => {
  assert.deepEqual(header(csiDriverTable), [
    'Name', 'AttachRequired', 'PodInfoOnMount', 'StorageCapacity', 'TokenRequests', 'RequiresRepublish', 'Modes', 'Age',
  ]);
  const d = obj('csi.example.com', 3 * DAY, {
    spec: { attachRequired: false, podInfoOnMount: true, volumeLifecycleModes: ['Persistent', 'Ephemeral'], tokenRequests: [{ audience: 'vault' }, { audience: 'gcp' }], requiresRepublish: true },
  });
  assert.deepEqual(csiDriverTable.cells(d, NOW), ['csi.example.com', false, true, false, 'vault,gcp', true, 'Persistent,Ephemeral', '3d']);
  assert.deepEqual(csiDriverTable.cells(obj('plain', 3 * DAY, { spec: {} }), NOW), ['plain', true, false, false, '<unset>', false, '<none>', '3d']);
});

test('CSI node, storage capacity, volume attachment', () => {
  assert.deepEqual(header(csiNodeTable), ['Name', 'Drivers', 'Age']);
  assert.deepEqual(csiNodeTable.cells(obj('node-1', DAY, { spec: { drivers: [{ name: 'a' }, { name: 'b' }] } }), NOW), ['node-1', 2, '24h']);

  assert.deepEqual(header(csiStorageCapacityTable), ['Name', 'StorageClassName', 'Capacity']);
  assert.deepEqual(csiStorageCapacityTable.cells(obj('csisc-x', DAY, { storageClassName: 'standard', capacity: '102400Mi' }), NOW), ['csisc-x', 'standard', '100Gi']);
  assert.deepEqual(csiStorageCapacityTable.cells(obj('csisc-y', DAY, { storageClassName: 'standard' }), NOW), ['csisc-y', 'standard', '<unset>']);

  assert.deepEqual(header(volumeAttachmentTable), ['Name', 'Attacher', 'PV', 'Node', 'Attached', 'Age']);
  assert.equal(volumeAttachmentTable.columns[1]!.format, 'name');
  const va = obj('csi-123', 10 * MINUTE, {
    spec: { attacher: 'csi.example.com', source: { persistentVolumeName: 'pvc-5f1e' }, nodeName: 'node-1' },
    status: { attached: true },
  });
  assert.deepEqual(volumeAttachmentTable.cells(va, NOW), ['csi-123', 'csi.example.com', 'pvc-5f1e', 'node-1', true, '10m']);
});
