import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { selectorFromSet } from '../../api/selectors/labels.ts';
import type { TestCluster } from '../../../test/support/cluster.ts';
import type { PodStatus } from '../../nodes/api.ts';
import type { PodInfo } from './pod-index.ts';
import { podTerms } from './pod-terms.ts';
import type { Budget, Candidate } from './preemption.ts';
import { pickCandidate, selectVictims, splitByBudgets } from './preemption.ts';
import { addNode, addPod, eventsOf, eventually, nodeOf, podOf, waitBound, waitMessage, waitUnschedulable, withScheduler } from './testing.ts';

const host = 'kubernetes.io/hostname';

const status = (tc: TestCluster, name: string) => podOf(tc, name)?.status as PodStatus | undefined;

async function forceDelete(tc: TestCluster, name: string): Promise<void> {
  await tc.vc.store.delete(tc.ctx.def('', 'v1', 'pods'), 'default', name, { gracePeriodSeconds: 0 });
}

async function waitTerminating(tc: TestCluster, name: string): Promise<void> {
  await eventually(() => !!podOf(tc, name)?.metadata.deletionTimestamp, 3000, `${name} terminating`);
}

test('a higher-priority pod preempts a lower one: nomination, DisruptionTarget, Preempted event, then bound', async () => {
  await withScheduler(async (tc) => {
    await tc.vc.store.create(tc.ctx.def('scheduling.k8s.io', 'v1', 'priorityclasses'), undefined, { metadata: { name: 'high' }, value: 1000 });
    await addNode(tc, 'n0', { cpu: '2' });
    await addPod(tc, 'low', { cpu: '1500m', spec: { priority: 10 } });
    assert.equal(await waitBound(tc, 'low'), 'n0');
    const high = await addPod(tc, 'high', { cpu: '1', spec: { priorityClassName: 'high' } });
    await waitTerminating(tc, 'low');
    const low = podOf(tc, 'low') as KubeObject;
    const cond = (low.status as PodStatus).conditions?.find((c) => c.type === 'DisruptionTarget');
    assert.equal(cond?.status, 'True');
    assert.equal(cond?.reason, 'PreemptionByScheduler');
    assert.equal(cond?.message, 'default-scheduler: preempting to accommodate a higher priority pod');
    await eventually(() => status(tc, 'high')?.nominatedNodeName === 'n0', 3000, 'nominated');
    assert.equal(await waitMessage(tc, 'high', '0/1 nodes are available: 1 Insufficient cpu.'), '0/1 nodes are available: 1 Insufficient cpu.');
    // Tried again while the victim terminates (a node came), the pod waits instead of preempting more.
    await addNode(tc, 'tiny', { cpu: '100m' });
    const waiting = '0/2 nodes are available: 2 Insufficient cpu. preemption: not eligible due to a terminating pod on the nominated node.';
    assert.equal(await waitMessage(tc, 'high', waiting), waiting);
    assert.equal(status(tc, 'high')?.nominatedNodeName, 'n0');
    const preempted = await eventsOf(tc, 'Preempted');
    assert.equal(preempted.length, 1);
    assert.equal(preempted[0]?.message, `Preempted by pod ${high.metadata.uid} on node n0`);
    assert.equal(preempted[0]?.type, 'Normal');
    assert.equal((preempted[0]?.involvedObject as { name?: string }).name, 'low');
    const failed = (await eventsOf(tc, 'FailedScheduling')).map((e) => e.message);
    assert.ok(failed.includes('0/1 nodes are available: 1 Insufficient cpu.'), JSON.stringify(failed));
    // The victim gone, the pod is bound to its nominated node and the nomination cleared.
    await forceDelete(tc, 'low');
    assert.equal(await waitBound(tc, 'high'), 'n0');
    assert.equal(status(tc, 'high')?.nominatedNodeName, undefined);
  });
});

test('victims: the node whose most important victim has the lowest priority, the fewest otherwise', async () => {
  await withScheduler(async (tc) => {
    await addNode(tc, 'n0', { cpu: '2' });
    await addNode(tc, 'n1', { cpu: '2' });
    await addPod(tc, 'mid', { cpu: '1800m', spec: { priority: 50, nodeName: 'n0' } });
    await addPod(tc, 'low-a', { cpu: '900m', spec: { priority: 10, nodeName: 'n1' } });
    await addPod(tc, 'low-b', { cpu: '900m', spec: { priority: 10, nodeName: 'n1' } });
    await addPod(tc, 'big', { cpu: '1500m', spec: { priority: 100 } });
    await waitTerminating(tc, 'low-a');
    await waitTerminating(tc, 'low-b');
    assert.equal(podOf(tc, 'mid')?.metadata.deletionTimestamp, undefined);
    await eventually(() => status(tc, 'big')?.nominatedNodeName === 'n1', 3000, 'nominated n1');
    // Only as many as needed: one small victim is enough here.
    await addPod(tc, 'small', { cpu: '500m', spec: { priority: 100, nodeSelector: { [host]: 'n0' } } });
    await waitTerminating(tc, 'mid');
  });
});

test('victims given back while the pod still fits, lowest priority evicted', async () => {
  await withScheduler(async (tc) => {
    await addNode(tc, 'n0', { cpu: '2' });
    await addPod(tc, 'p1', { cpu: '600m', spec: { priority: 1, nodeName: 'n0' } });
    await addPod(tc, 'p2', { cpu: '600m', spec: { priority: 2, nodeName: 'n0' } });
    await addPod(tc, 'p3', { cpu: '600m', spec: { priority: 3, nodeName: 'n0' } });
    await addPod(tc, 'want', { cpu: '700m', spec: { priority: 10 } });
    await waitTerminating(tc, 'p1');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(podOf(tc, 'p2')?.metadata.deletionTimestamp, undefined);
    assert.equal(podOf(tc, 'p3')?.metadata.deletionTimestamp, undefined);
  });
});

test('PodDisruptionBudgets: a node without violations is preferred', async () => {
  await withScheduler(async (tc) => {
    await addNode(tc, 'n0', { cpu: '2' });
    await addNode(tc, 'n1', { cpu: '2' });
    await addPod(tc, 'guarded', { cpu: '1800m', labels: { app: 'db' }, spec: { priority: 5, nodeName: 'n0' } });
    await addPod(tc, 'free', { cpu: '1800m', labels: { app: 'cache' }, spec: { priority: 5, nodeName: 'n1' } });
    const pdbDef = tc.ctx.def('policy', 'v1', 'poddisruptionbudgets');
    await tc.vc.store.create(pdbDef, 'default', { metadata: { name: 'db' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'db' } } } });
    await tc.vc.store.guaranteedUpdate(pdbDef, 'default', 'db', (cur) => {
      const o = cur as KubeObject;
      o.status = { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1, observedGeneration: o.metadata.generation };
      return o;
    }, { subresource: 'status' });
    await addPod(tc, 'urgent', { cpu: '1', spec: { priority: 100 } });
    await waitTerminating(tc, 'free');
    assert.equal(podOf(tc, 'guarded')?.metadata.deletionTimestamp, undefined);
    // With the other node gone, the budget does not stop preemption.
    await forceDelete(tc, 'free');
    assert.equal(await waitBound(tc, 'urgent'), 'n1');
    await addPod(tc, 'filler', { cpu: '1', spec: { priority: 5, nodeName: 'n1' } });
    await addPod(tc, 'urgent2', { cpu: '1', spec: { priority: 100 } });
    await eventually(() => !!podOf(tc, 'guarded')?.metadata.deletionTimestamp || !!podOf(tc, 'filler')?.metadata.deletionTimestamp, 3000, 'a victim');
    assert.ok(podOf(tc, 'filler')?.metadata.deletionTimestamp, 'the node without a violation');
  });
});

test('preemption messages: no victims, not helpful, and still not fitting without the victims', async () => {
  await withScheduler(async (tc) => {
    await addNode(tc, 'n0', { cpu: '1', labels: { pool: 'a' } });
    await addNode(tc, 'n1', { cpu: '1', labels: { pool: 'b' } });
    await addPod(tc, 'low', { cpu: '500m', spec: { priority: 0, nodeName: 'n0' } });
    await addPod(tc, 'huge', { cpu: '2', spec: { priority: 100, nodeSelector: { pool: 'a' } } });
    assert.equal(await waitUnschedulable(tc, 'huge'),
      "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 1 Insufficient cpu, 1 Preemption is not helpful for scheduling.");
    assert.equal(podOf(tc, 'low')?.metadata.deletionTimestamp, undefined);
    await addPod(tc, 'peer', { cpu: '800m', spec: { priority: 0, nodeSelector: { pool: 'a' } } });
    assert.equal(await waitUnschedulable(tc, 'peer'),
      "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.");
    await addPod(tc, 'meek', { cpu: '800m', spec: { priority: 100, preemptionPolicy: 'Never', nodeSelector: { pool: 'a' } } });
    assert.equal(await waitUnschedulable(tc, 'meek'),
      "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector. preemption: not eligible due to preemptionPolicy=Never.");
  });
});

test('preemption for inter-pod anti-affinity and topology spread, not only resources', async () => {
  await withScheduler(async (tc) => {
    await addNode(tc, 'n0');
    await addPod(tc, 'squatter', { labels: { app: 'web' }, spec: { priority: 1, nodeName: 'n0' } });
    const anti = { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: host }] } } };
    await addPod(tc, 'web', { labels: { app: 'api' }, spec: { priority: 100, ...anti } });
    await waitTerminating(tc, 'squatter');
    assert.equal(await waitMessage(tc, 'web', "0/1 nodes are available: 1 node(s) didn't match pod anti-affinity rules."), "0/1 nodes are available: 1 node(s) didn't match pod anti-affinity rules.");
    await forceDelete(tc, 'squatter');
    assert.equal(await waitBound(tc, 'web'), 'n0');
    assert.equal(nodeOf(tc, 'web'), 'n0');
  });
});

// The choices themselves.

function info(name: string, priority: number, labels: Record<string, string> = {}, startTime = ''): PodInfo {
  const pod = { metadata: { name, namespace: 'ns', labels }, spec: {} } as KubeObject;
  return { key: `ns/${name}`, namespace: 'ns', name, uid: name, labels, node: 'n', priority, terminating: false, startTime, terms: podTerms(pod), pod };
}

test('selectVictims reprieves the most important first and counts budget violations', () => {
  const a = info('a', 1, {}, '2024-01-01T00:00:00Z');
  const b = info('b', 1, {}, '2024-01-02T00:00:00Z');
  const c = info('c', 5);
  // Fits when at most one pod of the three stays.
  const fits = (removed: ReadonlySet<unknown>) => (removed.size >= 2 ? undefined : { reasons: ['Insufficient cpu'], resolvable: true });
  const r = selectVictims([a, b, c], fits, []);
  assert.ok('victims' in r);
  assert.deepEqual(r.victims.map((v) => v.name), ['a', 'b'], 'c (highest priority) kept; then a and b both go');
  const budget: Budget = { namespace: 'ns', selector: selectorFromSet({ app: 'x' }), allowed: 0, disrupted: new Set() };
  const x = info('x', 5, { app: 'x' });
  const y = info('y', 1);
  const r2 = selectVictims([x, y], (removed) => (removed.size >= 1 ? undefined : { reasons: ['r'], resolvable: true }), [budget]);
  assert.ok('victims' in r2);
  assert.deepEqual(r2.victims.map((v) => v.name), ['y'], 'the budgeted pod is given back first');
  assert.equal(r2.pdbViolations, 0);
  assert.deepEqual(selectVictims([], fits, []), { rejection: { reasons: ['No preemption victims found for incoming pod'], resolvable: false } });
  assert.deepEqual(selectVictims([a], () => ({ reasons: ['Too many pods'], resolvable: true }), []), { rejection: { reasons: ['Too many pods'], resolvable: true } });
});

test('splitByBudgets: disruptions allowed are spent in order; disrupted pods and other namespaces do not count', () => {
  const budget: Budget = { namespace: 'ns', selector: selectorFromSet({ app: 'x' }), allowed: 1, disrupted: new Set(['gone']) };
  const pods = [info('gone', 1, { app: 'x' }), info('p1', 1, { app: 'x' }), info('p2', 1, { app: 'x' }), info('q', 1, { app: 'y' })];
  const { violating, nonViolating } = splitByBudgets(pods, [budget]);
  assert.deepEqual(violating.map((p) => p.name), ['p2']);
  assert.deepEqual(nonViolating.map((p) => p.name), ['gone', 'p1', 'q']);
});

test('pickCandidate: violations, highest victim priority, priority sum, count, latest start', () => {
  const c = (node: string, victims: PodInfo[], pdbViolations = 0): Candidate => ({ node, victims, pdbViolations });
  assert.equal(pickCandidate([c('a', [info('1', 1)], 1), c('b', [info('2', 9)])])?.node, 'b');
  assert.equal(pickCandidate([c('a', [info('1', 9)]), c('b', [info('2', 5), info('3', 5)])])?.node, 'b');
  assert.equal(pickCandidate([c('a', [info('1', 5), info('2', 4)]), c('b', [info('3', 5), info('4', 1)])])?.node, 'b');
  assert.equal(pickCandidate([c('a', [info('1', 5), info('2', -2147483648)]), c('b', [info('3', 5)])])?.node, 'b');
  assert.equal(pickCandidate([c('a', [info('1', 5, {}, '2024-01-01T00:00:00Z')]), c('b', [info('2', 5, {}, '2024-06-01T00:00:00Z')])])?.node, 'b');
  assert.equal(pickCandidate([]), undefined);
});
