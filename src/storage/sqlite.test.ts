import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { runConformance } from './conformance.ts';
import { SqliteStore } from './sqlite.ts';

async function tempDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'kubevisor-sqlite-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

runConformance('sqlite', async () => {
  const { dir, remove } = await tempDir();
  const store = new SqliteStore(join(dir, 'kv.db'));
  return {
    store,
    async cleanup() {
      await store.close();
      await remove();
    },
  };
});

test('sqlite: a new store starts at revision 0, uncompacted, in WAL mode', async (t) => {
  const { dir, remove } = await tempDir();
  t.after(remove);
  const path = join(dir, 'kv.db');
  const store = new SqliteStore(path);
  try {
    assert.equal(await store.revision(), 0);
    assert.equal(await store.compactedRevision(), 0);
    assert.deepEqual(await store.range(''), { kvs: [], more: false, count: 0, revision: 0 });
  } finally {
    await store.close();
  }
  const db = new DatabaseSync(path);
  try {
    assert.equal(db.prepare('PRAGMA journal_mode').get()?.journal_mode, 'wal');
  } finally {
    db.close();
  }
});

test('sqlite: a reopened store resumes its revision, data and compacted revision', async (t) => {
  const { dir, remove } = await tempDir();
  t.after(remove);
  const path = join(dir, 'kv.db');
  const first = new SqliteStore(path);
  await first.create('/a', '1');
  await first.create('/b', '2');
  await first.delete('/b');
  await first.compact(3);
  await first.close();

  const second = new SqliteStore(path);
  try {
    assert.equal(await second.revision(), 3);
    assert.equal(await second.compactedRevision(), 3);
    assert.deepEqual((await second.range('')).kvs, [{ key: '/a', value: '1', createRevision: 1, modRevision: 1 }]);
    const next = await second.create('/b', 'again');
    assert.equal(next.revision, 4);
  } finally {
    await second.close();
  }
});

test('sqlite: the revision never goes back, even when compaction removed the newest row', async (t) => {
  const { dir, remove } = await tempDir();
  t.after(remove);
  const path = join(dir, 'kv.db');
  const first = new SqliteStore(path);
  await first.create('/a', '1');
  await first.delete('/a');
  await first.compact(2);
  await first.close();

  const second = new SqliteStore(path);
  try {
    assert.equal(await second.revision(), 2);
    assert.equal((await second.create('/a', 'x')).revision, 3);
  } finally {
    await second.close();
  }
});

test('sqlite: compaction removes superseded rows and tombstones from the file', async (t) => {
  const { dir, remove } = await tempDir();
  t.after(remove);
  const path = join(dir, 'kv.db');
  const store = new SqliteStore(path);
  let rev = 0;
  for (let i = 0; i < 5; i++) rev = (await store.create(`/k/${i}`, 'v0')).revision;
  for (let round = 1; round <= 3; round++) {
    for (let i = 0; i < 5; i++) {
      const current = (await store.get(`/k/${i}`)).kv!;
      rev = (await store.update(`/k/${i}`, `v${round}`, current.modRevision)).revision;
    }
  }
  await store.delete('/k/0');
  const cut = await store.revision();
  await store.update('/k/1', 'after', (await store.get('/k/1')).kv!.modRevision);
  await store.compact(cut);
  await store.close();

  const db = new DatabaseSync(path);
  try {
    const rows = db.prepare('SELECT name, value FROM kv ORDER BY id').all().map((r) => `${String(r.name)}=${String(r.value)}`);
    // /k/1 keeps its row as of the cut (a later write exists but is above it).
    assert.deepEqual(rows, ['/k/1=v3', '/k/2=v3', '/k/3=v3', '/k/4=v3', '/k/1=after']);
  } finally {
    db.close();
  }
  assert.ok(rev > 0);
});

test('sqlite: writes made in one turn commit together, each answered as if alone', async (t) => {
  const { dir, remove } = await tempDir();
  t.after(remove);
  const path = join(dir, 'kv.db');
  const store = new SqliteStore(path);
  const seen: number[] = [];
  const w = store.watch('/g/', 1, { onEvents: (evs) => { for (const e of evs) seen.push(e.kv.modRevision); }, onError: () => {} });
  try {
    // Issued without awaiting: one transaction. The second create of /g/a is refused.
    const results = await Promise.all([
      store.create('/g/a', '1'), store.create('/g/b', '2'), store.create('/g/a', 'again'), store.update('/g/b', '3', 2),
    ]);
    assert.deepEqual(results.map((r) => r.succeeded), [true, true, false, true]);
    assert.deepEqual(results.map((r) => r.revision), [1, 2, 2, 3]);
    const refused = results[2];
    assert.ok(!refused.succeeded);
    assert.equal(refused.current?.value, '1');
    assert.equal(await store.revision(), 3);
    assert.deepEqual(seen, [1, 2, 3]);
  } finally {
    w.cancel();
    await store.close();
  }
  // Everything answered is in the file.
  const reopened = new SqliteStore(path);
  try {
    assert.deepEqual((await reopened.range('/g/')).kvs.map((kv) => kv.value), ['1', '3']);
    // A replayed update still carries its previous value (kept once, in the row it replaced).
    const events: unknown[] = [];
    const w2 = reopened.watch('/g/', 1, { onEvents: (evs) => events.push(...evs), onError: () => {} });
    await new Promise((r) => setImmediate(r));
    w2.cancel();
    assert.equal((events[2] as { prevKv?: { value: string } }).prevKv?.value, '2');
  } finally {
    await reopened.close();
  }
});

test('sqlite: a store told what its file holds opens the database only when first needed', async (t) => {
  const { dir, remove } = await tempDir();
  t.after(remove);
  const path = join(dir, 'kv.db');
  const first = new SqliteStore(path);
  await first.restoreRows([{ key: '/a', value: '1', createRevision: 1, modRevision: 1 }], 1);
  await first.close();
  const { rmSync, existsSync } = await import('node:fs');
  rmSync(`${path}-wal`, { force: true });

  const store = new SqliteStore(path, { holds: { revision: 1 } });
  assert.equal(await store.revision(), 1);
  const seen: number[] = [];
  store.watch('/', 2, { onEvents: (evs) => { for (const e of evs) seen.push(e.kv.modRevision); }, onError: () => {} });
  assert.equal(existsSync(`${path}-wal`), false, 'a watch from the next revision needs no database');
  // The first write opens it; the watch sees the write.
  assert.equal((await store.create('/b', '2')).revision, 2);
  assert.deepEqual((await store.range('/')).kvs.map((kv) => kv.key), ['/a', '/b']);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen, [2]);
  await store.close();
  // Closed before any use: nothing to do.
  await new SqliteStore(path, { holds: { revision: 2 } }).close();
  const again = new SqliteStore(path);
  assert.equal(await again.revision(), 2);
  await again.close();
});
