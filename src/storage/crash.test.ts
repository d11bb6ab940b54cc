import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { SqliteStore } from './sqlite.ts';

interface Ack {
  key: string;
  revision: number;
  value: string;
}

/** Run the writer until it has acknowledged `atLeast` writes, then SIGKILL it. */
function writeUntilKilled(path: string, atLeast: number): Promise<Ack[]> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'crash-writer.ts'), path], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let killed = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    if (!killed && out.split('\n').length > atLeast) {
      killed = true;
      child.kill('SIGKILL');
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL') {
        reject(new Error(`writer exited on its own (code ${code}, signal ${signal}):\n${err}`));
        return;
      }
      // The last line may have been cut by the kill: only whole lines are acknowledgements.
      const lines = out.split('\n').slice(0, -1);
      resolve(lines.map((line) => {
        const [key, revision, value] = line.split(' ');
        return { key: key!, revision: Number(revision), value: value! };
      }));
    });
  });
}

test('sqlite: every acknowledged write survives SIGKILL of the writing process', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kubevisor-crash-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'kv.db');

  const acks = await writeUntilKilled(path, 500);
  assert.ok(acks.length >= 500, `only ${acks.length} acknowledged writes`);
  // Acknowledged revisions are consecutive: one per write, no gaps.
  assert.deepEqual(acks.map((a) => a.revision), acks.map((_, i) => i + 1));

  const store = new SqliteStore(path);
  try {
    const revision = await store.revision();
    assert.ok(revision >= acks.length, `store is at revision ${revision}, ${acks.length} writes were acknowledged`);

    const latest = new Map<string, Ack>();
    for (const ack of acks) latest.set(ack.key, ack);
    for (const ack of latest.values()) {
      const { kv } = await store.get(ack.key);
      assert.ok(kv !== undefined, `acknowledged key ${ack.key} is missing`);
      // A write after the last acknowledged one may have committed before the kill.
      if (kv.modRevision === ack.revision) assert.equal(kv.value, ack.value);
      else assert.ok(kv.modRevision > acks[acks.length - 1]!.revision, `${ack.key} went back in time`);
    }

    // The whole history is readable and consistent: at each acknowledged revision the
    // key holds the acknowledged value, and the log has one row per revision.
    const shared = acks.filter((a) => a.key === '/crash/shared');
    for (const ack of shared) {
      const { kvs } = await store.range('/crash/shared', { revision: ack.revision });
      assert.deepEqual(kvs.map((kv) => [kv.value, kv.modRevision]), [[ack.value, ack.revision]]);
    }
    const all = await store.range('/crash/');
    assert.equal(new Set(all.kvs.map((kv) => kv.modRevision)).size, all.kvs.length);
    assert.ok(all.kvs.every((kv) => kv.modRevision <= revision && kv.createRevision <= kv.modRevision));

    // The store carries on from where the killed writer stopped.
    const next = await store.create('/after-crash', 'x');
    assert.equal(next.revision, revision + 1);
  } finally {
    await store.close();
  }

  const db = new DatabaseSync(path);
  try {
    assert.equal(db.prepare('PRAGMA integrity_check').get()?.integrity_check, 'ok');
    const rows = db.prepare('SELECT COUNT(*) AS n, MAX(id) AS top FROM kv').get();
    assert.equal(rows?.n, rows?.top, 'one log row per revision');
  } finally {
    db.close();
  }
});
