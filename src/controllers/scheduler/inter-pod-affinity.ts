// InterPodAffinity, as kube-scheduler's plugin of that name: the filter (the
// incoming pod's required affinity and anti-affinity terms, and the required
// anti-affinity terms of the pods already bound, each by topology domain) and
// the score (preferred terms both ways, and existing pods' required affinity
// at weight 1, normalised to 0..100 between the lowest and highest node).
//
// Counts are per topology pair ("key\0value"), made once per scheduling cycle
// from the pod index's per-node counters; preemption adds and removes pods
// from a copy of the state.

import type { KubeObject } from '../../api/types.ts';
import type { Labels } from '../../api/selectors/labels.ts';
import { Nothing } from '../../api/selectors/labels.ts';
import type { Counter, PodIndex, PodInfo } from './pod-index.ts';
import type { AffinityTerm, PodTerms } from './pod-terms.ts';
import { selectedByAll, termSelects } from './pod-terms.ts';

export const msgAffinityRules = "node(s) didn't match pod affinity rules";
export const msgAntiAffinityRules = "node(s) didn't match pod anti-affinity rules";
export const msgExistingAntiAffinity = "node(s) didn't satisfy existing pods anti-affinity rules";

/** What the plugins read of the cluster besides the pod index. */
export interface AffinityEnv {
  index: PodIndex;
  nsLabels(ns: string): Labels | undefined;
  /** Labels of a node by name (undefined for a node not in this cycle's list). */
  nodeLabels(node: string): Labels | undefined;
}

/** The pod being scheduled. */
export interface Incoming {
  key: string;
  namespace: string;
  labels: Labels;
  terms: PodTerms;
}

const pairOf = (key: string, value: string): string => `${key}\0${value}`;

function bump(m: Map<string, number>, k: string, by: number): void {
  const n = (m.get(k) ?? 0) + by;
  if (n === 0) m.delete(k); else m.set(k, n);
}

function selectorId(t: AffinityTerm): string {
  return JSON.stringify([[...t.namespaces].sort(), t.nsSelector ? t.nsSelector.toString() : null,
    t.selector === Nothing ? null : t.selector.toString()]);
}

/** Namespaces a counter for these terms may be limited to (undefined: any, when a namespace selector is involved). */
function counterNamespaces(terms: readonly AffinityTerm[]): string[] | undefined {
  if (terms.some((t) => t.nsSelector)) return undefined;
  return [...(terms[0] as AffinityTerm).namespaces];
}

/** Per-node counts of the bound pods one term selects. */
export function termCounter(env: AffinityEnv, t: AffinityTerm): Counter {
  return env.index.counter(`term:${selectorId(t)}`, counterNamespaces([t]),
    (p) => termSelects(t, p.namespace, p.labels, (ns) => env.nsLabels(ns)));
}

/** Per-node counts of the bound pods every one of the terms selects. */
function allTermsCounter(env: AffinityEnv, terms: readonly AffinityTerm[]): Counter {
  return env.index.counter(`all:${JSON.stringify(terms.map(selectorId))}`, counterNamespaces(terms),
    (p) => selectedByAll(terms, p.namespace, p.labels, (ns) => env.nsLabels(ns)));
}

export interface FilterOutcome { reason: string; resolvable: boolean }

export class InterPodAffinityFilter {
  private readonly incoming: Incoming;
  private readonly env: AffinityEnv;
  /** Pairs with bound pods matching all the incoming pod's required affinity terms. */
  private readonly affinity: Map<string, number>;
  /** Pairs with bound pods matching one of its required anti-affinity terms. */
  private readonly anti: Map<string, number>;
  /** Pairs where a bound pod's required anti-affinity term selects the incoming pod. */
  private readonly existingAnti: Map<string, number>;

  private constructor(incoming: Incoming, env: AffinityEnv, affinity: Map<string, number>, anti: Map<string, number>,
    existingAnti: Map<string, number>) {
    this.incoming = incoming;
    this.env = env;
    this.affinity = affinity;
    this.anti = anti;
    this.existingAnti = existingAnti;
  }

  /** The filter's state for this cycle, or undefined when the plugin has nothing to check. */
  static prepare(incoming: Incoming, env: AffinityEnv): InterPodAffinityFilter | undefined {
    const { requiredAffinity, requiredAnti } = incoming.terms;
    if (requiredAffinity.length === 0 && requiredAnti.length === 0 && env.index.withRequiredAnti.size === 0) return undefined;
    const affinity = new Map<string, number>();
    const anti = new Map<string, number>();
    const existingAnti = new Map<string, number>();
    if (requiredAffinity.length > 0) {
      for (const [node, n] of allTermsCounter(env, requiredAffinity).perNode) {
        const labels = env.nodeLabels(node);
        if (!labels) continue;
        for (const t of requiredAffinity) if (Object.hasOwn(labels, t.topologyKey)) bump(affinity, pairOf(t.topologyKey, labels[t.topologyKey] as string), n);
      }
    }
    for (const t of requiredAnti) {
      for (const [node, n] of termCounter(env, t).perNode) {
        const labels = env.nodeLabels(node);
        if (labels && Object.hasOwn(labels, t.topologyKey)) bump(anti, pairOf(t.topologyKey, labels[t.topologyKey] as string), n);
      }
    }
    const nsLabels = (ns: string) => env.nsLabels(ns);
    for (const p of env.index.withRequiredAnti) {
      const labels = env.nodeLabels(p.node);
      if (!labels) continue;
      for (const t of p.terms.requiredAnti) {
        if (Object.hasOwn(labels, t.topologyKey) && termSelects(t, incoming.namespace, incoming.labels, nsLabels)) {
          bump(existingAnti, pairOf(t.topologyKey, labels[t.topologyKey] as string), 1);
        }
      }
    }
    return new InterPodAffinityFilter(incoming, env, affinity, anti, existingAnti);
  }

  clone(): InterPodAffinityFilter {
    return new InterPodAffinityFilter(this.incoming, this.env, new Map(this.affinity), new Map(this.anti), new Map(this.existingAnti));
  }

  /** Count a pod on a node in (sign 1) or out (-1), as preemption's dry run does. */
  update(p: PodInfo, nodeLabels: Labels, sign: number): void {
    const nsLabels = (ns: string) => this.env.nsLabels(ns);
    const { requiredAffinity, requiredAnti } = this.incoming.terms;
    for (const t of p.terms.requiredAnti) {
      if (Object.hasOwn(nodeLabels, t.topologyKey) && termSelects(t, this.incoming.namespace, this.incoming.labels, nsLabels)) {
        bump(this.existingAnti, pairOf(t.topologyKey, nodeLabels[t.topologyKey] as string), sign);
      }
    }
    if (selectedByAll(requiredAffinity, p.namespace, p.labels, nsLabels)) {
      for (const t of requiredAffinity) {
        if (Object.hasOwn(nodeLabels, t.topologyKey)) bump(this.affinity, pairOf(t.topologyKey, nodeLabels[t.topologyKey] as string), sign);
      }
    }
    for (const t of requiredAnti) {
      if (Object.hasOwn(nodeLabels, t.topologyKey) && termSelects(t, p.namespace, p.labels, nsLabels)) {
        bump(this.anti, pairOf(t.topologyKey, nodeLabels[t.topologyKey] as string), sign);
      }
    }
  }

  filter(node: KubeObject): FilterOutcome | undefined {
    const labels = node.metadata.labels ?? {};
    if (!this.satisfiesAffinity(labels)) return { reason: msgAffinityRules, resolvable: false };
    for (const t of this.incoming.terms.requiredAnti) {
      if (Object.hasOwn(labels, t.topologyKey) && (this.anti.get(pairOf(t.topologyKey, labels[t.topologyKey] as string)) ?? 0) > 0) {
        return { reason: msgAntiAffinityRules, resolvable: true };
      }
    }
    if (this.existingAnti.size > 0) {
      for (const [k, v] of Object.entries(labels)) {
        if ((this.existingAnti.get(pairOf(k, v)) ?? 0) > 0) return { reason: msgExistingAntiAffinity, resolvable: true };
      }
    }
    return undefined;
  }

  private satisfiesAffinity(labels: Labels): boolean {
    const terms = this.incoming.terms.requiredAffinity;
    if (terms.length === 0) return true;
    let podsExist = true;
    for (const t of terms) {
      if (!Object.hasOwn(labels, t.topologyKey)) return false;
      if ((this.affinity.get(pairOf(t.topologyKey, labels[t.topologyKey] as string)) ?? 0) <= 0) podsExist = false;
    }
    if (podsExist) return true;
    // The first of a group of pods with affinity to each other: allowed when no pod matches
    // anywhere yet and the pod matches its own terms (the node having every topology key).
    return this.affinity.size === 0 && selectedByAll(terms, this.incoming.namespace, this.incoming.labels, (ns) => this.env.nsLabels(ns));
  }
}

/**
 * InterPodAffinity's normalised scores (0..100) for the feasible nodes, or undefined when
 * the plugin has nothing to score (no preferred terms on the pod, no pod with affinity bound).
 */
export function interPodAffinityScores(incoming: Incoming, feasible: readonly KubeObject[], env: AffinityEnv): Map<string, number> | undefined {
  const { preferredAffinity, preferredAnti } = incoming.terms;
  const hasPreferred = preferredAffinity.length + preferredAnti.length > 0;
  if (feasible.length === 0 || (!hasPreferred && env.index.withAffinity.size === 0)) return undefined;
  const topo = new Map<string, Map<string, number>>();
  const add = (key: string, labels: Labels, by: number): void => {
    if (!Object.hasOwn(labels, key) || by === 0) return;
    let m = topo.get(key);
    if (!m) topo.set(key, (m = new Map()));
    const v = labels[key] as string;
    m.set(v, (m.get(v) ?? 0) + by);
  };
  const usable = (node: string): Labels | undefined => {
    const l = env.nodeLabels(node);
    return l && Object.keys(l).length > 0 ? l : undefined;
  };
  for (const [terms, sign] of [[preferredAffinity, 1], [preferredAnti, -1]] as const) {
    for (const t of terms) {
      for (const [node, n] of termCounter(env, t).perNode) {
        const labels = usable(node);
        if (labels) add(t.topologyKey, labels, sign * t.weight * n);
      }
    }
  }
  const nsLabels = (ns: string) => env.nsLabels(ns);
  const selects = (t: AffinityTerm) => termSelects(t, incoming.namespace, incoming.labels, nsLabels);
  for (const p of env.index.withAffinity) {
    if (p.key === incoming.key) continue;
    const labels = usable(p.node);
    if (!labels) continue;
    for (const t of p.terms.requiredAffinity) if (selects(t)) add(t.topologyKey, labels, 1);
    for (const t of p.terms.preferredAffinity) if (selects(t)) add(t.topologyKey, labels, t.weight);
    for (const t of p.terms.preferredAnti) if (selects(t)) add(t.topologyKey, labels, -t.weight);
  }
  if (topo.size === 0) return undefined;
  const raw = feasible.map((node) => {
    const labels = node.metadata.labels ?? {};
    let s = 0;
    for (const [key, values] of topo) if (Object.hasOwn(labels, key)) s += values.get(labels[key] as string) ?? 0;
    return [node.metadata.name as string, s] as const;
  });
  const min = Math.min(...raw.map(([, s]) => s));
  const max = Math.max(...raw.map(([, s]) => s));
  const out = new Map<string, number>();
  for (const [name, s] of raw) out.set(name, max - min > 0 ? Math.floor((100 * (s - min)) / (max - min)) : 0);
  return out;
}
