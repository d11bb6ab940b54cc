// What a virtual node shows of the host node it stands for when the cluster's
// spec.host.sync.nodes is "real": the host node's labels, capacity,
// allocatable, conditions, addresses and node info. Labels that would say
// something untrue about the virtual cluster (a control-plane role, kubevisor's
// own keys) stay behind; spec (taints, pod CIDRs, provider ID) is not copied.

import { deepCopy } from '../../api/json-copy.ts';
import type { KubeObject } from '../../api/types.ts';
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

/** The status of a virtual node standing for `hostNode`. */
export function realNodeStatus(hostNode: KubeObject): Record<string, unknown> {
  const src = (hostNode.status ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of STATUS_FIELDS) if (src[f] !== undefined) out[f] = deepCopy(src[f]);
  return out;
}

/** A new virtual node showing the host node's data. */
export function realNode(hostNode: KubeObject): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name: hostNode.metadata.name, labels: realNodeLabels(hostNode) },
    spec: {},
    status: realNodeStatus(hostNode),
  };
}

/** What of the virtual node must change to show `want`'s labels and status. */
export function nodeDiffers(have: KubeObject, want: KubeObject): { labels: boolean; status: boolean } {
  const hs = (have.status ?? {}) as Record<string, unknown>;
  const ws = (want.status ?? {}) as Record<string, unknown>;
  return {
    labels: !jsonEqual(have.metadata.labels ?? {}, want.metadata.labels ?? {}),
    status: STATUS_FIELDS.some((f) => !jsonEqual(hs[f] ?? null, ws[f] ?? null)),
  };
}

/** `current` status with the shown fields replaced by `want`'s (others, such as daemonEndpoints, kept). */
export function withNodeStatus(current: unknown, want: unknown): Record<string, unknown> {
  const out = { ...((current ?? {}) as Record<string, unknown>) };
  const w = (want ?? {}) as Record<string, unknown>;
  for (const f of STATUS_FIELDS) if (w[f] === undefined) delete out[f]; else out[f] = w[f];
  return out;
}
