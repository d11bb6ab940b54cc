// A small controller runtime in the manner of controller-runtime: a reconciler
// per kind, fed by watch-cache events, with a deduplicating work queue, a fixed
// number of workers, and retries with exponential backoff. Idle controllers hold
// no timers: work arrives only through events or requested requeues.
//
// As in client-go's work queue, a key is never reconciled by two workers at
// once: a key enqueued while it is being reconciled runs again afterwards.

import type { CacheEvent, WatchCache } from '../registry/generic/watch-cache.ts';

export interface Result {
  /** Run again after this many milliseconds, even without a new event. */
  requeueAfterMs?: number;
}

export type Reconcile = (key: string) => Promise<Result | void>;

export interface ControllerOptions {
  /**
   * Keys reconciled at once (upstream's --concurrent-*-syncs). More than one lets the
   * writes of several keys share a storage commit and reach watchers as one batch.
   */
  workers?: number;
}

export class Controller {
  readonly name: string;
  private readonly reconcile: Reconcile;
  private readonly workers: number;
  /** Keys waiting for a worker, in arrival order. */
  private readonly queue = new Set<string>();
  /** Keys being reconciled now. */
  private readonly processing = new Set<string>();
  /** Keys enqueued again while being reconciled. */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  /** Requeues waiting for their time, with when they are due. */
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; at: number }>();
  private readonly inFlight = new Set<Promise<void>>();
  private pumpScheduled = false;
  private stopped = false;

  constructor(name: string, reconcile: Reconcile, opts: ControllerOptions = {}) {
    this.name = name;
    this.reconcile = reconcile;
    this.workers = Math.max(1, opts.workers ?? 1);
  }

  /** Keys waiting or being reconciled now (not those waiting out a delay). */
  get backlog(): number {
    return this.queue.size + this.processing.size;
  }

  enqueue(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    this.queue.add(key);
    if (!this.pumpScheduled && this.processing.size < this.workers) {
      this.pumpScheduled = true;
      queueMicrotask(() => this.pump());
    }
  }

  /** As client-go's AddAfter: a key already waiting keeps the earlier of its two times. */
  private enqueueAfter(key: string, ms: number): void {
    if (this.stopped) return;
    const at = Date.now() + ms;
    const have = this.timers.get(key);
    if (have) {
      if (have.at <= at) return;
      clearTimeout(have.timer);
    }
    const timer = setTimeout(() => { this.timers.delete(key); this.enqueue(key); }, ms);
    timer.unref();
    this.timers.set(key, { timer, at });
  }

  /** Hand waiting keys to free workers. */
  private pump(): void {
    this.pumpScheduled = false;
    while (!this.stopped && this.processing.size < this.workers && this.queue.size > 0) {
      const key = this.queue.values().next().value as string;
      this.queue.delete(key);
      this.processing.add(key);
      const run = this.work(key);
      this.inFlight.add(run);
      void run.finally(() => this.inFlight.delete(run));
    }
  }

  private async work(key: string): Promise<void> {
    try {
      const r = await this.reconcile(key);
      this.failures.delete(key);
      if (r?.requeueAfterMs !== undefined) this.enqueueAfter(key, r.requeueAfterMs);
    } catch (err) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      if (n === 1 || n % 10 === 0) console.error(`kubevisor: controller ${this.name}: ${key}: ${(err as Error).message}`);
      this.enqueueAfter(key, Math.min(5 * 2 ** n, 60_000));
    } finally {
      this.processing.delete(key);
      if (this.dirty.delete(key)) this.queue.add(key);
      // Carry on at once (not in a later microtask) so one worker drains a queue as a loop would.
      this.pump();
    }
  }

  /** Feed the controller from cache events under `prefix`, keyed by `keyOf`. */
  watch(cache: WatchCache, prefix: string, keyOf: (ev: CacheEvent) => string | undefined): () => void {
    return cache.subscribe({ prefix, onEvent: (ev) => { const k = keyOf(ev); if (k !== undefined) this.enqueue(k); } });
  }

  /** Stop taking work; resolves once the reconciles under way (if any) have finished. */
  stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.queue.clear();
    this.dirty.clear();
    return Promise.allSettled([...this.inFlight]).then(() => undefined);
  }
}
