// Binding a pod to a node, as the pods/binding subresource does upstream: a
// storage-level update that sets spec.nodeName (which an ordinary pod update may
// not change) and the PodScheduled=True condition, refused when the pod is
// already bound or being deleted. The pod's validation and field ownership are
// not involved, as upstream's binding storage bypasses them too (a status carried
// with the binding is recorded for its manager). status.nominatedNodeName is cleared.

import { errors } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { objectKey } from '../../registry/generic/keys.ts';
import { nowTimestamp } from '../../registry/generic/metadata.ts';
import type { ResourceDef } from '../../registry/types.ts';
import type { VirtualCluster } from '../../server/cluster.ts';
import type { PodSpec, PodStatus } from '../../nodes/api.ts';
import { withPodCondition } from '../../nodes/api.ts';

export interface BindOptions {
  /** Only bind this incarnation of the pod. */
  uid?: string;
  now?: Date;
  /**
   * A status to store with the binding, worked out from the bound pod (a syncer binds a
   * pod its host has already started: one write instead of two). Its fields are recorded
   * as `fieldManager`'s status update; the binding itself stays unowned, as upstream.
   */
  status?: { of(bound: KubeObject): Record<string, unknown>; fieldManager: string };
}

/** Assign the pod to `nodeName`; returns the bound pod. Throws 404/409 as the binding subresource would. */
export async function bindPod(vc: VirtualCluster, podDef: ResourceDef, namespace: string, name: string, nodeName: string,
  opts: BindOptions = {}): Promise<KubeObject> {
  const key = objectKey(podDef, namespace, name);
  const gr = { group: '', resource: 'pods' };
  for (let attempt = 0; ; attempt++) {
    await vc.cache.sync();
    const cur = vc.cache.getCached(key);
    if (!cur) throw errors.notFound(gr, name);
    const meta = cur.obj.metadata;
    if (opts.uid && meta.uid !== opts.uid) {
      throw errors.conflict(gr, name, `Precondition failed: UID in precondition: ${opts.uid}, UID in object meta: ${meta.uid ?? ''}`);
    }
    if (meta.deletionTimestamp) throw errors.conflict(gr, name, `pod ${name} is being deleted, cannot be assigned to a host`);
    const spec = (cur.obj.spec ?? {}) as PodSpec;
    if (spec.nodeName) throw errors.conflict(gr, name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
    if ((spec.schedulingGates ?? []).length > 0) throw errors.conflict(gr, name, `pod ${name} has non-empty .spec.schedulingGates`);
    // A new object along the paths the binding changes, sharing the rest with the cached one
    // (which nothing here writes to): the text stored is all the cache keeps of it.
    const { resourceVersion: _rv, ...metadata } = meta;
    const status = { ...(cur.obj.status ?? {}) } as PodStatus;
    // A nomination is done with once the pod is bound (as upstream's binding clears it).
    delete status.nominatedNodeName;
    const next: KubeObject = { ...cur.obj, metadata, spec: { ...spec, nodeName }, status };
    const cond = { type: 'PodScheduled', status: 'True' as const, observedGeneration: meta.generation };
    if (cond.observedGeneration === undefined) delete (cond as { observedGeneration?: number }).observedGeneration;
    status.conditions = withPodCondition(status.conditions, cond, nowTimestamp(opts.now));
    if (opts.status) {
      next.status = opts.status.of(next);
      await vc.store.recordOwnership(podDef, cur.obj, next, opts.status.fieldManager, 'status');
    }
    const text = JSON.stringify(next);
    // The cache takes `next` as it is (its parts shared with the cached pod are as immutable).
    vc.cache.adopt(key, text, next);
    const res = await vc.kv.update(key, text, cur.modRevision);
    if (!res.succeeded) {
      if (attempt < 8) continue;
      throw errors.conflict(gr, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    await vc.cache.waitForRevision(res.revision);
    return vc.cache.getCached(key)?.obj ?? next;
  }
}
