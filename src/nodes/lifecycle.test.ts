import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.ts';
import { eventually, openTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { startScheduler } from '../controllers/scheduler/index.ts';
import type { NodeCondition, PodStatus, Taint } from './api.ts';
import { startNodeLifecycleController, startSimulatedNodes } from './index.ts';

const fast = { startupMs: 20, terminationMs: 50 };

function node(tc: TestCluster, name: string): KubeObject | undefined {
  return tc.vc.store.peek(tc.ctx.def('', 'v1', 'nodes'), undefined, name);
}

function readyOf(n: KubeObject | undefined): NodeCondition | undefined {
  return ((n?.status as { conditions?: NodeCondition[] } | undefined)?.conditions ?? []).find((c) => c.type === 'Ready');
}

function taintsOf(n: KubeObject | undefined): Taint[] {
  return (n?.spec as { taints?: Taint[] } | undefined)?.taints ?? [];
}

function podStatusOf(tc: TestCluster, name: string): PodStatus | undefined {
  return tc.vc.store.peek(tc.ctx.def('', 'v1', 'pods'), 'default', name)?.status as PodStatus | undefined;
}

async function runningPod(tc: TestCluster, name: string, spec: Record<string, unknown> = {}): Promise<void> {
  await tc.vc.store.create(tc.ctx.def('', 'v1', 'pods'), 'default', {
    metadata: { name }, spec: { containers: [{ name: 'c', image: 'nginx' }], ...spec },
  });
  await eventually(() => podStatusOf(tc, name)?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false, 3000, `${name} ready`);
}

test('leases keep nodes Ready; when they stop, nodes turn Unknown and get unreachable taints; pods go NotReady and are evicted', async () => {
  const tc = await openTestCluster();
  const nodes = startSimulatedNodes(tc.ctx, { count: 1, timing: fast, leaseRenewMs: 100 });
  await nodes.ready;
  const stopScheduler = startScheduler(tc.ctx);
  const stopLifecycle = startNodeLifecycleController(tc.ctx, { gracePeriodMs: 400 });
  try {
    await runningPod(tc, 'stays');
    await runningPod(tc, 'leaves', {
      tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 0 }],
    });
    await runningPod(tc, 'later', {
      tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1 }],
    });
    // Renewed leases keep the node healthy well past the grace period.
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(readyOf(node(tc, 'kubevisor-node-0'))?.status, 'True');
    assert.deepEqual(taintsOf(node(tc, 'kubevisor-node-0')), []);

    nodes(); // the kubelet dies
    await eventually(() => readyOf(node(tc, 'kubevisor-node-0'))?.status === 'Unknown', 3000, 'Unknown');
    const n = node(tc, 'kubevisor-node-0');
    const ready = readyOf(n) as NodeCondition;
    assert.equal(ready.reason, 'NodeStatusUnknown');
    assert.equal(ready.message, 'Kubelet stopped posting node status.');
    const conds = (n?.status as { conditions: NodeCondition[] }).conditions;
    for (const t of ['MemoryPressure', 'DiskPressure', 'PIDPressure']) assert.equal(conds.find((c) => c.type === t)?.status, 'Unknown', t);
    assert.equal(conds.find((c) => c.type === 'NetworkUnavailable')?.status, 'False');
    await eventually(() => taintsOf(node(tc, 'kubevisor-node-0')).length === 2, 2000, 'taints');
    const taints = taintsOf(node(tc, 'kubevisor-node-0'));
    assert.deepEqual(taints.map((t) => `${t.key}:${t.effect}`), ['node.kubernetes.io/unreachable:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute']);
    assert.ok(taints.every((t) => t.timeAdded));

    // Pods on it are not ready any more; the default 300 s toleration keeps "stays".
    await eventually(() => podStatusOf(tc, 'stays')?.conditions?.find((c) => c.type === 'Ready')?.status === 'False', 2000, 'pod not ready');
    const podDef = tc.ctx.def('', 'v1', 'pods');
    // tolerationSeconds 0: evicted at once (terminating; no kubelet is left to finish it).
    await eventually(() => tc.vc.store.peek(podDef, 'default', 'leaves')?.metadata.deletionTimestamp !== undefined, 2000, 'evicted');
    const dt = podStatusOf(tc, 'leaves')?.conditions?.find((c) => c.type === 'DisruptionTarget');
    assert.equal(dt?.reason, 'DeletionByTaintManager');
    await eventually(() => tc.vc.store.peek(podDef, 'default', 'later')?.metadata.deletionTimestamp !== undefined, 3000, 'evicted later');
    assert.equal(tc.vc.store.peek(podDef, 'default', 'stays')?.metadata.deletionTimestamp, undefined);

    // A new pod will not go there.
    await tc.vc.store.create(podDef, 'default', { metadata: { name: 'new' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    await eventually(() => podStatusOf(tc, 'new')?.conditions?.some((c) => c.reason === 'Unschedulable') ?? false, 2000, 'unschedulable');
    assert.match(podStatusOf(tc, 'new')?.conditions?.find((c) => c.type === 'PodScheduled')?.message ?? '', /^0\/1 nodes are available: 1 node\(s\) had untolerated taint\(s\)\./);

    // The kubelet comes back: Ready again, taints gone, the waiting pod is scheduled.
    const again = startSimulatedNodes(tc.ctx, { count: 1, timing: fast, leaseRenewMs: 100 });
    try {
      await again.ready;
      await eventually(() => readyOf(node(tc, 'kubevisor-node-0'))?.status === 'True' && taintsOf(node(tc, 'kubevisor-node-0')).length === 0, 3000, 'recovered');
      await eventually(() => podStatusOf(tc, 'new')?.phase === 'Running', 3000, 'new runs');
    } finally {
      again();
    }
  } finally {
    stopLifecycle();
    stopScheduler();
    nodes();
    await tc.close();
  }
});

test('cordon adds the unschedulable taint, uncordon removes it; deleting a node deletes its pods', async () => {
  const tc = await openTestCluster();
  const nodes = startSimulatedNodes(tc.ctx, { count: 2, timing: fast });
  await nodes.ready;
  const stopScheduler = startScheduler(tc.ctx);
  const stopLifecycle = startNodeLifecycleController(tc.ctx, { podGCQuarantineMs: 100 });
  const nodeDef = tc.ctx.def('', 'v1', 'nodes');
  const podDef = tc.ctx.def('', 'v1', 'pods');
  const cordon = (name: string, on: boolean) => tc.vc.store.guaranteedUpdate(nodeDef, undefined, name, (cur) => {
    const o = cur as KubeObject;
    const spec = (o.spec ?? (o.spec = {})) as { unschedulable?: boolean };
    if (on) spec.unschedulable = true; else delete spec.unschedulable;
    return o;
  });
  try {
    await cordon('kubevisor-node-1', true);
    await eventually(() => taintsOf(node(tc, 'kubevisor-node-1')).some((t) => t.key === 'node.kubernetes.io/unschedulable' && t.effect === 'NoSchedule'), 2000, 'taint');
    for (let i = 0; i < 4; i++) await runningPod(tc, `p${i}`);
    for (let i = 0; i < 4; i++) {
      assert.equal((tc.vc.store.peek(podDef, 'default', `p${i}`)?.spec as { nodeName: string }).nodeName, 'kubevisor-node-0');
    }
    await cordon('kubevisor-node-1', false);
    await eventually(() => taintsOf(node(tc, 'kubevisor-node-1')).length === 0, 2000, 'untainted');

    await tc.vc.store.delete(nodeDef, undefined, 'kubevisor-node-0');
    await eventually(() => [0, 1, 2, 3].every((i) => !tc.vc.store.peek(podDef, 'default', `p${i}`)), 3000, 'pods collected');
    // Its lease goes with it; the other node is untouched.
    await eventually(() => !tc.vc.store.peek(tc.ctx.def('coordination.k8s.io', 'v1', 'leases'), 'kube-node-lease', 'kubevisor-node-0'), 2000, 'lease gone');
    assert.equal(readyOf(node(tc, 'kubevisor-node-1'))?.status, 'True');
  } finally {
    stopLifecycle();
    stopScheduler();
    nodes();
    await tc.close();
  }
});

test('a node that never reports turns Unknown after the grace period', async () => {
  const tc = await openTestCluster();
  const stopLifecycle = startNodeLifecycleController(tc.ctx, { gracePeriodMs: 200 });
  try {
    await tc.vc.store.create(tc.ctx.def('', 'v1', 'nodes'), undefined, { metadata: { name: 'manual' } });
    await eventually(() => readyOf(node(tc, 'manual'))?.status === 'Unknown', 2000, 'Unknown');
    await eventually(() => taintsOf(node(tc, 'manual')).length === 2, 2000, 'taints');
    await eventually(async () => (await tc.vc.store.list(tc.ctx.def('', 'v1', 'events'), 'default', {})).items
      .some((e) => e.reason === 'NodeNotReady' && e.message === 'Node manual status is now: NodeNotReady'), 2000, 'event');
  } finally {
    stopLifecycle();
    await tc.close();
  }
});
