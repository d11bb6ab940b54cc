import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { isManagedBy } from './markers.ts';
import { fromHostPVC, toHostConfigMap, toHostPVC, toHostSecret } from './objects.ts';

const target = { vcluster: 'team-a', hostNamespace: 'tenants' };

test('config maps: renamed, marked, data unchanged', () => {
  const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'frontend-config', namespace: 'shop', uid: 'c' },
    data: { mode: 'prod', 'nginx.conf': 'server {}' }, binaryData: { logo: 'iVBORw0K' }, immutable: true };
  const h = toHostConfigMap(cm, target);
  assert.equal(h.metadata.name, 'frontend-config-x-shop-x-team-a');
  assert.equal(h.metadata.namespace, 'tenants');
  assert.deepEqual(h['data'], cm['data']);
  assert.deepEqual(h['binaryData'], cm['binaryData']);
  assert.equal(h['immutable'], true);
  assert.ok(isManagedBy(h, 'team-a', 'ConfigMap'));
});

test('secrets keep their type and data; service-account tokens become Opaque', () => {
  const tls: KubeObject = { metadata: { name: 'frontend-tls', namespace: 'shop' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'Y3J0', 'tls.key': 'a2V5' } };
  const h = toHostSecret(tls, target);
  assert.equal(h['type'], 'kubernetes.io/tls');
  assert.deepEqual(h['data'], tls['data']);
  const sa: KubeObject = {
    metadata: { name: 'legacy-token', namespace: 'shop', annotations: { 'kubernetes.io/service-account.name': 'builder', 'kubernetes.io/service-account.uid': 'u' } },
    type: 'kubernetes.io/service-account-token', data: { token: 'dA==', 'ca.crt': 'Y2E=', namespace: 'c2hvcA==' },
  };
  const hs = toHostSecret(sa, target);
  assert.equal(hs['type'], 'Opaque');
  assert.deepEqual(hs['data'], sa['data']);
  assert.equal(hs.metadata.annotations!['kubernetes.io/service-account.name'], undefined);
});

test('claims: storage class kept, volume and binding dropped, clone source renamed; status back', () => {
  const pvc: KubeObject = {
    metadata: { name: 'frontend-data', namespace: 'shop', annotations: { 'pv.kubernetes.io/bind-completed': 'yes', 'volume.kubernetes.io/selected-node': 'v-node' } },
    spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'fast', volumeName: 'pv-virtual', resources: { requests: { storage: '1Gi' } },
      dataSource: { kind: 'PersistentVolumeClaim', name: 'seed' } },
    status: { phase: 'Bound' },
  };
  const h = toHostPVC(pvc, target);
  const spec = h.spec as Record<string, unknown>;
  assert.equal(h.metadata.name, 'frontend-data-x-shop-x-team-a');
  assert.equal(spec['storageClassName'], 'fast');
  assert.equal(spec['volumeName'], undefined);
  assert.deepEqual(spec['dataSource'], { kind: 'PersistentVolumeClaim', name: 'seed-x-shop-x-team-a' });
  assert.equal(h.status, undefined);
  assert.equal(h.metadata.annotations!['volume.kubernetes.io/selected-node'], undefined);
  assert.equal(h.metadata.annotations!['pv.kubernetes.io/bind-completed'], undefined);

  const bound: KubeObject = {
    metadata: { name: h.metadata.name, annotations: { 'pv.kubernetes.io/bind-completed': 'yes', 'volume.kubernetes.io/storage-provisioner': 'csi.example' } },
    spec: { ...spec, volumeName: 'pvc-1234' },
    status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } },
  };
  const back = fromHostPVC(bound);
  assert.equal(back.hostVolumeName, 'pvc-1234');
  assert.deepEqual(back.status, { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } });
  assert.deepEqual(back.annotations, { 'pv.kubernetes.io/bind-completed': 'yes', 'volume.kubernetes.io/storage-provisioner': 'csi.example' });
});
