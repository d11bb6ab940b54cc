// The in-process watch cache of one virtual cluster: every object of the store,
// decoded once, plus a bounded history of recent events. Lists and watches are
// served from here; controllers read it directly. It is fed by one store watch,
// so it never re-reads storage to answer a watch.

import type { KubeObject } from '../../api/types.ts';
import type { KVStore, WatchEvent, Watcher } from '../../storage/types.ts';
import { CompactedError } from '../../storage/types.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CachedObject {
  readonly key: string;
  /** Decoded object with metadata.resourceVersion set. Treat as immutable. */
  readonly obj: KubeObject;
  readonly modRevision: number;
  /** The history entry that made this version (none for what the cache started with). */
  entry?: HistoryEntry;
}

/**
 * An event as the history keeps it: the object's stored JSON text, decoded only while
 * it is the key's current state. Superseded versions stay as text: far fewer objects
 * for the garbage collector than decoded ones, and decoded again only for a watch that
 * starts in the past.
 */
interface HistoryEntry {
  readonly type: EventType;
  readonly key: string;
  readonly revision: number;
  /** The object's JSON after the event (for DELETED: its last state). */
  readonly text: string;
  /** The decoded object while it is current; dropped once a newer event replaces it. */
  obj: KubeObject | undefined;
  /** The object before the event (its JSON and revision), when there was one. */
  readonly prevText: string | undefined;
  readonly prevRevision: number;
}

/** A stored JSON text as the cache shows it: decoded, with resourceVersion `revision`. */
function decodeAt(text: string, revision: number): KubeObject {
  const obj = JSON.parse(text) as KubeObject;
  obj.metadata.resourceVersion = String(revision);
  return obj;
}

export interface CacheEvent {
  readonly type: EventType;
  readonly key: string;
  readonly revision: number;
  /** The object after the event (for DELETED: its last state, resourceVersion = the delete's revision). */
  readonly obj: KubeObject;
  /** The object before the event, when there was one. */
  readonly prev: KubeObject | undefined;
  /** `obj` as stored: its JSON without metadata.resourceVersion (watches send it without encoding `obj` again). */
  readonly text?: string;
}

/**
 * Everything a store holds under the cache's prefix at `revision`, decoded (objects the
 * cache may keep as they are, see adopt()), with each key's modRevision.
 */
export interface StoreContents {
  readonly revision: number;
  readonly objects: ReadonlyMap<string, { readonly obj: KubeObject; readonly modRevision: number }>;
}

export interface CacheSubscriber {
  readonly prefix: string;
  onEvent(ev: CacheEvent): void;
}

// RBAC objects are mostly the same in every cluster (the bootstrap policy):
// share their immutable parts (rules, subjects, roleRef, aggregationRule, labels,
// annotations, managedFields' fieldsV1) between clusters, frozen.
const RBAC_PREFIX = '/registry/rbac.authorization.k8s.io/';
const interned = new Map<string, unknown>();
const MAX_INTERNED = 20_000;
function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}
function intern<T>(v: T): T {
  // Frozen: already shared (interned, or a part of the bootstrap image).
  if (v === undefined || v === null || typeof v !== 'object' || Object.isFrozen(v)) return v;
  const k = JSON.stringify(v);
  const have = interned.get(k);
  if (have !== undefined) return have as T;
  if (interned.size < MAX_INTERNED) interned.set(k, deepFreeze(v));
  return v;
}
function internRbac(obj: KubeObject): void {
  const o = obj as Record<string, unknown>;
  for (const f of ['rules', 'subjects', 'roleRef', 'aggregationRule']) if (o[f] !== undefined) o[f] = intern(o[f]);
  const m = obj.metadata as Record<string, unknown>;
  if (m.labels) m.labels = intern(m.labels);
  if (m.annotations) m.annotations = intern(m.annotations);
  const mf = m.managedFields as Record<string, unknown>[] | undefined;
  if (Array.isArray(mf)) for (const e of mf) if (e.fieldsV1) e.fieldsV1 = intern(e.fieldsV1);
}

/** Objects under one key prefix (one resource, or one resource in one namespace). */
class Bucket {
  readonly items = new Map<string, CachedObject>();
  private sorted: string[] | undefined;
  set(c: CachedObject): void {
    if (!this.items.has(c.key)) this.sorted = undefined;
    this.items.set(c.key, c);
  }
  delete(key: string): void {
    if (this.items.delete(key)) this.sorted = undefined;
  }
  sortedKeys(): string[] {
    if (!this.sorted) this.sorted = [...this.items.keys()].sort(byteOrder);
    return this.sorted;
  }
}

/** Compare as the stores order keys (code unit order equals byte order for the ASCII keys we use). */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The part of a key that selects its bucket: `/registry/<group>/<resource>/`. */
function bucketOf(key: string): string {
  // keys are /registry/<group>/<resource>/[<ns>/]<name>
  let slashes = 0;
  for (let i = 0; i < key.length; i++) {
    if (key.charCodeAt(i) === 47 && ++slashes === 4) return key.slice(0, i + 1);
  }
  return key;
}

/** The uid of an object's controller (the owner reference with `controller: true`), if any. */
function controllerUid(obj: KubeObject): string | undefined {
  const refs = obj.metadata.ownerReferences;
  if (!Array.isArray(refs)) return undefined;
  for (const r of refs) if (r && r.controller === true && typeof r.uid === 'string') return r.uid;
  return undefined;
}

/** The key's parent: `/registry/<group>/<resource>/<ns>/` for namespaced objects. */
function parentOf(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

export class WatchCache {
  private readonly buckets = new Map<string, Bucket>();
  /**
   * Keys by their controller's uid, and controller-less keys by parent: the candidates a
   * workload controller claims, without scanning every pod of a namespace.
   */
  private readonly byController = new Map<string, Map<string, CachedObject>>();
  private readonly orphans = new Map<string, Map<string, CachedObject>>();
  private readonly history: HistoryEntry[] = [];
  private historyStart = 0;                  // index of the oldest event in `history` (ring)
  private readonly subscribers = new Set<CacheSubscriber>();
  private readonly waiters: { rev: number; resolve: () => void }[] = [];
  private watcher: Watcher | undefined;
  private rev = 0;
  /** The cache can serve events with revision > this. */
  private oldestRev = 0;
  private failure: Error | undefined;
  /** Objects their writer decoded already (adopt()), by key. */
  private readonly adopted = new Map<string, { value: string; obj: KubeObject }>();

  private readonly store: KVStore;
  readonly prefix: string;
  private readonly historySize: number;

  private constructor(store: KVStore, prefix: string, historySize: number) {
    this.store = store;
    this.prefix = prefix;
    this.historySize = historySize;
  }

  /**
   * Load everything under `prefix` and follow changes. `holds`: what the store is known
   * to hold (its writer just made it so): the cache starts from that, without reading.
   */
  static async start(store: KVStore, prefix = '/registry/', historySize = 10_000, holds?: StoreContents): Promise<WatchCache> {
    const cache = new WatchCache(store, prefix, historySize);
    if (holds) cache.fill(holds);
    else await cache.load();
    return cache;
  }

  private fill(holds: StoreContents): void {
    for (const [key, o] of holds.objects) if (key.startsWith(this.prefix)) this.putDecoded(key, o.obj, o.modRevision);
    this.follow(holds.revision);
  }

  private async load(): Promise<void> {
    let startKey: string | undefined;
    let revision: number | undefined;
    for (;;) {
      const page = await this.store.range(this.prefix, { limit: 5000, startKey, revision });
      revision = page.revision;
      for (const kv of page.kvs) this.put(kv.key, kv.value, kv.modRevision);
      if (!page.more || page.kvs.length === 0) break;
      startKey = page.kvs[page.kvs.length - 1].key + '\x00';
    }
    this.follow(revision ?? 0);
  }

  /** Apply the store's changes after `revision`, the revision the cache holds. */
  private follow(revision: number): void {
    this.rev = revision;
    this.oldestRev = this.rev;
    this.watcher = this.store.watch(this.prefix, this.rev + 1, {
      onEvents: (events) => this.apply(events),
      onError: (err) => this.fail(err),
      onProgress: (rev) => {
        if (rev > this.rev) { this.rev = rev; this.wake(); }
      },
    });
  }

  private fail(err: Error): void {
    this.failure = err;
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  /** The newest revision the cache has applied. */
  get revision(): number { return this.rev; }

  /**
   * The next time `key` arrives with exactly `value`, take `obj` as its decoded form
   * instead of parsing `value` (a writer that made both, such as the bootstrap image).
   * `obj` must be what JSON.parse(value) would give, and from then on belong to the
   * cache: immutable, with no part the writer or anyone else may change.
   */
  adopt(key: string, value: string, obj: KubeObject): void {
    this.adopted.set(key, { value, obj });
  }

  private decode(key: string, value: string): KubeObject {
    if (this.adopted.size > 0) {
      const a = this.adopted.get(key);
      if (a !== undefined) {
        this.adopted.delete(key);
        if (a.value === value) return a.obj;
      }
    }
    return JSON.parse(value) as KubeObject;
  }

  private put(key: string, value: string, modRevision: number): CachedObject {
    return this.putDecoded(key, this.decode(key, value), modRevision);
  }

  private putDecoded(key: string, obj: KubeObject, modRevision: number): CachedObject {
    if (key.startsWith(RBAC_PREFIX)) internRbac(obj);
    obj.metadata.resourceVersion = String(modRevision);
    const c: CachedObject = { key, obj, modRevision };
    const b = bucketOf(key);
    let bucket = this.buckets.get(b);
    if (!bucket) this.buckets.set(b, (bucket = new Bucket()));
    const old = bucket.items.get(key);
    const uid = controllerUid(obj);
    if (old && controllerUid(old.obj) !== uid) this.unindex(key, old.obj);
    this.index(c, uid);
    bucket.set(c);
    return c;
  }

  private index(c: CachedObject, uid: string | undefined): void {
    const [map, k] = uid === undefined ? [this.orphans, parentOf(c.key)] : [this.byController, uid];
    let entries = map.get(k);
    if (!entries) map.set(k, (entries = new Map()));
    entries.set(c.key, c);
  }

  private unindex(key: string, obj: KubeObject): void {
    const uid = controllerUid(obj);
    const [map, k] = uid === undefined ? [this.orphans, parentOf(key)] : [this.byController, uid];
    const entries = map.get(k);
    if (entries?.delete(key) && entries.size === 0) map.delete(k);
  }

  /**
   * Objects under `prefix` (a list prefix ending in "/") that the object with `uid`
   * controls, or that no controller owns: what a controller may claim.
   */
  claimable(prefix: string, uid: string): CachedObject[] {
    const out = [...this.controlledBy(prefix, uid), ...this.uncontrolled(prefix)];
    return out.sort((a, b) => byteOrder(a.key, b.key));
  }

  /** Objects directly under `prefix` (a namespace's list prefix) with no controller. */
  *uncontrolled(prefix: string): Generator<CachedObject> {
    const entries = this.orphans.get(prefix);
    if (entries) yield* entries.values();
  }

  /** Objects under `prefix` that the object with `uid` controls. */
  *controlledBy(prefix: string, uid: string): Generator<CachedObject> {
    for (const c of this.byController.get(uid)?.values() ?? []) if (c.key.startsWith(prefix)) yield c;
  }

  private apply(events: readonly WatchEvent[]): void {
    for (const ev of events) {
      const key = ev.kv.key;
      const before = this.getCached(key);
      const prev = before?.obj;
      // The version being replaced stays in the history as text only.
      let prevText: string | undefined;
      if (before) {
        prevText = before.entry?.text ?? JSON.stringify(before.obj);
        if (before.entry) before.entry.obj = undefined;
      }
      const revision = ev.kv.modRevision;
      let out: CacheEvent;
      if (ev.type === 'put') {
        const c = this.put(key, ev.kv.value, revision);
        out = { type: prev ? 'MODIFIED' : 'ADDED', key, revision, obj: c.obj, prev, text: ev.kv.value };
        c.entry = this.record({ type: out.type, key, revision, text: ev.kv.value, obj: c.obj, prevText, prevRevision: before?.modRevision ?? 0 });
      } else {
        this.buckets.get(bucketOf(key))?.delete(key);
        if (prev) this.unindex(key, prev);
        const last = (prev ?? JSON.parse(ev.kv.value)) as KubeObject;
        const obj = { ...last, metadata: { ...last.metadata, resourceVersion: String(revision) } };
        out = { type: 'DELETED', key, revision, obj, prev, text: ev.kv.value };
        this.record({ type: 'DELETED', key, revision, text: ev.kv.value, obj: undefined, prevText, prevRevision: before?.modRevision ?? 0 });
      }
      this.rev = Math.max(this.rev, revision);
      for (const s of this.subscribers) {
        if (key.startsWith(s.prefix)) {
          try { s.onEvent(out); } catch { /* a subscriber's failure is its own */ }
        }
      }
    }
    if (events.length > 0) {
      this.rev = Math.max(this.rev, events[events.length - 1].kv.modRevision);
      this.wake();
    }
  }

  private record(entry: HistoryEntry): HistoryEntry {
    if (this.history.length < this.historySize) {
      this.history.push(entry);
    } else {
      const dropped = this.history[this.historyStart];
      this.oldestRev = dropped.revision;
      // Out of the history, an entry's texts are no one's: the object it made, if still
      // current, lets go of it (else the JSON of that version and of the one before stay
      // alive with every object not written since).
      const current = this.getCached(dropped.key);
      if (current?.entry === dropped) current.entry = undefined;
      this.history[this.historyStart] = entry;
      this.historyStart = (this.historyStart + 1) % this.historySize;
    }
    return entry;
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) (w.rev <= this.rev ? w.resolve() : still.push(w));
    this.waiters.length = 0;
    this.waiters.push(...still);
  }

  /** Resolves once the cache has applied `rev` (or false after `timeoutMs`). */
  waitForRevision(rev: number, timeoutMs = 3000): Promise<boolean> {
    if (this.failure) return Promise.reject(this.failure);
    if (rev <= this.rev) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(entry);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(false);
      }, timeoutMs);
      const entry = { rev, resolve: () => { clearTimeout(timer); resolve(rev <= this.rev); } };
      this.waiters.push(entry);
    });
  }

  /** Make sure every write the store has acknowledged is visible here. */
  async sync(): Promise<void> {
    const rev = await this.store.revision();
    // The store's revision may have moved for keys outside this cache's prefix (a shared etcd).
    if (rev > this.rev) this.watcher?.requestProgress?.();
    if (!(await this.waitForRevision(rev))) throw new Error(`watch cache did not reach revision ${rev}`);
  }

  getCached(key: string): CachedObject | undefined {
    return this.buckets.get(bucketOf(key))?.items.get(key);
  }

  /** Objects under `prefix` in key order, starting at `startKey` (inclusive). */
  *scan(prefix: string, startKey?: string): Generator<CachedObject> {
    const bucket = this.buckets.get(bucketOf(prefix));
    if (!bucket) return;
    const keys = bucket.sortedKeys();
    const from = startKey !== undefined && startKey > prefix ? startKey : prefix;
    // binary search for the first key >= from
    let lo = 0, hi = keys.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (keys[mid] < from) lo = mid + 1; else hi = mid; }
    for (let i = lo; i < keys.length; i++) {
      const k = keys[i];
      if (!k.startsWith(prefix)) break;
      const c = bucket.items.get(k);
      if (c) yield c;
    }
  }

  /** How many objects the cache holds. */
  get size(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.items.size;
    return n;
  }

  /** How many objects lie under `prefix`. */
  count(prefix: string): number {
    let n = 0;
    for (const _ of this.scan(prefix)) n++;
    return n;
  }

  /**
   * Events under `prefix` with revision > `afterRev`, oldest first.
   * Throws CompactedError when the history no longer reaches back that far.
   */
  eventsSince(prefix: string, afterRev: number): CacheEvent[] {
    if (afterRev < this.oldestRev) throw new CompactedError(afterRev, this.oldestRev);
    const out: CacheEvent[] = [];
    const n = this.history.length;
    for (let j = 0; j < n; j++) {
      const e = this.history[(this.historyStart + j) % n];
      if (e.revision <= afterRev || !e.key.startsWith(prefix)) continue;
      out.push({
        type: e.type, key: e.key, revision: e.revision,
        obj: e.obj ?? decodeAt(e.text, e.revision),
        prev: e.prevText === undefined ? undefined : decodeAt(e.prevText, e.prevRevision),
        text: e.text,
      });
    }
    return out;
  }

  /** The oldest revision a watch may start after. */
  get oldestRevision(): number { return this.oldestRev; }

  subscribe(s: CacheSubscriber): () => void {
    this.subscribers.add(s);
    return () => { this.subscribers.delete(s); };
  }

  get failed(): Error | undefined { return this.failure; }

  stop(): void {
    this.watcher?.cancel();
    this.subscribers.clear();
    this.fail(new Error('watch cache stopped'));
  }
}
