import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DAY, HOUR, MINUTE, NOW, SECOND, ago, header, narrow, obj } from './testing.ts';
import {
  controllerRevisionTable, cronJobTable, daemonSetTable, deploymentTable, jobTable, replicaSetTable,
  replicationControllerTable, statefulSetTable,
} from './workloads.ts';

const template = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', image: 'nginx:1.27' }, { name: 'metrics', image: 'exporter:2' }] },
};
const selector = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'track', operator: 'In', values: ['stable'] }] };

test('deployment', () => {
  assert.deepEqual(header(deploymentTable), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers*', 'Images*', 'Selector*']);
  const d = obj('web', 10 * MINUTE, {
    spec: { replicas: 3, selector, template },
    status: { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
  });
  assert.deepEqual(deploymentTable.cells(d, NOW), [
    'web', '2/3', 3, 2, '10m', 'app,metrics', 'nginx:1.27,exporter:2', 'app=web,track in (stable)',
  ]);
  const fresh = obj('api', 5 * SECOND, { spec: { template } });
  assert.deepEqual(deploymentTable.cells(fresh, NOW), ['api', '0/1', 0, 0, '5s', 'app,metrics', 'nginx:1.27,exporter:2', '']);
  const bad = obj('bad', HOUR, { spec: { replicas: 0, selector: { matchExpressions: [{ key: 'a', operator: 'Bogus' }] }, template } });
  assert.deepEqual(deploymentTable.cells(bad, NOW).slice(1, 2).concat(deploymentTable.cells(bad, NOW).slice(7)), ['0/0', '<invalid>']);
});

test('replica set and replication controller', () => {
  assert.deepEqual(header(replicaSetTable), ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers*', 'Images*', 'Selector*']);
  assert.deepEqual(replicaSetTable.columns.map((c) => c.type).slice(1, 4), ['integer', 'integer', 'integer']);
  const rs = obj('web-7d4b9c', 2 * DAY + 3 * HOUR, {
    spec: { replicas: 3, selector: { matchLabels: { app: 'web', 'pod-template-hash': '7d4b9c' } }, template },
    status: { replicas: 3, readyReplicas: 1 },
  });
  assert.deepEqual(replicaSetTable.cells(rs, NOW), [
    'web-7d4b9c', 3, 3, 1, '2d3h', 'app,metrics', 'nginx:1.27,exporter:2', 'app=web,pod-template-hash=7d4b9c',
  ]);
  const rc = obj('legacy', 30 * DAY, { spec: { replicas: 2, selector: { app: 'legacy' }, template }, status: { replicas: 2, readyReplicas: 2 } });
  assert.deepEqual(header(replicationControllerTable), header(replicaSetTable));
  assert.deepEqual(replicationControllerTable.cells(rc, NOW), ['legacy', 2, 2, 2, '30d', 'app,metrics', 'nginx:1.27,exporter:2', 'app=legacy']);
});

test('stateful set', () => {
  assert.deepEqual(header(statefulSetTable), ['Name', 'Ready', 'Age', 'Containers*', 'Images*']);
  const ss = obj('db', 400 * DAY, { spec: { replicas: 3, template }, status: { replicas: 3, readyReplicas: 3 } });
  assert.deepEqual(statefulSetTable.cells(ss, NOW), ['db', '3/3', '400d', 'app,metrics', 'nginx:1.27,exporter:2']);
});

test('daemon set', () => {
  assert.deepEqual(header(daemonSetTable), [
    'Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', 'Containers*', 'Images*', 'Selector*',
  ]);
  const ds = obj('kube-proxy', 3 * HOUR + 30 * MINUTE, {
    spec: { selector: { matchLabels: { k8s: 'proxy' } }, template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.33.0' }] } } },
    status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
  });
  assert.deepEqual(daemonSetTable.cells(ds, NOW), [
    'kube-proxy', 3, 3, 2, 3, 2, 'kubernetes.io/os=linux', '3h30m', 'kube-proxy', 'registry.k8s.io/kube-proxy:v1.33.0', 'k8s=proxy',
  ]);
  const plain = obj('agent', HOUR, { spec: { template: { spec: { containers: [] } } }, status: {} });
  assert.deepEqual(narrow(daemonSetTable, plain), ['agent', 0, 0, 0, 0, 0, '<none>', '60m']);
});

test('job', () => {
  assert.deepEqual(header(jobTable), ['Name', 'Status', 'Completions', 'Duration', 'Age', 'Containers*', 'Images*', 'Selector*']);
  const jobTemplate = { spec: { containers: [{ name: 'pi', image: 'perl:5' }] } };
  const done = obj('pi', 10 * MINUTE, {
    spec: { completions: 1, parallelism: 1, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'abc' } }, template: jobTemplate },
    status: {
      succeeded: 1, startTime: ago(10 * MINUTE), completionTime: ago(10 * MINUTE - 47 * SECOND),
      conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }],
    },
  });
  assert.deepEqual(jobTable.cells(done, NOW), ['pi', 'Complete', '1/1', '47s', '10m', 'pi', 'perl:5', 'batch.kubernetes.io/controller-uid=abc']);

  const runningJob = (spec: Record<string, unknown>, status: Record<string, unknown> = {}, meta = {}) =>
    narrow(jobTable, obj('work', 5 * MINUTE, { spec: { template: jobTemplate, ...spec }, status }, meta));
  assert.deepEqual(runningJob({ completions: 5, parallelism: 2 }, { succeeded: 2, active: 2, startTime: ago(3 * MINUTE + 4 * SECOND) }),
    ['work', 'Running', '2/5', '3m4s', '5m']);
  assert.deepEqual(runningJob({ parallelism: 3 }), ['work', 'Running', '0/1 of 3', '', '5m']);
  assert.deepEqual(runningJob({ parallelism: 1 }), ['work', 'Running', '0/1', '', '5m']);
  assert.deepEqual(runningJob({ completions: 1 }, { failed: 6, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] }).slice(1, 3), ['Failed', '0/1']);
  assert.equal(runningJob({}, { conditions: [{ type: 'Suspended', status: 'True' }] })[1], 'Suspended');
  assert.equal(runningJob({}, { conditions: [{ type: 'FailureTarget', status: 'True' }] })[1], 'FailureTarget');
  assert.equal(runningJob({}, { conditions: [{ type: 'Suspended', status: 'False' }] })[1], 'Running');
  assert.equal(runningJob({}, {}, { deletionTimestamp: ago(SECOND) })[1], 'Terminating');
});

test('cron job', () => {
  assert.deepEqual(header(cronJobTable), [
    'Name', 'Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age', 'Containers*', 'Images*', 'Selector*',
  ]);
  const cj = obj('backup', 3 * DAY, {
    spec: {
      schedule: '*/5 * * * *', suspend: false,
      jobTemplate: { spec: { template: { spec: { containers: [{ name: 'backup', image: 'restic:0.16' }] } } } },
    },
    status: { active: [{ kind: 'Job', name: 'backup-28571234' }], lastScheduleTime: ago(2 * MINUTE + 10 * SECOND) },
  });
  assert.deepEqual(cronJobTable.cells(cj, NOW), ['backup', '*/5 * * * *', '<none>', 'False', 1, '2m10s', '3d', 'backup', 'restic:0.16', '<none>']);
  const never = obj('report', HOUR, { spec: { schedule: '0 3 * * *', timeZone: 'Europe/Berlin', suspend: true, jobTemplate: { spec: {} } } });
  assert.deepEqual(narrow(cronJobTable, never), ['report', '0 3 * * *', 'Europe/Berlin', 'True', 0, '<none>', '60m']);
  const unset = obj('x', HOUR, { spec: { schedule: '@daily', jobTemplate: {} } });
  assert.equal(narrow(cronJobTable, unset)[3], '<unset>');
});

test('controller revision', () => {
  assert.deepEqual(header(controllerRevisionTable), ['Name', 'Controller', 'Revision', 'Age']);
  const cr = obj('db-6c9f7b8d5', DAY, { revision: 4 }, {
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'u1', controller: true }],
  });
  assert.deepEqual(controllerRevisionTable.cells(cr, NOW), ['db-6c9f7b8d5', 'statefulset.apps/db', 4, '24h']);
  const core = obj('rev', DAY, { revision: 1 }, { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u2', controller: true }] });
  assert.equal(controllerRevisionTable.cells(core, NOW)[1], 'pod/p');
  assert.equal(controllerRevisionTable.cells(obj('orphan', DAY, { revision: 2 }), NOW)[1], '<none>');
});
