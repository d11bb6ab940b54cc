import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { openTestCluster, eventually, type TestCluster } from '../../../test/support/cluster.ts';
import { makeNode, makePod } from './core.fixtures.ts';
import { startPodGC, type PodGCOptions } from './podgc.ts';

async function withPodGC(opts: PodGCOptions, fn: (c: TestCluster) => Promise<void>): Promise<void> {
  const c = await openTestCluster();
  const stop = startPodGC(c.ctx, opts);
  try {
    await fn(c);
  } finally {
    stop();
    await c.close();
  }
}

function pod(c: TestCluster, name: string): KubeObject | undefined {
  return c.vc.store.peek(c.ctx.def('', 'v1', 'pods'), 'default', name);
}

test('terminated pods beyond the threshold go, evicted first, then oldest', () => withPodGC({ terminatedPodThreshold: 3 }, async (c) => {
  const pods = c.ctx.def('', 'v1', 'pods');
  for (const name of ['t1', 't2', 't3']) await makePod(c, { name, phase: 'Succeeded' });
  await makePod(c, { name: 'running', ip: '10.244.0.2' });
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(pod(c, 't1') && pod(c, 't2') && pod(c, 't3'), 'at the threshold nothing goes');
  await makePod(c, { name: 't4', phase: 'Failed' });
  await c.vc.store.create(pods, 'default', { metadata: { name: 't0' }, spec: { containers: [{ name: 'a', image: 'x' }] } });
  await c.vc.store.guaranteedUpdate(pods, 'default', 't0', (cur) => ({ ...(cur as KubeObject), status: { phase: 'Failed', reason: 'Evicted' } }), { subresource: 'status' });
  await eventually(() => !pod(c, 't0') && !pod(c, 't1'), 5000, 'two deleted');
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(['t2', 't3', 't4', 'running'].map((n) => !!pod(c, n)), [true, true, true, true]);
}));

test('pods on a node that is gone are failed and deleted after the quarantine; a node that comes back keeps them', () => withPodGC({ quarantineMs: 150 }, async (c) => {
  const nodes = c.ctx.def('', 'v1', 'nodes');
  await makeNode(c, 'n1');
  await makeNode(c, 'n2');
  await makePod(c, { name: 'on-n1', ip: '10.244.0.3', nodeName: 'n1' });
  await makePod(c, { name: 'on-n2', ip: '10.244.0.4', nodeName: 'n2' });
  await makePod(c, { name: 'on-ghost', ip: '10.244.0.5', nodeName: 'ghost' });
  const seen: KubeObject[] = [];
  const unsub = c.vc.cache.subscribe({ prefix: '/registry/core/pods/', onEvent: (ev) => { if (ev.obj.metadata.name === 'on-ghost') seen.push(ev.obj); } });
  const start = Date.now();
  await eventually(() => !pod(c, 'on-ghost'), 5000, 'orphan deleted');
  unsub();
  assert.ok(Date.now() - start >= 100, 'not before the quarantine');
  const failed = seen.find((o) => (o.status as any)?.phase === 'Failed');
  assert.ok(failed, 'marked Failed before deletion');
  const cond = ((failed.status as any).conditions as any[]).find((x) => x.type === 'DisruptionTarget');
  assert.equal(cond.status, 'True');
  assert.equal(cond.reason, 'DeletionByPodGC');
  assert.equal(cond.message, 'PodGC: node no longer exists');

  await c.vc.store.delete(nodes, undefined, 'n1', {});
  await c.vc.store.delete(nodes, undefined, 'n2', {});
  await makeNode(c, 'n2');
  await eventually(() => !pod(c, 'on-n1'), 5000, 'pod of a deleted node deleted');
  await new Promise((r) => setTimeout(r, 250));
  assert.ok(pod(c, 'on-n2'), 'the node came back in time');
}));

test('terminating pods that were never scheduled are failed and force-deleted', () => withPodGC({}, async (c) => {
  const pods = c.ctx.def('', 'v1', 'pods');
  await c.vc.store.create(pods, 'default', { metadata: { name: 'pending', finalizers: ['test/hold'] }, spec: { containers: [{ name: 'a', image: 'x' }] } });
  await c.vc.store.delete(pods, 'default', 'pending', {});
  await eventually(() => (pod(c, 'pending')?.status as any)?.phase === 'Failed', 5000, 'marked failed');
  await c.vc.store.guaranteedUpdate(pods, 'default', 'pending', (cur) => ({ ...(cur as KubeObject), metadata: { ...(cur as KubeObject).metadata, finalizers: [] } }));
  await eventually(() => !pod(c, 'pending'), 5000, 'gone');
}));
