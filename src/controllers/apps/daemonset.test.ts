import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, openTestCluster, type TestCluster } from '../../../test/support/cluster.ts';
import type { KubeObject } from '../../api/types.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import { startDaemonSetController } from './daemonset.ts';
import { targetNodeName } from './scheduling.ts';
import { autoReady, daemonSetRollout, markReady, pods, setPodStatus } from './testing.ts';
import type { Pod } from './util.ts';

const ns = 'kube-system';

async function withCluster(fn: (tc: TestCluster) => Promise<void>): Promise<void> {
  const tc = await openTestCluster();
  const stop = startDaemonSetController(tc.ctx);
  try {
    await fn(tc);
  } finally {
    stop();
    await tc.close();
  }
}

function daemonSet(name: string, spec: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'agent:1' }], ...podSpec } },
      ...spec,
    },
  };
}

function node(name: string, labels: Record<string, string> = {}, taints: unknown[] = []): KubeObject {
  return { metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec: taints.length > 0 ? { taints } : {} };
}

const dsDef = (tc: TestCluster) => tc.ctx.def('apps', 'v1', 'daemonsets');
const nodeDef = (tc: TestCluster) => tc.ctx.def('', 'v1', 'nodes');
const getDs = (tc: TestCluster, name: string) => tc.vc.store.peek(dsDef(tc), ns, name) as KubeObject;
const status = (tc: TestCluster, name: string) => (getDs(tc, name).status ?? {}) as Record<string, number>;
const live = (p: Pod) => !p.metadata.deletionTimestamp;
const nodesOf = (tc: TestCluster) => pods(tc.vc, ns, live).map((p) => targetNodeName(p.spec)).sort();
const image = (p: Pod) => ((p.spec as any).containers[0].image as string);

function updateNode(tc: TestCluster, name: string, f: (n: any) => void) {
  return tc.vc.store.guaranteedUpdate(nodeDef(tc), undefined, name, (cur) => { f(cur); return cur as KubeObject; });
}

function updateDs(tc: TestCluster, name: string, f: (spec: any) => void) {
  return tc.vc.store.guaranteedUpdate(dsDef(tc), ns, name, (cur) => { f((cur as any).spec); return cur as KubeObject; });
}

function revisions(tc: TestCluster, owner: string): KubeObject[] {
  const def = tc.ctx.def('apps', 'v1', 'controllerrevisions');
  const out: KubeObject[] = [];
  for (const c of tc.vc.cache.scan(`${resourcePrefix(def)}${ns}/`)) {
    if (c.obj.metadata.ownerReferences?.some((r) => r.name === owner)) out.push(c.obj);
  }
  return out.sort((a, b) => (a.revision as number) - (b.revision as number));
}

function eventMessages(tc: TestCluster, involved: string): string[] {
  const def = tc.ctx.def('', 'v1', 'events');
  const out: string[] = [];
  for (const c of tc.vc.cache.scan(`${resourcePrefix(def)}${ns}/`)) {
    if ((c.obj.involvedObject as { name?: string }).name === involved) out.push(`${c.obj.reason}: ${c.obj.message}`);
  }
  return out;
}

test('one pod per eligible node, pinned by node affinity, with the daemon tolerations', async () => {
  await withCluster(async (tc) => {
    const { vc } = tc;
    await vc.store.create(nodeDef(tc), undefined, node('n1', { role: 'worker' }));
    await vc.store.create(nodeDef(tc), undefined, node('n2', { role: 'worker' }, [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]));
    await vc.store.create(nodeDef(tc), undefined, node('n3', { role: 'control-plane' }));
    await vc.store.create(nodeDef(tc), undefined, node('n4', { role: 'worker' }, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]));
    await vc.store.create(dsDef(tc), ns, daemonSet('agent', {}, { nodeSelector: { role: 'worker' }, hostNetwork: true }));
    await eventually(() => nodesOf(tc).length === 2, 5000, 'two pods');
    assert.deepEqual(nodesOf(tc), ['n1', 'n4'], 'n2 has an untolerated taint, n3 does not match nodeSelector; unschedulable is tolerated');
    const p = pods(vc, ns).find((x) => targetNodeName(x.spec) === 'n1') as Pod;
    const ds = getDs(tc, 'agent');
    assert.equal(p.metadata.generateName, 'agent-');
    assert.match(p.metadata.name as string, /^agent-[a-z0-9]{5}$/);
    assert.equal(p.spec?.nodeName, undefined, 'the scheduler binds the pod');
    assert.deepEqual(p.spec?.affinity, { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] } } });
    assert.deepEqual(p.spec?.tolerations, [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    const [rev] = revisions(tc, 'agent');
    assert.ok(rev);
    assert.equal(rev.revision, 1);
    const hash = rev.metadata.labels?.['controller-revision-hash'] as string;
    assert.equal(rev.metadata.name, `agent-${hash}`);
    assert.equal(p.metadata.labels?.['controller-revision-hash'], hash);
    assert.equal(p.metadata.labels?.['pod-template-generation'], '1');
    assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: ds.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    await eventually(() => status(tc, 'agent').desiredNumberScheduled === 2 && status(tc, 'agent').currentNumberScheduled === 2, 5000, 'status');
    assert.deepEqual(status(tc, 'agent'), {
      currentNumberScheduled: 2, numberMisscheduled: 0, desiredNumberScheduled: 2, numberReady: 0,
      observedGeneration: 1, updatedNumberScheduled: 2, numberUnavailable: 2,
    });
    assert.ok(!daemonSetRollout(getDs(tc, 'agent')).done);
    for (const x of pods(vc, ns)) await markReady(vc, ns, x.metadata.name as string);
    await eventually(() => daemonSetRollout(getDs(tc, 'agent')).done, 5000, 'rollout');
    assert.equal(status(tc, 'agent').numberAvailable, 2);
    assert.ok(eventMessages(tc, 'agent').includes(`SuccessfulCreate: Created pod: ${p.metadata.name}`), eventMessages(tc, 'agent').join('\n'));
  });
});

test('nodes coming, changing and going: pods follow, NoExecute evicts, NoSchedule only keeps new pods away', async () => {
  await withCluster(async (tc) => {
    const { vc } = tc;
    await vc.store.create(nodeDef(tc), undefined, node('a'));
    await vc.store.create(dsDef(tc), ns, daemonSet('agent'));
    await eventually(() => nodesOf(tc).join() === 'a', 5000, 'pod on a');
    await vc.store.create(nodeDef(tc), undefined, node('b'));
    await eventually(() => nodesOf(tc).join() === 'a,b', 5000, 'pod on b');

    // NoSchedule: the pod stays, but the node no longer counts as desired.
    await updateNode(tc, 'b', (n) => { n.spec = { taints: [{ key: 'maintenance', effect: 'NoSchedule' }] }; });
    await eventually(() => status(tc, 'agent').desiredNumberScheduled === 1 && status(tc, 'agent').numberMisscheduled === 1, 5000, 'misscheduled');
    assert.deepEqual(nodesOf(tc), ['a', 'b']);

    // NoExecute: the pod goes.
    await updateNode(tc, 'b', (n) => { n.spec = { taints: [{ key: 'maintenance', effect: 'NoExecute' }] }; });
    await eventually(() => nodesOf(tc).join() === 'a', 5000, 'evicted from b');
    await eventually(() => status(tc, 'agent').numberMisscheduled === 0, 5000, 'status');

    // A node deleted before its pod was bound: the pod is removed.
    await vc.store.create(nodeDef(tc), undefined, node('c'));
    await eventually(() => nodesOf(tc).join() === 'a,c', 5000, 'pod on c');
    await vc.store.delete(nodeDef(tc), undefined, 'c');
    await eventually(() => nodesOf(tc).join() === 'a', 5000, 'pod for c removed');
    await eventually(() => status(tc, 'agent').desiredNumberScheduled === 1 && status(tc, 'agent').currentNumberScheduled === 1, 5000, 'status');
  });
});

test('a failed daemon pod is replaced', async () => {
  await withCluster(async (tc) => {
    const { vc } = tc;
    await vc.store.create(nodeDef(tc), undefined, node('a'));
    await vc.store.create(dsDef(tc), ns, daemonSet('agent'));
    await eventually(() => pods(vc, ns).length === 1, 5000, 'pod');
    const first = pods(vc, ns)[0] as Pod;
    await setPodStatus(vc, ns, first.metadata.name as string, 'Failed', false);
    await eventually(() => pods(vc, ns).length === 1 && pods(vc, ns)[0]?.metadata.uid !== first.metadata.uid, 5000, 'replacement');
    assert.ok(eventMessages(tc, 'agent').some((m) => m.startsWith(`FailedDaemonPod: Found failed daemon pod ${ns}/${first.metadata.name} on node a, will try to kill it`)));
  });
});

test('RollingUpdate with maxUnavailable replaces pods a node at a time; revisions record templates', async () => {
  await withCluster(async (tc) => {
    const { vc } = tc;
    for (const n of ['a', 'b', 'c']) await vc.store.create(nodeDef(tc), undefined, node(n));
    const stop = autoReady(vc, ns);
    try {
      await vc.store.create(dsDef(tc), ns, daemonSet('agent'));
      await eventually(() => daemonSetRollout(getDs(tc, 'agent')).done && status(tc, 'agent').numberAvailable === 3, 5000, 'first rollout');
      // Watch how many pods are unavailable at any time during the update.
      let maxDown = 0;
      const unsub = vc.cache.subscribe({ prefix: `${resourcePrefix(tc.ctx.def('', 'v1', 'pods'))}${ns}/`, onEvent: () => {
        const ready = pods(vc, ns, (p) => live(p) && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true).length;
        maxDown = Math.max(maxDown, 3 - ready);
      } });
      await updateDs(tc, 'agent', (s) => { s.template.spec.containers[0].image = 'agent:2'; });
      await eventually(() => { const d = getDs(tc, 'agent'); return (d.status as any).observedGeneration === 2 && daemonSetRollout(d).done; }, 5000, 'second rollout');
      unsub();
      assert.equal(maxDown, 1, 'maxUnavailable 1');
      assert.deepEqual(pods(vc, ns, live).map(image), ['agent:2', 'agent:2', 'agent:2']);
      const revs = revisions(tc, 'agent');
      assert.deepEqual(revs.map((r) => r.revision), [1, 2]);
      // Back to the first template: its revision is renumbered, no new one is made.
      await updateDs(tc, 'agent', (s) => { s.template.spec.containers[0].image = 'agent:1'; });
      await eventually(() => { const d = getDs(tc, 'agent'); return (d.status as any).observedGeneration === 3 && daemonSetRollout(d).done; }, 5000, 'rollback');
      const after = revisions(tc, 'agent');
      assert.deepEqual(after.map((r) => [r.metadata.name, r.revision]), [[revs[1]?.metadata.name, 2], [revs[0]?.metadata.name, 3]]);
      assert.deepEqual(pods(vc, ns, live).map(image), ['agent:1', 'agent:1', 'agent:1']);
    } finally {
      stop();
    }
  });
});

test('RollingUpdate with maxSurge starts the new pod before the old one goes', async () => {
  await withCluster(async (tc) => {
    const { vc } = tc;
    await vc.store.create(nodeDef(tc), undefined, node('a'));
    await vc.store.create(dsDef(tc), ns, daemonSet('agent', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } }));
    await eventually(() => pods(vc, ns).length === 1, 5000, 'pod');
    const old = pods(vc, ns)[0] as Pod;
    await markReady(vc, ns, old.metadata.name as string);
    await eventually(() => daemonSetRollout(getDs(tc, 'agent')).done, 5000, 'first rollout');
    await updateDs(tc, 'agent', (s) => { s.template.spec.containers[0].image = 'agent:2'; });
    await eventually(() => pods(vc, ns).length === 2, 5000, 'surge pod');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(pods(vc, ns).length, 2, 'the old pod stays until the new one is available');
    const fresh = pods(vc, ns).find((p) => p.metadata.uid !== old.metadata.uid) as Pod;
    assert.equal(image(fresh), 'agent:2');
    await markReady(vc, ns, fresh.metadata.name as string);
    await eventually(() => pods(vc, ns).length === 1 && pods(vc, ns)[0]?.metadata.uid === fresh.metadata.uid, 5000, 'old pod removed');
    await eventually(() => daemonSetRollout(getDs(tc, 'agent')).done, 5000, 'rollout');
  });
});

test('OnDelete: a template change reaches a node only when its pod is deleted', async () => {
  await withCluster(async (tc) => {
    const { vc } = tc;
    for (const n of ['a', 'b']) await vc.store.create(nodeDef(tc), undefined, node(n));
    await vc.store.create(dsDef(tc), ns, daemonSet('agent', { updateStrategy: { type: 'OnDelete' } }));
    await eventually(() => pods(vc, ns).length === 2, 5000, 'pods');
    await updateDs(tc, 'agent', (s) => { s.template.spec.containers[0].image = 'agent:2'; });
    await eventually(() => (status(tc, 'agent').observedGeneration === 2), 5000, 'observed');
    assert.equal(status(tc, 'agent').updatedNumberScheduled ?? 0, 0);
    assert.deepEqual(pods(vc, ns).map(image), ['agent:1', 'agent:1']);
    assert.throws(() => daemonSetRollout(getDs(tc, 'agent')), /only available for RollingUpdate/);
    const victim = pods(vc, ns).find((p) => targetNodeName(p.spec) === 'b') as Pod;
    await vc.store.delete(tc.ctx.def('', 'v1', 'pods'), ns, victim.metadata.name as string);
    await eventually(() => pods(vc, ns).some((p) => targetNodeName(p.spec) === 'b' && image(p) === 'agent:2'), 5000, 'replacement on b');
    await eventually(() => status(tc, 'agent').updatedNumberScheduled === 1, 5000, 'status');
  });
});

test('orphan pods matching the selector are adopted; revision history is trimmed', async () => {
  await withCluster(async (tc) => {
    const { vc } = tc;
    await vc.store.create(nodeDef(tc), undefined, node('a'));
    await vc.store.create(tc.ctx.def('', 'v1', 'pods'), ns, {
      metadata: { name: 'stray', labels: { app: 'agent' } },
      spec: {
        containers: [{ name: 'c', image: 'agent:0' }],
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a'] }] }] } } },
      },
    });
    await vc.store.create(dsDef(tc), ns, daemonSet('agent', { revisionHistoryLimit: 1, updateStrategy: { type: 'OnDelete' } }));
    await eventually(() => pods(vc, ns)[0]?.metadata.ownerReferences?.[0]?.name === 'agent', 5000, 'adoption');
    assert.equal(pods(vc, ns).length, 1, 'the adopted pod serves node a');
    for (const img of ['agent:2', 'agent:3', 'agent:4']) {
      await updateDs(tc, 'agent', (s) => { s.template.spec.containers[0].image = img; });
      await new Promise((r) => setTimeout(r, 30));
    }
    await eventually(() => revisions(tc, 'agent').length === 2, 5000, 'history trimmed to current + 1');
    assert.deepEqual(revisions(tc, 'agent').map((r) => r.revision), [3, 4]);
  });
});
