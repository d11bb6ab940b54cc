import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, openTestCluster } from '../../../test/support/cluster.ts';
import type { KubeObject } from '../../api/types.ts';
import { nowTimestamp } from '../../registry/generic/metadata.ts';
import { controllerContext } from '../context.ts';
import { startDisruptionController } from './disruption.ts';
import { createNamespace, createPod, runningPod, setPodState } from './testing.ts';

type PdbStatus = {
  observedGeneration?: number; disruptionsAllowed: number; currentHealthy: number; desiredHealthy: number; expectedPods: number;
  disruptedPods?: Record<string, string>; conditions?: Array<Record<string, unknown>>;
};

function pdbObject(name: string, spec: Record<string, unknown>): KubeObject {
  return { metadata: { name }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec } };
}

const web = { labels: { app: 'web' } };

test('minAvailable as a number: healthy pods against the minimum, with the DisruptionAllowed condition', async () => {
  const { vc, ctx, close } = await openTestCluster();
  const stop = startDisruptionController(ctx);
  try {
    await createNamespace(ctx, 'd1');
    const pdbDef = ctx.def('policy', 'v1', 'poddisruptionbudgets');
    for (const n of ['a', 'b', 'c']) await runningPod(ctx, 'd1', n, web);
    await createPod(ctx, 'd1', 'other', { labels: { app: 'db' } });
    await vc.store.create(pdbDef, 'd1', pdbObject('web', { minAvailable: 2 }));
    const st = (): PdbStatus | undefined => vc.store.peek(pdbDef, 'd1', 'web')?.status as PdbStatus | undefined;
    await eventually(() => st()?.observedGeneration === 1, 3000, 'first status');
    const s = st()!;
    assert.deepEqual({ ...s, conditions: undefined }, {
      observedGeneration: 1, disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, conditions: undefined,
    });
    assert.deepEqual(Object.keys(s), ['observedGeneration', 'disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods', 'conditions']);
    const cond = s.conditions?.[0] as Record<string, unknown>;
    assert.equal(typeof cond.lastTransitionTime, 'string');
    assert.deepEqual({ ...cond, lastTransitionTime: 'x' },
      { type: 'DisruptionAllowed', status: 'True', observedGeneration: 1, lastTransitionTime: 'x', reason: 'SufficientPods', message: '' });
    // A pod that is not ready does not count.
    await setPodState(ctx, 'd1', 'a', 'Running', false);
    await eventually(() => st()?.currentHealthy === 2, 3000, 'unready');
    assert.equal(st()?.disruptionsAllowed, 0);
    assert.equal(st()?.conditions?.[0]?.status, 'False');
    assert.equal(st()?.conditions?.[0]?.reason, 'InsufficientPods');
    // Nor does a terminating one.
    await setPodState(ctx, 'd1', 'a', 'Running', true);
    await eventually(() => st()?.currentHealthy === 3, 3000, 'ready again');
    await vc.store.delete(ctx.def('', 'v1', 'pods'), 'd1', 'b', { gracePeriodSeconds: 0 });
    await eventually(() => st()?.currentHealthy === 2 && st()?.expectedPods === 2, 3000, 'deleted');
    // A spec change is observed.
    await vc.store.guaranteedUpdate(pdbDef, 'd1', 'web', (cur) => {
      const p = cur as KubeObject; (p.spec as Record<string, unknown>).minAvailable = 1; return p;
    });
    await eventually(() => st()?.observedGeneration === 2 && st()?.disruptionsAllowed === 1, 3000, 'generation 2');
  } finally {
    stop();
    await close();
  }
});

test('maxUnavailable and percentages count the scale of the pods\' controllers', async () => {
  const { vc, ctx, close } = await openTestCluster();
  const stop = startDisruptionController(ctx);
  try {
    await createNamespace(ctx, 'd2');
    const pdbDef = ctx.def('policy', 'v1', 'poddisruptionbudgets');
    const deployDef = ctx.def('apps', 'v1', 'deployments');
    const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    const deploy = await vc.store.create(deployDef, 'd2', { metadata: { name: 'web' }, spec: { replicas: 4, selector: { matchLabels: { app: 'web' } }, template } });
    const rs = await vc.store.create(ctx.def('apps', 'v1', 'replicasets'), 'd2', {
      metadata: { name: 'web-123', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: deploy.metadata.uid as string, controller: true }] },
      spec: { replicas: 4, selector: { matchLabels: { app: 'web' } }, template },
    });
    for (const n of ['w1', 'w2', 'w3', 'w4']) await runningPod(ctx, 'd2', n, { ...web, owner: rs });
    await vc.store.create(pdbDef, 'd2', pdbObject('web', { maxUnavailable: '25%' }));
    const st = (): PdbStatus | undefined => vc.store.peek(pdbDef, 'd2', 'web')?.status as PdbStatus | undefined;
    await eventually(() => st()?.expectedPods === 4, 3000, 'expected pods');
    assert.equal(st()?.desiredHealthy, 3);
    assert.equal(st()?.disruptionsAllowed, 1);
    // Scaling the deployment changes what is expected.
    await vc.store.guaranteedUpdate(deployDef, 'd2', 'web', (cur) => {
      const d = cur as KubeObject; (d.spec as Record<string, unknown>).replicas = 8; return d;
    });
    await eventually(() => st()?.expectedPods === 8, 3000, 'scaled');
    assert.equal(st()?.desiredHealthy, 6);
    assert.equal(st()?.disruptionsAllowed, 0);

    const ss = await vc.store.create(ctx.def('apps', 'v1', 'statefulsets'), 'd2', {
      metadata: { name: 'db' }, spec: { replicas: 3, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: { ...template, metadata: { labels: { app: 'db' } } } },
    });
    for (const n of ['db-0', 'db-1', 'db-2']) await runningPod(ctx, 'd2', n, { labels: { app: 'db' }, owner: ss });
    await vc.store.create(pdbDef, 'd2', { metadata: { name: 'db' }, spec: { minAvailable: '50%', selector: { matchLabels: { app: 'db' } } } });
    const db = (): PdbStatus | undefined => vc.store.peek(pdbDef, 'd2', 'db')?.status as PdbStatus | undefined;
    await eventually(() => db()?.expectedPods === 3, 3000, 'db status');
    assert.equal(db()?.desiredHealthy, 2);
    assert.equal(db()?.disruptionsAllowed, 1);
  } finally {
    stop();
    await close();
  }
});

test('pods without a workload that can be found fail the sync safe', async () => {
  const { vc, ctx, close } = await openTestCluster();
  const stop = startDisruptionController(ctx);
  try {
    await createNamespace(ctx, 'd3');
    const pdbDef = ctx.def('policy', 'v1', 'poddisruptionbudgets');
    // Unmanaged pods under maxUnavailable: nothing expected, nothing allowed.
    for (const n of ['a', 'b']) await runningPod(ctx, 'd3', n, web);
    await vc.store.create(pdbDef, 'd3', pdbObject('web', { maxUnavailable: 1 }));
    const st = (name: string): PdbStatus | undefined => vc.store.peek(pdbDef, 'd3', name)?.status as PdbStatus | undefined;
    await eventually(() => st('web')?.observedGeneration === 1, 3000, 'status');
    assert.equal(st('web')?.expectedPods, 0);
    assert.equal(st('web')?.disruptionsAllowed, 0);
    const evDef = ctx.def('', 'v1', 'events');
    await eventually(async () => (await vc.store.list(evDef, 'd3')).items.some((e) => e.reason === 'UnmanagedPods'), 3000, 'event');
    const ev = (await vc.store.list(evDef, 'd3')).items.find((e) => e.reason === 'UnmanagedPods')!;
    assert.equal(ev.message, 'Pods selected by this PodDisruptionBudget (selector: &LabelSelector{MatchLabels:map[string]string{app: web,},MatchExpressions:[]LabelSelectorRequirement{},}) ' +
      'were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. ' +
      'To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.');

    // A controller reference to nothing.
    await runningPod(ctx, 'd3', 'orphan', {
      labels: { app: 'gone' },
      owner: { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'missing', uid: '0000' } },
    });
    await vc.store.create(pdbDef, 'd3', { metadata: { name: 'gone' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'gone' } } } });
    await eventually(() => st('gone')?.conditions?.[0]?.reason === 'SyncFailed', 3000, 'sync failed');
    assert.deepEqual({ ...st('gone')?.conditions?.[0], lastTransitionTime: 'x' },
      { type: 'DisruptionAllowed', status: 'False', lastTransitionTime: 'x', reason: 'SyncFailed', message: 'found no controllers for pod "orphan"' });
    assert.equal(st('gone')?.disruptionsAllowed, 0);
    assert.equal(st('gone')?.observedGeneration, undefined);

    const ds = await vc.store.create(ctx.def('apps', 'v1', 'daemonsets'), 'd3', {
      metadata: { name: 'agent' },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
    });
    await runningPod(ctx, 'd3', 'agent-1', { labels: { app: 'agent' }, owner: ds });
    await vc.store.create(pdbDef, 'd3', { metadata: { name: 'agent' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'agent' } } } });
    await eventually(() => st('agent')?.conditions?.[0]?.message === 'daemonsets.apps does not implement the scale subresource', 3000, 'daemonset');
  } finally {
    stop();
    await close();
  }
});

test('pods an eviction took stay out of the healthy count until they go or the wait runs out', async () => {
  let clock = new Date();
  const { vc, close } = await openTestCluster();
  const ctx = controllerContext(vc, () => clock);
  const stop = startDisruptionController(ctx);
  try {
    await createNamespace(ctx, 'd4');
    const pdbDef = ctx.def('policy', 'v1', 'poddisruptionbudgets');
    for (const n of ['a', 'b', 'c']) await runningPod(ctx, 'd4', n, web);
    await vc.store.create(pdbDef, 'd4', pdbObject('web', { minAvailable: 1 }));
    const st = (): PdbStatus | undefined => vc.store.peek(pdbDef, 'd4', 'web')?.status as PdbStatus | undefined;
    await eventually(() => st()?.disruptionsAllowed === 2, 3000, 'status');
    // As the eviction subresource records it.
    await vc.store.guaranteedUpdate(pdbDef, 'd4', 'web', (cur) => {
      const p = cur as KubeObject;
      p.status = { ...(p.status as object), disruptionsAllowed: 1, disruptedPods: { a: nowTimestamp(clock) } };
      return p;
    }, { subresource: 'status' });
    await eventually(() => st()?.currentHealthy === 2, 3000, 'disrupted pod not healthy');
    assert.deepEqual(Object.keys(st()?.disruptedPods ?? {}), ['a']);
    assert.equal(st()?.disruptionsAllowed, 1);
    // Two minutes later the pod is still there: it counts again, and an event says so.
    clock = new Date(clock.getTime() + 121_000);
    await setPodState(ctx, 'd4', 'b', 'Running', true); // any pod event makes the budget sync
    await vc.store.guaranteedUpdate(ctx.def('', 'v1', 'pods'), 'd4', 'c', (cur) => {
      const p = cur as KubeObject; p.metadata.labels = { ...p.metadata.labels, touched: 'yes' }; return p;
    });
    await eventually(() => st()?.currentHealthy === 3, 3000, 'timed out disruption');
    assert.equal(st()?.disruptedPods, undefined);
    const events = (await vc.store.list(ctx.def('', 'v1', 'events'), 'd4')).items;
    const notDeleted = events.find((e) => e.reason === 'NotDeleted');
    assert.equal(notDeleted?.message, "Pod was expected by PDB d4/d4 to be deleted but it wasn't");
  } finally {
    stop();
    await close();
  }
});

test('a DisruptionTarget condition with no deletion after two minutes is reset', async () => {
  let clock = new Date();
  const { vc, close } = await openTestCluster();
  const ctx = controllerContext(vc, () => clock);
  const stop = startDisruptionController(ctx);
  try {
    await createNamespace(ctx, 'd5');
    const podDef = ctx.def('', 'v1', 'pods');
    await runningPod(ctx, 'd5', 'p', web);
    const since = nowTimestamp(new Date(clock.getTime() - 180_000));
    await vc.store.guaranteedUpdate(podDef, 'd5', 'p', (cur) => {
      const p = cur as KubeObject;
      const status = p.status as { conditions: unknown[] };
      status.conditions.push({ type: 'DisruptionTarget', status: 'True', lastProbeTime: null, lastTransitionTime: since, reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' });
      return p;
    }, { subresource: 'status' });
    const cond = (): Record<string, unknown> | undefined =>
      ((vc.store.peek(podDef, 'd5', 'p')?.status as { conditions: Array<Record<string, unknown>> }).conditions).find((c) => c.type === 'DisruptionTarget');
    await eventually(() => cond()?.status === 'False', 3000, 'reset');
    assert.deepEqual(cond(), { type: 'DisruptionTarget', status: 'False', lastProbeTime: null, lastTransitionTime: nowTimestamp(clock) });
    clock = new Date(clock.getTime() + 1000);
  } finally {
    stop();
    await close();
  }
});
