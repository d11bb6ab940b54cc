// Limits that keep one tenant from crowding out the others: a cap on the
// objects a cluster stores (403 past it), and on the requests and watches it
// has open at once (429 with Retry-After past them).

import { errors } from '../../api/errors.ts';
import type { AdmissionPlugin } from '../../registry/generic/admission.ts';
import type { VirtualCluster } from '../cluster.ts';

/**
 * Refuses clients' creates once the cluster holds `limits.maxObjects` objects
 * (every object counts, the ones a new cluster starts with too). The cluster's
 * own writes (controllers, bootstrap) are not refused.
 */
export function objectLimitAdmission(vc: VirtualCluster): AdmissionPlugin {
  return {
    name: 'ObjectCountLimit',
    admit(op, def, _namespace, obj, _old, user) {
      const max = vc.limits.maxObjects;
      if (op !== 'create' || max === undefined || user === undefined) return;
      if (vc.cache.size >= max) {
        throw errors.forbidden({ group: def.group, resource: def.plural }, String(obj.metadata?.name ?? obj.metadata?.generateName ?? ''),
          `virtual cluster "${vc.name}" has reached its limit of ${max} objects`);
      }
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
