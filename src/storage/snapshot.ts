// Consistent point-in-time snapshots of one store's data, and restore into an empty store.
//
// FORMAT, version 1. A snapshot file is one gzip stream of UTF-8 JSON lines, each line a
// JSON object ending in "\n" (JSON escapes every control character, so a line holds no
// raw newline):
//
//   1. the header:
//        {"format":"kubevisor-snapshot","version":1,"backend":"sqlite","revision":1234,
//         "compactedRevision":1000,"keys":2,"createdAt":"2026-11-21T10:00:00.000Z"}
//      `revision` is the store revision every key was read at; `compactedRevision` the
//      store's compacted revision then; `keys` the number of key lines; `backend` where
//      it was taken (informational).
//   2. one line per live key at that revision, in the store's key order:
//        {"key":"/registry/core/configmaps/default/a","createRevision":17,"modRevision":1200,"value":"{...}"}
//   3. the trailer:
//        {"end":true,"keys":2,"sha256":"<hex>"}
//      `sha256` is the SHA-256 of every uncompressed byte before the trailer line (the
//      header and key lines, newlines included).
//
// A reader refuses a file whose gzip data is damaged or cut short, whose first line is
// not a version-1 header, whose key lines do not parse, repeat a key or carry
// impossible revisions, whose counts disagree, whose trailer is missing, or whose
// checksum does not match; it reads the whole file before anything is written. A
// later, incompatible format gets a new `version`; readers refuse versions they do not
// know.
//
// Restore writes into an empty store. A backend with `restoreRows` (SQLite) gets the
// exact createRevision/modRevision of every key, in one transaction, and is left at the
// snapshot's revision with its compacted revision there too (the history before it is
// not in the snapshot): reads at the snapshot revision and watches from the revision
// after it behave as they did on the original store, so resourceVersions clients hold
// stay meaningful. Other backends (etcd assigns its own revisions) get one create per
// key in modRevision order, so the order of revisions is kept but not their numbers;
// the result says so and maps old modRevisions to new ones, and every key's
// createRevision is its new modRevision.
import { createHash } from 'node:crypto';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { KeyValue, KVStore } from './types.ts';

export const SNAPSHOT_FORMAT = 'kubevisor-snapshot';
export const SNAPSHOT_VERSION = 1;

/** What a snapshot holds, from its header (and, once written or read, its trailer). */
export interface SnapshotInfo {
  readonly version: number;
  /** The backend it was taken from. */
  readonly backend: 'sqlite' | 'etcd';
  /** The store revision every key was read at. */
  readonly revision: number;
  /** The store's compacted revision when it was taken. */
  readonly compactedRevision: number;
  /** Number of keys. */
  readonly keys: number;
  /** When it was taken (ISO 8601). */
  readonly createdAt: string;
  /** SHA-256 (hex) of the uncompressed header and key lines. */
  readonly sha256: string;
  /** Size of the file (compressed bytes). */
  readonly bytes: number;
}

/** A snapshot read and verified in full. */
export interface Snapshot {
  readonly info: SnapshotInfo;
  /** The keys in file order (the store's key order). */
  readonly kvs: readonly KeyValue[];
}

/** The outcome of a restore: the snapshot's info plus how its revisions landed. */
export interface RestoreInfo extends SnapshotInfo {
  /**
   * `exact`: every key has the createRevision/modRevision it had, and the store is at
   * the snapshot's revision. `renumbered`: the store chose new revisions, in the same
   * order as the old ones (see `revisionMap`).
   */
  readonly revisions: 'exact' | 'renumbered';
  /** The store's revision right after the restore. */
  readonly storeRevision: number;
  /** For `renumbered`: each key's old modRevision -> its new one. Absent for `exact`. */
  readonly revisionMap?: ReadonlyMap<number, number>;
}

/** The input is not a valid snapshot (damaged, cut short, or another format or version). */
export class SnapshotFormatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`invalid snapshot: ${message}`, options);
    this.name = 'SnapshotFormatError';
  }
}

/** Restore was asked to write into a store that already holds data. */
export class StoreNotEmptyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreNotEmptyError';
  }
}

export type SnapshotInput = NodeJS.ReadableStream | Readable | AsyncIterable<Uint8Array> | Uint8Array;

export interface WriteSnapshotOptions {
  /** Keys per range read (default 5000; each page after the first costs the SQLite backend a count of the keys left, so small pages make large snapshots slow). */
  readonly pageSize?: number;
}

interface Header {
  readonly format: string;
  readonly version: number;
  readonly backend: 'sqlite' | 'etcd';
  readonly revision: number;
  readonly compactedRevision: number;
  readonly keys: number;
  readonly createdAt: string;
}

/**
 * Write a consistent snapshot of every key in `store` to `out` and end `out`. The keys
 * are read page by page at one revision, so writes made meanwhile are neither in it nor
 * tear it. On failure `out` is destroyed (a partial file is refused by restore).
 */
export async function writeSnapshot(
  store: KVStore,
  out: NodeJS.WritableStream | Writable,
  opts: WriteSnapshotOptions = {},
): Promise<SnapshotInfo> {
  const pageSize = opts.pageSize ?? 5000;
  const hash = createHash('sha256');
  let written = 0;
  let bytes = 0;

  // The first page fixes the revision: read at the store's current one, in one step.
  const compactedRevision = await store.compactedRevision();
  const first = await store.range('', { limit: pageSize });
  const fixed: Header = {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    backend: store.backend,
    revision: first.revision,
    compactedRevision,
    keys: first.count,
    createdAt: new Date().toISOString(),
  };

  async function* lines(): AsyncGenerator<Buffer> {
    const emit = (text: string): Buffer => {
      const chunk = Buffer.from(text, 'utf8');
      hash.update(chunk);
      return chunk;
    };
    yield emit(JSON.stringify(fixed) + '\n');
    let page = first;
    for (;;) {
      let text = '';
      for (const kv of page.kvs) {
        text += JSON.stringify({ key: kv.key, createRevision: kv.createRevision, modRevision: kv.modRevision, value: kv.value }) + '\n';
      }
      written += page.kvs.length;
      if (text !== '') yield emit(text);
      const last = page.kvs[page.kvs.length - 1];
      if (!page.more || last === undefined) break;
      page = await store.range('', { limit: pageSize, startKey: last.key + '\0', revision: fixed.revision });
    }
    if (written !== fixed.keys) {
      throw new Error(`snapshot: the store reported ${fixed.keys} keys at revision ${fixed.revision} but ${written} were read`);
    }
    // Not hashed: the trailer carries the hash of what came before it.
    yield Buffer.from(JSON.stringify({ end: true, keys: written, sha256: hash.copy().digest('hex') }) + '\n', 'utf8');
  }

  async function* count(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      bytes += chunk.length;
      yield chunk;
    }
  }

  await pipeline(lines, createGzip(), count, out);
  return { ...infoOf(fixed), sha256: hash.digest('hex'), bytes };
}

/** Read and verify a whole snapshot; throws SnapshotFormatError if it is not valid. */
export async function readSnapshot(input: SnapshotInput): Promise<Snapshot> {
  const source: AsyncIterable<Uint8Array> | NodeJS.ReadableStream =
    input instanceof Uint8Array ? Readable.from([input]) : input;
  const hash = createHash('sha256');
  const kvs: KeyValue[] = [];
  const seen = new Set<string>();
  let header: Header | undefined;
  let trailer: { keys: number; sha256: string } | undefined;
  let bytes = 0;
  const decoder = new TextDecoder('utf-8', { fatal: true });

  const line = (raw: Buffer): void => {
    let text: string;
    let parsed: unknown;
    try {
      text = decoder.decode(raw);
      parsed = JSON.parse(text);
    } catch (err) {
      throw new SnapshotFormatError(`line ${kvs.length + (header ? 2 : 1)} is not JSON`, { cause: err });
    }
    if (trailer !== undefined) throw new SnapshotFormatError('data after the trailer');
    if (header === undefined) {
      header = checkHeader(parsed);
    } else if (isObject(parsed) && parsed.end === true) {
      if (typeof parsed.keys !== 'number' || typeof parsed.sha256 !== 'string') {
        throw new SnapshotFormatError('malformed trailer');
      }
      trailer = { keys: parsed.keys, sha256: parsed.sha256 };
      return;
    } else {
      kvs.push(checkKey(parsed, header, seen));
    }
    hash.update(raw);
    hash.update('\n');
  };

  async function consume(decompressed: AsyncIterable<Buffer>): Promise<void> {
    let pending: Buffer[] = [];
    for await (const chunk of decompressed) {
      let from = 0;
      for (let nl = chunk.indexOf(10, from); nl !== -1; nl = chunk.indexOf(10, from)) {
        pending.push(chunk.subarray(from, nl));
        line(pending.length === 1 ? pending[0]! : Buffer.concat(pending));
        pending = [];
        from = nl + 1;
      }
      if (from < chunk.length) pending.push(chunk.subarray(from));
    }
    if (pending.some((b) => b.length > 0)) throw new SnapshotFormatError('truncated (the last line is incomplete)');
  }

  async function* countBytes(src: AsyncIterable<Uint8Array | string>): AsyncGenerator<Uint8Array> {
    for await (const chunk of src) {
      if (typeof chunk === 'string') throw new Error('snapshot input must be a binary stream (no encoding set)');
      bytes += chunk.length;
      yield chunk;
    }
  }

  try {
    await pipeline(source, countBytes, createGunzip(), consume);
  } catch (err) {
    if (err instanceof SnapshotFormatError) throw err;
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new SnapshotFormatError(`damaged or truncated gzip data (${(err as Error).message})`, { cause: err });
    }
    throw err;
  }
  if (header === undefined) throw new SnapshotFormatError('empty');
  if (trailer === undefined) throw new SnapshotFormatError('truncated (no trailer)');
  const sha256 = hash.digest('hex');
  if (trailer.sha256 !== sha256) throw new SnapshotFormatError('checksum mismatch');
  if (trailer.keys !== kvs.length || header.keys !== kvs.length) {
    throw new SnapshotFormatError(`key count mismatch (header ${header.keys}, trailer ${trailer.keys}, read ${kvs.length})`);
  }
  return { info: { ...infoOf(header), sha256, bytes }, kvs };
}

/**
 * Restore a snapshot into `store`, which must be empty (StoreNotEmptyError otherwise).
 * The whole snapshot is read and verified before the first write, so an invalid file
 * (SnapshotFormatError) changes nothing. See the top of this file for what happens to
 * revisions. Should a write fail part way on a backend without `restoreRows`, the keys
 * already written are deleted again (best effort).
 */
export async function restoreSnapshot(store: KVStore, input: SnapshotInput): Promise<RestoreInfo> {
  await assertEmpty(store);
  const { info, kvs } = await readSnapshot(input);
  await assertEmpty(store);

  if (store.restoreRows !== undefined) {
    await store.restoreRows(kvs, info.revision);
    return { ...info, revisions: 'exact', storeRevision: await store.revision() };
  }

  const ordered = [...kvs].sort((a, b) => a.modRevision - b.modRevision);
  const revisionMap = new Map<number, number>();
  const written: KeyValue[] = [];
  try {
    for (const kv of ordered) {
      const res = await store.create(kv.key, kv.value);
      if (!res.succeeded) throw new StoreNotEmptyError(`restore: key ${kv.key} was created by someone else meanwhile`);
      written.push(res.kv);
      revisionMap.set(kv.modRevision, res.kv.modRevision);
    }
  } catch (err) {
    for (const kv of written.reverse()) {
      try {
        await store.delete(kv.key, kv.modRevision);
      } catch {
        // best effort
      }
    }
    throw err;
  }
  return { ...info, revisions: 'renumbered', storeRevision: await store.revision(), revisionMap };
}

async function assertEmpty(store: KVStore): Promise<void> {
  const some = await store.range('', { limit: 1 });
  if (some.count > 0) {
    throw new StoreNotEmptyError(`restore needs an empty store; this one holds ${some.count} keys`);
  }
  if (store.restoreRows !== undefined && some.revision !== 0) {
    // Exact revisions cannot go below ones the store has already handed out.
    throw new StoreNotEmptyError(`restore needs a store that was never written; this one is at revision ${some.revision}`);
  }
}

function infoOf(h: Header): Omit<SnapshotInfo, 'sha256' | 'bytes'> {
  return {
    version: h.version,
    backend: h.backend,
    revision: h.revision,
    compactedRevision: h.compactedRevision,
    keys: h.keys,
    createdAt: h.createdAt,
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isRevision(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function checkHeader(v: unknown): Header {
  if (!isObject(v) || v.format !== SNAPSHOT_FORMAT) throw new SnapshotFormatError('not a kubevisor snapshot');
  if (v.version !== SNAPSHOT_VERSION) {
    throw new SnapshotFormatError(`unsupported version ${JSON.stringify(v.version)} (this build reads version ${SNAPSHOT_VERSION})`);
  }
  if (v.backend !== 'sqlite' && v.backend !== 'etcd') throw new SnapshotFormatError('malformed header (backend)');
  if (!isRevision(v.revision) || !isRevision(v.compactedRevision) || v.compactedRevision > v.revision) {
    throw new SnapshotFormatError('malformed header (revisions)');
  }
  if (!isRevision(v.keys) || typeof v.createdAt !== 'string') throw new SnapshotFormatError('malformed header');
  return {
    format: v.format,
    version: v.version,
    backend: v.backend,
    revision: v.revision,
    compactedRevision: v.compactedRevision,
    keys: v.keys,
    createdAt: v.createdAt,
  };
}

function checkKey(v: unknown, header: Header, seen: Set<string>): KeyValue {
  if (!isObject(v) || typeof v.key !== 'string' || typeof v.value !== 'string'
    || !isRevision(v.createRevision) || !isRevision(v.modRevision)) {
    throw new SnapshotFormatError('malformed key line');
  }
  if (v.createRevision < 1 || v.createRevision > v.modRevision || v.modRevision > header.revision) {
    throw new SnapshotFormatError(`key ${v.key} has impossible revisions (create ${v.createRevision}, mod ${v.modRevision})`);
  }
  if (seen.has(v.key)) throw new SnapshotFormatError(`key ${v.key} appears twice`);
  seen.add(v.key);
  return { key: v.key, value: v.value, createRevision: v.createRevision, modRevision: v.modRevision };
}
