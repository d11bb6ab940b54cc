import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, openTestCluster } from '../../../test/support/cluster.ts';
import type { KubeObject } from '../../api/types.ts';
import { startDisruptionController } from './disruption.ts';
import { evictPod } from './eviction.ts';
import { createNamespace, createPod, rejection, runningPod, setPodState } from './testing.ts';

const web = { labels: { app: 'web' }, nodeName: 'node-1' };

function eviction(name: string, deleteOptions?: Record<string, unknown>): KubeObject {
  const e: KubeObject = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name } };
  if (deleteOptions) e.deleteOptions = deleteOptions;
  return e;
}

type PdbStatus = { disruptionsAllowed: number; currentHealthy: number; desiredHealthy: number; observedGeneration?: number; disruptedPods?: Record<string, string>; conditions?: Array<Record<string, unknown>> };

test('a pod without a budget is evicted: marked as disrupted, then deleted gracefully', async () => {
  const { vc, ctx, close } = await openTestCluster();
  try {
    await createNamespace(ctx, 'e1');
    const podDef = ctx.def('', 'v1', 'pods');
    await runningPod(ctx, 'e1', 'p', web);
    const status = await evictPod(ctx, 'e1', 'p', eviction('p'));
    assert.deepEqual(status, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    const pod = vc.store.peek(podDef, 'e1', 'p')!;
    assert.ok(pod.metadata.deletionTimestamp, 'terminating');
    assert.equal(pod.metadata.deletionGracePeriodSeconds, 30);
    const cond = (pod.status as { conditions: Array<Record<string, unknown>> }).conditions.find((c) => c.type === 'DisruptionTarget');
    assert.deepEqual({ ...cond, lastTransitionTime: 'x' },
      { type: 'DisruptionTarget', status: 'True', lastProbeTime: null, lastTransitionTime: 'x', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' });
    // DeleteOptions pass through: a zero grace period deletes at once.
    await runningPod(ctx, 'e1', 'q', web);
    await evictPod(ctx, 'e1', 'q', eviction('q', { gracePeriodSeconds: 0 }));
    assert.equal(vc.store.peek(podDef, 'e1', 'q'), undefined);
    // Preconditions are honoured.
    await runningPod(ctx, 'e1', 'r', web);
    const bad = await rejection(evictPod(ctx, 'e1', 'r', eviction('r', { preconditions: { uid: 'nope' } })));
    assert.equal(bad.code, 409);
    assert.match(bad.message, /^Operation cannot be fulfilled on Pod "r": the UID in the precondition \(nope\) does not match the UID in record \(.+\)\. The object might have been deleted and then recreated$/);
    // Dry runs change nothing.
    await evictPod(ctx, 'e1', 'r', eviction('r'), { dryRun: true });
    await evictPod(ctx, 'e1', 'r', eviction('r', { dryRun: ['All'] }));
    assert.equal(vc.store.peek(podDef, 'e1', 'r')?.metadata.deletionTimestamp, undefined);
    // Errors of the request itself.
    const mismatch = await rejection(evictPod(ctx, 'e1', 'r', eviction('other')));
    assert.equal(mismatch.code, 400);
    assert.equal(mismatch.message, 'name in URL does not match name in Eviction object');
    const missing = await rejection(evictPod(ctx, 'e1', 'none', eviction('none')));
    assert.equal(missing.code, 404);
    assert.equal(missing.message, 'pods "none" not found');
  } finally {
    await close();
  }
});

test('a budget allows as many evictions as it has disruptions, then answers 429', async () => {
  const { vc, ctx, close } = await openTestCluster();
  const stop = startDisruptionController(ctx);
  try {
    await createNamespace(ctx, 'e2');
    const pdbDef = ctx.def('policy', 'v1', 'poddisruptionbudgets');
    for (const n of ['a', 'b', 'c']) await runningPod(ctx, 'e2', n, web);
    await vc.store.create(pdbDef, 'e2', { metadata: { name: 'web' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } } });
    const st = (): PdbStatus => vc.store.peek(pdbDef, 'e2', 'web')?.status as PdbStatus;
    await eventually(() => st()?.disruptionsAllowed === 1, 3000, 'budget');
    await evictPod(ctx, 'e2', 'a', eviction('a'));
    assert.equal(st().disruptionsAllowed, 0);
    assert.deepEqual(Object.keys(st().disruptedPods ?? {}), ['a']);
    const err = await rejection(evictPod(ctx, 'e2', 'b', eviction('b')));
    assert.equal(err.code, 429);
    assert.equal(err.reason, 'TooManyRequests');
    assert.equal(err.message, "Cannot evict pod as it would violate the pod's disruption budget.");
    assert.deepEqual(err.details, { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 2 healthy pods and has 2 currently' }] });
    assert.deepEqual(err.headers, {});
    // The pod the first eviction took is terminating; the controller agrees there is no room.
    await eventually(() => st().currentHealthy === 2, 3000, 'recount');
    assert.equal(st().disruptionsAllowed, 0);
    // A new ready pod makes room again.
    await runningPod(ctx, 'e2', 'd', web);
    await eventually(() => st().disruptionsAllowed === 1, 3000, 'room');
    await evictPod(ctx, 'e2', 'b', eviction('b'));
  } finally {
    stop();
    await close();
  }
});

test('budgets the controller has not caught up with, several budgets, and pods that need no budget', async () => {
  const { vc, ctx, close } = await openTestCluster();
  try {
    await createNamespace(ctx, 'e3');
    const pdbDef = ctx.def('policy', 'v1', 'poddisruptionbudgets');
    const podDef = ctx.def('', 'v1', 'pods');
    for (const n of ['a', 'b']) await runningPod(ctx, 'e3', n, web);
    // No controller runs: the budget's status is behind its generation.
    await vc.store.create(pdbDef, 'e3', { metadata: { name: 'web' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } } });
    const stale = await rejection(evictPod(ctx, 'e3', 'a', eviction('a')));
    assert.equal(stale.code, 429);
    assert.deepEqual(stale.details, { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web is still being processed by the server.' }], retryAfterSeconds: 10 });
    assert.deepEqual(stale.headers, { 'Retry-After': '10' });
    // Pending, finished and terminating pods go without asking.
    await createPod(ctx, 'e3', 'pending', web);
    await evictPod(ctx, 'e3', 'pending', eviction('pending'));
    await runningPod(ctx, 'e3', 'done', web);
    await setPodState(ctx, 'e3', 'done', 'Failed');
    await evictPod(ctx, 'e3', 'done', eviction('done'));
    assert.equal(vc.store.peek(podDef, 'e3', 'done'), undefined);
    // Two budgets over one pod: the subresource does not choose.
    await vc.store.create(pdbDef, 'e3', { metadata: { name: 'all' }, spec: { minAvailable: 0, selector: {} } });
    const two = await evictPod(ctx, 'e3', 'b', eviction('b'));
    assert.deepEqual(two, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.', code: 500 });
    // A budget whose sync failed says why.
    await vc.store.delete(pdbDef, 'e3', 'all');
    await vc.store.guaranteedUpdate(pdbDef, 'e3', 'web', (cur) => {
      const p = cur as KubeObject;
      p.status = { observedGeneration: 1, disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0,
        conditions: [{ type: 'DisruptionAllowed', status: 'False', lastTransitionTime: '2024-01-01T00:00:00Z', reason: 'SyncFailed', message: 'found no controllers for pod "b"' }] };
      return p;
    }, { subresource: 'status' });
    const failed = await rejection(evictPod(ctx, 'e3', 'b', eviction('b')));
    assert.deepEqual(failed.details, { causes: [{ reason: 'DisruptionBudget',
      message: 'The disruption budget web does not allow evicting pods currently because it failed sync: found no controllers for pod "b"' }] });
    await vc.store.guaranteedUpdate(pdbDef, 'e3', 'web', (cur) => {
      const p = cur as KubeObject; (p.status as Record<string, unknown>).disruptionsAllowed = -1; return p;
    }, { subresource: 'status' });
    const negative = await rejection(evictPod(ctx, 'e3', 'b', eviction('b')));
    assert.equal(negative.code, 403);
    assert.equal(negative.message, 'poddisruptionbudget.policy "web" is forbidden: pdb disruptions allowed is negative');
  } finally {
    await close();
  }
});

test('unhealthy pods: IfHealthyBudget lets them go while the budget is met, AlwaysAllow always', async () => {
  const { vc, ctx, close } = await openTestCluster();
  const stop = startDisruptionController(ctx);
  try {
    await createNamespace(ctx, 'e4');
    const pdbDef = ctx.def('policy', 'v1', 'poddisruptionbudgets');
    const podDef = ctx.def('', 'v1', 'pods');
    for (const n of ['a', 'b']) await runningPod(ctx, 'e4', n, web);
    await runningPod(ctx, 'e4', 'sick', web, false);
    await vc.store.create(pdbDef, 'e4', { metadata: { name: 'web' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } } });
    const st = (): PdbStatus => vc.store.peek(pdbDef, 'e4', 'web')?.status as PdbStatus;
    await eventually(() => st()?.observedGeneration === 1, 3000, 'budget');
    assert.equal(st().disruptionsAllowed, 0);
    // The budget is met (2 of 2): the unready pod goes, and takes no disruption.
    await evictPod(ctx, 'e4', 'sick', eviction('sick', { gracePeriodSeconds: 0 }));
    assert.equal(vc.store.peek(podDef, 'e4', 'sick'), undefined);
    assert.equal(st().disruptedPods, undefined);
    // Once the budget is not met, unready pods are protected too...
    await setPodState(ctx, 'e4', 'b', 'Running', false);
    await eventually(() => st().currentHealthy === 1, 3000, 'unmet');
    const err = await rejection(evictPod(ctx, 'e4', 'b', eviction('b')));
    assert.equal(err.code, 429);
    // ...unless the policy says AlwaysAllow.
    await vc.store.guaranteedUpdate(pdbDef, 'e4', 'web', (cur) => {
      const p = cur as KubeObject; (p.spec as Record<string, unknown>).unhealthyPodEvictionPolicy = 'AlwaysAllow'; return p;
    });
    await eventually(() => st().observedGeneration === 2, 3000, 'policy observed');
    await evictPod(ctx, 'e4', 'b', eviction('b'));
    assert.ok(vc.store.peek(podDef, 'e4', 'b')?.metadata.deletionTimestamp);
  } finally {
    stop();
    await close();
  }
});
