import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestCluster } from '../../test/support/cluster.ts';

test('events are recorded once and then counted', async () => {
  const { vc, ctx, close } = await openTestCluster();
  try {
    const cmDef = ctx.def('', 'v1', 'configmaps');
    const cm = await vc.store.create(cmDef, 'default', { metadata: { name: 'c' } });
    await ctx.events.record(cm, 'Normal', 'Tested', 'it works', 'tester');
    await ctx.events.record(cm, 'Normal', 'Tested', 'it works', 'tester');
    const evDef = ctx.def('', 'v1', 'events');
    const { items } = await vc.store.list(evDef, 'default', {});
    assert.equal(items.length, 1);
    assert.equal(items[0].count, 2);
    assert.equal(items[0].reason, 'Tested');
    assert.deepEqual((items[0].involvedObject as any).name, 'c');
  } finally {
    await close();
  }
});
