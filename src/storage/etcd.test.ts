import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ETCD_MISSING, etcdBinary, startEtcd, type RunningEtcd } from '../../test/support/etcd.ts';
import { runConformance } from './conformance.ts';
import { EtcdStore } from './etcd.ts';
import { openStore } from './open.ts';
import { CompactedError, type WatchEvent } from './types.ts';

if (etcdBinary() === undefined) {
  if (process.env.CI) {
    test('etcd backend', () => assert.fail(`${ETCD_MISSING}; the etcd tests must run in CI`));
  } else {
    test('etcd backend', { skip: ETCD_MISSING }, () => {});
  }
} else {
  let etcd: RunningEtcd | undefined;
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd?.stop();
  });

  // One etcd for the file; each store gets its own key prefix, so every test starts
  // with an empty keyspace. Tests in a file run one at a time, so the revision
  // arithmetic in the suite is not disturbed by other writers.
  let stores = 0;
  const open = (prefix = `/conformance-${++stores}/`) => EtcdStore.open({ endpoints: [etcd!.endpoint], prefix });

  runConformance('etcd', async () => {
    const store = await open();
    return { store, cleanup: () => store.close() };
  });

  test('etcd: stores with different prefixes do not see each other', async () => {
    const one = await open('/tenant-one/');
    const two = await open('/tenant-two/');
    try {
      const seen: WatchEvent[] = [];
      const start = (await two.revision()) + 1;
      const w = two.watch('', start, { onEvents: (events) => seen.push(...events), onError: () => {} });
      await one.create('/x', 'from one');
      const mine = await two.create('/x', 'from two');
      assert.equal(mine.succeeded, true);
      assert.deepEqual((await one.get('/x')).kv?.value, 'from one');
      assert.deepEqual((await two.range('')).kvs.map((kv) => [kv.key, kv.value]), [['/x', 'from two']]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      w.cancel();
      assert.deepEqual(seen.map((e) => [e.kv.key, e.kv.value]), [['/x', 'from two']]);
    } finally {
      await one.close();
      await two.close();
    }
  });

  test('etcd: a compaction made by another client is reported by watch, range and compactedRevision()', async () => {
    const compactor = await open('/compactor/');
    const watcher = await open('/watcher/');
    const reader = await open('/reader/');
    const observer = await open('/observer/');
    try {
      for (let i = 0; i < 20; i++) await compactor.create(`/k${i}`, 'v');
      const cut = (await compactor.revision()) - 5;
      assert.ok(cut > (await observer.compactedRevision()));
      await compactor.compact(cut);

      // These stores have not heard of the compaction: etcd tells them.
      const failure = await new Promise<Error>((resolve) => {
        watcher.watch('', cut - 3, { onEvents: () => {}, onError: resolve });
      });
      assert.ok(failure instanceof CompactedError, String(failure));
      assert.equal(failure.compactedRevision, cut);
      assert.equal(failure.requestedRevision, cut - 3);
      assert.equal(await watcher.compactedRevision(), cut);

      const refused = await reader.range('', { revision: cut - 3 }).catch((err: unknown) => err);
      assert.ok(refused instanceof CompactedError, String(refused));
      assert.equal(refused.compactedRevision, cut);

      assert.equal(await observer.compactedRevision(), cut);

      // A store opened later learns it when it opens, and refuses a watch from there.
      const late = await open('/late/');
      try {
        const lateFailure = await new Promise<Error>((resolve) => {
          late.watch('', cut, { onEvents: () => {}, onError: resolve });
        });
        assert.ok(lateFailure instanceof CompactedError, String(lateFailure));
      } finally {
        await late.close();
      }
    } finally {
      await Promise.all([compactor.close(), watcher.close(), reader.close(), observer.close()]);
    }
  });

  test('etcd: a store with an empty prefix sees the whole keyspace', async () => {
    const scoped = await open('/scoped/');
    const whole = await open('');
    try {
      await scoped.create('x', 'v');
      const listed = await whole.range('/scoped/');
      assert.deepEqual(listed.kvs.map((kv) => kv.key), ['/scoped/x']);
      assert.ok((await whole.range('')).count >= 1);
      const seen = await new Promise<WatchEvent[]>((resolve, reject) => {
        whole.watch("", listed.revision, { onEvents: (events) => resolve([...events]), onError: reject });
      });
      assert.deepEqual(seen.map((e) => e.kv.key), ['/scoped/x']);
    } finally {
      await scoped.close();
      await whole.close();
    }
  });

  test('etcd: openStore opens an etcd store, and fails when etcd does not answer', async () => {
    const store = await openStore({ backend: 'etcd', endpoints: [etcd!.endpoint], prefix: '/open-store/' });
    try {
      assert.equal(store.backend, 'etcd');
      assert.equal((await store.create('/a', 'b')).succeeded, true);
    } finally {
      await store.close();
    }
    await assert.rejects(openStore({ backend: 'etcd', endpoints: ['127.0.0.1:1'], prefix: '/nobody/' }));
  });
}
