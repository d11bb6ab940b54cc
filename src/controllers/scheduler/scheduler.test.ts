import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { eventually, type TestCluster } from '../../../test/support/cluster.ts';
import type { Taint } from '../../nodes/api.ts';
import { fitMessage } from './scheduler.ts';
import { nodeOf, podOf, scheduledCondition as scheduled, waitBound, waitUnschedulable, withScheduler } from './testing.ts';

interface NodeOpts { labels?: Record<string, string>; taints?: Taint[]; unschedulable?: boolean; cpu?: string; memory?: string; pods?: string }

async function addNode(tc: TestCluster, name: string, o: NodeOpts = {}): Promise<void> {
  const capacity = { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110' };
  await tc.vc.store.create(tc.ctx.def('', 'v1', 'nodes'), undefined, {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: { capacity, allocatable: capacity, conditions: [{ type: 'Ready', status: 'True' }] },
  });
}

async function addPod(tc: TestCluster, name: string, spec: Record<string, unknown> = {}, cpu?: string, memory?: string): Promise<void> {
  const requests: Record<string, string> = {};
  if (cpu) requests.cpu = cpu;
  if (memory) requests.memory = memory;
  await tc.vc.store.create(tc.ctx.def('', 'v1', 'pods'), 'default', {
    metadata: { name },
    spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests } }], ...spec },
  });
}

test('fit messages are counted and sorted as upstream prints them', () => {
  assert.equal(fitMessage(3, new Map([['Insufficient cpu', 3]])), '0/3 nodes are available: 3 Insufficient cpu.');
  assert.equal(fitMessage(3, new Map([["node(s) didn't match Pod's node affinity/selector", 2], ['node(s) had untolerated taint(s)', 1]])),
    "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 node(s) didn't match Pod's node affinity/selector.");
});

test('binds a pod, sets PodScheduled and records Scheduled', async () => {
  await withScheduler(async (tc) => {
    await addNode(tc, 'n1');
    await addPod(tc, 'p');
    assert.equal(await waitBound(tc, 'p'), 'n1');
    const c = scheduled(tc, 'p');
    assert.equal(c?.status, 'True');
    assert.ok(c?.lastTransitionTime);
    await eventually(async () => (await tc.vc.store.list(tc.ctx.def('', 'v1', 'events'), 'default', {})).items.some((e) => e.reason === 'Scheduled'), 2000, 'event');
    const ev = (await tc.vc.store.list(tc.ctx.def('', 'v1', 'events'), 'default', {})).items.find((e) => e.reason === 'Scheduled') as KubeObject;
    assert.equal(ev.message, 'Successfully assigned default/p to n1');
    assert.deepEqual(ev.source, { component: 'default-scheduler' });
  });
});

test('nodeSelector and required node affinity (matchExpressions, matchFields)', async () => {
  await withScheduler(async (tc) => {
    await addNode(tc, 'ssd-1', { labels: { disk: 'ssd', zone: 'a', gen: '5' } });
    await addNode(tc, 'hdd-1', { labels: { disk: 'hdd', zone: 'b', gen: '3' } });
    await addNode(tc, 'hdd-2', { labels: { disk: 'hdd', zone: 'c', gen: '4' } });
    await addPod(tc, 'sel', { nodeSelector: { disk: 'ssd' } });
    await addPod(tc, 'aff', {
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
        { matchExpressions: [{ key: 'disk', operator: 'In', values: ['hdd'] }, { key: 'zone', operator: 'NotIn', values: ['b'] }] },
      ] } } },
    });
    await addPod(tc, 'gt', {
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
        { matchExpressions: [{ key: 'gen', operator: 'Gt', values: ['4'] }] },
      ] } } },
    });
    await addPod(tc, 'fields', {
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['hdd-1'] }] },
      ] } } },
    });
    await addPod(tc, 'none', { nodeSelector: { disk: 'nvme' } });
    assert.equal(await waitBound(tc, 'sel'), 'ssd-1');
    assert.equal(await waitBound(tc, 'aff'), 'hdd-2');
    assert.equal(await waitBound(tc, 'gt'), 'ssd-1');
    assert.equal(await waitBound(tc, 'fields'), 'hdd-1');
    assert.equal(await waitUnschedulable(tc, 'none'),
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.");
  });
});

test('taints and tolerations: NoSchedule and NoExecute filter, PreferNoSchedule does not', async () => {
  await withScheduler(async (tc) => {
    await addNode(tc, 'gpu', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    await addNode(tc, 'drain', { taints: [{ key: 'maintenance', effect: 'NoExecute' }] });
    await addNode(tc, 'soft', { taints: [{ key: 'spot', effect: 'PreferNoSchedule' }] });
    for (let i = 0; i < 3; i++) await addPod(tc, `plain${i}`);
    for (let i = 0; i < 3; i++) assert.equal(await waitBound(tc, `plain${i}`), 'soft');
    await addPod(tc, 'tolerant', {
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
      nodeSelector: { 'kubernetes.io/hostname': 'gpu' },
    });
    assert.equal(await waitBound(tc, 'tolerant'), 'gpu');
    await addPod(tc, 'all', { tolerations: [{ operator: 'Exists' }], nodeSelector: { 'kubernetes.io/hostname': 'drain' } });
    assert.equal(await waitBound(tc, 'all'), 'drain');
    await addPod(tc, 'wrong', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'tpu' }], nodeSelector: { 'kubernetes.io/hostname': 'gpu' } });
    assert.equal(await waitUnschedulable(tc, 'wrong'),
      // Taints are checked before affinity: both tainted nodes count as tainted.
      "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 node(s) had untolerated taint(s). preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.");
  });
});

test('resources: requests against allocatable minus bound pods, and the pod count', async () => {
  await withScheduler(async (tc) => {
    await addNode(tc, 'a', { cpu: '2', memory: '4Gi', pods: '2' });
    await addNode(tc, 'b', { cpu: '2', memory: '4Gi', pods: '2' });
    await addPod(tc, 'big', {}, '3');
    assert.equal(await waitUnschedulable(tc, 'big'),
      '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.');
    await addPod(tc, 'x', {}, '1500m', '1Gi');
    await addPod(tc, 'y', {}, '1500m', '1Gi');
    const nx = await waitBound(tc, 'x');
    const ny = await waitBound(tc, 'y');
    assert.notEqual(nx, ny);
    await addPod(tc, 'z', {}, '1', '1Gi');
    assert.equal(await waitUnschedulable(tc, 'z'),
      '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.');
    await addPod(tc, 'mem', {}, '100m', '5Gi');
    assert.match(await waitUnschedulable(tc, 'mem'), /^0\/2 nodes are available: 2 Insufficient memory\./);
    await addPod(tc, 'small1', {}, '100m');
    await addPod(tc, 'small2', {}, '100m');
    await waitBound(tc, 'small1');
    await waitBound(tc, 'small2');
    await addPod(tc, 'small3', {}, '100m');
    assert.match(await waitUnschedulable(tc, 'small3'), /^0\/2 nodes are available: 2 Too many pods\./);
    // A bound pod going away frees room, and waiting pods are tried again.
    await tc.vc.store.delete(tc.ctx.def('', 'v1', 'pods'), 'default', 'x', { gracePeriodSeconds: 0 });
    await waitBound(tc, 'z');
  });
});

test('unschedulable: PodScheduled=False with upstream message and a FailedScheduling event; retried when nodes change', async () => {
  await withScheduler(async (tc) => {
    await addPod(tc, 'early');
    assert.equal(await waitUnschedulable(tc, 'early'), 'no nodes available to schedule pods');
    await addNode(tc, 'cordoned', { unschedulable: true });
    await eventually(() => scheduled(tc, 'early')?.message !== 'no nodes available to schedule pods', 3000, 'retried');
    assert.equal(scheduled(tc, 'early')?.message,
      '0/1 nodes are available: 1 node(s) were unschedulable. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.');
    const cond = scheduled(tc, 'early');
    assert.equal(cond?.status, 'False');
    await tc.ctx.events.flush();
    const evs = (await tc.vc.store.list(tc.ctx.def('', 'v1', 'events'), 'default', {})).items.filter((e) => e.reason === 'FailedScheduling');
    assert.ok(evs.some((e) => e.type === 'Warning' && e.message === cond?.message));
    // Uncordon: the pod is scheduled.
    await tc.vc.store.guaranteedUpdate(tc.ctx.def('', 'v1', 'nodes'), undefined, 'cordoned', (cur) => {
      const o = cur as KubeObject;
      (o.spec as { unschedulable?: boolean }).unschedulable = false;
      return o;
    });
    assert.equal(await waitBound(tc, 'early'), 'cordoned');
    assert.equal(scheduled(tc, 'early')?.status, 'True');
    assert.equal(scheduled(tc, 'early')?.reason, undefined);
  });
});

test('spreads pods over equal nodes; ignores other schedulers and gated pods', async () => {
  await withScheduler(async (tc) => {
    for (const n of ['n0', 'n1', 'n2']) await addNode(tc, n);
    for (let i = 0; i < 9; i++) await addPod(tc, `w${i}`);
    const counts = new Map<string, number>();
    for (let i = 0; i < 9; i++) {
      const n = await waitBound(tc, `w${i}`);
      counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    assert.deepEqual([...counts.values()], [3, 3, 3]);
    await addPod(tc, 'other', { schedulerName: 'my-scheduler' });
    await addPod(tc, 'gated', { schedulingGates: [{ name: 'example.com/wait' }] });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(nodeOf(tc, 'other'), undefined);
    assert.equal(nodeOf(tc, 'gated'), undefined);
    assert.equal(scheduled(tc, 'gated')?.reason, 'SchedulingGated');
    await tc.vc.store.guaranteedUpdate(tc.ctx.def('', 'v1', 'pods'), 'default', 'gated', (cur) => {
      const o = cur as KubeObject;
      delete (o.spec as { schedulingGates?: unknown }).schedulingGates;
      return o;
    });
    await waitBound(tc, 'gated');
  });
});

test('host ports conflict, preemptionPolicy Never is reported', async () => {
  await withScheduler(async (tc) => {
    await addNode(tc, 'only');
    const ports = { containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80, hostPort: 8080 }] }] };
    await addPod(tc, 'hp1', ports);
    await waitBound(tc, 'hp1');
    await addPod(tc, 'hp2', ports);
    assert.equal(await waitUnschedulable(tc, 'hp2'),
      "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.");
    await addPod(tc, 'meek', { preemptionPolicy: 'Never' }, '64');
    assert.equal(await waitUnschedulable(tc, 'meek'),
      '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.');
  });
});
