import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../storage/open.ts';
import { startCompactor } from './compactor.ts';

test('compacts to the revision seen one interval earlier', async () => {
  const kv = await openStore({ backend: 'sqlite', path: ':memory:' });
  try {
    for (let i = 0; i < 5; i++) await kv.create(`/k/${i}`, 'v');
    let rev = await kv.revision();
    const stop = startCompactor(kv, () => rev, 20);
    await new Promise((r) => setTimeout(r, 30));
    for (let i = 5; i < 8; i++) await kv.create(`/k/${i}`, 'v');
    rev = await kv.revision();
    await new Promise((r) => setTimeout(r, 60));
    stop();
    assert.equal(await kv.compactedRevision(), 8, 'history up to the last tick is gone');
    const all = await kv.range('/k/');
    assert.equal(all.kvs.length, 8, 'latest values are kept');
  } finally {
    await kv.close();
  }
});
