// The way back for pods: the host pod's status becomes the virtual pod's, and
// the host scheduler's choice of node becomes a binding of the virtual pod.

import type { KubeObject } from '../../api/types.ts';
import { deepCopy } from '../../api/json-copy.ts';
import type { ContainerStatus, PodCondition, PodStatus } from '../../nodes/api.ts';

export interface PodBackSync {
  /** The status to write on the virtual pod. */
  status: PodStatus;
  /** The host placed the pod: bind the virtual pod to this node (`pods/binding`). */
  bindNode?: string;
  /**
   * The virtual pod is bound to another node than the host pod runs on (it
   * was bound before syncing, or the host pod was recreated elsewhere). A
   * virtual binding cannot move: the syncer should recreate one side.
   */
  nodeConflict?: { virtual: string; host: string };
}

/**
 * The virtual Ready condition when the virtual pod has readiness gates: the
 * host pod has none (its gates are set by virtual controllers), so Ready is
 * recomputed as the kubelet computes it from ContainersReady and the gates.
 */
function readyWithGates(
  hostReady: PodCondition | undefined, containersReady: PodCondition | undefined,
  gates: readonly { conditionType: string }[], conditions: readonly PodCondition[], prevReady: PodCondition | undefined,
): PodCondition | undefined {
  if (!hostReady) return undefined;
  const base: PodCondition = { ...hostReady };
  if (containersReady && containersReady.status !== 'True') return hostReady;
  const unready: string[] = [];
  for (const g of gates) {
    const c = conditions.find((x) => x.type === g.conditionType);
    if (!c) unready.push(`corresponding condition of pod readiness gate "${g.conditionType}" does not exist.`);
    else if (c.status !== 'True') unready.push(`the status of pod readiness gate "${g.conditionType}" is not "True", but ${c.status}`);
  }
  if (unready.length > 0) {
    base.status = 'False';
    base.reason = 'ReadinessGatesNotReady';
    base.message = unready.join(', ');
  } else {
    base.status = 'True';
    delete base.reason;
    delete base.message;
  }
  if (prevReady?.status === base.status && prevReady.lastTransitionTime) base.lastTransitionTime = prevReady.lastTransitionTime;
  return base;
}

/**
 * The status of a virtual pod from its host pod: phase, conditions, container
 * statuses, IPs, start time, messages. Kept from the virtual pod: its QoS
 * class (computed from the virtual spec) and conditions the host does not
 * report (readiness gates, DisruptionTarget and others set by virtual
 * controllers). Dropped: resource claim statuses (host claim names).
 *
 * Ephemeral container statuses come as they are (container names are the
 * same on both sides). `refusedEphemeral` (container name → why) are the
 * virtual pod's ephemeral containers the host would not take: each gets a
 * waiting status with reason SyncError, whose message `kubectl debug` shows.
 */
export function fromHostPodStatus(hostPod: KubeObject, vPod: KubeObject, refusedEphemeral?: ReadonlyMap<string, string>): PodBackSync {
  const host = (hostPod.status ?? {}) as PodStatus;
  const prev = (vPod.status ?? {}) as PodStatus;
  const status = deepCopy(host);
  delete status['resourceClaimStatuses'];
  if (prev.qosClass) status.qosClass = prev.qosClass;

  // Generations count separately on each side: only a host status that has
  // seen the host pod's latest spec vouches for the virtual pod's latest, and
  // only when the host pod has every ephemeral container of the virtual one
  // (adding one is a new generation on both sides, written to the host after).
  const vEphemeral = ((vPod.spec as { ephemeralContainers?: { name: string; image?: string }[] } | undefined)?.ephemeralContainers) ?? [];
  const hostEphemeral = new Set((((hostPod.spec as { ephemeralContainers?: { name: string }[] } | undefined)?.ephemeralContainers) ?? []).map((c) => c.name));
  const caughtUp = host.observedGeneration !== undefined && host.observedGeneration === hostPod.metadata.generation &&
    vEphemeral.every((c) => hostEphemeral.has(c.name));
  const vGen = vPod.metadata.generation;
  const gen = (o: { observedGeneration?: number }) => {
    if (caughtUp && vGen !== undefined) o.observedGeneration = vGen; else delete o.observedGeneration;
  };
  if (host.observedGeneration !== undefined) gen(status);

  const hostConds = (status.conditions ?? []).map((c) => {
    const out = { ...c };
    if (c.observedGeneration !== undefined) gen(out);
    return out;
  });
  const hostTypes = new Set(hostConds.map((c) => c.type));
  const conditions = [...hostConds, ...(prev.conditions ?? []).filter((c) => !hostTypes.has(c.type))];
  const gates = ((vPod.spec as { readinessGates?: { conditionType: string }[] } | undefined)?.readinessGates) ?? [];
  if (gates.length > 0) {
    const i = conditions.findIndex((c) => c.type === 'Ready');
    const ready = readyWithGates(
      conditions[i], conditions.find((c) => c.type === 'ContainersReady'), gates, conditions,
      prev.conditions?.find((c) => c.type === 'Ready'),
    );
    if (ready && i >= 0) conditions[i] = ready;
  }
  if (conditions.length > 0) status.conditions = conditions; else delete status.conditions;

  if (refusedEphemeral && refusedEphemeral.size > 0) {
    const reported = new Set((status.ephemeralContainerStatuses ?? []).map((c) => c.name));
    const refused: ContainerStatus[] = vEphemeral.filter((c) => refusedEphemeral.has(c.name) && !hostEphemeral.has(c.name) && !reported.has(c.name))
      .map((c) => ({
        name: c.name, image: c.image ?? '', imageID: '', ready: false, restartCount: 0,
        state: { waiting: { reason: 'SyncError', message: refusedEphemeral.get(c.name) } },
      }));
    if (refused.length > 0) {
      // As kubelet lists them: by name.
      status.ephemeralContainerStatuses = [...(status.ephemeralContainerStatuses ?? []), ...refused].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
  }

  const out: PodBackSync = { status };
  const hostNode = (hostPod.spec as { nodeName?: string } | undefined)?.nodeName;
  const vNode = (vPod.spec as { nodeName?: string } | undefined)?.nodeName;
  if (hostNode && !vNode) out.bindNode = hostNode;
  else if (hostNode && vNode && hostNode !== vNode) out.nodeConflict = { virtual: vNode, host: hostNode };
  return out;
}
