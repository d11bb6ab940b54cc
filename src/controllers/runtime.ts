// A small controller runtime in the manner of controller-runtime: a reconciler
// per kind, fed by watch-cache events, with a deduplicating work queue,
// one worker, and retries with exponential backoff. Idle controllers hold no
// timers: work arrives only through events or requested requeues.

import type { CacheEvent, WatchCache } from '../registry/generic/watch-cache.ts';

export interface Result {
  /** Run again after this many milliseconds, even without a new event. */
  requeueAfterMs?: number;
}

export type Reconcile = (key: string) => Promise<Result | void>;

export class Controller {
  readonly name: string;
  private readonly reconcile: Reconcile;
  private readonly queue = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private running = false;
  private stopped = false;
  /** The reconcile under way, if any. */
  private current: Promise<unknown> | undefined;

  constructor(name: string, reconcile: Reconcile) {
    this.name = name;
    this.reconcile = reconcile;
  }

  enqueue(key: string): void {
    if (this.stopped) return;
    this.queue.add(key);
    if (!this.running) {
      this.running = true;
      queueMicrotask(() => void this.drain());
    }
  }

  private enqueueAfter(key: string, ms: number): void {
    if (this.stopped || this.timers.has(key)) return;
    const t = setTimeout(() => { this.timers.delete(key); this.enqueue(key); }, ms);
    t.unref();
    this.timers.set(key, t);
  }

  private async drain(): Promise<void> {
    while (this.queue.size > 0 && !this.stopped) {
      const key = this.queue.values().next().value as string;
      this.queue.delete(key);
      try {
        const run = this.reconcile(key);
        this.current = run;
        const r = await run;
        this.failures.delete(key);
        if (r?.requeueAfterMs !== undefined) this.enqueueAfter(key, r.requeueAfterMs);
      } catch (err) {
        const n = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, n);
        if (n === 1 || n % 10 === 0) console.error(`kubevisor: controller ${this.name}: ${key}: ${(err as Error).message}`);
        this.enqueueAfter(key, Math.min(5 * 2 ** n, 60_000));
      }
    }
    this.running = false;
  }

  /** Feed the controller from cache events under `prefix`, keyed by `keyOf`. */
  watch(cache: WatchCache, prefix: string, keyOf: (ev: CacheEvent) => string | undefined): () => void {
    return cache.subscribe({ prefix, onEvent: (ev) => { const k = keyOf(ev); if (k !== undefined) this.enqueue(k); } });
  }

  /** Stop taking work; resolves once the reconcile under way (if any) has finished. */
  stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.queue.clear();
    return Promise.resolve(this.current).then(() => undefined, () => undefined);
  }
}
