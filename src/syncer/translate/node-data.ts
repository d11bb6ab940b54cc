// What a virtual node shows of the host node it stands for when the cluster's
// spec.host.sync.nodes is "real": the host node's labels, taints,
// unschedulable, capacity, allocatable, conditions, addresses and node info.
// Labels that would say something untrue about the virtual cluster (a
// control-plane role, kubevisor's own keys) stay behind, and so do the taints
// the cluster's enforced tolerations (spec.host.isolation.tolerations) tolerate:
// every synced pod carries those on the host, so such a taint never keeps
// this cluster's pods off the node, and shown it would mislead the virtual
// DaemonSet controller (no daemon pod for a NoSchedule taint, daemon pods
// deleted for a NoExecute one, while the host runs them). The rest of the
// spec (pod CIDRs, provider ID) is not copied.
//
// Taints shown cannot unbind or evict synced pods in the virtual cluster: a
// cluster with a host runs no scheduler and no node lifecycle controller (no
// taint-based eviction; controllers/index.ts), the syncer binds a virtual pod
// to the node its host pod runs on whatever the taints (pods.ts, bindPod), and
// pod GC acts only on pods already terminating on a node tainted out of
// service. The DaemonSet controller judges taints as upstream's does, which is
// what the host does to the same pods (with the same tolerations).

import { deepCopy } from '../../api/json-copy.ts';
import type { KubeObject } from '../../api/types.ts';
import { toleratedBy } from '../../controllers/scheduler/predicates.ts';
import type { Taint, Toleration } from '../../nodes/api.ts';
import { jsonEqual } from '../../registry/generic/metadata.ts';
import { isReservedKey } from './keys.ts';

/** Label on virtual nodes that show their host node's data. */
export const HOST_NODE_LABEL = 'kubevisor.dev/host-node';

const HIDDEN_PREFIXES = ['node-role.kubernetes.io/'];
const HIDDEN_KEYS = new Set([
  'node.kubernetes.io/exclude-from-external-load-balancers',
  'node.kubernetes.io/exclude-disruption',
]);

function hidden(key: string): boolean {
  return isReservedKey(key) || HIDDEN_KEYS.has(key) || HIDDEN_PREFIXES.some((p) => key.startsWith(p));
}

/** The labels of a virtual node standing for `hostNode`. */
export function realNodeLabels(hostNode: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(hostNode.metadata.labels ?? {})) if (!hidden(k)) out[k] = v;
  out[HOST_NODE_LABEL] = 'true';
  return out;
}

const STATUS_FIELDS = ['capacity', 'allocatable', 'conditions', 'addresses', 'nodeInfo'] as const;
const SPEC_FIELDS = ['taints', 'unschedulable'] as const;

/** The status of a virtual node standing for `hostNode`. */
export function realNodeStatus(hostNode: KubeObject): Record<string, unknown> {
  const src = (hostNode.status ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of STATUS_FIELDS) if (src[f] !== undefined) out[f] = deepCopy(src[f]);
  return out;
}

/**
 * The spec of a virtual node standing for `hostNode`: its taints but those
 * `enforced` (the tolerations every synced pod gets) tolerates, and whether it
 * is cordoned.
 */
export function realNodeSpec(hostNode: KubeObject, enforced?: readonly Toleration[]): Record<string, unknown> {
  const src = (hostNode.spec ?? {}) as { taints?: unknown; unschedulable?: unknown };
  const out: Record<string, unknown> = {};
  const taints = (Array.isArray(src.taints) ? src.taints as Taint[] : []).filter((t) => !toleratedBy(enforced, t));
  if (taints.length > 0) out.taints = deepCopy(taints);
  if (src.unschedulable === true) out.unschedulable = true;
  return out;
}

/** A new virtual node showing the host node's data (`enforced`: the cluster's enforced tolerations). */
export function realNode(hostNode: KubeObject, enforced?: readonly Toleration[]): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name: hostNode.metadata.name, labels: realNodeLabels(hostNode) },
    spec: realNodeSpec(hostNode, enforced),
    status: realNodeStatus(hostNode),
  };
}

/** What of the virtual node must change to show `want`'s labels, taints and unschedulable, and status. */
export function nodeDiffers(have: KubeObject, want: KubeObject): { labels: boolean; spec: boolean; status: boolean } {
  const hs = (have.status ?? {}) as Record<string, unknown>;
  const ws = (want.status ?? {}) as Record<string, unknown>;
  const hp = (have.spec ?? {}) as Record<string, unknown>;
  const wp = (want.spec ?? {}) as Record<string, unknown>;
  return {
    labels: !jsonEqual(have.metadata.labels ?? {}, want.metadata.labels ?? {}),
    // unschedulable: false and absent are the same.
    spec: !jsonEqual(hp.taints ?? [], wp.taints ?? []) || (hp.unschedulable === true) !== (wp.unschedulable === true),
    status: STATUS_FIELDS.some((f) => !jsonEqual(hs[f] ?? null, ws[f] ?? null)),
  };
}

/** `current` spec with the taints and unschedulable replaced by `want`'s (others, such as podCIDR, kept). */
export function withNodeSpec(current: unknown, want: unknown): Record<string, unknown> {
  return withFields(current, want, SPEC_FIELDS);
}

/** `current` status with the shown fields replaced by `want`'s (others, such as daemonEndpoints, kept). */
export function withNodeStatus(current: unknown, want: unknown): Record<string, unknown> {
  return withFields(current, want, STATUS_FIELDS);
}

function withFields(current: unknown, want: unknown, fields: readonly string[]): Record<string, unknown> {
  const out = { ...((current ?? {}) as Record<string, unknown>) };
  const w = (want ?? {}) as Record<string, unknown>;
  for (const f of fields) if (w[f] === undefined) delete out[f]; else out[f] = w[f];
  return out;
}
