// One timer for many deadlines: keys with a due time, and a single timeout armed
// for the earliest of them. When nothing is due the process holds no timer.

export class Deadlines {
  private readonly due = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Infinity;
  private stopped = false;
  private readonly fire: (keys: string[]) => void;
  private readonly clock: () => number;

  constructor(fire: (keys: string[]) => void, clock: () => number = Date.now) {
    this.fire = fire;
    this.clock = clock;
  }

  /** Call `fire` with `key` at `at` (ms since the epoch). An earlier time for the key wins. */
  schedule(key: string, at: number): void {
    if (this.stopped || !Number.isFinite(at)) return;
    const prev = this.due.get(key);
    if (prev !== undefined && prev <= at) return;
    this.due.set(key, at);
    if (at < this.armedAt) this.arm(at);
  }

  /** Replace the key's due time (or drop it when `at` is undefined). */
  reset(key: string, at: number | undefined): void {
    this.due.delete(key);
    if (at !== undefined) this.schedule(key, at);
  }

  cancel(key: string): void {
    this.due.delete(key);
  }

  has(key: string): boolean {
    return this.due.has(key);
  }

  get size(): number {
    return this.due.size;
  }

  private arm(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.armedAt = at;
    const ms = Math.max(0, at - this.clock());
    // setTimeout takes at most 2^31-1 ms; longer waits re-arm when they wake.
    this.timer = setTimeout(() => this.run(), Math.min(ms, 2 ** 31 - 1));
    this.timer.unref();
  }

  private run(): void {
    this.timer = undefined;
    this.armedAt = Infinity;
    const now = this.clock();
    const due: [string, number][] = [];
    let next = Infinity;
    for (const [k, at] of this.due) {
      if (at <= now) due.push([k, at]);
      else if (at < next) next = at;
    }
    const ready = due.sort((a, b) => a[1] - b[1]).map(([k]) => k);
    for (const k of ready) this.due.delete(k);
    if (next < Infinity) this.arm(next);
    if (ready.length > 0) {
      try { this.fire(ready); } catch (e) { console.error(`kubevisor: deadline handler: ${(e as Error).message}`); }
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.due.clear();
  }
}
