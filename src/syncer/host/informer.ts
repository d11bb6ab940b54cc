// Shared informers on the host: for one (namespace, kind, label selector),
// ONE list and ONE watch feed an in-memory cache and any number of
// subscribers. The loop lists, watches from the list's resourceVersion with
// bookmarks, lists again when the host says that version expired (410), and
// reconnects with capped, jittered backoff after failures; a relist reports
// what changed meanwhile as adds, updates and deletes, so nothing is lost
// across an outage.
//
// client-node's makeInformer/ListWatch is not used: it does not ask for
// bookmarks, stops for good on the first error other than 410 or a timeout,
// backs off without jitter, drops the host's Status from refused watches, and
// its Watch aborts any watch quiet for 30 s, shorter than the host's bookmark
// interval.

import type { KubeObject } from '../../api/types.ts';
import { backoffDelay, defaultBackoff, sleep, type Backoff } from './backoff.ts';
import type { HostConnection, HostResource, HostWatch, WatchEvent } from './connection.ts';
import { HostError, toHostError } from './errors.ts';

export interface InformerHandlers<T extends KubeObject = KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(obj: T, old: T): void;
  /** The object's last state (from the host's DELETED event, or the cache when a relist found it gone). */
  onDelete?(obj: T): void;
}

export type InformerHealth =
  /** Before the first list answered, with no failure yet. */
  | { readonly state: 'starting' }
  /** Listed and watching. */
  | { readonly state: 'connected'; readonly since: number }
  /** The last attempt failed; the next one is due at `retryAt` (epoch ms). */
  | { readonly state: 'retrying'; readonly error: HostError; readonly failures: number; readonly retryAt: number }
  | { readonly state: 'stopped' };

export interface InformerOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly backoff?: Backoff;
  /** Watches last a random time between this and twice this (the host ends them); default 300 s as client-go. */
  readonly watchTimeoutSeconds?: number;
  /** List page size; default 500. */
  readonly pageSize?: number;
  /** Where a failing subscriber is reported; default console.error. */
  readonly onHandlerError?: (err: unknown) => void;
  /**
   * What the cache keeps of each object: all of it (default), or only its
   * identity (name, namespace, uid, resourceVersion) for kinds whose
   * subscribers take each change as it comes and never read the cache again
   * (host events: four or more per pod, which nobody needs to look up later).
   * Subscribers still get whole objects; get() and list() return what is kept.
   */
  readonly keep?: 'objects' | 'identity';
}

/** How long past its own timeout a watch may stay open before we assume the connection died silently. */
const WATCH_GRACE_MS = 30_000;
/** A watch that ends (without error) sooner than this after opening is retried with backoff, not at once. */
const SHORT_WATCH_MS = 1_000;

/** How long a written object stands in for one the watch has not brought (a lost event ends there). */
const WRITTEN_TTL_MS = 30_000;

/** `a` has an older resourceVersion than `b` (integers, as etcd's; anything else counts as not older). */
function olderThan(a: KubeObject, b: KubeObject): boolean {
  const x = Number(a.metadata.resourceVersion), y = Number(b.metadata.resourceVersion);
  return Number.isSafeInteger(x) && Number.isSafeInteger(y) && x < y;
}

export class HostInformer<T extends KubeObject = KubeObject> {
  readonly namespace: string;
  readonly resource: HostResource;
  readonly labelSelector: string | undefined;
  readonly fieldSelector: string | undefined;
  /** Resolves once the first list is in the cache and reported to subscribers; rejects if stopped before. */
  readonly synced: Promise<void>;

  private readonly conn: HostConnection;
  private readonly backoff: Backoff;
  private readonly watchTimeoutSeconds: number;
  private readonly pageSize: number;
  private readonly onHandlerError: (err: unknown) => void;
  private readonly identityOnly: boolean;
  private readonly objects = new Map<string, T>();
  /** Objects this process wrote that the watch has not brought yet (see observe()), with when they were written. */
  private readonly written = new Map<string, { obj: T; at: number }>();
  /** label key → label value → names. Built on first use of a key. */
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  private readonly subscribers = new Set<InformerHandlers<T>>();
  private readonly healthListeners = new Set<(h: InformerHealth) => void>();
  private readonly abort = new AbortController();
  private current: InformerHealth = { state: 'starting' };
  private watch: HostWatch | undefined;
  private resourceVersion: string | undefined;
  private started = false;
  private hasSynced = false;
  private markSynced: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private watchesOpened = 0;
  private listsDone = 0;

  /** `namespace` '': a cluster-scoped kind (or every namespace). */
  constructor(conn: HostConnection, namespace: string, resource: HostResource, opts: InformerOptions = {}) {
    this.conn = conn;
    this.namespace = namespace;
    this.resource = resource;
    this.labelSelector = opts.labelSelector;
    this.fieldSelector = opts.fieldSelector;
    this.backoff = opts.backoff ?? defaultBackoff;
    this.watchTimeoutSeconds = opts.watchTimeoutSeconds ?? 300;
    this.pageSize = opts.pageSize ?? 500;
    this.onHandlerError = opts.onHandlerError ?? ((e) => console.error('kubevisor: a host informer subscriber failed:', e));
    this.identityOnly = opts.keep === 'identity';
    this.synced = new Promise<void>((resolve, reject) => { this.markSynced = { resolve, reject }; });
    this.synced.catch(() => {}); // awaiting it is optional
  }

  /** Start listing and watching (once; later calls do nothing). */
  start(): this {
    if (this.started || this.abort.signal.aborted) return this;
    this.started = true;
    void this.run();
    return this;
  }

  /** Stop watching; the cache stays readable as it was. */
  stop(): void {
    if (this.abort.signal.aborted) return;
    this.abort.abort();
    this.watch?.stop();
    this.markSynced?.reject(new Error(`the host informer for ${this.describe()} stopped before it synced`));
    this.markSynced = undefined;
    this.setHealth({ state: 'stopped' });
  }

  /**
   * Add handlers. Objects already in the cache are reported to them as adds
   * first, before this returns. Returns the function that removes them.
   */
  subscribe(handlers: InformerHandlers<T>): () => void {
    const own = { ...handlers };
    this.subscribers.add(own);
    if (own.onAdd) for (const obj of this.objects.values()) this.call(() => own.onAdd?.(obj));
    return () => { this.subscribers.delete(own); };
  }

  get(name: string): T | undefined {
    const cached = this.objects.get(name);
    if (this.written.size === 0) return cached;
    const w = this.written.get(name);
    if (!w) return cached;
    if ((cached && !olderThan(cached, w.obj)) || Date.now() - w.at > WRITTEN_TTL_MS) {
      this.written.delete(name);
      return cached;
    }
    return w.obj;
  }

  /**
   * Remember `obj` as a write of this process answered it, so get() returns it until the
   * watch brings it or something newer (as client-go's mutation cache does): a sync
   * running before the watch event does not write the same object again.
   */
  observe(obj: T): void {
    if (obj.metadata.managedFields !== undefined) delete obj.metadata.managedFields;
    const name = obj.metadata.name;
    if (name) this.written.set(name, { obj, at: Date.now() });
  }

  list(): T[] {
    return [...this.objects.values()];
  }

  /** The cached objects whose label `key` has `value` (the syncer indexes by `kubevisor.dev/vcluster`). */
  byLabel(key: string, value: string): T[] {
    const names = this.index(key).get(value);
    if (!names) return [];
    const out: T[] = [];
    for (const n of names) {
      const o = this.objects.get(n);
      if (o) out.push(o);
    }
    return out;
  }

  get health(): InformerHealth {
    return this.current;
  }

  /** Milliseconds until the next attempt while retrying, else undefined. */
  get retryInMs(): number | undefined {
    return this.current.state === 'retrying' ? Math.max(0, this.current.retryAt - Date.now()) : undefined;
  }

  onHealth(listener: (h: InformerHealth) => void): () => void {
    this.healthListeners.add(listener);
    return () => { this.healthListeners.delete(listener); };
  }

  /** How many lists and watches this informer made (for tests and metrics). */
  get requests(): { readonly lists: number; readonly watches: number } {
    return { lists: this.listsDone, watches: this.watchesOpened };
  }

  // --- the loop ----------------------------------------------------------------

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let failures = 0;
    let shortWatches = 0;
    while (!signal.aborted) {
      try {
        if (this.resourceVersion === undefined) {
          await this.relist();
          if (signal.aborted) break;
          this.connected();
        }
        const opened = Date.now();
        let events = false;
        await this.watchOnce(() => { failures = 0; this.connected(); }, () => { events = true; });
        // A normal end (the host's timeout): watch again from where we are.
        if (events || Date.now() - opened >= SHORT_WATCH_MS) {
          shortWatches = 0;
        } else {
          // Closed at once without a word: do not hammer the host.
          await sleep(backoffDelay(++shortWatches, this.backoff), signal);
        }
      } catch (e) {
        if (signal.aborted) break;
        const err = toHostError(e);
        if (err.expired) {
          // Our resourceVersion is too old: list again. At once the first
          // time; with backoff if the host keeps saying so.
          this.resourceVersion = undefined;
          if (failures === 0) { failures = 1; continue; }
        }
        failures++;
        const delay = err.retryAfterSeconds !== undefined
          ? Math.min(this.backoff.maxMs, Math.max(err.retryAfterSeconds * 1000, backoffDelay(failures, this.backoff)))
          : backoffDelay(failures, this.backoff);
        this.setHealth({ state: 'retrying', error: err, failures, retryAt: Date.now() + delay });
        await sleep(delay, signal);
      }
    }
  }

  /** List every page; then make the cache equal to the list, telling subscribers what changed. */
  private async relist(): Promise<void> {
    const items: T[] = [];
    let rv: string | undefined;
    let cont: string | undefined;
    do {
      const page = await this.conn.list<T>(this.resource, this.namespace, { labelSelector: this.labelSelector, fieldSelector: this.fieldSelector, limit: this.pageSize, continue: cont });
      if (rv === undefined) rv = page.metadata.resourceVersion;
      items.push(...page.items);
      cont = page.metadata.continue || undefined;
    } while (cont !== undefined && !this.abort.signal.aborted);
    this.listsDone++;
    if (this.abort.signal.aborted) return;
    const seen = new Set<string>();
    for (const obj of items) {
      const name = obj.metadata.name ?? '';
      seen.add(name);
      this.upsert(obj);
    }
    for (const [name, old] of [...this.objects]) {
      if (!seen.has(name)) this.remove(old);
    }
    this.resourceVersion = rv ?? '';
    if (!this.hasSynced) {
      this.hasSynced = true;
      this.markSynced?.resolve();
      this.markSynced = undefined;
    }
  }

  private async watchOnce(onOpen: () => void, onEvent: () => void): Promise<void> {
    const timeoutSeconds = Math.round(this.watchTimeoutSeconds * (1 + Math.random()));
    const w = await this.conn.watch(this.resource, this.namespace, {
      resourceVersion: this.resourceVersion, labelSelector: this.labelSelector, fieldSelector: this.fieldSelector,
      allowWatchBookmarks: true, timeoutSeconds, onOpen,
    }, (ev) => { this.apply(ev); onEvent(); });
    this.watchesOpened++;
    this.watch = w;
    if (this.abort.signal.aborted) w.stop();
    // A connection that died without a reset would never end the watch.
    const guard = setTimeout(() => w.stop(), timeoutSeconds * 1000 + WATCH_GRACE_MS);
    guard.unref();
    try {
      await w.done;
    } finally {
      clearTimeout(guard);
      this.watch = undefined;
    }
  }

  private apply(ev: WatchEvent): void {
    const obj = ev.object as T;
    const rv = obj.metadata.resourceVersion;
    switch (ev.type) {
      case 'ADDED':
      case 'MODIFIED':
        this.upsert(obj);
        break;
      case 'DELETED': {
        const old = this.objects.get(obj.metadata.name ?? '');
        if (old) this.remove(old, obj);
        break;
      }
      case 'BOOKMARK':
        break;
    }
    if (rv) this.resourceVersion = rv;
  }

  private upsert(obj: T): void {
    // Field ownership is the host's business, and often the largest part of an object.
    if (obj.metadata.managedFields !== undefined) delete obj.metadata.managedFields;
    const name = obj.metadata.name ?? '';
    const old = this.objects.get(name);
    if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) return;
    const kept = this.identityOnly ? identityOf(obj) : obj;
    this.objects.set(name, kept);
    this.reindex(name, old, kept);
    if (old) {
      for (const s of [...this.subscribers]) if (s.onUpdate) this.call(() => s.onUpdate?.(obj, old));
    } else {
      for (const s of [...this.subscribers]) if (s.onAdd) this.call(() => s.onAdd?.(obj));
    }
  }

  /** Drop `cached`; subscribers see `final` (the host's last word) when there is one. */
  private remove(cached: T, final: T = cached): void {
    const name = cached.metadata.name ?? '';
    this.objects.delete(name);
    this.written.delete(name);
    this.reindex(name, cached, undefined);
    for (const s of [...this.subscribers]) if (s.onDelete) this.call(() => s.onDelete?.(final));
  }

  private index(key: string): Map<string, Set<string>> {
    let idx = this.indexes.get(key);
    if (!idx) {
      idx = new Map();
      for (const [name, obj] of this.objects) {
        const v = obj.metadata.labels?.[key];
        if (v !== undefined) addTo(idx, v, name);
      }
      this.indexes.set(key, idx);
    }
    return idx;
  }

  private reindex(name: string, before: T | undefined, after: T | undefined): void {
    for (const [key, idx] of this.indexes) {
      const was = before?.metadata.labels?.[key];
      const now = after?.metadata.labels?.[key];
      if (was === now) continue;
      if (was !== undefined) {
        const set = idx.get(was);
        set?.delete(name);
        if (set?.size === 0) idx.delete(was);
      }
      if (now !== undefined) addTo(idx, now, name);
    }
  }

  private connected(): void {
    if (this.current.state !== 'connected' && !this.abort.signal.aborted) this.setHealth({ state: 'connected', since: Date.now() });
  }

  private setHealth(h: InformerHealth): void {
    this.current = h;
    for (const l of [...this.healthListeners]) this.call(() => l(h));
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.onHandlerError(e);
    }
  }

  private describe(): string {
    const kind = 'plural' in this.resource ? this.resource.plural : this.resource.kind;
    return `${kind} in ${this.namespace || 'the cluster'}${this.labelSelector ? ` (${this.labelSelector})` : ''}`;
  }
}

/** An object's identity, all an identity-only cache keeps of it (enough to tell a relist what changed). */
function identityOf<T extends KubeObject>(obj: T): T {
  const m = obj.metadata;
  return { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion } } as T;
}

function addTo(idx: Map<string, Set<string>>, value: string, name: string): void {
  let set = idx.get(value);
  if (!set) { set = new Set(); idx.set(value, set); }
  set.add(name);
}

/**
 * The informers of one host connection, shared: asking twice for the same
 * (namespace, kind, label selector) gives the same started informer; it stops
 * when the last holder releases it.
 */
export class HostInformers {
  private readonly conn: HostConnection;
  private readonly defaults: Omit<InformerOptions, 'labelSelector' | 'fieldSelector'>;
  private readonly entries = new Map<string, { informer: HostInformer; holders: number }>();

  constructor(conn: HostConnection, defaults: Omit<InformerOptions, 'labelSelector' | 'fieldSelector'> = {}) {
    this.conn = conn;
    this.defaults = defaults;
  }

  /** The shared informer; call `release` once done with it. */
  acquire<T extends KubeObject = KubeObject>(namespace: string, resource: HostResource, labelSelector?: string, fieldSelector?: string,
    keep: 'objects' | 'identity' = 'objects'): { readonly informer: HostInformer<T>; release(): void } {
    const key = JSON.stringify([namespace, resource.apiVersion, 'plural' in resource ? resource.plural : `kind:${resource.kind}`, labelSelector ?? '', fieldSelector ?? '', keep]);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { informer: new HostInformer(this.conn, namespace, resource, { ...this.defaults, labelSelector, fieldSelector, keep }).start(), holders: 0 };
      this.entries.set(key, entry);
    }
    entry.holders++;
    const held = entry;
    let released = false;
    return {
      informer: held.informer as unknown as HostInformer<T>,
      release: () => {
        if (released) return;
        released = true;
        if (--held.holders === 0 && this.entries.get(key) === held) {
          this.entries.delete(key);
          held.informer.stop();
        }
      },
    };
  }

  /** Every informer and its health (for the VirtualCluster status). */
  all(): HostInformer[] {
    return [...this.entries.values()].map((e) => e.informer);
  }

  stopAll(): void {
    for (const e of this.entries.values()) e.informer.stop();
    this.entries.clear();
  }
}
