// Limits that keep one tenant from crowding out the others: a cap on the
// objects a cluster stores (403 past it), and on the requests and watches it
// has open at once (429 with Retry-After past them).

import { errors } from '../../api/errors.ts';
import type { AdmissionPlugin } from '../../registry/generic/admission.ts';
import type { VirtualCluster } from '../cluster.ts';

/** How long an admitted create that has not reached the cache keeps counting against the limit. */
const RESERVATION_TTL_MS = 10_000;

/**
 * Refuses clients' creates once the cluster holds `limits.maxObjects` objects
 * (every object counts, the ones a new cluster starts with too). The cluster's
 * own writes (controllers, bootstrap) are not refused.
 */
export function objectLimitAdmission(vc: VirtualCluster): AdmissionPlugin {
  // Creates admitted but not yet in the cache count too, so concurrent creates
  // cannot overshoot the limit: uid -> expiry, dropped when the object reaches
  // the cache, when the write is aborted, or after a while (dry runs never store).
  const pending = new Map<string, number>();
  vc.cache.subscribe({
    prefix: '/registry/',
    onEvent(ev) {
      if (pending.size > 0 && ev.type === 'ADDED' && ev.obj.metadata.uid) pending.delete(ev.obj.metadata.uid);
    },
  });
  const reserved = (now: number): number => {
    for (const [uid, expires] of pending) if (expires <= now) pending.delete(uid);
    return pending.size;
  };
  return {
    name: 'ObjectCountLimit',
    admit(op, def, _namespace, obj, _old, user) {
      const max = vc.limits.maxObjects;
      if (op !== 'create' || max === undefined || user === undefined) return;
      const now = Date.now();
      if (vc.cache.size + reserved(now) >= max) {
        throw errors.forbidden({ group: def.group, resource: def.plural }, String(obj.metadata?.name ?? obj.metadata?.generateName ?? ''),
          `virtual cluster "${vc.name}" has reached its limit of ${max} objects`);
      }
      const uid = obj.metadata?.uid;
      if (uid) pending.set(uid, now + RESERVATION_TTL_MS);
    },
    aborted(op, _def, obj) {
      const uid = obj.metadata?.uid;
      if (op === 'create' && uid) pending.delete(uid);
    },
  };
}

/**
 * Count a request (or a watch) against the cluster's limit until `release` is
 * called. Throws 429 when the cluster is at its limit.
 */
export function admitRequest(vc: VirtualCluster, watch: boolean): () => void {
  vc.lastActivity = Date.now();
  if (watch) {
    if (vc.watches >= vc.limits.maxWatches) {
      throw errors.tooManyRequests(`too many open watches in virtual cluster "${vc.name}" (limit ${vc.limits.maxWatches}), please try again later`, 1);
    }
    vc.watches++;
  } else {
    if (vc.inFlight >= vc.limits.maxRequestsInFlight) {
      throw errors.tooManyRequests(`too many requests in flight in virtual cluster "${vc.name}" (limit ${vc.limits.maxRequestsInFlight}), please try again later`, 1);
    }
    vc.inFlight++;
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (watch) vc.watches--; else vc.inFlight--;
    vc.lastActivity = Date.now();
  };
}
