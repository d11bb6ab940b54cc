// KVStore on an etcd v3 server. All keys live under a configured prefix, so several
// stores can share one etcd; callers never see the prefix. The store's revision is
// etcd's, which every writer to that etcd advances, and compaction is etcd-wide.
import { noop } from 'cockatiel';
import { Etcd3, type ICompare, type IEvent, type IKeyValue, type IRequestOp, type IWatchResponse } from 'etcd3';
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

export interface EtcdStoreOptions {
  /** Client URLs or host:port pairs of the etcd members. */
  readonly endpoints: readonly string[];
  /** Prefix of every key this store writes, e.g. `/kubevisor/`. */
  readonly prefix: string;
}

const COMPACTED = 'required revision has been compacted';
const FUTURE = 'required revision is a future revision';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The first key after every key starting with `bytes` (etcd's prefix range end). */
function prefixRangeEnd(bytes: Buffer): Buffer {
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      const end = Buffer.from(bytes.subarray(0, i + 1));
      end[i]! += 1;
      return end;
    }
  }
  return Buffer.from([0]); // all 0xff (or empty): to the end of the keyspace
}

export class EtcdStore implements KVStore {
  readonly backend = 'etcd' as const;
  readonly #client: Etcd3;
  readonly #prefix: string;
  readonly #watches = new Set<WatchDelivery>();
  /** The highest compaction revision seen; etcd's may be higher if another client compacted. */
  #compacted = 0;
  #closed = false;

  constructor(opts: EtcdStoreOptions) {
    this.#prefix = opts.prefix;
    this.#client = new Etcd3({
      hosts: [...opts.endpoints],
      // No client-side retries: a retried guarded write could report a conflict with its
      // own first attempt.
      faultHandling: { global: noop },
      grpcOptions: { 'grpc.max_receive_message_length': -1 },
    });
  }

  /** Connect, failing if etcd does not answer, and learn its compacted revision. */
  static async open(opts: EtcdStoreOptions): Promise<EtcdStore> {
    const store = new EtcdStore(opts);
    try {
      await store.compactedRevision();
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  async revision(): Promise<number> {
    const res = await this.#client.kv.range({ key: this.#probeKey(), count_only: true });
    return Number(res.header.revision);
  }

  async get(key: string): Promise<GetResult> {
    const res = await this.#client.kv.range({ key: this.#full(key) });
    const first = res.kvs[0];
    return { kv: first && this.#toKeyValue(first), revision: Number(res.header.revision) };
  }

  async range(prefix: string, opts: RangeOptions = {}): Promise<RangeResult> {
    const start = opts.startKey !== undefined && Buffer.compare(Buffer.from(opts.startKey), Buffer.from(prefix)) > 0
      ? opts.startKey
      : prefix;
    const requested = opts.revision !== undefined && opts.revision > 0 ? opts.revision : 0;
    try {
      const res = await this.#client.kv.range({
        key: this.#rangeStart(start),
        range_end: prefixRangeEnd(this.#full(prefix)),
        limit: opts.limit !== undefined && opts.limit > 0 ? opts.limit : 0,
        revision: requested,
      });
      return {
        kvs: res.kvs.map((kv) => this.#toKeyValue(kv)),
        more: res.more,
        count: Number(res.count),
        revision: requested > 0 ? requested : Number(res.header.revision),
      };
    } catch (err) {
      throw await this.#revisionError(err, requested);
    }
  }

  async create(key: string, value: string): Promise<WriteResult> {
    const full = this.#full(key);
    return this.#guarded(
      full,
      [{ key: full, target: 'Create', result: 'Equal', create_revision: 0 }],
      { request_put: { key: full, value: Buffer.from(value) } },
      (revision) => ({ key, value, createRevision: revision, modRevision: revision }),
    );
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<WriteResult> {
    const full = this.#full(key);
    return this.#guarded(
      full,
      [
        { key: full, target: 'Version', result: 'Greater', version: 0 },
        { key: full, target: 'Mod', result: 'Equal', mod_revision: expectedModRevision },
      ],
      { request_put: { key: full, value: Buffer.from(value), prev_kv: true } },
      (revision, prev) => ({ key, value, createRevision: prev?.createRevision ?? revision, modRevision: revision }),
    );
  }

  /** On success `kv` is shaped like a delete event's: the last value, at the delete's revision. */
  async delete(key: string, expectedModRevision?: number): Promise<WriteResult> {
    const full = this.#full(key);
    const compare: ICompare[] = [{ key: full, target: 'Version', result: 'Greater', version: 0 }];
    if (expectedModRevision !== undefined) {
      compare.push({ key: full, target: 'Mod', result: 'Equal', mod_revision: expectedModRevision });
    }
    return this.#guarded(
      full,
      compare,
      { request_delete_range: { key: full, prev_kv: true } },
      (revision, prev) => ({ key, value: prev?.value ?? '', createRevision: prev?.createRevision ?? 0, modRevision: revision }),
    );
  }

  watch(prefix: string, startRevision: number, callbacks: WatchCallbacks): Watcher {
    const start = Math.max(1, startRevision);
    let cancelStream: (() => void) | undefined;
    const delivery: WatchDelivery = new WatchDelivery(callbacks, () => {
      this.#watches.delete(delivery);
      cancelStream?.();
    });
    if (this.#closed) {
      delivery.fail(new Error('store is closed'));
      return delivery;
    }
    // etcd itself still serves a watch from exactly its compaction revision; the
    // KVStore contract refuses it, like every revision at or below.
    if (start <= this.#compacted) {
      delivery.fail(new CompactedError(start, this.#compacted));
      return delivery;
    }
    this.#watches.add(delivery);
    this.#client.watchClient.watch().then(
      (stream) => {
        // Half-close before cancelling: the client library counts errors on a stream
        // still open for writing against the endpoint's health.
        const stop = () => {
          stream.end();
          stream.cancel();
        };
        if (delivery.ended) {
          stop();
          return;
        }
        cancelStream = stop;
        delivery.requestProgress = () => { if (!delivery.ended) stream.write({ progress_request: {} }); };
        stream
          .on('data', (res: IWatchResponse) => this.#onWatchResponse(res, start, delivery))
          .on('error', (err: Error) => delivery.fail(err))
          .on('end', () => delivery.fail(new Error('etcd ended the watch stream')));
        stream.write({
          create_request: {
            key: this.#rangeStart(prefix),
            range_end: prefixRangeEnd(this.#full(prefix)),
            start_revision: start,
            prev_kv: true,
          },
        });
      },
      (err: Error) => delivery.fail(err),
    );
    return delivery;
  }

  async compact(revision: number): Promise<void> {
    try {
      await this.#client.kv.compact({ revision, physical: true });
      this.#noteCompacted(revision);
    } catch (err) {
      const message = messageOf(err);
      // At or below etcd's compaction revision: nothing to do.
      if (message.includes(COMPACTED)) {
        await this.compactedRevision();
        return;
      }
      if (message.includes(FUTURE)) throw new FutureRevisionError(revision, await this.revision());
      throw err;
    }
  }

  /**
   * etcd has no call that returns its compaction revision, but a read at revision r
   * succeeds exactly when r >= it. The tracked value is confirmed with one read; if
   * another client compacted further, a binary search over later revisions finds it.
   */
  async compactedRevision(): Promise<number> {
    const known = Math.max(this.#compacted, 1);
    if (await this.#readableAt(known)) return this.#compacted;
    let lo = known + 1;
    let hi = await this.revision();
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (await this.#readableAt(mid)) hi = mid;
      else lo = mid + 1;
    }
    this.#noteCompacted(lo);
    return this.#compacted;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of [...this.#watches]) w.fail(new Error('store is closed'));
    this.#client.close();
  }

  async #guarded(
    full: Buffer,
    compare: ICompare[],
    op: IRequestOp,
    written: (revision: number, prev: KeyValue | undefined) => KeyValue,
  ): Promise<WriteResult> {
    const res = await this.#client.kv.txn({ compare, success: [op], failure: [{ request_range: { key: full } }] });
    const revision = Number(res.header.revision);
    const response = res.responses[0];
    if (!res.succeeded) {
      const current = response?.response_range.kvs[0];
      return { succeeded: false, revision, current: current && this.#toKeyValue(current) };
    }
    const prev = response?.response_put?.prev_kv ?? response?.response_delete_range?.prev_kvs[0];
    return { succeeded: true, revision, kv: written(revision, prev ? this.#toKeyValue(prev) : undefined) };
  }

  #onWatchResponse(res: IWatchResponse, start: number, delivery: WatchDelivery): void {
    const compactRevision = Number(res.compact_revision);
    if (compactRevision > 0) {
      this.#noteCompacted(compactRevision);
      delivery.fail(new CompactedError(start, compactRevision));
      return;
    }
    if (res.canceled) {
      delivery.fail(new Error(`etcd cancelled the watch: ${res.cancel_reason}`));
      return;
    }
    // etcd keeps each revision's events within one response unless fragmenting, which
    // is not requested, so each push holds whole revisions.
    if (res.events.length > 0) delivery.push(res.events.map((ev) => this.#toEvent(ev)));
    // An answer to a progress request: every event up to its revision has been sent.
    else if (!res.created && res.header) delivery.progress(Number(res.header.revision));
  }

  #toEvent(ev: IEvent): WatchEvent {
    const prevKv = ev.prev_kv ? this.#toKeyValue(ev.prev_kv) : undefined;
    if (ev.type === 'Delete') {
      // etcd's delete event has an empty value; the contract wants the last value.
      const kv = {
        key: this.#strip(ev.kv.key),
        value: prevKv?.value ?? '',
        createRevision: prevKv?.createRevision ?? 0,
        modRevision: Number(ev.kv.mod_revision),
      };
      return { type: 'delete', kv, prevKv };
    }
    return { type: 'put', kv: this.#toKeyValue(ev.kv), prevKv };
  }

  async #readableAt(revision: number): Promise<boolean> {
    try {
      await this.#client.kv.range({ key: this.#probeKey(), revision, count_only: true });
      return true;
    } catch (err) {
      if (messageOf(err).includes(COMPACTED)) return false;
      throw err;
    }
  }

  /** Turn etcd's revision errors on a read at `requested` into the KVStore errors. */
  async #revisionError(err: unknown, requested: number): Promise<unknown> {
    const message = messageOf(err);
    if (message.includes(COMPACTED)) return new CompactedError(requested, await this.compactedRevision());
    if (message.includes(FUTURE)) return new FutureRevisionError(requested, await this.revision());
    return err;
  }

  #noteCompacted(revision: number): void {
    if (revision > this.#compacted) this.#compacted = revision;
  }

  #toKeyValue(kv: IKeyValue): KeyValue {
    return {
      key: this.#strip(kv.key),
      value: kv.value.toString('utf8'),
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
    };
  }

  #full(key: string): Buffer {
    return Buffer.from(this.#prefix + key);
  }

  #strip(full: Buffer): string {
    return full.toString('utf8').slice(this.#prefix.length);
  }

  /** The first key of a range; etcd takes "\0", not an empty key, as the lowest. */
  #rangeStart(key: string): Buffer {
    const full = this.#full(key);
    return full.length === 0 ? Buffer.from([0]) : full;
  }

  /** Some key for reads that only want the response header (etcd refuses an empty key). */
  #probeKey(): Buffer {
    return this.#prefix === '' ? Buffer.from([0]) : this.#full('');
  }
}
