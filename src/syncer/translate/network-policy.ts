// NetworkPolicies. On the host every virtual namespace's pods share one
// namespace, so the namespace scope of the policy and of each peer moves into
// pod selectors over the marker labels: the policy selects only this virtual
// cluster's pods of its virtual namespace, and a peer only this cluster's pods.
//
// A namespaceSelector on the namespace's name (`kubernetes.io/metadata.name`,
// which every namespace carries) becomes a requirement on the host pods'
// virtual-namespace label. Other namespace labels are not on host pods: such a
// selector is resolved against the virtual namespaces given, and the policy
// must be translated again when they change (`dependsOnNamespaces`).
// ipBlock peers and ports are copied unchanged.

import type { KubeObject } from '../../api/types.ts';
import { deepCopy } from '../../api/json-copy.ts';
import { fromLabelSelector } from '../../api/selectors/labels.ts';
import { LABEL_NAMESPACE } from './keys.ts';
import { toHostMeta } from './labels.ts';
import type { SyncTarget } from './markers.ts';
import { labelValue } from './names.ts';
import {
  type LabelSelector, type LabelSelectorRequirement, type VirtualNamespace, toHostLabelSelector,
} from './selectors.ts';

/** The label every namespace carries with its own name. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export interface NetworkPolicyPeer {
  podSelector?: LabelSelector | null;
  namespaceSelector?: LabelSelector | null;
  ipBlock?: { cidr: string; except?: string[] } | null;
  [field: string]: unknown;
}

export interface NetworkPolicyRule {
  from?: NetworkPolicyPeer[] | null;
  to?: NetworkPolicyPeer[] | null;
  ports?: unknown[] | null;
  [field: string]: unknown;
}

export interface NetworkPolicySpec {
  podSelector?: LabelSelector | null;
  ingress?: NetworkPolicyRule[] | null;
  egress?: NetworkPolicyRule[] | null;
  policyTypes?: string[];
  [field: string]: unknown;
}

export interface HostNetworkPolicy {
  policy: KubeObject;
  /** A namespaceSelector was resolved against the virtual namespaces' labels. */
  dependsOnNamespaces: boolean;
}

/** Requirements on host pods' virtual-namespace label that a namespaceSelector stands for. */
export interface NamespaceRequirements {
  requirements: LabelSelectorRequirement[];
  /** Resolved against the known namespaces (not expressible on the host). */
  resolved: boolean;
}

function isEmptySelector(sel: LabelSelector): boolean {
  return Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
}

/** The selector's requirements on the namespace name, or undefined when it uses other keys. */
function byNameOnly(sel: LabelSelector): LabelSelectorRequirement[] | undefined {
  const out: LabelSelectorRequirement[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (k !== NAMESPACE_NAME_LABEL) return undefined;
    out.push({ key: LABEL_NAMESPACE, operator: 'In', values: [labelValue(v)] });
  }
  for (const e of sel.matchExpressions ?? []) {
    if (e.key !== NAMESPACE_NAME_LABEL) return undefined;
    const r: LabelSelectorRequirement = { key: LABEL_NAMESPACE, operator: e.operator };
    if (e.operator === 'In' || e.operator === 'NotIn') r.values = [...new Set((e.values ?? []).map(labelValue))].sort();
    out.push(r);
  }
  return out;
}

/**
 * What a peer's namespaceSelector becomes on the host: nothing for `{}` (every
 * namespace), a translation for selectors on the namespace name, otherwise
 * the names of the `known` namespaces it matches now (none: a requirement no
 * synced pod meets).
 */
export function namespaceRequirements(sel: LabelSelector, known: readonly VirtualNamespace[]): NamespaceRequirements {
  if (isEmptySelector(sel)) return { requirements: [], resolved: false };
  const direct = byNameOnly(sel);
  if (direct) return { requirements: direct, resolved: false };
  let names: string[] = [];
  try {
    const selector = fromLabelSelector(sel);
    names = known.filter((ns) => selector.matches({ ...ns.labels, [NAMESPACE_NAME_LABEL]: ns.name })).map((ns) => ns.name);
  } catch { /* a selector the API would have refused matches nothing */ }
  // Every synced pod carries the namespace label: DoesNotExist matches none of them.
  const requirement: LabelSelectorRequirement = names.length > 0
    ? { key: LABEL_NAMESPACE, operator: 'In', values: [...new Set(names.map(labelValue))].sort() }
    : { key: LABEL_NAMESPACE, operator: 'DoesNotExist' };
  return { requirements: [requirement], resolved: true };
}

function toHostPeer(
  peer: NetworkPolicyPeer, vcluster: string, namespace: string, known: readonly VirtualNamespace[], deps: { resolved: boolean },
): NetworkPolicyPeer {
  if (peer.ipBlock) return deepCopy(peer);
  const { podSelector, namespaceSelector, ...rest } = deepCopy(peer);
  if (namespaceSelector === null || namespaceSelector === undefined) {
    if (podSelector === null || podSelector === undefined) return deepCopy(peer);
    return { ...rest, podSelector: toHostLabelSelector(podSelector, vcluster, { kind: 'one', namespace }) };
  }
  const ns = namespaceRequirements(namespaceSelector, known);
  if (ns.resolved) deps.resolved = true;
  // Without a podSelector the peer is every pod of the matching namespaces.
  const sel = toHostLabelSelector(podSelector ?? {}, vcluster, { kind: 'any' });
  const exprs = [...(sel.matchExpressions ?? []), ...ns.requirements];
  return { ...rest, podSelector: exprs.length > 0 ? { ...sel, matchExpressions: exprs } : sel };
}

function toHostRules(
  rules: NetworkPolicyRule[], field: 'from' | 'to', vcluster: string, namespace: string,
  known: readonly VirtualNamespace[], deps: { resolved: boolean },
): NetworkPolicyRule[] {
  return rules.map((r) => {
    const peers = r[field];
    if (!peers) return r;
    return { ...r, [field]: peers.map((p) => toHostPeer(p, vcluster, namespace, known, deps)) };
  });
}

/**
 * The host copy of a virtual NetworkPolicy. `known`: the virtual namespaces and
 * their labels, for namespaceSelectors on labels other than the name.
 */
export function toHostNetworkPolicy(vPolicy: KubeObject, target: SyncTarget, known: readonly VirtualNamespace[]): HostNetworkPolicy {
  const ns = vPolicy.metadata.namespace ?? 'default';
  const spec = deepCopy((vPolicy.spec ?? {}) as NetworkPolicySpec);
  const deps = { resolved: false };
  // An empty podSelector selects every pod of the namespace: here, the cluster's pods of the virtual namespace.
  spec.podSelector = toHostLabelSelector(spec.podSelector ?? {}, target.vcluster, { kind: 'one', namespace: ns });
  if (spec.ingress) spec.ingress = toHostRules(spec.ingress, 'from', target.vcluster, ns, known, deps);
  if (spec.egress) spec.egress = toHostRules(spec.egress, 'to', target.vcluster, ns, known, deps);
  const policy: KubeObject = {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: toHostMeta(vPolicy, 'NetworkPolicy', target), spec,
  };
  return { policy, dependsOnNamespaces: deps.resolved };
}
