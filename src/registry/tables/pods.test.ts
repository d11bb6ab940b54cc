import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { KubeObject } from '../../api/types.ts';
import { podTable, podTemplateTable } from './pods.ts';
import { DAY, HOUR, MINUTE, NOW, ago, header, obj } from './testing.ts';

const running = (startedAgo: number) => ({ running: { startedAt: ago(startedAgo) } });

function pod(fields: { spec?: Record<string, unknown>; status?: Record<string, unknown> }, meta = {}): KubeObject {
  return obj('web-7d4b9c-x2x9z', 2 * DAY + 3 * HOUR, {
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }], ...fields.spec },
    status: fields.status ?? {},
  }, meta);
}

function row(p: KubeObject) {
  const [name, ready, status, restarts, age] = podTable.cells(p, NOW);
  return { name, ready, status, restarts, age };
}

test('pod columns', () => {
  assert.deepEqual(header(podTable), [
    'Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP*', 'Node*', 'Nominated Node*', 'Readiness Gates*',
  ]);
  assert.deepEqual(podTable.columns.map((c) => c.type), ['string', 'string', 'string', 'string', 'string', 'string', 'string', 'string', 'string']);
  assert.equal(podTable.columns[0]!.format, 'name');
});

test('running pod with one of two containers ready, all cells', () => {
  const p = pod({
    spec: {
      nodeName: 'node-1',
      containers: [{ name: 'app', image: 'nginx' }, { name: 'log', image: 'fluentbit' }],
      readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }],
    },
    status: {
      phase: 'Running',
      podIP: '10.244.1.7',
      podIPs: [{ ip: '10.244.1.7' }, { ip: 'fd00::7' }],
      conditions: [
        { type: 'Ready', status: 'False' },
        { type: 'example.com/lb', status: 'True' },
        { type: 'example.com/dns', status: 'False' },
      ],
      containerStatuses: [
        { name: 'app', ready: true, restartCount: 0, state: running(HOUR) },
        { name: 'log', ready: false, restartCount: 0, state: running(HOUR) },
      ],
    },
  });
  assert.deepEqual(podTable.cells(p, NOW), [
    'web-7d4b9c-x2x9z', '1/2', 'Running', '0', '2d3h', '10.244.1.7', 'node-1', '<none>', '1/2',
  ]);
});

test('pending pod without status shows <none> wide cells', () => {
  const p = pod({ status: { phase: 'Pending' } });
  assert.deepEqual(podTable.cells(p, NOW), [
    'web-7d4b9c-x2x9z', '0/1', 'Pending', '0', '2d3h', '<none>', '<none>', '<none>', '<none>',
  ]);
});

test('pod IP falls back to podIPs, nominated node is shown', () => {
  const p = pod({ status: { phase: 'Pending', podIPs: [{ ip: '10.0.0.9' }], nominatedNodeName: 'node-2' } });
  assert.deepEqual(podTable.cells(p, NOW).slice(5), ['10.0.0.9', '<none>', 'node-2', '<none>']);
});

test('crash-looping container: reason and restarts with time of last restart', () => {
  const p = pod({
    status: {
      phase: 'Running',
      containerStatuses: [{
        name: 'app', ready: false, restartCount: 5,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container' } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: ago(4 * MINUTE), finishedAt: ago(3 * MINUTE + 4_000) } },
      }],
    },
  });
  assert.deepEqual(row(p), { name: 'web-7d4b9c-x2x9z', ready: '0/1', status: 'CrashLoopBackOff', restarts: '5 (3m4s ago)', age: '2d3h' });
});

test('restarts without a known termination time have no suffix', () => {
  const p = pod({
    status: { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 2, state: running(MINUTE) }] },
  });
  assert.deepEqual(row(p), { name: 'web-7d4b9c-x2x9z', ready: '1/1', status: 'Running', restarts: '2', age: '2d3h' });
});

test('waiting container reasons: ContainerCreating, ImagePullBackOff', () => {
  for (const reason of ['ContainerCreating', 'ImagePullBackOff', 'ErrImagePull', 'CreateContainerConfigError']) {
    const p = pod({ status: { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason } } }] } });
    assert.equal(row(p).status, reason);
  }
});

test('terminated containers: reason, exit code, signal; first container wins', () => {
  const term = (t: Record<string, unknown>) => ({ name: 'x', ready: false, restartCount: 0, state: { terminated: t } });
  assert.equal(row(pod({ status: { phase: 'Failed', containerStatuses: [term({ exitCode: 137, reason: 'OOMKilled' })] } })).status, 'OOMKilled');
  assert.equal(row(pod({ status: { phase: 'Failed', containerStatuses: [term({ exitCode: 2 })] } })).status, 'ExitCode:2');
  assert.equal(row(pod({ status: { phase: 'Failed', containerStatuses: [term({ exitCode: 0, signal: 9 })] } })).status, 'Signal:9');
  const two = pod({
    spec: { containers: [{ name: 'a' }, { name: 'b' }] },
    status: { phase: 'Failed', containerStatuses: [term({ exitCode: 1, reason: 'Error' }), term({ exitCode: 0, reason: 'Completed' })] },
  });
  assert.equal(row(two).status, 'Error');
});

test('completed pod', () => {
  const p = pod({
    status: {
      phase: 'Succeeded',
      containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
    },
  });
  assert.deepEqual(row(p), { name: 'web-7d4b9c-x2x9z', ready: '0/1', status: 'Completed', restarts: '0', age: '2d3h' });
});

test('a completed container beside a running one reads Running or NotReady', () => {
  const statuses = [
    { name: 'job', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
    { name: 'proxy', ready: true, restartCount: 0, state: running(HOUR) },
  ];
  const spec = { containers: [{ name: 'job' }, { name: 'proxy' }] };
  const ready = pod({ spec, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: statuses } });
  const notReady = pod({ spec, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: statuses } });
  assert.deepEqual([row(ready).ready, row(ready).status], ['1/2', 'Running']);
  assert.deepEqual([row(notReady).ready, row(notReady).status], ['1/2', 'NotReady']);
});

const twoInits = { initContainers: [{ name: 'migrate', image: 'tool' }, { name: 'seed', image: 'tool' }] };
const initDone = { name: 'migrate', ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } };

test('init containers: progress', () => {
  const first = pod({
    spec: twoInits,
    status: {
      phase: 'Pending',
      initContainerStatuses: [
        { name: 'migrate', ready: false, restartCount: 0, state: running(MINUTE) },
        { name: 'seed', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } },
      ],
      containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
    },
  });
  assert.deepEqual(row(first), { name: 'web-7d4b9c-x2x9z', ready: '0/1', status: 'Init:0/2', restarts: '0', age: '2d3h' });
  const second = pod({
    spec: twoInits,
    status: {
      phase: 'Pending',
      initContainerStatuses: [initDone, { name: 'seed', ready: false, restartCount: 0, state: running(MINUTE) }],
    },
  });
  assert.equal(row(second).status, 'Init:1/2');
});

test('init containers: failures', () => {
  const failing = (state: Record<string, unknown>, restartCount = 0, lastState = {}) => pod({
    spec: twoInits,
    status: {
      phase: 'Pending',
      initContainerStatuses: [initDone, { name: 'seed', ready: false, restartCount, state, lastState }],
    },
  });
  const crash = failing({ waiting: { reason: 'CrashLoopBackOff' } }, 3, { terminated: { exitCode: 1, finishedAt: ago(90_000) } });
  assert.deepEqual(row(crash), { name: 'web-7d4b9c-x2x9z', ready: '0/1', status: 'Init:CrashLoopBackOff', restarts: '3 (90s ago)', age: '2d3h' });
  assert.equal(row(failing({ terminated: { exitCode: 1, reason: 'Error' } })).status, 'Init:Error');
  assert.equal(row(failing({ terminated: { exitCode: 3 } })).status, 'Init:ExitCode:3');
  assert.equal(row(failing({ terminated: { exitCode: 143, signal: 15 } })).status, 'Init:Signal:15');
});

test('sidecar (restartable init container) counts toward READY', () => {
  const p = pod({
    spec: { initContainers: [{ name: 'mesh', image: 'envoy', restartPolicy: 'Always' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }],
      initContainerStatuses: [{
        name: 'mesh', ready: true, started: true, restartCount: 1, state: running(HOUR),
        lastState: { terminated: { exitCode: 1, finishedAt: ago(HOUR + 10 * MINUTE) } },
      }],
      containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running(HOUR) }],
    },
  });
  assert.deepEqual(row(p), { name: 'web-7d4b9c-x2x9z', ready: '2/2', status: 'Running', restarts: '1 (70m ago)', age: '2d3h' });
});

test('terminating pod', () => {
  const p = pod({
    status: { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running(HOUR) }] },
  }, { deletionTimestamp: ago(10_000), deletionGracePeriodSeconds: 30 });
  assert.deepEqual(row(p), { name: 'web-7d4b9c-x2x9z', ready: '1/1', status: 'Terminating', restarts: '0', age: '2d3h' });
  const done = pod({ status: { phase: 'Succeeded' } }, { deletionTimestamp: ago(10_000) });
  assert.equal(row(done).status, 'Succeeded');
});

test('pods on a lost node', () => {
  const status = { phase: 'Running', reason: 'NodeLost', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running(HOUR) }] };
  assert.equal(row(pod({ status })).status, 'NodeLost');
  assert.equal(row(pod({ status }, { deletionTimestamp: ago(MINUTE) })).status, 'Unknown');
});

test('evicted and scheduling-gated pods', () => {
  assert.equal(row(pod({ status: { phase: 'Failed', reason: 'Evicted', message: 'low on memory' } })).status, 'Evicted');
  const gated = pod({
    spec: { schedulingGates: [{ name: 'example.com/quota' }] },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] },
  });
  assert.equal(row(gated).status, 'SchedulingGated');
});

test('pod template', () => {
  const t = obj('web', HOUR, {
    template: {
      metadata: { labels: { app: 'web', tier: 'front' } },
      spec: { containers: [{ name: 'app', image: 'nginx' }, { name: 'log', image: 'fluentbit:3' }] },
    },
  });
  assert.deepEqual(header(podTemplateTable), ['Name', 'Containers', 'Images', 'Pod Labels']);
  assert.deepEqual(podTemplateTable.cells(t, NOW), ['web', 'app,log', 'nginx,fluentbit:3', 'app=web,tier=front']);
});
