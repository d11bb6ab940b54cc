// Periodic compaction of a cluster's store, as kube-apiserver does for etcd:
// every interval, forget history up to the revision seen at the previous tick,
// so watches and continue tokens stay valid for at least one interval.

import type { KVStore } from '../../storage/types.ts';

export const defaultCompactionIntervalMs = 5 * 60 * 1000;

/** Start compacting `kv`; `current()` reports the newest revision. Returns a stop function. */
export function startCompactor(kv: KVStore, current: () => number, intervalMs = defaultCompactionIntervalMs): () => void {
  let previous = current();
  let running = false;
  const timer = setInterval(() => {
    const target = previous;
    previous = current();
    if (running || target <= 0) return;
    running = true;
    kv.compactedRevision()
      .then((done) => (target > done ? kv.compact(target) : undefined))
      .catch((err: unknown) => console.error(`kubevisor: compaction to revision ${target} failed: ${(err as Error).message}`))
      .finally(() => { running = false; });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
