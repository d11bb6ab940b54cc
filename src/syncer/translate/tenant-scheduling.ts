// Pods placed by a scheduler the tenant runs inside its virtual cluster, in the
// manner of vcluster's virtual scheduler but per scheduler name
// (spec.host.sync.hostSchedulers names the schedulers the host runs):
//
// - heldForTenant: an unbound virtual pod whose schedulerName the host does
//   not run gets no host pod (nothing of it is written on the host) until the
//   virtual cluster binds it (pods/binding); it then goes to the host pinned
//   to that node (node-pin.ts), as any pod bound before it ran does.
// - bindingAfterHostPod: a binding in the virtual cluster that comes after
//   the host pod exists. A host pod still unbound that never ran is made
//   again, pinned to the bound node; one the host has bound elsewhere keeps
//   the host's placement (the syncer says so on the virtual pod).
// - hostNodeShown: with spec.host.sync.allNodes, which host nodes appear as
//   virtual nodes: those matching the enforced node selector, and without a
//   NoSchedule or NoExecute taint the enforced tolerations leave untolerated
//   (a control-plane node, another tenant's pool), the node lifecycle's own
//   `node.kubernetes.io/` taints (not ready, unreachable, cordoned, pressure)
//   aside: those come and go with the node's state, which the virtual node
//   shows, and should not make it come and go. A pod's own tolerations are
//   not looked at: the list of nodes is the cluster's, not one pod's.

import type { KubeObject } from '../../api/types.ts';
import { toleratedBy } from '../../controllers/scheduler/predicates.ts';
import type { Taint } from '../../nodes/api.ts';
import { pinnedNodeOf } from './node-pin.ts';
import type { Affinity } from './selectors.ts';
import type { EnforcedScheduling } from './pod.ts';

export const DEFAULT_SCHEDULER = 'default-scheduler';

interface SchedulingSpec { nodeName?: string; schedulerName?: string; affinity?: Affinity }

function specOf(pod: KubeObject): SchedulingSpec {
  return (pod.spec ?? {}) as SchedulingSpec;
}

/** The scheduler a pod names (an empty name is the default scheduler). */
export function schedulerOf(pod: KubeObject): string {
  return specOf(pod).schedulerName || DEFAULT_SCHEDULER;
}

/** A virtual pod that waits in the virtual cluster: unbound, for a scheduler the host does not run. */
export function heldForTenant(vPod: KubeObject, hostSchedulers: readonly string[]): boolean {
  return !specOf(vPod).nodeName && !hostSchedulers.includes(schedulerOf(vPod));
}

export type BindingAfterHostPod =
  /** Nothing to do: not bound in the virtual cluster, bound where the host pod is, or the host pod is pinned there already. */
  | { readonly action: 'none' }
  /** Delete the host pod (it is unbound and never ran) and make it again, pinned to `node`. */
  | { readonly action: 'recreate'; readonly node: string }
  /** The host bound its pod to another node first: the host's placement stands. */
  | { readonly action: 'stands'; readonly virtual: string; readonly host: string };

/** What a binding in the virtual cluster asks of an existing host pod. */
export function bindingAfterHostPod(vPod: KubeObject, hostPod: KubeObject): BindingAfterHostPod {
  const virtual = specOf(vPod).nodeName;
  const hs = specOf(hostPod);
  if (!virtual || hs.nodeName === virtual) return { action: 'none' };
  if (hs.nodeName) return { action: 'stands', virtual, host: hs.nodeName };
  // Made pinned already (bound before it ran), waiting for the host's scheduler.
  if (pinnedNodeOf(hs.affinity) === virtual) return { action: 'none' };
  const ran = (o: KubeObject) => {
    const st = (o.status ?? {}) as { hostIP?: string; startTime?: string; containerStatuses?: unknown[] };
    return !!st.hostIP || !!st.startTime || (st.containerStatuses?.length ?? 0) > 0;
  };
  // A pod that ran (on the host, or before a pause) is not moved.
  if (ran(hostPod) || ran(vPod)) return { action: 'none' };
  return { action: 'recreate', node: virtual };
}

const LIFECYCLE_TAINT_PREFIX = 'node.kubernetes.io/';

/** Whether a host node appears in a cluster with allNodes (see above). */
export function hostNodeShown(hostNode: KubeObject, enforced: EnforcedScheduling | undefined): boolean {
  const labels = hostNode.metadata.labels ?? {};
  for (const [k, v] of Object.entries(enforced?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const taints = ((hostNode.spec as { taints?: Taint[] } | undefined)?.taints) ?? [];
  return taints.every((t) => (t.effect !== 'NoSchedule' && t.effect !== 'NoExecute') ||
    t.key.startsWith(LIFECYCLE_TAINT_PREFIX) || toleratedBy(enforced?.tolerations, t));
}
