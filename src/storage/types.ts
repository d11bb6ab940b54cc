// The revisioned key-value interface every backend implements. It is shaped like
// etcd's KV and Watch API: one global revision per store, incremented by every
// write; writes guarded by the modification revision the caller last saw.

/** One key at one revision. Values are opaque strings (the API layer stores JSON). */
export interface KeyValue {
  readonly key: string;
  readonly value: string;
  /** Revision of the write that created this key (it survives updates). */
  readonly createRevision: number;
  /** Revision of the last write to this key. */
  readonly modRevision: number;
}

export interface RangeOptions {
  /** At most this many keys (0 or absent: no limit). */
  readonly limit?: number;
  /** Start at this key (inclusive) instead of at the prefix; used for continuation. */
  readonly startKey?: string;
  /**
   * Read the store as it was at this revision. Backends may refuse revisions at or
   * below the compacted revision with a CompactedError.
   */
  readonly revision?: number;
}

export interface RangeResult {
  /** Keys in byte order of their names. */
  readonly kvs: KeyValue[];
  /** True when keys beyond the limit remain. */
  readonly more: boolean;
  /** Number of keys under the prefix from startKey on (before the limit). */
  readonly count: number;
  /** The revision this read observed. */
  readonly revision: number;
}

export interface GetResult {
  readonly kv: KeyValue | undefined;
  readonly revision: number;
}

/** The outcome of a guarded write: it either happened at `revision` or did not. */
export type WriteResult =
  | { readonly succeeded: true; readonly revision: number; readonly kv: KeyValue }
  | { readonly succeeded: false; readonly revision: number; readonly current: KeyValue | undefined };

export type WatchEvent =
  | { readonly type: 'put'; readonly kv: KeyValue; readonly prevKv: KeyValue | undefined }
  /** `kv.modRevision` is the delete's revision; `kv.value` is the last value the key held. */
  | { readonly type: 'delete'; readonly kv: KeyValue; readonly prevKv: KeyValue | undefined };

export interface Watcher {
  /** Stop delivering events. Idempotent. */
  cancel(): void;
  /**
   * Ask for an onProgress call telling how far the watch has come, even when
   * no event under its prefix happened (other prefixes of a shared etcd move
   * the revision too).
   */
  requestProgress?(): void;
}

export interface WatchCallbacks {
  /** Events in revision order; each batch holds whole revisions. */
  onEvents(events: readonly WatchEvent[]): void;
  /** The watch has ended for good (CompactedError when startRevision was compacted). */
  onError(err: Error): void;
  /** Every event under the prefix up to `revision` has been delivered. */
  onProgress?(revision: number): void;
}

export interface KVStore {
  readonly backend: 'sqlite' | 'etcd';

  /** The store's current revision (the revision of the latest write, 0 if none). */
  revision(): Promise<number>;

  get(key: string): Promise<GetResult>;

  /** Keys starting with `prefix`, in key order. */
  range(prefix: string, opts?: RangeOptions): Promise<RangeResult>;

  /** Write `key` only if it does not exist. */
  create(key: string, value: string): Promise<WriteResult>;

  /** Write `key` only if its current modRevision equals `expectedModRevision`. */
  update(key: string, value: string, expectedModRevision: number): Promise<WriteResult>;

  /**
   * Delete `key`, only if its current modRevision equals `expectedModRevision`
   * when that is given. Deleting an absent key fails with `current: undefined`.
   */
  delete(key: string, expectedModRevision?: number): Promise<WriteResult>;

  /**
   * Deliver every event on keys under `prefix` with modRevision >= startRevision,
   * then new events as they happen. Events from writes made through this object
   * are delivered without polling. If startRevision <= compactedRevision(), the
   * watch fails with a CompactedError through onError.
   */
  watch(prefix: string, startRevision: number, callbacks: WatchCallbacks): Watcher;

  /** Forget history before `revision` (the latest value of every key is kept). */
  compact(revision: number): Promise<void>;

  /** The revision of the last compaction (0 if never compacted). */
  compactedRevision(): Promise<number>;

  close(): Promise<void>;

  /**
   * Snapshot restore (`snapshot.ts`), for backends that can choose revisions: into a
   * store never written to (revision 0; otherwise it throws), write `kvs` with their
   * exact createRevision and modRevision, all or nothing, and leave the store's
   * revision and its compacted revision at `revision` (history before it is not there).
   * Backends that assign their own revisions (etcd) do not have it.
   */
  restoreRows?(kvs: readonly KeyValue[], revision: number): Promise<void>;
}

/** A read or watch asked for history that compaction removed. */
export class CompactedError extends Error {
  readonly compactedRevision: number;
  readonly requestedRevision: number;
  constructor(requested: number, compacted: number) {
    super(`required revision ${requested} has been compacted (compacted revision ${compacted})`);
    this.name = 'CompactedError';
    this.requestedRevision = requested;
    this.compactedRevision = compacted;
  }
}

/** A revision newer than the store has reached was asked for. */
export class FutureRevisionError extends Error {
  constructor(requested: number, current: number) {
    super(`required revision ${requested} is a future revision (current revision ${current})`);
    this.name = 'FutureRevisionError';
  }
}

/** The smallest key greater than every key starting with `prefix`. */
export function prefixEnd(prefix: string): string {
  return prefix + '\uffff';
}
