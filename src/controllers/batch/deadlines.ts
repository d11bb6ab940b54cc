// One timer per key for the earliest moment a controller must look at an
// object again (a deadline, a backoff's end, a schedule's next run). A later
// request for a key that already waits for an earlier moment changes nothing.

export class Deadlines {
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly fire: (key: string) => void;
  private stopped = false;

  constructor(fire: (key: string) => void) {
    this.fire = fire;
  }

  /** Call `fire(key)` in `delayMs` (or sooner, when an earlier moment is already pending). */
  after(key: string, delayMs: number): void {
    if (this.stopped) return;
    const delay = Math.max(0, Math.ceil(delayMs));
    const at = Date.now() + delay;
    const cur = this.timers.get(key);
    if (cur && cur.at <= at) return;
    if (cur) clearTimeout(cur.timer);
    // setTimeout cannot wait longer than 2^31-1 ms; a longer wait is taken in steps.
    const max = 2 ** 31 - 1;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      if (delay > max) this.after(key, delay - max);
      else this.fire(key);
    }, Math.min(delay, max));
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Forget the key's pending moment. */
  clear(key: string): void {
    const cur = this.timers.get(key);
    if (cur) { clearTimeout(cur.timer); this.timers.delete(key); }
  }

  get size(): number { return this.timers.size; }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
  }
}
