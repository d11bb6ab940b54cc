// Selectors of host objects. Every selector that picks pods is rewritten so
// that it can only match pods of the same virtual cluster and (unless the
// virtual selector spans namespaces) the same virtual namespace: the marker
// labels are added, and reserved keys are renamed as labels.ts renames them.
//
// What cannot be expressed: a namespaceSelector is resolved against the
// virtual namespaces known when the pod is translated (ctx.virtualNamespaces),
// so a namespace created or relabelled later is not picked up until the pod is
// translated again; without that list only the `namespaces` names count, and a
// warning says so.

import { fromLabelSelector } from '../../api/selectors/labels.ts';
import { LABEL_NAMESPACE } from './keys.ts';
import { hostLabelKey } from './labels.ts';
import { markerLabels } from './markers.ts';
import { labelValue } from './names.ts';

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface PodAffinityTerm {
  labelSelector?: LabelSelector | null;
  namespaces?: string[] | null;
  namespaceSelector?: LabelSelector | null;
  topologyKey: string;
  matchLabelKeys?: string[];
  mismatchLabelKeys?: string[];
  [field: string]: unknown;
}

export interface WeightedPodAffinityTerm { weight: number; podAffinityTerm: PodAffinityTerm }

export interface PodAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
  preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[];
}

export interface Affinity {
  podAffinity?: PodAffinity;
  podAntiAffinity?: PodAffinity;
  [field: string]: unknown;
}

export interface TopologySpreadConstraint {
  labelSelector?: LabelSelector | null;
  matchLabelKeys?: string[];
  [field: string]: unknown;
}

/** The virtual namespaces a namespaceSelector is resolved against. */
export interface VirtualNamespace { name: string; labels?: Record<string, string> }

/** Which virtual namespaces a translated selector may match. */
export type NamespaceScope =
  | { kind: 'one'; namespace: string }
  | { kind: 'any' }
  | { kind: 'some'; namespaces: string[] };

/** The keys of a selector renamed as host labels are, nothing added. */
export function renameSelectorKeys(sel: LabelSelector): LabelSelector {
  const out: LabelSelector = {};
  if (sel.matchLabels) {
    out.matchLabels = {};
    for (const [k, v] of Object.entries(sel.matchLabels)) out.matchLabels[hostLabelKey(k)] = v;
  }
  if (sel.matchExpressions) {
    out.matchExpressions = sel.matchExpressions.map((e) => ({ ...e, key: hostLabelKey(e.key) }));
  }
  return out;
}

/**
 * A pod selector translated for the host: keys renamed, restricted to the
 * virtual cluster's pods in the given namespace scope. A null/absent selector
 * (which selects nothing) stays as it is.
 */
export function toHostLabelSelector<T extends LabelSelector | null | undefined>(
  sel: T, vcluster: string, scope: NamespaceScope,
): T {
  if (sel === null || sel === undefined) return sel;
  const out = renameSelectorKeys(sel);
  const matchLabels: Record<string, string> = { ...out.matchLabels, ...markerLabels(vcluster) };
  const exprs = [...(out.matchExpressions ?? [])];
  if (scope.kind === 'one') matchLabels[LABEL_NAMESPACE] = labelValue(scope.namespace);
  else if (scope.kind === 'some') {
    // An empty set matches no namespace; every synced pod carries the label, so DoesNotExist matches none of them.
    exprs.push(scope.namespaces.length > 0
      ? { key: LABEL_NAMESPACE, operator: 'In', values: [...new Set(scope.namespaces.map(labelValue))].sort() }
      : { key: LABEL_NAMESPACE, operator: 'DoesNotExist' });
  }
  const result: LabelSelector = { matchLabels };
  if (exprs.length > 0) result.matchExpressions = exprs;
  return result as T;
}

/**
 * A Service selector for the host. An absent or empty selector (a service
 * whose endpoints are managed by hand) stays absent.
 */
export function toHostServiceSelector(
  sel: Record<string, string> | undefined | null, vcluster: string, vNamespace: string,
): Record<string, string> | undefined {
  if (!sel || Object.keys(sel).length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(sel)) out[hostLabelKey(k)] = v;
  return { ...out, ...markerLabels(vcluster, vNamespace) };
}

/** The namespaces a pod affinity term applies to, as upstream defines them. */
export function affinityTermScope(
  term: PodAffinityTerm, podNamespace: string, known: readonly VirtualNamespace[] | undefined, warnings: string[],
): NamespaceScope {
  const names = term.namespaces ?? [];
  const nsSel = term.namespaceSelector;
  if (names.length === 0 && (nsSel === null || nsSel === undefined)) return { kind: 'one', namespace: podNamespace };
  const selector = nsSel ? fromLabelSelector(nsSel) : undefined;
  // `namespaceSelector: {}` means every namespace, whatever `namespaces` says.
  if (selector?.empty) return { kind: 'any' };
  const set = new Set(names);
  if (selector) {
    if (known) {
      for (const ns of known) if (selector.matches(ns.labels ?? {})) set.add(ns.name);
    } else {
      warnings.push(`pod affinity term (topologyKey ${term.topologyKey}): namespaceSelector ignored, the virtual namespaces are unknown`);
    }
  }
  return { kind: 'some', namespaces: [...set] };
}

function toHostTerm(
  term: PodAffinityTerm, vcluster: string, podNamespace: string, known: readonly VirtualNamespace[] | undefined, warnings: string[],
): PodAffinityTerm {
  const { namespaces: _n, namespaceSelector: _s, ...rest } = term;
  const out: PodAffinityTerm = { ...rest };
  // On the host every pod of the virtual cluster lives in the term's own (host)
  // namespace, so the namespace scope moves into the label selector.
  const scope = affinityTermScope(term, podNamespace, known, warnings);
  if (term.labelSelector) out.labelSelector = toHostLabelSelector(term.labelSelector, vcluster, scope);
  if (term.matchLabelKeys) out.matchLabelKeys = term.matchLabelKeys.map(hostLabelKey);
  if (term.mismatchLabelKeys) out.mismatchLabelKeys = term.mismatchLabelKeys.map(hostLabelKey);
  return out;
}

function toHostPodAffinity(
  a: PodAffinity, vcluster: string, ns: string, known: readonly VirtualNamespace[] | undefined, warnings: string[],
): PodAffinity {
  const out: PodAffinity = { ...a };
  if (a.requiredDuringSchedulingIgnoredDuringExecution) {
    out.requiredDuringSchedulingIgnoredDuringExecution =
      a.requiredDuringSchedulingIgnoredDuringExecution.map((t) => toHostTerm(t, vcluster, ns, known, warnings));
  }
  if (a.preferredDuringSchedulingIgnoredDuringExecution) {
    out.preferredDuringSchedulingIgnoredDuringExecution = a.preferredDuringSchedulingIgnoredDuringExecution.map((w) => ({
      ...w, podAffinityTerm: toHostTerm(w.podAffinityTerm, vcluster, ns, known, warnings),
    }));
  }
  return out;
}

/** A pod's affinity for the host: pod (anti-)affinity terms scoped; node affinity unchanged. */
export function toHostAffinity(
  affinity: Affinity, vcluster: string, podNamespace: string,
  known: readonly VirtualNamespace[] | undefined, warnings: string[],
): Affinity {
  const out: Affinity = { ...affinity };
  if (affinity.podAffinity) out.podAffinity = toHostPodAffinity(affinity.podAffinity, vcluster, podNamespace, known, warnings);
  if (affinity.podAntiAffinity) {
    out.podAntiAffinity = toHostPodAffinity(affinity.podAntiAffinity, vcluster, podNamespace, known, warnings);
  }
  return out;
}

/** Topology spread constraints count pods of the pod's own namespace only. */
export function toHostTopologySpread(
  constraints: TopologySpreadConstraint[], vcluster: string, podNamespace: string,
): TopologySpreadConstraint[] {
  return constraints.map((c) => {
    const out: TopologySpreadConstraint = { ...c };
    if (c.labelSelector) out.labelSelector = toHostLabelSelector(c.labelSelector, vcluster, { kind: 'one', namespace: podNamespace });
    if (c.matchLabelKeys) out.matchLabelKeys = c.matchLabelKeys.map(hostLabelKey);
    return out;
  });
}
