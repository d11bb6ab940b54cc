import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeStrategy } from './core-node.ts';
import { pvStrategy } from './core-pv.ts';
import { pvcStrategy } from './core-pvc.ts';
import { clone, messages, runCreate, runUpdate } from './testing.ts';

const pvc = { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'standard', resources: { requests: { storage: '1.5Gi' } } } };

test('PVC defaults and required fields', () => {
  const { obj, errors } = runCreate(pvcStrategy, pvc, { namespace: 'd' });
  assert.deepEqual(errors, []);
  assert.deepEqual(obj.spec, { accessModes: ['ReadWriteOnce'], storageClassName: 'standard', resources: { requests: { storage: '1536Mi' } }, volumeMode: 'Filesystem' });
  assert.deepEqual(obj.status, { phase: 'Pending' });
  assert.deepEqual(messages(runCreate(pvcStrategy, { metadata: { name: 'x' }, spec: { accessModes: ['ReadWriteAlways'], resources: { requests: { storage: '0' } } } }, { namespace: 'd' }).errors), [
    'spec.accessModes: Unsupported value: "ReadWriteAlways": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
    'spec.resources[storage]: Invalid value: "0": must be greater than zero',
  ]);
});

test('PVC update: spec is immutable except the request of a bound claim', () => {
  const { obj: old } = runCreate(pvcStrategy, pvc, { namespace: 'd' });
  const grown = clone(old) as any;
  grown.spec.resources.requests.storage = '2Gi';
  const errs = runUpdate(pvcStrategy, grown, old).errors;
  assert.equal(errs.length, 1);
  assert.equal(errs[0]?.field, 'spec');
  assert.ok(errs[0]?.detail?.startsWith('spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n'));
  const bound = clone(old) as any;
  bound.status = { phase: 'Bound', capacity: { storage: '1536Mi' } };
  const grownBound = clone(bound);
  grownBound.spec.resources.requests.storage = '2Gi';
  assert.deepEqual(runUpdate(pvcStrategy, grownBound, bound).errors, []);
  const bindVolume = clone(old) as any;
  bindVolume.spec.volumeName = 'pv-1';
  assert.deepEqual(runUpdate(pvcStrategy, bindVolume, old).errors, []);
});

const pv = { metadata: { name: 'pv-1' }, spec: { capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'], nfs: { server: 'nfs.local', path: '/exports' } } };

test('PV defaults and checks', () => {
  const { obj, errors } = runCreate(pvStrategy, pv);
  assert.deepEqual(errors, []);
  const spec = obj.spec as any;
  assert.equal(spec.persistentVolumeReclaimPolicy, 'Retain');
  assert.equal(spec.volumeMode, 'Filesystem');
  assert.equal((obj.status as any).phase, 'Pending');
  assert.match((obj.status as any).lastPhaseTransitionTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.deepEqual(messages(runCreate(pvStrategy, { metadata: { name: 'p' }, spec: { accessModes: ['ReadWriteOnce'] } }).errors), [
    'spec.capacity: Required value',
    'spec.capacity: Unsupported value: null: supported values: "storage"',
    'spec: Required value: must specify a volume type',
  ]);
  const { obj: old } = runCreate(pvStrategy, pv);
  const moved = clone(old) as any;
  moved.spec.nfs.path = '/other';
  const errs = runUpdate(pvStrategy, moved, old).errors;
  assert.equal(errs.length, 1);
  assert.equal(errs[0]?.field, 'spec.persistentvolumesource');
  assert.ok(errs[0]?.detail?.startsWith('spec.persistentvolumesource is immutable after creation\n'));
});

test('Node: allocatable from capacity, taints, pod CIDRs', () => {
  const { obj, errors } = runCreate(nodeStrategy, { metadata: { name: 'worker-1' }, spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] }, status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' } } });
  assert.deepEqual(errors, []);
  assert.deepEqual((obj.status as any).allocatable, { cpu: '4', memory: '8Gi', pods: '110' });
  assert.deepEqual((obj.status as any).daemonEndpoints, { kubeletEndpoint: { Port: 0 } });
  const tainted = runCreate(nodeStrategy, { metadata: { name: 'n' }, spec: { taints: [{ key: 'k', effect: 'Sometimes' }, { key: 'k', effect: 'Sometimes' }] } });
  assert.deepEqual(messages(tainted.errors), [
    'metadata.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
    'metadata.taints[1].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
    'metadata.taints[1]: Duplicate value: {"key":"k","effect":"Sometimes"}: taints must be unique by key and effect pair',
  ]);
  const next = clone(obj) as any;
  next.spec.podCIDRs = ['10.244.2.0/24'];
  assert.deepEqual(messages(runUpdate(nodeStrategy, next, obj).errors), ['spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid']);
});
