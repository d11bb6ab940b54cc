import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../../storage/sqlite.ts';
import { WatchCache } from './watch-cache.ts';

function pod(name: string, owner?: string): string {
  const ownerReferences = owner ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: owner, controller: true }] : undefined;
  return JSON.stringify({ metadata: { name, namespace: 'ns', ownerReferences } });
}

test('watch cache: objects by controller, and controller-less ones, follow every write', async () => {
  const kv = new SqliteStore(':memory:');
  const cache = await WatchCache.start(kv);
  const names = (it: Iterable<{ obj: { metadata: { name?: string } } }>) => [...it].map((c) => c.obj.metadata.name).sort();
  try {
    await kv.create('/registry/core/pods/ns/a', pod('a', 'u1'));
    await kv.create('/registry/core/pods/ns/b', pod('b', 'u1'));
    await kv.create('/registry/core/pods/ns/c', pod('c'));
    await kv.create('/registry/core/pods/other/d', pod('d'));
    await kv.create('/registry/core/pods/ns/e', pod('e', 'u2'));
    await cache.sync();
    assert.deepEqual(names(cache.controlledBy('/registry/core/pods/ns/', 'u1')), ['a', 'b']);
    assert.deepEqual(names(cache.uncontrolled('/registry/core/pods/ns/')), ['c']);
    assert.deepEqual(names(cache.claimable('/registry/core/pods/ns/', 'u1')), ['a', 'b', 'c']);
    // Released, adopted, deleted: the index follows.
    const b = (await kv.get('/registry/core/pods/ns/b')).kv!;
    await kv.update('/registry/core/pods/ns/b', pod('b'), b.modRevision);
    const c = (await kv.get('/registry/core/pods/ns/c')).kv!;
    await kv.update('/registry/core/pods/ns/c', pod('c', 'u2'), c.modRevision);
    await kv.delete('/registry/core/pods/ns/a');
    await cache.sync();
    assert.deepEqual(names(cache.controlledBy('/registry/core/pods/ns/', 'u1')), []);
    assert.deepEqual(names(cache.controlledBy('/registry/core/pods/ns/', 'u2')), ['c', 'e']);
    assert.deepEqual(names(cache.uncontrolled('/registry/core/pods/ns/')), ['b']);
    // Entries are the current cached objects.
    assert.equal([...cache.uncontrolled('/registry/core/pods/ns/')][0], cache.getCached('/registry/core/pods/ns/b'));
  } finally {
    cache.stop();
    await kv.close();
  }
});
