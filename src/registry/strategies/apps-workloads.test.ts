import { test } from 'node:test';
import assert from 'node:assert/strict';
import { daemonSetStrategy } from './apps-daemonset.ts';
import { replicaSetStrategy } from './apps-replicaset.ts';
import { statefulSetStrategy } from './apps-statefulset.ts';
import { replicationControllerStrategy } from './core-replicationcontroller.ts';
import { podTemplateStrategy } from './core-podtemplate.ts';
import { clone, messages, runCreate, runUpdate } from './testing.ts';

const template = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } };
const selector = { matchLabels: { app: 'x' } };

test('ReplicaSet: replicas default, selector rules reuse the Deployment wording', () => {
  const { obj, errors } = runCreate(replicaSetStrategy, { metadata: { name: 'rs' }, spec: { selector, template } }, { namespace: 'd' });
  assert.deepEqual(errors, []);
  assert.equal((obj.spec as any).replicas, 1);
  assert.deepEqual(obj.status, { replicas: 0 });
  assert.deepEqual(messages(runCreate(replicaSetStrategy, { metadata: { name: 'rs' }, spec: { selector: {}, template } }, { namespace: 'd' }).errors),
    ['spec.selector: Invalid value: {}: empty selector is invalid for deployment']);
});

test('StatefulSet: defaults, DNS-label names, restricted updates', () => {
  const ss = { metadata: { name: 'db' }, spec: { serviceName: 'db', selector, template,
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] } };
  const { obj, errors } = runCreate(statefulSetStrategy, ss, { namespace: 'd' });
  assert.deepEqual(errors, []);
  const spec = obj.spec as any;
  assert.equal(spec.podManagementPolicy, 'OrderedReady');
  assert.deepEqual(spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  assert.deepEqual(spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
  assert.equal(spec.replicas, 1);
  assert.equal(spec.revisionHistoryLimit, 10);
  assert.deepEqual(spec.volumeClaimTemplates[0], { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' }, status: { phase: 'Pending' } });
  const dotted = clone(ss) as any;
  dotted.metadata.name = 'db.v1';
  assert.deepEqual(messages(runCreate(statefulSetStrategy, dotted, { namespace: 'd' }).errors), ['metadata.name: Invalid value: "db.v1": must not contain dots']);
  const next = clone(obj) as any;
  next.spec.replicas = 3;
  assert.deepEqual(runUpdate(statefulSetStrategy, next, obj).errors, []);
  next.spec.serviceName = 'other';
  assert.deepEqual(messages(runUpdate(statefulSetStrategy, next, obj).errors),
    ["spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"]);
});

test('DaemonSet: update strategy defaults and the template generation annotation', () => {
  const ds = { metadata: { name: 'agent' }, spec: { selector, template } };
  const { obj, errors } = runCreate(daemonSetStrategy, ds, { namespace: 'd' });
  assert.deepEqual(errors, []);
  assert.deepEqual((obj.spec as any).updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  assert.equal((obj.spec as any).revisionHistoryLimit, 10);
  assert.deepEqual(obj.metadata.annotations, { 'deprecated.daemonset.template.generation': '1' });
  const next = clone(obj) as any;
  next.spec.template.spec.containers[0].image = 'busybox:1.37';
  assert.equal(runUpdate(daemonSetStrategy, next, obj).obj.metadata.annotations?.['deprecated.daemonset.template.generation'], '2');
  const both = clone(ds) as any;
  both.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } };
  assert.deepEqual(messages(runCreate(daemonSetStrategy, both, { namespace: 'd' }).errors),
    ['spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero']);
});

test('ReplicationController: selector and labels default from the template', () => {
  const { obj, errors } = runCreate(replicationControllerStrategy, { metadata: { name: 'rc' }, spec: { template } }, { namespace: 'd' });
  assert.deepEqual(errors, []);
  assert.deepEqual((obj.spec as any).selector, { app: 'x' });
  assert.deepEqual(obj.metadata.labels, { app: 'x' });
  assert.equal((obj.spec as any).replicas, 1);
  const bad = { metadata: { name: 'rc' }, spec: { selector: { app: 'y' }, template } };
  assert.deepEqual(messages(runCreate(replicationControllerStrategy, bad, { namespace: 'd' }).errors),
    ['spec.template.metadata.labels: Invalid value: {"app":"x"}: `selector` does not match template `labels`']);
});

test('PodTemplate: template defaults and validation at template.*', () => {
  const { obj, errors } = runCreate(podTemplateStrategy, { metadata: { name: 'pt' }, template: { spec: { containers: [{ name: 'c' }] } } }, { namespace: 'd' });
  assert.deepEqual(messages(errors), ['template.spec.containers[0].image: Required value']);
  assert.equal((obj.template as any).spec.restartPolicy, 'Always');
  assert.deepEqual(podTemplateStrategy.specFields, ['template']);
});
