import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import type { TestCluster } from '../../../test/support/cluster.ts';
import { addNode, addPod, waitBound, waitUnschedulable, withScheduler, zonedNodes } from './testing.ts';
import type { TopologySpreadConstraintSpec } from './topology-spread.ts';
import { defaultSelector, spreadConstraints } from './topology-spread.ts';

const zone = 'topology.kubernetes.io/zone';
const host = 'kubernetes.io/hostname';

function spread(key: string, maxSkew: number, app: string, extra: Partial<TopologySpreadConstraintSpec> = {}) {
  return { topologySpreadConstraints: [{ maxSkew, topologyKey: key, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app } }, ...extra }] };
}

async function counts(tc: TestCluster, names: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const n of names) {
    const node = await waitBound(tc, n);
    out.set(node, (out.get(node) ?? 0) + 1);
  }
  return out;
}

test('DoNotSchedule maxSkew 1 over zones spreads evenly, even against the resource scores', async () => {
  await withScheduler(async (tc) => {
    // n0 and n1 in zone a, n2 in zone b: balanced allocation alone would use all three nodes alike.
    await zonedNodes(tc, ['a', 'a', 'b']);
    const names = Array.from({ length: 6 }, (_, i) => `p${i}`);
    for (const n of names) await addPod(tc, n, { labels: { app: 'web' }, spec: spread(zone, 1, 'web') });
    const c = await counts(tc, names);
    assert.equal((c.get('n0') ?? 0) + (c.get('n1') ?? 0), 3);
    assert.equal(c.get('n2'), 3);
  });
});

test('a skew beyond maxSkew is refused with upstream message; a missing key is unresolvable', async () => {
  await withScheduler(async (tc) => {
    await addNode(tc, 'a1', { labels: { [zone]: 'a' } });
    await addNode(tc, 'b1', { labels: { [zone]: 'b' }, cpu: '1' });
    await addNode(tc, 'bare');
    // Two in zone a already (placed by name).
    for (const n of ['x0', 'x1']) await addPod(tc, n, { labels: { app: 'db' }, spec: { nodeName: 'a1' } });
    await addPod(tc, 'filler', { cpu: '1', spec: { nodeName: 'b1' } });
    // Counting zone b too (nodeAffinityPolicy Ignore): a has 2, b none.
    await addPod(tc, 'db', { labels: { app: 'db' }, cpu: '100m', spec: { ...spread(zone, 1, 'db', { nodeAffinityPolicy: 'Ignore' }), nodeSelector: { [zone]: 'a' } } });
    assert.equal(await waitUnschedulable(tc, 'db'),
      "0/3 nodes are available: 1 node(s) didn't match pod topology spread constraints, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.");
    await addPod(tc, 'db2', { labels: { app: 'db' }, cpu: '100m', spec: spread(zone, 1, 'db') });
    assert.equal(await waitUnschedulable(tc, 'db2'),
      "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match pod topology spread constraints, 1 node(s) didn't match pod topology spread constraints (missing required label). preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.");
  });
});

test('the pod counts itself only when its own labels match the selector', async () => {
  await withScheduler(async (tc) => {
    await zonedNodes(tc, ['a', 'b']);
    await addPod(tc, 'x0', { labels: { app: 'db' }, spec: { nodeName: 'n0' } });
    // Zone a has 1, zone b 0: a pod of another app may still go to a (skew 1 - 0 = 1 without itself).
    const ignore = { nodeAffinityPolicy: 'Ignore' as const };
    await addPod(tc, 'watcher', { labels: { app: 'other' }, spec: { ...spread(zone, 1, 'db', ignore), nodeSelector: { [host]: 'n0' } } });
    assert.equal(await waitBound(tc, 'watcher'), 'n0');
    await addPod(tc, 'x1', { labels: { app: 'db' }, spec: { ...spread(zone, 1, 'db', ignore), nodeSelector: { [host]: 'n0' } } });
    assert.match(await waitUnschedulable(tc, 'x1'), /1 node\(s\) didn't match pod topology spread constraints/);
  });
});

test('minDomains: fewer domains than asked makes the global minimum 0', async () => {
  await withScheduler(async (tc) => {
    await zonedNodes(tc, ['a', 'b']);
    const spec = spread(zone, 1, 'm', { minDomains: 3 });
    for (const n of ['m0', 'm1']) await addPod(tc, n, { labels: { app: 'm' }, spec });
    const c = await counts(tc, ['m0', 'm1']);
    assert.equal(c.size, 2);
    await addPod(tc, 'm2', { labels: { app: 'm' }, spec });
    assert.match(await waitUnschedulable(tc, 'm2'), /^0\/2 nodes are available: 2 node\(s\) didn't match pod topology spread constraints\./);
  });
});

test('nodeAffinityPolicy Honor (default) leaves out nodes the pod may not use; Ignore counts them', async () => {
  await withScheduler(async (tc) => {
    await addNode(tc, 'a1', { labels: { [zone]: 'a', pool: 'web' } });
    await addNode(tc, 'b1', { labels: { [zone]: 'b', pool: 'web' } });
    await addNode(tc, 'c1', { labels: { [zone]: 'c', pool: 'batch' } });
    const sel = { nodeSelector: { pool: 'web' } };
    for (const n of ['h0', 'h1', 'h2', 'h3']) await addPod(tc, n, { labels: { app: 'h' }, spec: { ...sel, ...spread(zone, 1, 'h') } });
    const c = await counts(tc, ['h0', 'h1', 'h2', 'h3']);
    assert.deepEqual([c.get('a1'), c.get('b1')], [2, 2]);
    // Ignore: zone c (empty, not usable) is the minimum, so nothing more fits.
    await addPod(tc, 'i0', { labels: { app: 'i' }, spec: { ...sel, ...spread(zone, 1, 'i', { nodeAffinityPolicy: 'Ignore' }) } });
    const first = await waitBound(tc, 'i0');
    await addPod(tc, 'i1', { labels: { app: 'i' }, spec: { ...sel, ...spread(zone, 1, 'i', { nodeAffinityPolicy: 'Ignore' }) } });
    const second = await waitBound(tc, 'i1');
    assert.notEqual(first, second);
    await addPod(tc, 'i2', { labels: { app: 'i' }, spec: { ...sel, ...spread(zone, 1, 'i', { nodeAffinityPolicy: 'Ignore' }) } });
    assert.match(await waitUnschedulable(tc, 'i2'), /2 node\(s\) didn't match pod topology spread constraints/);
  });
});

test('nodeTaintsPolicy Honor leaves out tainted nodes the pod does not tolerate', async () => {
  await withScheduler(async (tc) => {
    await addNode(tc, 'a1', { labels: { [zone]: 'a' } });
    await addNode(tc, 'b1', { labels: { [zone]: 'b' } });
    await addNode(tc, 'c1', { labels: { [zone]: 'c' }, taints: [{ key: 'gpu', effect: 'NoSchedule' }] });
    const names = ['t0', 't1', 't2', 't3'];
    for (const n of names) await addPod(tc, n, { labels: { app: 't' }, spec: spread(zone, 1, 't', { nodeTaintsPolicy: 'Honor' }) });
    const c = await counts(tc, names);
    assert.deepEqual([c.get('a1'), c.get('b1')], [2, 2]);
    // Ignore (the default): the tainted zone's 0 is the minimum.
    await addPod(tc, 'u0', { labels: { app: 'u' }, spec: spread(zone, 1, 'u') });
    await addPod(tc, 'u1', { labels: { app: 'u' }, spec: spread(zone, 1, 'u') });
    await waitBound(tc, 'u0');
    await waitBound(tc, 'u1');
    await addPod(tc, 'u2', { labels: { app: 'u' }, spec: spread(zone, 1, 'u') });
    assert.equal(await waitUnschedulable(tc, 'u2'),
      "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 node(s) didn't match pod topology spread constraints. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.");
  });
});

test('matchLabelKeys counts only pods with the same values (one revision spreads on its own)', async () => {
  await withScheduler(async (tc) => {
    await zonedNodes(tc, ['a', 'b']);
    for (const n of ['old0', 'old1']) await addPod(tc, n, { labels: { app: 'r', rev: '1' }, spec: { nodeName: 'n0' } });
    const spec = spread(zone, 1, 'r', { matchLabelKeys: ['rev'] });
    await addPod(tc, 'new0', { labels: { app: 'r', rev: '2' }, spec: { ...spec, nodeSelector: { [host]: 'n0' } } });
    assert.equal(await waitBound(tc, 'new0'), 'n0');
    await addPod(tc, 'new1', { labels: { app: 'r', rev: '2' }, spec });
    assert.equal(await waitBound(tc, 'new1'), 'n1');
  });
});

test('ScheduleAnyway constraints spread by score without refusing', async () => {
  await withScheduler(async (tc) => {
    await zonedNodes(tc, ['a', 'a', 'a', 'b']);
    const spec = { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: zone, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 's' } } }] };
    const names = ['s0', 's1', 's2', 's3'];
    for (const n of names) await addPod(tc, n, { labels: { app: 's' }, spec });
    const c = await counts(tc, names);
    assert.equal(c.get('n3'), 2, JSON.stringify([...c]));
    // With only one usable zone, pods still go there.
    await addPod(tc, 'pinned', { labels: { app: 's' }, spec: { ...spec, nodeSelector: { [host]: 'n3' } } });
    assert.equal(await waitBound(tc, 'pinned'), 'n3');
  });
});

test('pods with no constraints of their own spread by the defaults when a ReplicaSet owns them', async () => {
  await withScheduler(async (tc) => {
    // One node starts fuller (by cpu), which least-allocation scoring alone would avoid.
    await zonedNodes(tc, ['a', 'b']);
    const rs = await tc.vc.store.create(tc.ctx.def('apps', 'v1', 'replicasets'), 'default', {
      metadata: { name: 'web-1' },
      spec: { replicas: 4, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    const owner = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: rs.metadata.uid as string, controller: true }];
    for (let i = 0; i < 3; i++) await addPod(tc, `busy${i}`, { labels: { app: 'web' }, ownerReferences: owner, spec: { nodeName: 'n0' } });
    await addPod(tc, 'other-work', { cpu: '2', spec: { nodeName: 'n1' } });
    await addPod(tc, 'web-x', { labels: { app: 'web' }, ownerReferences: owner });
    assert.equal(await waitBound(tc, 'web-x'), 'n1');
  });
});

test('the default selector: Services selecting the pod and its controller\'s selector', () => {
  const pod = {
    metadata: { name: 'p', namespace: 'ns', labels: { app: 'web', tier: 'fe', 'pod-template-hash': 'abc' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u', controller: true }] },
    spec: { containers: [] },
  } as unknown as KubeObject;
  const svc = (selector: Record<string, string>) => ({ metadata: { name: 's' }, spec: { selector } }) as unknown as KubeObject;
  const rs = { metadata: { name: 'rs' }, spec: { selector: { matchLabels: { app: 'web', 'pod-template-hash': 'abc' } } } } as unknown as KubeObject;
  const sources = { services: () => [svc({ tier: 'fe' }), svc({ tier: 'be' }), svc({})], owner: () => rs };
  assert.equal(defaultSelector(pod, sources).toString(), 'app=web,pod-template-hash=abc,tier=fe');
  const cs = spreadConstraints(pod, sources);
  assert.equal(cs.defaulted, true);
  assert.deepEqual(cs.soft.map((c) => [c.topologyKey, c.maxSkew]), [[host, 3], [zone, 5]]);
  assert.equal(cs.hard.length, 0);
  // Neither a Service nor a known controller: no defaults.
  const bare = { metadata: { name: 'b', namespace: 'ns', labels: { x: 'y' } }, spec: {} } as unknown as KubeObject;
  assert.deepEqual(spreadConstraints(bare, { services: () => [], owner: () => undefined }).soft, []);
  // A pod with constraints of its own never gets the defaults.
  const own = { ...pod, spec: { topologySpreadConstraints: [{ maxSkew: 2, topologyKey: zone, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: {} }] } } as unknown as KubeObject;
  const mine = spreadConstraints(own, sources);
  assert.equal(mine.defaulted, false);
  assert.deepEqual(mine.soft.map((c) => [c.topologyKey, c.maxSkew, c.honorNodeAffinity, c.honorTaints, c.minDomains]), [[zone, 2, true, false, 1]]);
});
