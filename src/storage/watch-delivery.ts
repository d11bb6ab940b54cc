// Per-watcher delivery shared by the backends: events are queued in revision order
// and handed to the callbacks from a microtask, several revisions per batch. After
// cancel() nothing more is delivered; after an error, the events queued before it
// are still delivered, then onError once, then nothing.
import type { WatchCallbacks, WatchEvent, Watcher } from './types.ts';

export class WatchDelivery implements Watcher {
  readonly #callbacks: WatchCallbacks;
  readonly #onEnd: () => void;
  #pending: WatchEvent[] = [];
  /** A progress revision to report after the pending events (0: none). */
  #progress = 0;
  /** Set by the backend: asks it for a progress report. */
  requestProgress?: () => void;
  #scheduled = false;
  #error: Error | undefined;
  /** No more events are accepted (cancelled or failed). */
  #ended = false;
  /** Nothing more reaches the callbacks. */
  #silenced = false;

  /** `onEnd` runs once, when the watch is cancelled or fails, to release backend resources. */
  constructor(callbacks: WatchCallbacks, onEnd: () => void) {
    this.#callbacks = callbacks;
    this.#onEnd = onEnd;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Queue whole revisions, in order after everything queued before. */
  push(events: readonly WatchEvent[]): void {
    if (this.#ended || events.length === 0) return;
    for (const ev of events) this.#pending.push(ev);
    this.#schedule();
  }

  /** Everything up to `revision` has been queued: report it after the events queued so far. */
  progress(revision: number): void {
    if (this.#ended) return;
    this.#progress = Math.max(this.#progress, revision);
    this.#schedule();
  }

  /** End the watch: deliver what is queued, then `err` through onError. */
  fail(err: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = err;
    this.#onEnd();
    this.#schedule();
  }

  cancel(): void {
    if (this.#ended && this.#silenced) return;
    const wasEnded = this.#ended;
    this.#ended = true;
    this.#silenced = true;
    this.#pending = [];
    if (!wasEnded) this.#onEnd();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#scheduled = false;
    if (this.#silenced) return;
    const batch = this.#pending;
    this.#pending = [];
    const progress = this.#progress;
    this.#progress = 0;
    if (batch.length > 0) {
      try {
        this.#callbacks.onEvents(batch);
      } catch (err) {
        // A throwing consumer ends its own watch rather than the process.
        if (!this.#ended) {
          this.#ended = true;
          this.#onEnd();
        }
        this.#error = err instanceof Error ? err : new Error(String(err));
        this.#pending = [];
      }
    }
    if (progress > 0 && this.#error === undefined && !this.#silenced) {
      try { this.#callbacks.onProgress?.(progress); } catch { /* the consumer's own failure */ }
    }
    if (this.#error !== undefined && !this.#silenced) {
      this.#silenced = true;
      this.#callbacks.onError(this.#error);
    }
  }
}
