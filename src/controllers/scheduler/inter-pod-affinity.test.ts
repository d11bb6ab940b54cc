import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestCluster } from '../../../test/support/cluster.ts';
import { addNode, addPod, nodeOf, waitBound, waitUnschedulable, withScheduler, zonedNodes } from './testing.ts';
import type { PodAffinityTermSpec } from './pod-terms.ts';

const zone = 'topology.kubernetes.io/zone';
const host = 'kubernetes.io/hostname';

function term(matchLabels: Record<string, string>, topologyKey: string, extra: Partial<PodAffinityTermSpec> = {}): PodAffinityTermSpec {
  return { labelSelector: { matchLabels }, topologyKey, ...extra };
}

const antiRequired = (...terms: PodAffinityTermSpec[]) => ({ affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: terms } } });
const affRequired = (...terms: PodAffinityTermSpec[]) => ({ affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: terms } } });

async function addNamespace(tc: TestCluster, name: string, labels: Record<string, string>): Promise<void> {
  await tc.vc.store.create(tc.ctx.def('', 'v1', 'namespaces'), undefined, { metadata: { name, labels } });
}

test('required anti-affinity on hostname: one pod per node, the fourth pending with upstream message', async () => {
  await withScheduler(async (tc) => {
    await zonedNodes(tc);
    const spec = antiRequired(term({ app: 'web' }, host));
    for (let i = 0; i < 4; i++) await addPod(tc, `web-${i}`, { labels: { app: 'web' }, spec });
    const nodes = new Set<string>();
    for (let i = 0; i < 3; i++) nodes.add(await waitBound(tc, `web-${i}`));
    assert.equal(nodes.size, 3);
    assert.equal(await waitUnschedulable(tc, 'web-3'),
      "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.");
    // A pod the term does not select is not kept off.
    await addPod(tc, 'other', { labels: { app: 'other' } });
    await waitBound(tc, 'other');
  });
});

test("an existing pod's required anti-affinity keeps matching pods off its domain", async () => {
  await withScheduler(async (tc) => {
    await zonedNodes(tc, ['a', 'a', 'b']);
    await addPod(tc, 'loner', { labels: { app: 'loner' }, spec: { nodeSelector: { [host]: 'n0' }, ...antiRequired(term({ app: 'noisy' }, zone)) } });
    assert.equal(await waitBound(tc, 'loner'), 'n0');
    await addPod(tc, 'noisy', { labels: { app: 'noisy' }, spec: { nodeSelector: { [zone]: 'a' } } });
    assert.equal(await waitUnschedulable(tc, 'noisy'),
      "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 node(s) didn't satisfy existing pods anti-affinity rules. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.");
    await addPod(tc, 'noisy-b', { labels: { app: 'noisy' } });
    assert.equal(await waitBound(tc, 'noisy-b'), 'n2');
  });
});

test('required affinity: to the zone of the selected pod; none anywhere is unresolvable', async () => {
  await withScheduler(async (tc) => {
    await zonedNodes(tc, ['a', 'b', 'c']);
    await addPod(tc, 'cache', { labels: { app: 'cache' }, spec: { nodeSelector: { [host]: 'n1' } } });
    await waitBound(tc, 'cache');
    for (let i = 0; i < 3; i++) await addPod(tc, `app-${i}`, { labels: { app: 'app' }, spec: affRequired(term({ app: 'cache' }, zone)) });
    for (let i = 0; i < 3; i++) assert.equal(await waitBound(tc, `app-${i}`), 'n1');
    await addPod(tc, 'lost', { spec: affRequired(term({ app: 'db' }, zone)) });
    assert.equal(await waitUnschedulable(tc, 'lost'),
      "0/3 nodes are available: 3 node(s) didn't match pod affinity rules. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.");
    // The selected pod arriving lets it in.
    await addPod(tc, 'db', { labels: { app: 'db' }, spec: { nodeSelector: { [host]: 'n2' } } });
    assert.equal(await waitBound(tc, 'lost'), 'n2');
  });
});

test('a pod with affinity to its own kind goes anywhere while none is bound, then the rest follow it', async () => {
  await withScheduler(async (tc) => {
    await zonedNodes(tc, ['a', 'b', 'c']);
    const spec = affRequired(term({ app: 'group' }, zone));
    await addPod(tc, 'g0', { labels: { app: 'group' }, spec });
    const first = await waitBound(tc, 'g0');
    for (let i = 1; i < 4; i++) await addPod(tc, `g${i}`, { labels: { app: 'group' }, spec });
    for (let i = 1; i < 4; i++) assert.equal(await waitBound(tc, `g${i}`), first);
    // A pod whose terms do not select itself gets no such pass.
    await addPod(tc, 'not-self', { labels: { app: 'x' }, spec: affRequired(term({ app: 'y' }, zone)) });
    assert.match(await waitUnschedulable(tc, 'not-self'), /3 node\(s\) didn't match pod affinity rules/);
  });
});

test('required affinity needs the topology key on the node', async () => {
  await withScheduler(async (tc) => {
    await addNode(tc, 'zoned', { labels: { [zone]: 'a' } });
    await addNode(tc, 'bare');
    await addPod(tc, 'target', { labels: { app: 't' }, spec: { nodeSelector: { [host]: 'bare' } } });
    await waitBound(tc, 'target');
    await addPod(tc, 'follower', { spec: affRequired(term({ app: 't' }, host), term({ app: 't' }, zone)) });
    assert.equal(await waitUnschedulable(tc, 'follower'),
      "0/2 nodes are available: 2 node(s) didn't match pod affinity rules. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.");
  });
});

test('namespaces, namespaceSelector: terms look at the pod\'s own namespace unless told otherwise', async () => {
  await withScheduler(async (tc) => {
    await addNamespace(tc, 'team-a', { team: 'a' });
    await addNamespace(tc, 'team-b', { team: 'b' });
    await zonedNodes(tc, ['a', 'b']);
    await addPod(tc, 'web', { namespace: 'team-a', labels: { app: 'web' }, spec: { nodeSelector: { [host]: 'n0' } } });
    await waitBound(tc, 'web', 'team-a');
    // Same labels in another namespace: no clash by default.
    await addPod(tc, 'web', { namespace: 'team-b', labels: { app: 'web' }, spec: antiRequired(term({ app: 'web' }, host)) });
    await waitBound(tc, 'web', 'team-b');
    // Naming the namespace, or selecting it by labels, makes the clash.
    await addPod(tc, 'named', { namespace: 'team-b', spec: { nodeSelector: { [host]: 'n0' }, ...antiRequired(term({ app: 'web' }, host, { namespaces: ['team-a'] })) } });
    assert.match(await waitUnschedulable(tc, 'named', 'team-b'), /1 node\(s\) didn't match pod anti-affinity rules/);
    await addPod(tc, 'selected', { namespace: 'team-b', spec: { nodeSelector: { [host]: 'n0' }, ...antiRequired(term({ app: 'web' }, host, { namespaceSelector: { matchLabels: { team: 'a' } } })) } });
    assert.match(await waitUnschedulable(tc, 'selected', 'team-b'), /1 node\(s\) didn't match pod anti-affinity rules/);
    await addPod(tc, 'all', { namespace: 'team-b', spec: affRequired(term({ app: 'web' }, host, { namespaceSelector: {} })) });
    const n = await waitBound(tc, 'all', 'team-b');
    assert.ok(n === 'n0' || n === nodeOf(tc, 'web', 'team-b'));
  });
});

test('matchLabelKeys and mismatchLabelKeys narrow a term by the pod\'s own label values', async () => {
  await withScheduler(async (tc) => {
    await zonedNodes(tc, ['a', 'b']);
    const spec = antiRequired(term({ app: 'api' }, host, { matchLabelKeys: ['rev'] }));
    await addPod(tc, 'v1-a', { labels: { app: 'api', rev: '1' }, spec });
    await addPod(tc, 'v1-b', { labels: { app: 'api', rev: '1' }, spec });
    const a = await waitBound(tc, 'v1-a');
    const b = await waitBound(tc, 'v1-b');
    assert.notEqual(a, b);
    // Another revision does not count against these terms.
    await addPod(tc, 'v2-a', { labels: { app: 'api', rev: '2' }, spec });
    await waitBound(tc, 'v2-a');
    await addPod(tc, 'v1-c', { labels: { app: 'api', rev: '1' }, spec });
    assert.match(await waitUnschedulable(tc, 'v1-c'), /^0\/2 nodes are available: 2 node\(s\) didn't match pod anti-affinity rules\./);
    // mismatchLabelKeys: only pods of other tenants repel.
    await addPod(tc, 't1', { labels: { tenant: 'x' }, spec: { nodeSelector: { [host]: 'n0' } } });
    await waitBound(tc, 't1');
    const mismatch = antiRequired({ labelSelector: { matchExpressions: [{ key: 'tenant', operator: 'Exists' }] }, topologyKey: host, mismatchLabelKeys: ['tenant'] });
    await addPod(tc, 't2', { labels: { tenant: 'y' }, spec: { ...mismatch, nodeSelector: { [host]: 'n0' } } });
    assert.match(await waitUnschedulable(tc, 't2'), /didn't match pod anti-affinity rules/);
    await addPod(tc, 't3', { labels: { tenant: 'x' }, spec: { ...mismatch, nodeSelector: { [host]: 'n0' } } });
    assert.equal(await waitBound(tc, 't3'), 'n0');
  });
});

test('preferred anti-affinity spreads pods, preferred affinity gathers them', async () => {
  await withScheduler(async (tc) => {
    await zonedNodes(tc, ['a', 'b', 'c']);
    const soft = { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term({ app: 'spread' }, host) }] } } };
    for (let i = 0; i < 3; i++) await addPod(tc, `s${i}`, { labels: { app: 'spread' }, spec: soft });
    const nodes = new Set<string>();
    for (let i = 0; i < 3; i++) nodes.add(await waitBound(tc, `s${i}`));
    assert.equal(nodes.size, 3);
    await addPod(tc, 'anchor', { labels: { app: 'anchor' }, spec: { nodeSelector: { [host]: 'n2' } } });
    await waitBound(tc, 'anchor');
    const near = { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term({ app: 'anchor' }, zone) }] } } };
    for (let i = 0; i < 4; i++) await addPod(tc, `near${i}`, { spec: near });
    for (let i = 0; i < 4; i++) assert.equal(await waitBound(tc, `near${i}`), 'n2');
  });
});

test("existing pods' preferred terms draw or push the incoming pod", async () => {
  await withScheduler(async (tc) => {
    await zonedNodes(tc, ['a', 'b', 'c']);
    const wants = { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: term({ app: 'friend' }, host) }] } } };
    await addPod(tc, 'host-pod', { labels: { app: 'h' }, spec: { nodeSelector: { [host]: 'n1' }, ...wants } });
    await waitBound(tc, 'host-pod');
    for (let i = 0; i < 3; i++) await addPod(tc, `f${i}`, { labels: { app: 'friend' } });
    for (let i = 0; i < 3; i++) assert.equal(await waitBound(tc, `f${i}`), 'n1');
    const avoids = { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term({ app: 'foe' }, zone) }] } } };
    await addPod(tc, 'guard-0', { labels: { app: 'g' }, spec: { nodeSelector: { [host]: 'n0' }, ...avoids } });
    await addPod(tc, 'guard-2', { labels: { app: 'g' }, spec: { nodeSelector: { [host]: 'n2' }, ...avoids } });
    await waitBound(tc, 'guard-0');
    await waitBound(tc, 'guard-2');
    for (let i = 0; i < 3; i++) await addPod(tc, `foe${i}`, { labels: { app: 'foe' } });
    for (let i = 0; i < 3; i++) assert.equal(await waitBound(tc, `foe${i}`), 'n1');
  });
});

test('the message when the only node left fails for anti-affinity and others for resources', async () => {
  await withScheduler(async (tc) => {
    await zonedNodes(tc, ['a', 'b'], { cpu: '1' });
    await addPod(tc, 'hog', { cpu: '900m', spec: { nodeSelector: { [host]: 'n0' } } });
    await addPod(tc, 'one', { labels: { app: 'x' }, spec: { nodeSelector: { [host]: 'n1' } } });
    await waitBound(tc, 'hog');
    await waitBound(tc, 'one');
    await addPod(tc, 'two', { labels: { app: 'x' }, cpu: '500m', spec: antiRequired(term({ app: 'x' }, host)) });
    assert.equal(await waitUnschedulable(tc, 'two'),
      "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match pod anti-affinity rules. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.");
  });
});
