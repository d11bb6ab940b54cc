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

test('watch cache history: every version of a key replays with its own content, revision and predecessor', async () => {
  const kv = new SqliteStore(':memory:');
  const key = '/registry/core/configmaps/ns/x';
  const cm = (v: string) => JSON.stringify({ metadata: { name: 'x', namespace: 'ns', labels: { v } }, data: { v } });
  // An object the cache starts with (no history of its own), then three versions and a delete.
  const first = await kv.create(key, cm('0'));
  const cache = await WatchCache.start(kv);
  try {
    assert.ok(first.succeeded);
    const r1 = await kv.update(key, cm('1'), first.revision);
    assert.ok(r1.succeeded);
    const r2 = await kv.update(key, cm('2'), r1.revision);
    assert.ok(r2.succeeded);
    const del = await kv.delete(key);
    assert.ok(del.succeeded);
    await kv.create('/registry/core/configmaps/ns/y', cm('y'));
    await cache.sync();
    const label = (o: { metadata: { labels?: Record<string, string> } } | undefined) => o?.metadata.labels?.v;
    const evs = cache.eventsSince('/registry/core/configmaps/ns/x', first.revision);
    assert.deepEqual(evs.map((e) => [e.type, e.revision, label(e.obj), e.obj.metadata.resourceVersion, label(e.prev), e.prev?.metadata.resourceVersion]), [
      ['MODIFIED', r1.revision, '1', String(r1.revision), '0', String(first.revision)],
      ['MODIFIED', r2.revision, '2', String(r2.revision), '1', String(r1.revision)],
      ['DELETED', del.revision, '2', String(del.revision), '2', String(r2.revision)],
    ]);
    // A replay from the middle starts there; the live object is the cached one.
    const y = cache.eventsSince('/registry/core/configmaps/ns/y', del.revision);
    assert.equal(y.length, 1);
    assert.equal(y[0]!.obj, cache.getCached('/registry/core/configmaps/ns/y')?.obj);
  } finally {
    cache.stop();
    await kv.close();
  }
});

test('watch cache: an object whose event left the history holds no text of it (nor of its version before)', async () => {
  const kv = new SqliteStore(':memory:');
  const cache = await WatchCache.start(kv, '/registry/', 3);
  try {
    await kv.create('/registry/core/pods/ns/old', pod('old'));
    const first = (await kv.get('/registry/core/pods/ns/old')).kv!;
    await kv.update('/registry/core/pods/ns/old', pod('old', 'u1'), first.modRevision);
    await cache.sync();
    assert.ok(cache.getCached('/registry/core/pods/ns/old')?.entry?.prevText, 'in the history: its text and the one before');
    for (const n of ['x', 'y', 'z']) await kv.create(`/registry/core/pods/ns/${n}`, pod(n));
    await cache.sync();
    assert.equal(cache.getCached('/registry/core/pods/ns/old')?.entry, undefined, 'out of the history: nothing kept');
    assert.ok(cache.getCached('/registry/core/pods/ns/z')?.entry, 'the newest still have theirs');
    assert.equal(cache.getCached('/registry/core/pods/ns/old')?.obj.metadata.ownerReferences?.[0]?.uid, 'u1');
  } finally {
    cache.stop();
    await kv.close();
  }
});
