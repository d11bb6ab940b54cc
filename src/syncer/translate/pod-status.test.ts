import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import type { PodStatus } from '../../nodes/api.ts';
import { fromHostPodStatus } from './pod-status.ts';

const T0 = '2024-05-01T10:00:00Z';
const T1 = '2024-05-01T10:00:05Z';

function hostPod(): KubeObject {
  return {
    metadata: { name: 'web-x-shop-x-vc', namespace: 'tenants', generation: 3 },
    spec: { nodeName: 'node-2' },
    status: {
      phase: 'Running', qosClass: 'Burstable', observedGeneration: 3,
      hostIP: '192.168.1.12', hostIPs: [{ ip: '192.168.1.12' }], podIP: '10.244.2.7', podIPs: [{ ip: '10.244.2.7' }], startTime: T0,
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: T0, observedGeneration: 3 },
        { type: 'Initialized', status: 'True', lastTransitionTime: T0 },
        { type: 'ContainersReady', status: 'True', lastTransitionTime: T1 },
        { type: 'Ready', status: 'True', lastTransitionTime: T1 },
      ],
      containerStatuses: [{ name: 'web', ready: true, restartCount: 0, image: 'nginx:1.27', imageID: 'sha256:abc', state: { running: { startedAt: T1 } } }],
      resourceClaimStatuses: [{ name: 'gpu', resourceClaimName: 'host-claim' }],
    },
  };
}

function virtualPod(extra: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name: 'web', namespace: 'shop', generation: 1 },
    spec: { containers: [{ name: 'web' }], ...extra },
    status: { phase: 'Pending', qosClass: 'BestEffort', conditions: [{ type: 'DisruptionTarget', status: 'False', lastTransitionTime: T0 }] },
  };
}

test('host status flows back; virtual QoS and virtual-only conditions are kept', () => {
  const { status, bindNode, nodeConflict } = fromHostPodStatus(hostPod(), virtualPod());
  assert.equal(status.phase, 'Running');
  assert.equal(status.podIP, '10.244.2.7');
  assert.deepEqual(status.podIPs, [{ ip: '10.244.2.7' }]);
  assert.equal(status.hostIP, '192.168.1.12');
  assert.equal(status.startTime, T0);
  assert.equal(status.qosClass, 'BestEffort');
  assert.equal(status.containerStatuses![0].ready, true);
  assert.equal(status['resourceClaimStatuses'], undefined);
  assert.deepEqual(status.conditions!.map((c) => c.type), ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready', 'DisruptionTarget']);
  // The host's generations are translated to the virtual pod's.
  assert.equal(status.observedGeneration, 1);
  assert.equal(status.conditions![0].observedGeneration, 1);
  assert.equal(bindNode, 'node-2');
  assert.equal(nodeConflict, undefined);
});

test('a status that has not caught up with the host spec claims no generation', () => {
  const h = hostPod();
  h.metadata.generation = 4;
  const { status } = fromHostPodStatus(h, virtualPod());
  assert.equal(status.observedGeneration, undefined);
  assert.equal(status.conditions![0].observedGeneration, undefined);
});

test('readiness gates of the virtual pod decide Ready', () => {
  const gates = { readinessGates: [{ conditionType: 'example.com/lb' }] };
  const missing = fromHostPodStatus(hostPod(), virtualPod(gates)).status;
  const ready = missing.conditions!.find((c) => c.type === 'Ready')!;
  assert.equal(ready.status, 'False');
  assert.equal(ready.reason, 'ReadinessGatesNotReady');
  assert.equal(ready.message, 'corresponding condition of pod readiness gate "example.com/lb" does not exist.');

  const v = virtualPod(gates);
  (v.status as PodStatus).conditions!.push({ type: 'example.com/lb', status: 'True', lastTransitionTime: T1 });
  const ok = fromHostPodStatus(hostPod(), v).status;
  assert.equal(ok.conditions!.find((c) => c.type === 'Ready')!.status, 'True');
  assert.equal(ok.conditions!.find((c) => c.type === 'example.com/lb')!.status, 'True');
});

test('binding: none before the host schedules; a conflict when bound elsewhere', () => {
  const unscheduled = hostPod();
  delete (unscheduled.spec as Record<string, unknown>)['nodeName'];
  assert.equal(fromHostPodStatus(unscheduled, virtualPod()).bindNode, undefined);
  const r = fromHostPodStatus(hostPod(), virtualPod({ nodeName: 'node-1' }));
  assert.equal(r.bindNode, undefined);
  assert.deepEqual(r.nodeConflict, { virtual: 'node-1', host: 'node-2' });
  assert.equal(fromHostPodStatus(hostPod(), virtualPod({ nodeName: 'node-2' })).nodeConflict, undefined);
});

test('ephemeral container statuses come back as they are; refused ones wait with the reason; no generation before the host has them', () => {
  const running = { name: 'debugger', ready: false, restartCount: 0, image: 'busybox', imageID: 'sha256:bb', state: { running: { startedAt: T1 } } };
  const h = hostPod();
  (h.spec as Record<string, unknown>).ephemeralContainers = [{ name: 'debugger', image: 'busybox', targetContainerName: 'web' }];
  (h.status as PodStatus).ephemeralContainerStatuses = [running];
  const v = virtualPod({ ephemeralContainers: [{ name: 'debugger', image: 'busybox', targetContainerName: 'web' }] });
  const { status } = fromHostPodStatus(h, v);
  assert.deepEqual(status.ephemeralContainerStatuses, [running]);
  assert.equal(status.observedGeneration, 1);

  // One more in the virtual pod, not on the host yet: the host status does not vouch for the virtual generation.
  const more = virtualPod({ ephemeralContainers: [
    { name: 'debugger', image: 'busybox' }, { name: 'another', image: 'busybox:1.36' },
  ] });
  const pending = fromHostPodStatus(h, more).status;
  assert.equal(pending.observedGeneration, undefined);
  assert.equal(pending.conditions![0].observedGeneration, undefined);
  assert.deepEqual(pending.ephemeralContainerStatuses, [running]);

  // Refused by the host: a waiting status saying why, among the others by name.
  const refused = fromHostPodStatus(h, more, new Map([['another', 'the host cluster refused it'], ['debugger', 'stale']])).status;
  assert.deepEqual(refused.ephemeralContainerStatuses, [
    { name: 'another', image: 'busybox:1.36', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'SyncError', message: 'the host cluster refused it' } } },
    running,
  ]);
});
