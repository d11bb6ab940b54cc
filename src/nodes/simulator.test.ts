import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.ts';
import { eventually, openTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { startScheduler } from '../controllers/scheduler/index.ts';
import type { ContainerStatus, PodStatus } from './api.ts';
import { startSimulatedNodes, type SimulatedNodesOptions } from './index.ts';

const fast = { startupMs: 30, initContainerMs: 30, jobDurationMs: 100, failAfterMs: 60, terminationMs: 50, backoffBaseMs: 100, backoffMaxMs: 400 };

async function cluster(opts: Partial<SimulatedNodesOptions> = {}): Promise<TestCluster & { stop(): Promise<void> }> {
  const tc = await openTestCluster();
  const nodes = startSimulatedNodes(tc.ctx, { count: 2, timing: fast, ...opts });
  await nodes.ready;
  const stopScheduler = startScheduler(tc.ctx);
  return { ...tc, stop: async () => { stopScheduler(); nodes(); await tc.close(); } };
}

function pod(name: string, extra: { annotations?: Record<string, string>; spec?: Record<string, unknown>; ownerReferences?: KubeObject['metadata']['ownerReferences'] } = {}): KubeObject {
  return {
    metadata: { name, annotations: extra.annotations, ownerReferences: extra.ownerReferences },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }], ...(extra.spec ?? {}) },
  };
}

function statusOf(tc: TestCluster, name: string, ns = 'default'): PodStatus | undefined {
  return tc.vc.store.peek(tc.ctx.def('', 'v1', 'pods'), ns, name)?.status as PodStatus | undefined;
}

function cond(st: PodStatus | undefined, type: string): string | undefined {
  return st?.conditions?.find((c) => c.type === type)?.status;
}

async function events(tc: TestCluster, name: string): Promise<KubeObject[]> {
  const { items } = await tc.vc.store.list(tc.ctx.def('', 'v1', 'events'), 'default', {});
  return items.filter((e) => (e.involvedObject as { name?: string }).name === name);
}

test('simulated nodes register with kubelet-like status, labels and leases', async () => {
  const tc = await cluster({ count: 3, capacity: { cpu: '8', memory: '32Gi', pods: 50 } });
  try {
    const nodes = (await tc.vc.store.list(tc.ctx.def('', 'v1', 'nodes'), undefined, {})).items;
    assert.deepEqual(nodes.map((n) => n.metadata.name), ['kubevisor-node-0', 'kubevisor-node-1', 'kubevisor-node-2']);
    const n = nodes[1] as KubeObject;
    assert.equal(n.metadata.labels?.['kubernetes.io/hostname'], 'kubevisor-node-1');
    assert.equal(n.metadata.labels?.['kubernetes.io/os'], 'linux');
    assert.ok(n.metadata.labels?.['kubernetes.io/arch']);
    const spec = n.spec as { podCIDR: string; podCIDRs: string[] };
    assert.equal(spec.podCIDR, '10.244.1.0/24');
    const st = n.status as any;
    assert.deepEqual(st.capacity, { cpu: '8', memory: '32Gi', pods: '50', 'ephemeral-storage': '100Gi' });
    assert.deepEqual(st.allocatable, st.capacity);
    const ready = st.conditions.find((c: any) => c.type === 'Ready');
    assert.deepEqual([ready.status, ready.reason, ready.message], ['True', 'KubeletReady', 'kubelet is posting ready status']);
    for (const t of ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable']) {
      assert.equal(st.conditions.find((c: any) => c.type === t).status, 'False', t);
    }
    assert.equal(st.nodeInfo.kubeletVersion, 'v1.36.0');
    assert.equal(st.nodeInfo.operatingSystem, 'linux');
    assert.ok(st.nodeInfo.containerRuntimeVersion.startsWith('containerd://'));
    assert.deepEqual(st.addresses.map((a: any) => a.type), ['InternalIP', 'Hostname']);
    const lease = tc.vc.store.peek(tc.ctx.def('coordination.k8s.io', 'v1', 'leases'), 'kube-node-lease', 'kubevisor-node-1');
    assert.ok(lease);
    assert.equal((lease.spec as any).holderIdentity, 'kubevisor-node-1');
    assert.equal((lease.spec as any).leaseDurationSeconds, 40);
    assert.equal(lease.metadata.ownerReferences?.[0]?.uid, n.metadata.uid);
  } finally {
    await tc.stop();
  }
});

test('a pod is scheduled, goes through ContainerCreating and becomes Running and Ready with an IP', async () => {
  const tc = await cluster({ timing: { ...fast, startupMs: 300 } });
  try {
    const podDef = tc.ctx.def('', 'v1', 'pods');
    await tc.vc.store.create(podDef, 'default', pod('web'));
    await eventually(() => statusOf(tc, 'web')?.containerStatuses?.[0]?.state?.waiting?.reason === 'ContainerCreating', 2000, 'ContainerCreating');
    const creating = statusOf(tc, 'web') as PodStatus;
    assert.equal(creating.phase, 'Pending');
    assert.equal(cond(creating, 'PodScheduled'), 'True');
    assert.equal(cond(creating, 'PodReadyToStartContainers'), 'False');
    assert.ok(creating.hostIP);
    assert.equal(creating.podIP, undefined);
    await eventually(() => statusOf(tc, 'web')?.phase === 'Running' && cond(statusOf(tc, 'web'), 'Ready') === 'True', 3000, 'Running');
    const st = statusOf(tc, 'web') as PodStatus;
    assert.match(st.podIP ?? '', /^10\.244\.[01]\.\d+$/);
    assert.deepEqual(st.podIPs, [{ ip: st.podIP }]);
    assert.ok(st.startTime);
    for (const t of ['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready', 'PodScheduled']) assert.equal(cond(st, t), 'True', t);
    const cs = st.containerStatuses?.[0] as ContainerStatus;
    assert.ok(cs.state?.running?.startedAt);
    assert.equal(cs.ready, true);
    assert.equal(cs.started, true);
    assert.equal(cs.image, 'docker.io/library/nginx:1.27');
    assert.match(cs.imageID, /^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    assert.match(cs.containerID ?? '', /^containerd:\/\/[0-9a-f]{64}$/);
    await eventually(async () => (await events(tc, 'web')).length >= 5, 2000, 'events');
    const reasons = (await events(tc, 'web')).map((e) => e.reason).sort();
    assert.deepEqual(reasons, ['Created', 'Pulled', 'Pulling', 'Scheduled', 'Started']);
    const started = (await events(tc, 'web')).find((e) => e.reason === 'Started') as KubeObject;
    assert.equal(started.message, 'Started container app');
    assert.deepEqual(started.source, { component: 'kubelet', host: (tc.vc.store.peek(podDef, 'default', 'web')?.spec as any).nodeName });
    // Container events name the container, as a kubelet's do; the scheduler's is about the whole pod.
    const paths = Object.fromEntries((await events(tc, 'web')).map((e) => [e.reason, (e.involvedObject as { fieldPath?: string }).fieldPath]));
    assert.deepEqual(paths, { Scheduled: undefined, Pulling: 'spec.containers{app}', Pulled: 'spec.containers{app}', Created: 'spec.containers{app}', Started: 'spec.containers{app}' });
  } finally {
    await tc.stop();
  }
});

test('pod IPs are unique, and the two nodes share the work', async () => {
  const tc = await cluster();
  try {
    const podDef = tc.ctx.def('', 'v1', 'pods');
    for (let i = 0; i < 20; i++) await tc.vc.store.create(podDef, 'default', pod(`p${i}`));
    await eventually(() => [...Array(20).keys()].every((i) => statusOf(tc, `p${i}`)?.phase === 'Running'), 5000, 'all running');
    const ips = [...Array(20).keys()].map((i) => statusOf(tc, `p${i}`)?.podIP);
    assert.equal(new Set(ips).size, 20);
    const nodes = [...Array(20).keys()].map((i) => (tc.vc.store.peek(podDef, 'default', `p${i}`)?.spec as any).nodeName);
    assert.equal(nodes.filter((n) => n === 'kubevisor-node-0').length, 10);
  } finally {
    await tc.stop();
  }
});

test('pods owned by a Job (or with complete-after) succeed', async () => {
  const tc = await cluster();
  try {
    const podDef = tc.ctx.def('', 'v1', 'pods');
    await tc.vc.store.create(podDef, 'default', pod('job-x', {
      spec: { restartPolicy: 'Never' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'x', uid: '00000000-0000-0000-0000-000000000001', controller: true }],
    }));
    await tc.vc.store.create(podDef, 'default', pod('once', { spec: { restartPolicy: 'OnFailure' }, annotations: { 'kubevisor.dev/complete-after': '150ms' } }));
    for (const name of ['job-x', 'once']) {
      await eventually(() => statusOf(tc, name)?.phase === 'Succeeded', 3000, `${name} succeeded`);
      const st = statusOf(tc, name) as PodStatus;
      const term = st.containerStatuses?.[0]?.state?.terminated;
      assert.equal(term?.exitCode, 0);
      assert.equal(term?.reason, 'Completed');
      assert.equal(cond(st, 'Ready'), 'False');
      assert.equal(st.conditions?.find((c) => c.type === 'Ready')?.reason, 'PodCompleted');
      assert.equal(st.conditions?.find((c) => c.type === 'Initialized')?.reason, 'PodCompleted');
      assert.equal(cond(st, 'PodReadyToStartContainers'), 'False');
    }
  } finally {
    await tc.stop();
  }
});

test('kubevisor.dev/fail: Never fails the pod; Always crash-loops with back-off and counts restarts', async () => {
  const tc = await cluster();
  try {
    const podDef = tc.ctx.def('', 'v1', 'pods');
    await tc.vc.store.create(podDef, 'default', pod('dies', { spec: { restartPolicy: 'Never' }, annotations: { 'kubevisor.dev/fail': 'true' } }));
    await tc.vc.store.create(podDef, 'default', pod('crashy', { annotations: { 'kubevisor.dev/fail': 'true' } }));
    await eventually(() => statusOf(tc, 'dies')?.phase === 'Failed', 3000, 'failed');
    const dies = statusOf(tc, 'dies') as PodStatus;
    assert.deepEqual([dies.containerStatuses?.[0]?.state?.terminated?.exitCode, dies.containerStatuses?.[0]?.state?.terminated?.reason], [1, 'Error']);
    assert.equal(dies.conditions?.find((c) => c.type === 'Ready')?.reason, 'PodFailed');

    await eventually(() => statusOf(tc, 'crashy')?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff', 3000, 'CrashLoopBackOff');
    let cs = statusOf(tc, 'crashy')?.containerStatuses?.[0] as ContainerStatus;
    assert.equal(statusOf(tc, 'crashy')?.phase, 'Running');
    assert.ok(cs.restartCount >= 1);
    assert.equal(cs.lastState?.terminated?.exitCode, 1);
    assert.match(cs.state?.waiting?.message ?? '', /^back-off \d+ms restarting failed container=app pod=crashy_default\(/);
    await eventually(() => ((statusOf(tc, 'crashy')?.containerStatuses?.[0] as ContainerStatus).restartCount ?? 0) >= 3, 4000, 'restarts');
    cs = statusOf(tc, 'crashy')?.containerStatuses?.[0] as ContainerStatus;
    assert.equal(cond(statusOf(tc, 'crashy'), 'Ready'), cs.ready ? 'True' : 'False');
    await eventually(async () => (await events(tc, 'crashy')).some((e) => e.reason === 'BackOff'), 2000, 'BackOff event');
    const backoff = (await events(tc, 'crashy')).find((e) => e.reason === 'BackOff') as KubeObject;
    assert.equal(backoff.type, 'Warning');
    assert.match(backoff.message as string, /^Back-off restarting failed container app in pod crashy_default\(/);
  } finally {
    await tc.stop();
  }
});

test('graceful deletion: containers stop, Killing is recorded, and the kubelet removes the pod', async () => {
  const tc = await cluster({ timing: { ...fast, terminationMs: 300 } });
  try {
    const podDef = tc.ctx.def('', 'v1', 'pods');
    await tc.vc.store.create(podDef, 'default', pod('bye'));
    await eventually(() => statusOf(tc, 'bye')?.phase === 'Running', 3000, 'running');
    const t0 = Date.now();
    const { obj, deleted } = await tc.vc.store.delete(podDef, 'default', 'bye', {});
    assert.equal(deleted, false);
    assert.ok(obj.metadata.deletionTimestamp);
    assert.equal(obj.metadata.deletionGracePeriodSeconds, 30);
    // Terminating for the simulated stop time (300 ms here, well under the 30 s grace period), then gone.
    await eventually(() => !tc.vc.store.peek(podDef, 'default', 'bye'), 3000, 'gone');
    const took = Date.now() - t0;
    assert.ok(took >= 250 && took < 3000, `took ${took} ms`);
    const killing = (await events(tc, 'bye')).find((e) => e.reason === 'Killing');
    assert.equal(killing?.message, 'Stopping container app');

    // A grace period shorter than the simulated stop time wins.
    await tc.vc.store.create(podDef, 'default', pod('quick', { spec: { terminationGracePeriodSeconds: 0 } }));
    await eventually(() => statusOf(tc, 'quick')?.phase === 'Running', 3000, 'running');
    await tc.vc.store.delete(podDef, 'default', 'quick', { gracePeriodSeconds: 1 });
    await eventually(() => !tc.vc.store.peek(podDef, 'default', 'quick'), 3000, 'quick gone');
  } finally {
    await tc.stop();
  }
});

test('init containers run first; never-ready, readiness gates and start delay', async () => {
  const tc = await cluster({ count: 1 });
  try {
    const podDef = tc.ctx.def('', 'v1', 'pods');
    await tc.vc.store.create(podDef, 'default', pod('init', {
      spec: { initContainers: [{ name: 'setup', image: 'busybox' }, { name: 'migrate', image: 'busybox' }] },
    }));
    await eventually(() => statusOf(tc, 'init')?.initContainerStatuses?.[0]?.state?.running !== undefined ||
      statusOf(tc, 'init')?.initContainerStatuses?.[0]?.state?.terminated !== undefined, 2000, 'init running');
    const during = statusOf(tc, 'init') as PodStatus;
    if (during.phase === 'Pending') {
      assert.equal(cond(during, 'Initialized'), 'False');
      assert.equal(during.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');
    }
    await eventually(() => statusOf(tc, 'init')?.phase === 'Running', 3000, 'running');
    const st = statusOf(tc, 'init') as PodStatus;
    assert.deepEqual(st.initContainerStatuses?.map((c) => [c.name, c.state?.terminated?.reason, c.ready]), [['setup', 'Completed', true], ['migrate', 'Completed', true]]);
    const setupEnd = Date.parse(st.initContainerStatuses?.[0]?.state?.terminated?.finishedAt as string);
    const migrateStart = Date.parse(st.initContainerStatuses?.[1]?.state?.terminated?.startedAt as string);
    assert.ok(migrateStart >= setupEnd);

    await tc.vc.store.create(podDef, 'default', pod('lazy', { annotations: { 'kubevisor.dev/never-ready': 'true' } }));
    await eventually(() => statusOf(tc, 'lazy')?.phase === 'Running', 3000, 'lazy running');
    await new Promise((r) => setTimeout(r, 100));
    const lazy = statusOf(tc, 'lazy') as PodStatus;
    assert.equal(cond(lazy, 'Ready'), 'False');
    assert.equal(lazy.conditions?.find((c) => c.type === 'ContainersReady')?.message, 'containers with unready status: [app]');

    await tc.vc.store.create(podDef, 'default', pod('gated', { spec: { readinessGates: [{ conditionType: 'example.com/lb' }] } }));
    await eventually(() => statusOf(tc, 'gated')?.phase === 'Running', 3000, 'gated running');
    await eventually(() => cond(statusOf(tc, 'gated'), 'ContainersReady') === 'True', 2000, 'containers ready');
    let gated = statusOf(tc, 'gated') as PodStatus;
    assert.equal(cond(gated, 'Ready'), 'False');
    assert.equal(gated.conditions?.find((c) => c.type === 'Ready')?.message, 'corresponding condition of pod readiness gate "example.com/lb" does not exist.');
    await tc.vc.store.guaranteedUpdate(podDef, 'default', 'gated', (cur) => {
      const o = cur as KubeObject;
      const s = o.status as PodStatus;
      s.conditions = [...(s.conditions ?? []), { type: 'example.com/lb', status: 'True' }];
      return o;
    }, { subresource: 'status', fieldManager: 'lb-controller' });
    await eventually(() => cond(statusOf(tc, 'gated'), 'Ready') === 'True', 2000, 'gate ready');
    gated = statusOf(tc, 'gated') as PodStatus;
    assert.equal(cond(gated, 'example.com/lb'), 'True');

    const t0 = Date.now();
    await tc.vc.store.create(podDef, 'default', pod('slow', { annotations: { 'kubevisor.dev/delay': '400ms' } }));
    await eventually(() => statusOf(tc, 'slow')?.phase === 'Running', 3000, 'slow running');
    assert.ok(Date.now() - t0 >= 400);
  } finally {
    await tc.stop();
  }
});

test('a pod created with spec.nodeName runs without the scheduler; a failed init container fails a Never pod', async () => {
  const tc = await cluster({ count: 1 });
  try {
    const podDef = tc.ctx.def('', 'v1', 'pods');
    await tc.vc.store.create(podDef, 'default', pod('pinned', { spec: { nodeName: 'kubevisor-node-0' } }));
    await eventually(() => statusOf(tc, 'pinned')?.phase === 'Running', 3000, 'running');
    assert.equal(cond(statusOf(tc, 'pinned'), 'PodScheduled'), 'True');
    await tc.vc.store.create(podDef, 'default', pod('badinit', {
      spec: { restartPolicy: 'Never', initContainers: [{ name: 'setup', image: 'busybox' }] },
      annotations: { 'kubevisor.dev/fail': 'setup' },
    }));
    await eventually(() => statusOf(tc, 'badinit')?.phase === 'Failed', 3000, 'failed');
    const st = statusOf(tc, 'badinit') as PodStatus;
    assert.equal(st.initContainerStatuses?.[0]?.state?.terminated?.exitCode, 1);
    assert.equal(st.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');
  } finally {
    await tc.stop();
  }
});

test('a Job pod with a sidecar finishes when its main container does; activeDeadlineSeconds fails a pod', async () => {
  const tc = await cluster({ count: 1 });
  try {
    const podDef = tc.ctx.def('', 'v1', 'pods');
    await tc.vc.store.create(podDef, 'default', pod('with-sidecar', {
      spec: { restartPolicy: 'Never', initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always' }] },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: '00000000-0000-0000-0000-000000000002', controller: true }],
    }));
    await eventually(() => statusOf(tc, 'with-sidecar')?.phase === 'Running', 3000, 'running');
    const running = statusOf(tc, 'with-sidecar') as PodStatus;
    assert.ok(running.initContainerStatuses?.[0]?.state?.running);
    assert.equal(cond(running, 'Initialized'), 'True');
    await eventually(() => statusOf(tc, 'with-sidecar')?.phase === 'Succeeded', 3000, 'succeeded');
    const done = statusOf(tc, 'with-sidecar') as PodStatus;
    assert.ok(done.initContainerStatuses?.[0]?.state?.terminated);
    assert.equal(done.containerStatuses?.[0]?.state?.terminated?.reason, 'Completed');

    await tc.vc.store.create(podDef, 'default', pod('deadline', { spec: { activeDeadlineSeconds: 1 } }));
    await eventually(() => statusOf(tc, 'deadline')?.phase === 'Failed', 3000, 'deadline exceeded');
    const st = statusOf(tc, 'deadline') as PodStatus;
    assert.equal(st.reason, 'DeadlineExceeded');
    assert.equal(st.message, 'Pod was active on the node longer than the specified deadline');
    assert.equal(st.containerStatuses?.[0]?.state?.terminated?.exitCode, 137);
  } finally {
    await tc.stop();
  }
});

test('the kubelet takes over pods that were running before it started', async () => {
  const tc = await openTestCluster();
  const podDef = tc.ctx.def('', 'v1', 'pods');
  let nodes = startSimulatedNodes(tc.ctx, { count: 1, timing: fast });
  await nodes.ready;
  const stopScheduler = startScheduler(tc.ctx);
  try {
    await tc.vc.store.create(podDef, 'default', pod('a'));
    await tc.vc.store.create(podDef, 'default', pod('crash', { annotations: { 'kubevisor.dev/fail': 'true' } }));
    await eventually(() => statusOf(tc, 'a')?.phase === 'Running', 3000, 'running');
    await eventually(() => (statusOf(tc, 'crash')?.containerStatuses?.[0]?.restartCount ?? 0) >= 2, 3000, 'crashing');
    const before = statusOf(tc, 'a') as PodStatus;
    nodes();
    nodes = startSimulatedNodes(tc.ctx, { count: 1, timing: fast });
    await nodes.ready;
    await tc.vc.store.create(podDef, 'default', pod('b'));
    await eventually(() => statusOf(tc, 'b')?.phase === 'Running', 3000, 'b running');
    const after = statusOf(tc, 'a') as PodStatus;
    assert.equal(after.podIP, before.podIP);
    assert.equal(after.containerStatuses?.[0]?.containerID, before.containerStatuses?.[0]?.containerID);
    assert.notEqual(statusOf(tc, 'b')?.podIP, before.podIP);
    const restarts = statusOf(tc, 'crash')?.containerStatuses?.[0]?.restartCount ?? 0;
    await eventually(() => (statusOf(tc, 'crash')?.containerStatuses?.[0]?.restartCount ?? 0) > restarts, 3000, 'still crashing');
  } finally {
    stopScheduler();
    nodes();
    await tc.close();
  }
});

/** What pods/ephemeralcontainers does: add one container to spec.ephemeralContainers. */
async function addEphemeral(tc: TestCluster, name: string, container: Record<string, unknown>): Promise<void> {
  await tc.vc.store.guaranteedUpdate(tc.ctx.def('', 'v1', 'pods'), 'default', name, (cur) => {
    const obj = cur as KubeObject;
    const spec = obj.spec as { ephemeralContainers?: unknown[] };
    spec.ephemeralContainers = [...(spec.ephemeralContainers ?? []), { terminationMessagePolicy: 'File', ...container }];
    return obj;
  }, { subresource: 'ephemeralcontainers' });
}

test('an ephemeral container added to a running pod starts, with events, and leaves the pod Ready', async () => {
  const tc = await cluster();
  try {
    const podDef = tc.ctx.def('', 'v1', 'pods');
    await tc.vc.store.create(podDef, 'default', pod('dbg'));
    await eventually(() => cond(statusOf(tc, 'dbg'), 'Ready') === 'True', 3000, 'Ready');
    const appBefore = statusOf(tc, 'dbg')?.containerStatuses?.[0];
    await addEphemeral(tc, 'dbg', { name: 'debugger', image: 'busybox', stdin: true, tty: true });
    await eventually(() => statusOf(tc, 'dbg')?.ephemeralContainerStatuses?.[0]?.state?.running !== undefined, 3000, 'debugger running');
    const st = statusOf(tc, 'dbg') as PodStatus;
    const ec = st.ephemeralContainerStatuses?.[0] as ContainerStatus;
    assert.equal(ec.name, 'debugger');
    assert.equal(ec.image, 'docker.io/library/busybox:latest');
    assert.match(ec.imageID, /^docker\.io\/library\/busybox@sha256:[0-9a-f]{64}$/);
    assert.match(ec.containerID ?? '', /^containerd:\/\/[0-9a-f]{64}$/);
    assert.equal(ec.ready, false);
    assert.equal(ec.restartCount, 0);
    assert.equal(ec.started, undefined);
    assert.deepEqual(ec.lastState, {});
    // The pod is as it was: phase, readiness and the app container.
    assert.equal(st.phase, 'Running');
    for (const t of ['Initialized', 'ContainersReady', 'Ready']) assert.equal(cond(st, t), 'True', t);
    assert.deepEqual(st.containerStatuses?.[0], appBefore);
    assert.equal(st.observedGeneration, tc.vc.store.peek(podDef, 'default', 'dbg')?.metadata.generation);
    await eventually(async () => (await events(tc, 'dbg')).filter((e) => e.message === 'Started container debugger').length === 1, 2000, 'events');
    const msgs = (await events(tc, 'dbg')).map((e) => `${e.reason}: ${e.message}`);
    for (const want of ['Pulling: Pulling image "busybox"', 'Created: Created container: debugger', 'Started: Started container debugger']) {
      assert.ok(msgs.includes(want), msgs.join('\n'));
    }
    assert.ok(msgs.some((m) => m.startsWith('Pulled: Successfully pulled image "busybox"')), msgs.join('\n'));

    // A second one joins; statuses are sorted by name, the first keeps running as it was.
    await addEphemeral(tc, 'dbg', { name: 'another', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent' });
    await eventually(() => statusOf(tc, 'dbg')?.ephemeralContainerStatuses?.length === 2 &&
      statusOf(tc, 'dbg')!.ephemeralContainerStatuses!.every((c) => c.state?.running), 3000, 'both running');
    const both = statusOf(tc, 'dbg')!.ephemeralContainerStatuses!;
    assert.deepEqual(both.map((c) => c.name), ['another', 'debugger']);
    assert.deepEqual(both[1], ec);
  } finally {
    await tc.stop();
  }
});

test('an ephemeral container named by kubevisor.dev/fail exits and is not restarted; it stops with the pod', async () => {
  const tc = await cluster();
  try {
    const podDef = tc.ctx.def('', 'v1', 'pods');
    await tc.vc.store.create(podDef, 'default', pod('crashy', { annotations: { 'kubevisor.dev/fail': 'oops' } }));
    await eventually(() => statusOf(tc, 'crashy')?.phase === 'Running', 3000, 'Running');
    await addEphemeral(tc, 'crashy', { name: 'oops', image: 'busybox' });
    await addEphemeral(tc, 'crashy', { name: 'stays', image: 'busybox' });
    await eventually(() => statusOf(tc, 'crashy')?.ephemeralContainerStatuses?.[0]?.state?.terminated !== undefined, 3000, 'oops exited');
    await new Promise((r) => setTimeout(r, 300));
    const st = statusOf(tc, 'crashy') as PodStatus;
    const [oops, stays] = st.ephemeralContainerStatuses as ContainerStatus[];
    assert.equal(oops?.state?.terminated?.exitCode, 1);
    assert.equal(oops?.state?.terminated?.reason, 'Error');
    assert.equal(oops?.restartCount, 0);
    assert.ok(stays?.state?.running);
    assert.equal(st.phase, 'Running');
    assert.equal(cond(st, 'Ready'), 'True');

    // A graceful delete stops it with the others.
    await tc.vc.store.delete(podDef, 'default', 'crashy', {});
    await eventually(() => tc.vc.store.peek(podDef, 'default', 'crashy') === undefined, 3000, 'deleted');
  } finally {
    await tc.stop();
  }
});

test('a restarted kubelet takes over running ephemeral containers and starts ones it has not seen', async () => {
  const tc = await openTestCluster();
  const podDef = tc.ctx.def('', 'v1', 'pods');
  let nodes = startSimulatedNodes(tc.ctx, { count: 1, timing: fast });
  await nodes.ready;
  const stopScheduler = startScheduler(tc.ctx);
  try {
    await tc.vc.store.create(podDef, 'default', pod('kept'));
    await eventually(() => statusOf(tc, 'kept')?.phase === 'Running', 3000, 'running');
    await addEphemeral(tc, 'kept', { name: 'debugger', image: 'busybox' });
    await eventually(() => statusOf(tc, 'kept')?.ephemeralContainerStatuses?.[0]?.state?.running !== undefined, 3000, 'debugger running');
    const before = statusOf(tc, 'kept')!.ephemeralContainerStatuses![0]!;
    nodes();
    await addEphemeral(tc, 'kept', { name: 'later', image: 'busybox' });
    nodes = startSimulatedNodes(tc.ctx, { count: 1, timing: fast });
    await nodes.ready;
    await eventually(() => statusOf(tc, 'kept')?.ephemeralContainerStatuses?.find((c) => c.name === 'later')?.state?.running !== undefined, 3000, 'later running');
    const after = statusOf(tc, 'kept')!.ephemeralContainerStatuses!.find((c) => c.name === 'debugger');
    assert.deepEqual(after, before);
  } finally {
    stopScheduler();
    nodes();
    await tc.close();
  }
});
