// Pod (anti-)affinity terms as the scheduler uses them: the API's
// PodAffinityTerm parsed once into a label selector (with matchLabelKeys and
// mismatchLabelKeys folded in, as the API server does on create), the
// namespaces it looks at (the pod's own when neither `namespaces` nor
// `namespaceSelector` is given) and its topology key.

import type { KubeObject } from '../../api/types.ts';
import type { LabelRequirement, LabelSelector, Labels } from '../../api/selectors/labels.ts';
import { Everything, Nothing, fromLabelSelector, selectorFromRequirements } from '../../api/selectors/labels.ts';

/** core/v1 PodAffinityTerm. */
export interface PodAffinityTermSpec {
  labelSelector?: unknown;
  namespaces?: string[];
  namespaceSelector?: unknown;
  topologyKey?: string;
  matchLabelKeys?: string[];
  mismatchLabelKeys?: string[];
}

export interface WeightedPodAffinityTermSpec { weight?: number; podAffinityTerm?: PodAffinityTermSpec }

export interface PodAffinitySpec {
  requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTermSpec[];
  preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTermSpec[];
}

/** The affinity parts of a pod spec this package reads besides node affinity. */
export interface PodAffinities {
  podAffinity?: PodAffinitySpec;
  podAntiAffinity?: PodAffinitySpec;
}

export interface AffinityTerm {
  selector: LabelSelector;
  /** Namespaces named by the term (the pod's own when the term names none and has no namespace selector). */
  namespaces: ReadonlySet<string>;
  /** Namespaces selected by labels; undefined without a `namespaceSelector`. */
  nsSelector: LabelSelector | undefined;
  topologyKey: string;
  /** The preference's weight (1 for required terms). */
  weight: number;
}

/** The four kinds of terms a pod carries; undefined fields are empty. */
export interface PodTerms {
  requiredAffinity: AffinityTerm[];
  requiredAnti: AffinityTerm[];
  preferredAffinity: AffinityTerm[];
  preferredAnti: AffinityTerm[];
}

const noTerms: PodTerms = Object.freeze({ requiredAffinity: [], requiredAnti: [], preferredAffinity: [], preferredAnti: [] }) as PodTerms;

function safeSelector(ls: unknown): LabelSelector {
  try {
    return fromLabelSelector(ls);
  } catch {
    return Nothing;
  }
}

/** A selector with `key in (value)` (or `notin` when `mismatch`) added for each key the pod's labels carry. */
export function withLabelKeys(sel: LabelSelector, labels: Labels, match: readonly string[] | undefined,
  mismatch?: readonly string[]): LabelSelector {
  const extra: LabelRequirement[] = [];
  for (const k of match ?? []) if (Object.hasOwn(labels, k)) extra.push({ key: k, operator: 'in', values: [labels[k] as string] });
  for (const k of mismatch ?? []) if (Object.hasOwn(labels, k)) extra.push({ key: k, operator: 'notin', values: [labels[k] as string] });
  if (extra.length === 0) return sel;
  // A term without a selector gets one made of the keys alone.
  const base = sel === Nothing ? Everything : sel;
  return selectorFromRequirements([...base.requirements, ...extra]);
}

function parseTerm(t: PodAffinityTermSpec, ns: string, labels: Labels, weight: number): AffinityTerm {
  const selector = withLabelKeys(safeSelector(t.labelSelector), labels, t.matchLabelKeys, t.mismatchLabelKeys);
  const hasNsSelector = t.namespaceSelector !== undefined && t.namespaceSelector !== null;
  const listed = t.namespaces ?? [];
  const namespaces = new Set(listed.length === 0 && !hasNsSelector ? [ns] : listed);
  return { selector, namespaces, nsSelector: hasNsSelector ? safeSelector(t.namespaceSelector) : undefined, topologyKey: t.topologyKey ?? '', weight };
}

function required(spec: PodAffinitySpec | undefined, ns: string, labels: Labels): AffinityTerm[] {
  return (spec?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => parseTerm(t ?? {}, ns, labels, 1));
}

function preferred(spec: PodAffinitySpec | undefined, ns: string, labels: Labels): AffinityTerm[] {
  const out: AffinityTerm[] = [];
  for (const w of spec?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
    if (!w?.podAffinityTerm || !w.weight) continue;
    out.push(parseTerm(w.podAffinityTerm, ns, labels, w.weight));
  }
  return out;
}

/** The pod's (anti-)affinity terms, parsed. */
export function podTerms(pod: KubeObject): PodTerms {
  const aff = (pod.spec as { affinity?: PodAffinities } | undefined)?.affinity;
  if (!aff || (!aff.podAffinity && !aff.podAntiAffinity)) return noTerms;
  const ns = pod.metadata.namespace ?? '';
  const labels = pod.metadata.labels ?? {};
  return {
    requiredAffinity: required(aff.podAffinity, ns, labels),
    requiredAnti: required(aff.podAntiAffinity, ns, labels),
    preferredAffinity: preferred(aff.podAffinity, ns, labels),
    preferredAnti: preferred(aff.podAntiAffinity, ns, labels),
  };
}

export function hasAnyTerms(t: PodTerms): boolean {
  return t.requiredAffinity.length + t.requiredAnti.length + t.preferredAffinity.length + t.preferredAnti.length > 0;
}

/** Whether a pod in `ns` with `labels` is selected by the term (`nsLabels` gives a namespace's labels). */
export function termSelects(term: AffinityTerm, ns: string, labels: Labels, nsLabels: (ns: string) => Labels | undefined): boolean {
  if (!term.namespaces.has(ns) && !(term.nsSelector && term.nsSelector.matches(nsLabels(ns) ?? {}))) return false;
  return term.selector.matches(labels);
}

/** Whether the pod is selected by every term (false for no terms). */
export function selectedByAll(terms: readonly AffinityTerm[], ns: string, labels: Labels, nsLabels: (ns: string) => Labels | undefined): boolean {
  if (terms.length === 0) return false;
  return terms.every((t) => termSelects(t, ns, labels, nsLabels));
}
