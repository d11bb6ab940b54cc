// KVStore on node:sqlite. The table is a revision log: every write appends one row
// whose id is the write's revision; a key's value is its highest row. One process
// owns the file: watch events come from writes made through this object.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  CompactedError,
  FutureRevisionError,
  type GetResult,
  type KeyValue,
  type KVStore,
  type RangeOptions,
  type RangeResult,
  type WatchCallbacks,
  type WatchEvent,
  type Watcher,
  type WriteResult,
} from './types.ts';
import { WatchDelivery } from './watch-delivery.ts';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value TEXT NOT NULL,
  old_value TEXT
);
CREATE INDEX IF NOT EXISTS kv_name_id ON kv (name, id);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

let emptyDb: Buffer | undefined;
/** The bytes of an empty store (WAL mode set, schema made), made once per process. */
function emptyDatabase(): Buffer {
  if (emptyDb) return emptyDb;
  const dir = mkdtempSync(join(tmpdir(), 'kubevisor-empty-'));
  try {
    const db = new DatabaseSync(join(dir, 'empty.db'));
    db.exec('PRAGMA journal_mode = WAL;');
    db.exec(SCHEMA);
    db.close();
    emptyDb = readFileSync(join(dir, 'empty.db'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return emptyDb;
}

/** A row of the log. For a delete, `value` is the value the key held when deleted. */
interface Row {
  id: number;
  name: string;
  created: number;
  deleted: number;
  create_revision: number;
  prev_revision: number;
  value: string;
  old_value: string | null;
}

const ROW = 'id, name, created, deleted, create_revision, prev_revision, value, old_value';

// The highest row of each key in the range at or below a revision, skipping keys whose
// highest row is a tombstone. This relies on SQLite's documented rule that bare columns
// next to a single max() come from the row holding the maximum; grouping along the
// (name, id) index yields keys in order, so a LIMIT stops the scan early.
const LATEST = `
  SELECT MAX(id) AS id, name, create_revision, value, deleted FROM kv
  WHERE name >= :prefix AND name >= :start AND name < :upper AND id <= :rev
  GROUP BY name HAVING deleted = 0`;

/** Rows read per step of a watch replay, so a long replay does not block the event loop. */
const REPLAY_CHUNK = 1000;
/** Writes committed together at most (group commit). */
const MAX_BATCH = 512;
/** Revisions examined per compaction statement. */
const COMPACT_WINDOW = 10_000;

/**
 * Upper bound of the keys starting with `prefix`, compared as UTF-8 bytes (SQLite's
 * BINARY collation). U+10FFFF is the largest code point, so only keys continuing the
 * prefix with U+10FFFF itself (a noncharacter) fall outside.
 */
function upperBound(prefix: string): string {
  return prefix + '\u{10FFFF}';
}

function toKeyValue(row: Row): KeyValue {
  return { key: row.name, value: row.value, createRevision: row.create_revision, modRevision: row.id };
}

function toEvent(row: Row): WatchEvent {
  const kv = toKeyValue(row);
  if (row.deleted) {
    const prevKv = { key: row.name, value: row.value, createRevision: row.create_revision, modRevision: row.prev_revision };
    return { type: 'delete', kv, prevKv };
  }
  // A replayed update whose previous row was compacted away has no previous value.
  const prevKv = row.created || row.old_value === null
    ? undefined
    : { key: row.name, value: row.old_value ?? '', createRevision: row.create_revision, modRevision: row.prev_revision };
  return { type: 'put', kv, prevKv };
}

interface SqliteWatch {
  readonly prefix: string;
  /** The next revision this watcher has to see. */
  cursor: number;
  /** Replay finished: new events are pushed to it as they are written. */
  live: boolean;
  readonly delivery: WatchDelivery;
}

/** A write made inside the open transaction, answered once that transaction commits. */
interface PendingWrite {
  /** The appended row; absent when the write was refused. */
  readonly row: Row | undefined;
  /** For a refusal: the key's live row, and the revision the decision saw. */
  readonly refused: Row | undefined;
  readonly seenRevision: number;
  readonly resolve: (r: WriteResult) => void;
  readonly reject: (e: unknown) => void;
}

interface Statements {
  latest: StatementSync;
  insert: StatementSync;
  sequence: StatementSync;
  range: StatementSync;
  rangeLimit: StatementSync;
  rangeCount: StatementSync;
  history: StatementSync;
  compactWindow: StatementSync;
  getMeta: StatementSync;
  setMeta: StatementSync;
}

export class SqliteStore implements KVStore {
  readonly backend = 'sqlite' as const;
  readonly #path: string;
  /** The database connection, made on first use when the constructor was told the revision. */
  #conn: { readonly db: DatabaseSync; readonly stmts: Statements } | undefined;
  readonly #watches = new Set<SqliteWatch>();
  #rev: number;
  #compacted: number;
  #compacting: Promise<void> = Promise.resolve();
  #closed = false;
  // Group commit: writes made in the same turn of the event loop share one transaction,
  // committed on the next turn (or before any read); each is acknowledged only then.
  #pending: PendingWrite[] = [];
  #batchRev = 0;
  #flushScheduled = false;

  /**
   * Open (or create) the store in the file at `path` (`:memory:` for a throwaway store).
   * `holds`: the file is known to hold a store at `revision`, compacted to it (written
   * from a template just now): the database is opened only when first needed, so a
   * store that is only ever read through a cache never opens it.
   */
  constructor(path: string, opts: { holds?: { readonly revision: number } } = {}) {
    this.#path = path;
    if (opts.holds) {
      this.#rev = opts.holds.revision;
      this.#compacted = opts.holds.revision;
      return;
    }
    // A new file starts as a copy of an empty store: no fsyncs for switching to WAL and creating the schema.
    if (path !== ':memory:' && !existsSync(path)) writeFileSync(path, emptyDatabase(), { mode: 0o600, flag: 'wx' });
    this.#conn = this.#connect();
    this.#rev = this.#sequence();
    this.#compacted = (this.#stmts.getMeta.get('compact_revision')?.value as number | undefined) ?? 0;
  }

  get #db(): DatabaseSync {
    return (this.#conn ??= this.#connect()).db;
  }

  get #stmts(): Statements {
    return (this.#conn ??= this.#connect()).stmts;
  }

  #connect(): { db: DatabaseSync; stmts: Statements } {
    const db = new DatabaseSync(this.#path);
    // WAL + synchronous=NORMAL: a commit is in the WAL file (the OS's page cache) before
    // it returns, which survives the process being killed, though not power loss.
    // Exclusive locking, set before WAL is first used: the WAL index lives in this
    // process's memory, not in a -shm file mapped and locked on each transaction (one
    // process owns the file; another opening it waits, then fails).
    // Checkpoints every 8192 pages (32 MiB) rather than SQLite's 1000: each one syncs the
    // files, and a longer log copies a page written many times (index, the table's end) once.
    // 30,000 writes of 7 KB took 1.1 s against 1.3–2.0 s with the default (docs/benchmarks.md).
    db.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA wal_autocheckpoint = 8192;');
    db.exec(SCHEMA);
    const stmts: Statements = {
      latest: db.prepare(`SELECT ${ROW} FROM kv WHERE name = ? ORDER BY id DESC LIMIT 1`),
      insert: db.prepare(`INSERT INTO kv (${ROW}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      sequence: db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'kv'`),
      range: db.prepare(`${LATEST} ORDER BY name`),
      rangeLimit: db.prepare(`${LATEST} ORDER BY name LIMIT :limit`),
      rangeCount: db.prepare(`SELECT COUNT(*) AS n FROM (${LATEST})`),
      // An update's previous value is the row it superseded (stores written before
      // old values were dropped from rows still carry it in old_value).
      history: db.prepare(`
        SELECT kv.id, kv.name, kv.created, kv.deleted, kv.create_revision, kv.prev_revision, kv.value,
          CASE WHEN kv.created = 0 AND kv.deleted = 0 THEN COALESCE(kv.old_value, prev.value) END AS old_value
        FROM kv LEFT JOIN kv AS prev ON prev.id = kv.prev_revision
        WHERE kv.name >= ? AND kv.name < ? AND kv.id >= ? ORDER BY kv.id LIMIT ${REPLAY_CHUNK}`),
      // Drop rows in (lo, hi] that a later row at or below the compaction revision
      // supersedes, and tombstones at or below it.
      compactWindow: db.prepare(`
        DELETE FROM kv WHERE id > :lo AND id <= :hi AND (deleted = 1 OR EXISTS (
          SELECT 1 FROM kv AS newer WHERE newer.name = kv.name AND newer.id > kv.id AND newer.id <= :rev))`),
      getMeta: db.prepare('SELECT value FROM meta WHERE name = ?'),
      setMeta: db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value'),
    };
    return { db, stmts };
  }

  async revision(): Promise<number> {
    this.#assertOpen();
    return this.#rev;
  }

  async get(key: string): Promise<GetResult> {
    this.#assertOpen();
    this.#flush();
    return { kv: this.#current(key), revision: this.#rev };
  }

  async range(prefix: string, opts: RangeOptions = {}): Promise<RangeResult> {
    this.#assertOpen();
    this.#flush();
    const rev = this.#readRevision(opts.revision);
    const params = { prefix, start: opts.startKey ?? prefix, upper: upperBound(prefix), rev };
    const limit = opts.limit ?? 0;
    const rows = (limit > 0
      ? this.#stmts.rangeLimit.all({ ...params, limit: limit + 1 })
      : this.#stmts.range.all(params)) as unknown as Row[];
    const more = limit > 0 && rows.length > limit;
    if (more) rows.pop();
    const count = more ? (this.#stmts.rangeCount.get(params)!.n as number) : rows.length;
    return { kvs: rows.map(toKeyValue), more, count, revision: rev };
  }

  async create(key: string, value: string): Promise<WriteResult> {
    return this.#write(key, (latest, id) => {
      if (latest !== undefined) return latest;
      return { id, name: key, created: 1, deleted: 0, create_revision: id, prev_revision: 0, value, old_value: null };
    });
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<WriteResult> {
    return this.#write(key, (current, id) => {
      if (current === undefined || current.id !== expectedModRevision) return current;
      return {
        id, name: key, created: 0, deleted: 0, create_revision: current.create_revision,
        prev_revision: current.id, value, old_value: current.value,
      };
    });
  }

  /** On success `kv` is shaped like a delete event's: the last value, at the delete's revision. */
  async delete(key: string, expectedModRevision?: number): Promise<WriteResult> {
    return this.#write(key, (current, id) => {
      if (current === undefined || (expectedModRevision !== undefined && current.id !== expectedModRevision)) {
        return current;
      }
      return {
        id, name: key, created: 0, deleted: 1, create_revision: current.create_revision,
        prev_revision: current.id, value: current.value, old_value: null,
      };
    });
  }

  watch(prefix: string, startRevision: number, callbacks: WatchCallbacks): Watcher {
    const w: SqliteWatch = {
      prefix,
      cursor: Math.max(1, startRevision),
      live: false,
      delivery: new WatchDelivery(callbacks, () => this.#watches.delete(w)),
    };
    if (this.#closed) {
      w.delivery.fail(new Error('store is closed'));
      return w.delivery;
    }
    this.#watches.add(w);
    // Live watchers get every write as it commits: they are always as far as the store.
    w.delivery.requestProgress = () => { if (w.live) w.delivery.progress(this.#rev); };
    this.#replay(w);
    return w.delivery;
  }

  compact(revision: number): Promise<void> {
    const run = this.#compacting.then(() => this.#compact(revision));
    this.#compacting = run.catch(() => undefined);
    return run;
  }

  async compactedRevision(): Promise<number> {
    this.#assertOpen();
    return this.#compacted;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    for (const w of [...this.#watches]) w.delivery.fail(new Error('store is closed'));
    await this.#compacting;
    this.#conn?.db.close();
  }

  /**
   * Snapshot restore (see KVStore.restoreRows and snapshot.ts): one transaction that
   * appends each key as a single row whose id is its modRevision, then sets the
   * AUTOINCREMENT counter (the store's revision) and the compacted revision to `revision`.
   */
  async restoreRows(kvs: readonly KeyValue[], revision: number): Promise<void> {
    this.#assertOpen();
    this.#flush();
    if (this.#rev !== 0 || this.#db.prepare('SELECT 1 FROM kv LIMIT 1').get() !== undefined) {
      throw new Error(`restore needs a store that was never written (this one is at revision ${this.#rev})`);
    }
    if (!Number.isSafeInteger(revision) || revision < 0) throw new Error(`invalid restore revision ${revision}`);
    const keys = new Set<string>();
    for (const kv of kvs) {
      if (keys.has(kv.key)) throw new Error(`restore: key ${kv.key} appears twice`);
      keys.add(kv.key);
      if (!Number.isSafeInteger(kv.modRevision) || !Number.isSafeInteger(kv.createRevision)
        || kv.createRevision < 1 || kv.createRevision > kv.modRevision || kv.modRevision > revision) {
        throw new Error(`restore: key ${kv.key} has invalid revisions (create ${kv.createRevision}, mod ${kv.modRevision}, store ${revision})`);
      }
    }
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      for (const kv of kvs) {
        // An update's previous row is not restored: prev_revision 0, as for a create.
        const created = kv.createRevision === kv.modRevision ? 1 : 0;
        this.#stmts.insert.run(kv.modRevision, kv.key, created, 0, kv.createRevision, 0, kv.value, null);
      }
      this.#db.prepare(`DELETE FROM sqlite_sequence WHERE name = 'kv'`).run();
      this.#db.prepare(`INSERT INTO sqlite_sequence (name, seq) VALUES ('kv', ?)`).run(revision);
      this.#stmts.setMeta.run('compact_revision', revision);
      this.#db.exec('COMMIT');
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw err;
    }
    this.#rev = revision;
    this.#compacted = revision;
    // Watches opened before the restore cannot be given the history they asked for.
    for (const w of [...this.#watches]) {
      if (w.cursor <= revision) w.delivery.fail(new CompactedError(w.cursor, revision));
    }
  }

  async #compact(revision: number): Promise<void> {
    this.#assertOpen();
    this.#flush();
    if (revision > this.#rev) throw new FutureRevisionError(revision, this.#rev);
    if (revision <= this.#compacted) return;
    // Record first: from here on, reads and replays below the revision fail instead of
    // seeing history that the deletes below are removing.
    this.#stmts.setMeta.run('compact_revision', revision);
    this.#compacted = revision;
    // Rows at or below an earlier compaction may be superseded now, so start at 0.
    for (let lo = 0; lo < revision; lo += COMPACT_WINDOW) {
      this.#stmts.compactWindow.run({ lo, hi: Math.min(lo + COMPACT_WINDOW, revision), rev: revision });
      await nextTurn();
      if (this.#closed) return;
    }
  }

  /** Deliver history from w.cursor in chunks; when it has caught up, switch it to live events. */
  #replay(w: SqliteWatch): void {
    if (w.delivery.ended || this.#closed) return;
    this.#flush();
    if (w.cursor <= this.#compacted) {
      w.delivery.fail(new CompactedError(w.cursor, this.#compacted));
      return;
    }
    if (w.cursor > this.#rev) {
      // Nothing to replay: live from here.
      w.live = true;
      return;
    }
    const rows = this.#stmts.history.all(w.prefix, upperBound(w.prefix), w.cursor) as unknown as Row[];
    w.delivery.push(rows.map(toEvent));
    if (rows.length < REPLAY_CHUNK) {
      // Everything up to #rev has been read in this same synchronous step, so no write
      // can fall between the replay and the live events.
      // (A start beyond the current revision is kept.)
      w.cursor = Math.max(w.cursor, this.#rev + 1);
      w.live = true;
    } else {
      w.cursor = rows[rows.length - 1]!.id + 1;
      setImmediate(() => this.#replay(w));
    }
  }

  #publish(row: Row): void {
    let event: WatchEvent | undefined;
    for (const w of this.#watches) {
      if (!w.live || row.id < w.cursor || !row.name.startsWith(w.prefix)) continue;
      event ??= toEvent(row);
      w.cursor = row.id + 1;
      w.delivery.push([event]);
    }
  }

  /**
   * A guarded write. `decide` sees the key's live row (undefined when absent) and the
   * revision a write would get; it returns the row to append, or the current row (or
   * undefined) to refuse. The write joins the open transaction; it is answered, and
   * the appended row published, after that transaction commits.
   */
  #write(key: string, decide: (current: Row | undefined, id: number) => Row | undefined): Promise<WriteResult> {
    this.#assertOpen();
    if (!this.#db.isTransaction) {
      this.#db.exec('BEGIN IMMEDIATE');
      this.#batchRev = this.#rev;
    }
    let row: Row | undefined;
    let refused: Row | undefined;
    try {
      const latest = this.#latestRow(key);
      const current = latest === undefined || latest.deleted ? undefined : latest;
      const decided = decide(current, this.#batchRev + 1);
      if (decided === current) {
        refused = current;
      } else {
        // A re-created key's row points back at the tombstone that ended its previous life.
        row = decided!.created ? { ...decided!, prev_revision: latest?.id ?? 0 } : decided!;
        this.#stmts.insert.run(
          // The previous value stays in its own row, so the log stores each value once.
          row.id, row.name, row.created, row.deleted, row.create_revision, row.prev_revision, row.value, null,
        );
        this.#batchRev = row.id;
      }
    } catch (err) {
      // A failed statement undoes only itself; the batch's other writes stand.
      if (this.#pending.length === 0 && this.#db.isTransaction) this.#db.exec('ROLLBACK');
      return Promise.reject(err);
    }
    const answer = new Promise<WriteResult>((resolve, reject) => {
      this.#pending.push({ row, refused, seenRevision: this.#batchRev, resolve, reject });
    });
    if (this.#pending.length >= MAX_BATCH) this.#flush();
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => { this.#flushScheduled = false; this.#flush(); });
    }
    return answer;
  }

  /** Commit the open transaction, then answer its writes and publish their rows in order. */
  #flush(): void {
    if (this.#closed || !this.#conn?.db.isTransaction) return;
    const batch = this.#pending;
    this.#pending = [];
    try {
      this.#db.exec('COMMIT');
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      for (const w of batch) w.reject(err);
      return;
    }
    for (const w of batch) {
      if (w.row === undefined) {
        w.resolve({ succeeded: false, revision: w.seenRevision, current: w.refused && toKeyValue(w.refused) });
        continue;
      }
      this.#rev = w.row.id;
      this.#publish(w.row);
      w.resolve({ succeeded: true, revision: w.row.id, kv: toKeyValue(w.row) });
    }
  }

  #latestRow(key: string): Row | undefined {
    return this.#stmts.latest.get(key) as unknown as Row | undefined;
  }

  #current(key: string): KeyValue | undefined {
    const row = this.#latestRow(key);
    return row === undefined || row.deleted ? undefined : toKeyValue(row);
  }

  #sequence(): number {
    return (this.#stmts.sequence.get()?.seq as number | undefined) ?? 0;
  }

  #readRevision(requested: number | undefined): number {
    if (requested === undefined || requested <= 0) return this.#rev;
    if (requested > this.#rev) throw new FutureRevisionError(requested, this.#rev);
    if (requested < this.#compacted) throw new CompactedError(requested, this.#compacted);
    return requested;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('store is closed');
  }
}
