import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ETCD_MISSING, etcdBinary, startEtcd, type RunningEtcd } from '../../test/support/etcd.ts';
import { EtcdStore } from './etcd.ts';
import {
  readSnapshot,
  restoreSnapshot,
  SnapshotFormatError,
  StoreNotEmptyError,
  writeSnapshot,
  type SnapshotInfo,
} from './snapshot.ts';
import { SqliteStore } from './sqlite.ts';
import { CompactedError, type KeyValue, type KVStore, type WatchEvent, type WriteResult } from './types.ts';

interface Opened {
  store: KVStore;
  close(): Promise<void>;
}

type Opener = () => Promise<Opened>;

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function sqliteAt(path?: string): Promise<Opened & { path: string }> {
  let file = path;
  if (file === undefined) {
    const dir = await mkdtemp(join(tmpdir(), 'kubevisor-snapshot-'));
    dirs.push(dir);
    file = join(dir, 'kv.db');
  }
  const store = new SqliteStore(file);
  return { store, path: file, close: () => store.close() };
}

/** Collects what is written to it; each write is acknowledged a turn later, as a slow sink would. */
class Sink extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.chunks.push(chunk);
    setImmediate(done);
  }
  get data(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

async function snapshotOf(store: KVStore, pageSize?: number): Promise<{ info: SnapshotInfo; file: Buffer }> {
  const sink = new Sink();
  const info = await writeSnapshot(store, sink, { pageSize });
  return { info, file: sink.data };
}

function ok(res: WriteResult): KeyValue {
  assert.equal(res.succeeded, true, JSON.stringify(res));
  if (!res.succeeded) throw new Error('unreachable');
  return res.kv;
}

/** A value the size of a small ConfigMap. */
function value(i: number, round = 0): string {
  return JSON.stringify({ kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { round: String(round), text: `é✓ ${'x'.repeat(i % 50)}` } });
}

/** Creates, updates (some twice), deletes and re-creates keys; returns nothing: read the store. */
async function populate(store: KVStore, n: number): Promise<void> {
  const key = (i: number) => `/registry/core/configmaps/ns${i % 3}/cm-${String(i).padStart(4, '0')}`;
  for (let i = 0; i < n; i++) ok(await store.create(key(i), value(i)));
  for (let i = 0; i < n; i += 3) {
    const cur = (await store.get(key(i))).kv!;
    const up = ok(await store.update(key(i), value(i, 1), cur.modRevision));
    if (i % 2 === 0) ok(await store.update(key(i), value(i, 2), up.modRevision));
  }
  for (let i = 1; i < n; i += 5) ok(await store.delete(key(i)));
  for (let i = 1; i < n; i += 10) ok(await store.create(key(i), value(i, 9)));
  ok(await store.create('/other/outside-registry', 'plain text, not JSON'));
}

const strip = (kvs: readonly KeyValue[]) => kvs.map((kv) => [kv.key, kv.value]);

async function all(store: KVStore, revision?: number): Promise<KeyValue[]> {
  return (await store.range('', { revision })).kvs;
}

/** A store wrapper that makes `between` writes before every range call after the first. */
function interleaved(store: KVStore, between: (call: number) => Promise<void>): KVStore {
  let calls = 0;
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'range') {
        return async (...args: Parameters<KVStore['range']>) => {
          if (calls++ > 0) await between(calls);
          return target.range(...args);
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

function backendSuite(name: string, open: Opener): void {
  describe(`snapshot on ${name}`, () => {
    test('round trip keeps every live key, its value and the order of revisions', async () => {
      const src = await open();
      const dst = await open();
      try {
        await populate(src.store, 200);
        const before = await all(src.store);
        const { info, file } = await snapshotOf(src.store, 17);
        assert.equal(info.version, 1);
        assert.equal(info.backend, src.store.backend);
        assert.equal(info.revision, await src.store.revision());
        assert.equal(info.keys, before.length);
        assert.equal(info.bytes, file.length);

        const read = await readSnapshot(file);
        assert.deepEqual(read.kvs, before);
        assert.equal(read.info.sha256, info.sha256);

        const restored = await restoreSnapshot(dst.store, file);
        const after = await all(dst.store);
        assert.deepEqual(strip(after), strip(before));
        if (dst.store.backend === 'sqlite') {
          assert.equal(restored.revisions, 'exact');
          assert.deepEqual(after, before);
          assert.equal(restored.storeRevision, info.revision);
          assert.equal(restored.revisionMap, undefined);
        } else {
          assert.equal(restored.revisions, 'renumbered');
          const map = restored.revisionMap!;
          assert.equal(map.size, before.length);
          for (const [i, kv] of after.entries()) {
            assert.equal(map.get(before[i]!.modRevision), kv.modRevision);
            assert.equal(kv.createRevision, kv.modRevision);
          }
          // Same order of modification.
          const byRev = (kvs: KeyValue[]) => [...kvs].sort((a, b) => a.modRevision - b.modRevision).map((kv) => kv.key);
          assert.deepEqual(byRev(after), byRev(before));
          assert.equal(restored.storeRevision, await dst.store.revision());
        }
      } finally {
        await src.close();
        await dst.close();
      }
    });

    test('a snapshot taken while writes continue holds exactly the keys at its revision', async () => {
      const src = await open();
      try {
        await populate(src.store, 60);
        const keys = (await all(src.store)).map((kv) => kv.key);
        const late: number[] = [];
        // Before every page after the first: update a key on a later page, delete one,
        // create a new one (sorting first and last).
        const store = interleaved(src.store, async (call) => {
          const victim = keys[keys.length - call]!;
          const cur = (await src.store.get(victim)).kv;
          if (cur !== undefined) late.push(ok(await src.store.update(victim, 'changed later', cur.modRevision)).modRevision);
          const gone = keys[keys.length - call - 20];
          if (gone !== undefined && (await src.store.get(gone)).kv) late.push(ok(await src.store.delete(gone)).modRevision);
          late.push(ok(await src.store.create(`/a-new-${call}`, 'late')).modRevision);
          late.push(ok(await src.store.create(`/z-new-${call}`, 'late')).modRevision);
        });
        const expectedRevision = await src.store.revision();
        const expected = await all(src.store);
        const { info, file } = await snapshotOf(store, 5);
        assert.equal(info.revision, expectedRevision);
        assert.ok(late.length > 20, `writes were made during the snapshot (${late.length})`);
        assert.ok(late.every((r) => r > info.revision));
        const read = await readSnapshot(file);
        assert.deepEqual(read.kvs, expected);
        assert.deepEqual(read.kvs, await all(src.store, info.revision));
        assert.notDeepEqual(strip(read.kvs), strip(await all(src.store)));
      } finally {
        await src.close();
      }
    });

    test('a snapshot taken while a writer runs freely is still a consistent read', async () => {
      const src = await open();
      try {
        await populate(src.store, 50);
        let stop = false;
        let writes = 0;
        const writer = (async () => {
          for (let i = 0; !stop; i++) {
            ok(await src.store.create(`/registry/busy/${String(i).padStart(6, '0')}`, value(i)));
            writes++;
          }
        })();
        await new Promise((r) => setTimeout(r, 20));
        const { info, file } = await snapshotOf(src.store, 3);
        stop = true;
        await writer;
        assert.ok(writes > 0);
        assert.deepEqual((await readSnapshot(file)).kvs, await all(src.store, info.revision));
      } finally {
        await src.close();
      }
    });

    test('an empty store snapshots and restores', async () => {
      const src = await open();
      const dst = await open();
      try {
        const { info, file } = await snapshotOf(src.store);
        assert.equal(info.keys, 0);
        const restored = await restoreSnapshot(dst.store, file);
        assert.equal(restored.keys, 0);
        assert.deepEqual(await all(dst.store), []);
      } finally {
        await src.close();
        await dst.close();
      }
    });

    test('damaged, truncated, foreign and wrong-version files are refused and nothing is written', async () => {
      const src = await open();
      const dst = await open();
      try {
        await populate(src.store, 40);
        const { file } = await snapshotOf(src.store);
        const plain = gunzipSync(file).toString('utf8');
        const lines = plain.split('\n');
        const flipped = Buffer.from(file);
        flipped[Math.floor(file.length / 2)]! ^= 0x5a;
        const cases: [string, Buffer, RegExp][] = [
          ['a flipped byte', flipped, /invalid snapshot/],
          ['cut in half', file.subarray(0, Math.floor(file.length / 2)), /invalid snapshot/],
          ['the last bytes missing', file.subarray(0, file.length - 4), /invalid snapshot/],
          ['not gzip', Buffer.from('{"format":"kubevisor-snapshot"}\n'), /invalid snapshot/],
          ['empty', Buffer.alloc(0), /invalid snapshot/],
          ['a changed value, gzip redone', gzipSync(plain.replace('cm-0005', 'cm-0006')), /checksum mismatch/],
          ['no trailer', gzipSync(lines.slice(0, -2).join('\n') + '\n'), /no trailer/],
          ['a key line dropped', gzipSync([...lines.slice(0, 3), ...lines.slice(4)].join('\n')), /checksum mismatch/],
          ['a half last line', gzipSync(plain.slice(0, -10)), /truncated/],
          ['version 2', gzipSync(plain.replace('"version":1', '"version":2')), /unsupported version 2/],
          ['another format', gzipSync(plain.replace('kubevisor-snapshot', 'other')), /not a kubevisor snapshot/],
          ['data after the trailer', gzipSync(plain + plain), /after the trailer/],
        ];
        for (const [what, bytes, message] of cases) {
          await assert.rejects(restoreSnapshot(dst.store, bytes), (err: Error) => {
            assert.ok(err instanceof SnapshotFormatError, `${what}: ${err.name}: ${err.message}`);
            assert.match(err.message, message, what);
            return true;
          });
          assert.deepEqual(await all(dst.store), [], what);
        }
        if (dst.store.backend === 'sqlite') assert.equal(await dst.store.revision(), 0);
        // And the intact file still restores.
        await restoreSnapshot(dst.store, file);
        assert.deepEqual(strip(await all(dst.store)), strip(await all(src.store)));
      } finally {
        await src.close();
        await dst.close();
      }
    });

    test('restore into a store that holds keys is refused and changes nothing', async () => {
      const src = await open();
      const dst = await open();
      try {
        await populate(src.store, 10);
        const { file } = await snapshotOf(src.store);
        const mine = ok(await dst.store.create('/registry/mine', 'keep'));
        const rev = await dst.store.revision();
        await assert.rejects(restoreSnapshot(dst.store, file), StoreNotEmptyError);
        assert.deepEqual(await all(dst.store), [mine]);
        assert.equal(await dst.store.revision(), rev);
      } finally {
        await src.close();
        await dst.close();
      }
    });
  });
}

backendSuite('sqlite', () => sqliteAt());

describe('snapshot restore on sqlite keeps revisions exactly', () => {
  test('revisions, range, get, compaction and watch continue from the snapshot revision', async () => {
    const src = await sqliteAt();
    const dst = await sqliteAt();
    try {
      await populate(src.store, 120);
      await src.store.compact((await src.store.revision()) - 30);
      // The newest write is a delete, so the revision is above every key's modRevision.
      ok(await src.store.create('/registry/last', 'x'));
      ok(await src.store.delete('/registry/last'));
      const { info, file } = await snapshotOf(src.store);
      const rev = info.revision;
      assert.equal(info.compactedRevision, rev - 32);
      assert.ok(Math.max(...(await all(src.store)).map((kv) => kv.modRevision)) < rev);

      const restored = await restoreSnapshot(dst.store, file);
      assert.equal(restored.storeRevision, rev);
      assert.equal(await dst.store.revision(), rev);
      assert.equal(await dst.store.compactedRevision(), rev);
      for (const prefix of ['', '/registry/', '/registry/core/configmaps/ns1/', '/other/']) {
        assert.deepEqual(await dst.store.range(prefix), await src.store.range(prefix));
        assert.deepEqual(await dst.store.range(prefix, { limit: 7 }), await src.store.range(prefix, { limit: 7 }));
      }
      for (const kv of await all(src.store)) assert.deepEqual(await dst.store.get(kv.key), await src.store.get(kv.key));
      assert.deepEqual(await dst.store.range('', { revision: rev }), await src.store.range('', { revision: rev }));
      await assert.rejects(dst.store.range('', { revision: rev - 1 }), CompactedError);

      // A watch from the revision after the snapshot's sees only later writes, with the
      // revisions the original would have given them; one from before fails as compacted.
      const events: WatchEvent[] = [];
      const errors: Error[] = [];
      const w = dst.store.watch('/registry/', rev + 1, { onEvents: (e) => events.push(...e), onError: (e) => errors.push(e) });
      const old: Error[] = [];
      dst.store.watch('/registry/', rev, { onEvents: () => assert.fail('compacted watch delivered'), onError: (e) => old.push(e) });
      const target = (await all(src.store)).find((kv) => kv.key.startsWith('/registry/'))!;
      const upd = ok(await dst.store.update(target.key, 'after restore', target.modRevision));
      const created = ok(await dst.store.create('/registry/new', 'n'));
      const srcUpd = ok(await src.store.update(target.key, 'after restore', target.modRevision));
      assert.equal(upd.modRevision, rev + 1);
      assert.equal(srcUpd.modRevision, upd.modRevision);
      assert.equal(upd.createRevision, target.createRevision);
      assert.equal(created.modRevision, rev + 2);
      await new Promise((r) => setTimeout(r, 50));
      w.cancel();
      assert.deepEqual(errors, []);
      assert.deepEqual(events.map((e) => [e.type, e.kv.key, e.kv.modRevision, e.prevKv?.value]), [
        ['put', target.key, rev + 1, target.value],
        ['put', '/registry/new', rev + 2, undefined],
      ]);
      assert.equal(old.length, 1);
      assert.ok(old[0] instanceof CompactedError);

      // Compaction and deletes work on restored rows, and a reopened file keeps it all.
      ok(await dst.store.delete('/other/outside-registry'));
      await dst.store.compact(await dst.store.revision());
      const now = await all(dst.store);
      const path = dst.path;
      await dst.close();
      const reopened = await sqliteAt(path);
      try {
        assert.equal(await reopened.store.revision(), rev + 3);
        assert.deepEqual(await all(reopened.store), now);
        assert.equal(ok(await reopened.store.create('/registry/again', 'a')).modRevision, rev + 4);
      } finally {
        await reopened.close();
      }
    } finally {
      await src.close();
      await dst.close();
    }
  });

  test('a store that was written to, even if now empty, is refused', async () => {
    const src = await sqliteAt();
    const dst = await sqliteAt();
    try {
      await populate(src.store, 5);
      const { file } = await snapshotOf(src.store);
      ok(await dst.store.create('/x', '1'));
      ok(await dst.store.delete('/x'));
      await assert.rejects(restoreSnapshot(dst.store, file), /never written/);
      assert.equal(await dst.store.revision(), 2);
      await assert.rejects(dst.store.restoreRows!([], 10), /never written/);
    } finally {
      await src.close();
      await dst.close();
    }
  });

  test('restoreRows is all or nothing', async () => {
    const dst = await sqliteAt();
    try {
      const kvs = [
        { key: '/a', value: '1', createRevision: 1, modRevision: 3 },
        { key: '/b', value: '2', createRevision: 2, modRevision: 3 }, // same revision: the insert fails
      ];
      await assert.rejects(dst.store.restoreRows!(kvs, 5));
      assert.equal(await dst.store.revision(), 0);
      assert.equal(await dst.store.compactedRevision(), 0);
      assert.deepEqual(await all(dst.store), []);
      await assert.rejects(dst.store.restoreRows!([{ key: '/a', value: '1', createRevision: 1, modRevision: 9 }], 5), /invalid revisions/);
    } finally {
      await dst.close();
    }
  });

  test('a file read from a stream in small chunks restores the same', async () => {
    const src = await sqliteAt();
    try {
      await populate(src.store, 30);
      const { file } = await snapshotOf(src.store);
      async function* dribble() {
        for (let i = 0; i < file.length; i += 7) yield file.subarray(i, i + 7);
      }
      assert.deepEqual((await readSnapshot(dribble())).kvs, await all(src.store));
    } finally {
      await src.close();
    }
  });
});

if (etcdBinary() === undefined) {
  test('snapshot on etcd', { skip: ETCD_MISSING }, () => {});
} else {
  let etcd: RunningEtcd | undefined;
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd?.stop();
  });
  let prefixes = 0;
  const openEtcd: Opener = async () => {
    const store = await EtcdStore.open({ endpoints: [etcd!.endpoint], prefix: `/snapshot-${++prefixes}/` });
    return { store, close: () => store.close() };
  };
  backendSuite('etcd', openEtcd);

  test('a SQLite snapshot restores into etcd, and an etcd snapshot into SQLite', async () => {
    const sq = await sqliteAt();
    const et = await openEtcd();
    const back = await sqliteAt();
    try {
      await populate(sq.store, 50);
      const toEtcd = await restoreSnapshot(et.store, (await snapshotOf(sq.store)).file);
      assert.equal(toEtcd.revisions, 'renumbered');
      assert.deepEqual(strip(await all(et.store)), strip(await all(sq.store)));
      // etcd's own (sparse, shared) revision numbers become the SQLite store's.
      const { info, file } = await snapshotOf(et.store);
      const fromEtcd = await restoreSnapshot(back.store, file);
      assert.equal(fromEtcd.revisions, 'exact');
      assert.equal(await back.store.revision(), info.revision);
      assert.deepEqual(await all(back.store), await all(et.store));
    } finally {
      await sq.close();
      await et.close();
      await back.close();
    }
  });
}
