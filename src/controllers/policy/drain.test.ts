// kubectl drain against a server that serves pods/eviction with evictPod and
// runs the disruption controller: evictions a budget allows go through, the
// others are answered 429 and retried by kubectl until the budget has room.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../../../test/support/cluster.ts';
import type { KubeObject } from '../../api/types.ts';
import { hasKubectl, kubectl, startInProcessServer } from '../../../test/support/in-process-server.ts';
import type { VirtualCluster } from '../../server/cluster.ts';
import { controllerContext } from '../context.ts';
import type { ControllerContext } from '../context.ts';
import { startPolicy } from './index.ts';
import { runningPod } from './testing.ts';

test('kubectl drain evicts through the subresource and waits out disruption budgets', { timeout: 120_000 }, async (t) => {
  if (!(await hasKubectl())) { t.skip('kubectl is not installed'); return; }
  let vc: VirtualCluster | undefined;
  let ctx: ControllerContext | undefined;
  const server = await startInProcessServer('drain', (cluster) => {
    vc = cluster;
    ctx = controllerContext(cluster);
    return startPolicy(ctx);
  });
  try {
    const env = server.env;
    const c = ctx as ControllerContext;
    const cluster = vc as VirtualCluster;
    const nodeDef = c.def('', 'v1', 'nodes');
    for (const n of ['node-1', 'node-2']) await cluster.store.create(nodeDef, undefined, { metadata: { name: n } });
    const rs = await cluster.store.create(c.def('apps', 'v1', 'replicasets'), 'default', {
      metadata: { name: 'web' },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    const pod = (node: string) => ({ labels: { app: 'web' }, nodeName: node, owner: rs, spec: { terminationGracePeriodSeconds: 0 } });
    await runningPod(c, 'default', 'web-1', pod('node-1'));
    await runningPod(c, 'default', 'web-2', pod('node-1'));
    await runningPod(c, 'default', 'web-3', pod('node-2'));
    const pdbDef = c.def('policy', 'v1', 'poddisruptionbudgets');
    await cluster.store.create(pdbDef, 'default', { metadata: { name: 'web' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } } });
    await eventually(() => (cluster.store.peek(pdbDef, 'default', 'web')?.status as { disruptionsAllowed?: number })?.disruptionsAllowed === 1, 5000, 'budget');

    // One pod may go; the other is refused until the drain gives up.
    const first = await kubectl(env, ['drain', 'node-1', '--ignore-daemonsets', '--timeout=7s']);
    assert.notEqual(first.code, 0, first.out);
    assert.match(first.out, /evicting pod default\/web-[12]/);
    assert.match(first.out, /error when evicting pods\/"web-[12]" -n "default" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\./);
    const podDef = c.def('', 'v1', 'pods');
    const left = ['web-1', 'web-2'].filter((n) => cluster.store.peek(podDef, 'default', n));
    assert.equal(left.length, 1);
    assert.equal((cluster.store.peek(nodeDef, undefined, 'node-1')?.spec as { unschedulable?: boolean }).unschedulable, true);

    // A replacement elsewhere makes room, and the drain completes.
    await runningPod(c, 'default', 'web-4', pod('node-2'));
    await eventually(() => (cluster.store.peek(pdbDef, 'default', 'web')?.status as { disruptionsAllowed?: number })?.disruptionsAllowed === 1, 5000, 'room');
    const second = await kubectl(env, ['drain', 'node-1', '--ignore-daemonsets', '--timeout=30s']);
    assert.equal(second.code, 0, second.out);
    assert.match(second.out, new RegExp(`pod/${left[0]} evicted`));
    assert.match(second.out, /node\/node-1 drained/);
    assert.equal(cluster.store.peek(podDef, 'default', left[0] as string), undefined);
    const after = cluster.store.peek(pdbDef, 'default', 'web')?.status as KubeObject['status'];
    assert.ok(after);
  } finally {
    await server.close();
  }
});
