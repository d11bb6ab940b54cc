import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fillSqliteTemplate, makeSqliteTemplate } from './sqlite-template.ts';
import { SqliteStore } from './sqlite.ts';
import type { KeyValue } from './types.ts';

const UID_MARK = (i: number) => `uid-mark-${String(i).padStart(27, '0')}`;
const TIME_MARK = 'time-mark-xxxxxxxxxx';

/** Rows like a bootstrap image: small ones and some spanning many overflow pages, marks everywhere in them. */
function imageRows(): KeyValue[] {
  const rows: KeyValue[] = [];
  for (let i = 0; i < 60; i++) {
    // Every seventh row is large: marks land across cell/overflow and overflow/overflow boundaries.
    const filler = i % 7 === 0 ? 'é'.repeat(97 + i) : 'x'.repeat(i);
    const parts = [`{"uid":"${UID_MARK(i)}","creationTimestamp":"${TIME_MARK}"`];
    const repeats = i % 7 === 0 ? 400 : 1;
    for (let j = 0; j < repeats; j++) parts.push(`"f${j}":"${filler}","t${j}":"${TIME_MARK}"`);
    rows.push({ key: `/registry/things/${String(i).padStart(3, '0')}`, value: `${parts.join(',')}}`, createRevision: i + 1, modRevision: i + 1 });
  }
  return rows;
}

test('sqlite template: a filled copy is the store those rows would make, marks replaced wherever they lie', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kubevisor-template-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const rows = imageRows();
  const marks = [...rows.map((_, i) => UID_MARK(i)), TIME_MARK];
  const template = await makeSqliteTemplate(rows, rows.length, marks);
  assert.ok(template, 'a template is made');
  // Some marks of the large rows are split between pages.
  assert.ok(template.places.some((ps) => ps.some((p) => p.length > 1)), 'some marks straddle a page boundary');

  const uids = rows.map(() => randomUUID());
  const time = '2026-11-21T16:20:00Z';
  const path = join(dir, 'copy.db');
  await writeFile(path, fillSqliteTemplate(template, [...uids, time]));
  const store = new SqliteStore(path);
  t.after(() => store.close());
  assert.equal(await store.revision(), rows.length);
  assert.equal(await store.compactedRevision(), rows.length);
  const got = await store.range('/registry/');
  assert.equal(got.kvs.length, rows.length);
  for (const [i, kv] of got.kvs.entries()) {
    const want = rows[i].value.replaceAll(UID_MARK(i), uids[i]).replaceAll(TIME_MARK, time);
    assert.equal(kv.value, want, `row ${i}`);
    assert.equal(kv.modRevision, i + 1);
  }
  // The copy is a working store: the next write gets the next revision.
  const w = await store.create('/registry/things/new', '{}');
  assert.equal(w.revision, rows.length + 1);
});

test('sqlite template: a value of another length is refused', async () => {
  const rows = imageRows().slice(1, 3);
  const template = await makeSqliteTemplate(rows, 3, [UID_MARK(1), UID_MARK(2), TIME_MARK]);
  assert.ok(template);
  assert.throws(() => fillSqliteTemplate(template, [randomUUID(), randomUUID(), '2026-11-21T16:20:00.000Z']), /not 20 bytes long/);
  assert.throws(() => fillSqliteTemplate(template, [randomUUID()]), /3 marks, 1 values/);
});
