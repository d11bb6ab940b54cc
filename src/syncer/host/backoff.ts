// Exponential backoff with a cap and jitter, for reconnecting to the host.

export interface Backoff {
  /** The first delay. */
  readonly initialMs: number;
  /** No delay is longer than this (jitter included). */
  readonly maxMs: number;
  /** Growth per failure; default 2. */
  readonly factor?: number;
  /** Fraction of each delay drawn at random, so replicas and informers do not retry in step; default 0.5. */
  readonly jitter?: number;
}

/** client-go's reflector backs off from 800 ms to 30 s; so do we. */
export const defaultBackoff: Backoff = { initialMs: 800, maxMs: 30_000 };

/** The delay before retry number `failures` (1 for the first failure). */
export function backoffDelay(failures: number, b: Backoff, random: () => number = Math.random): number {
  const factor = b.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, b.jitter ?? 0.5));
  const base = Math.min(b.maxMs, b.initialMs * factor ** Math.max(0, failures - 1));
  // The random share is taken off the delay, so the cap holds.
  return Math.round(base * (1 - jitter * random()));
}

/** Sleep `ms`, or less if `signal` aborts first (then resolve: the caller checks why). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) { resolve(); return; }
    const done = () => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve(); };
    const timer = setTimeout(done, ms);
    timer.unref(); // a retry alone does not keep the process alive
    signal.addEventListener('abort', done);
  });
}
