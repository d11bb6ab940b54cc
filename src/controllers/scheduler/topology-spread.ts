// PodTopologySpread, as kube-scheduler's plugin of that name: the filter for
// `whenUnsatisfiable: DoNotSchedule` constraints (maxSkew against the global
// minimum over the eligible domains, minDomains, nodeAffinityPolicy Honor and
// nodeTaintsPolicy Ignore by default, matchLabelKeys) and the score for
// `ScheduleAnyway` ones, with the cluster's default constraints (hostname
// maxSkew 3, zone maxSkew 5) for a pod that sets none and is selected by a
// Service or owned by a ReplicaSet, StatefulSet or ReplicationController.
//
// Matching pods are counted per node by the pod index's counters (same
// namespace as the pod, terminating pods left out), then summed per domain
// over the nodes the constraint includes, once per scheduling cycle.

import type { KubeObject } from '../../api/types.ts';
import type { LabelSelector, Labels } from '../../api/selectors/labels.ts';
import { Everything, Nothing, fromLabelSelector, selectorFromRequirements, selectorFromSet } from '../../api/selectors/labels.ts';
import type { PodSpec } from '../../nodes/api.ts';
import type { Counter, PodIndex, PodInfo } from './pod-index.ts';
import { withLabelKeys } from './pod-terms.ts';
import { firstUntolerated, matchesNodeSelectorAndAffinity, nodeTaints } from './predicates.ts';

export const msgSpreadConstraints = "node(s) didn't match pod topology spread constraints";
export const msgSpreadMissingLabel = `${msgSpreadConstraints} (missing required label)`;

export const hostnameLabel = 'kubernetes.io/hostname';
export const zoneLabel = 'topology.kubernetes.io/zone';

/** core/v1 TopologySpreadConstraint. */
export interface TopologySpreadConstraintSpec {
  maxSkew?: number;
  topologyKey?: string;
  whenUnsatisfiable?: 'DoNotSchedule' | 'ScheduleAnyway';
  labelSelector?: unknown;
  minDomains?: number;
  nodeAffinityPolicy?: 'Honor' | 'Ignore';
  nodeTaintsPolicy?: 'Honor' | 'Ignore';
  matchLabelKeys?: string[];
}

export interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: LabelSelector;
  minDomains: number;
  honorNodeAffinity: boolean;
  honorTaints: boolean;
}

/** The incoming pod, as the plugin reads it. */
export interface SpreadPod {
  namespace: string;
  labels: Labels;
  spec: PodSpec;
}

export interface SpreadConstraints {
  /** DoNotSchedule constraints (the filter's). */
  hard: Constraint[];
  /** ScheduleAnyway constraints, or the defaults (the score's). */
  soft: Constraint[];
  /** Whether the soft ones are the cluster's defaults (nodes then need not carry every key). */
  defaulted: boolean;
}

function toConstraint(c: TopologySpreadConstraintSpec, labels: Labels): Constraint {
  let selector: LabelSelector;
  try {
    selector = fromLabelSelector(c.labelSelector);
  } catch {
    selector = Nothing;
  }
  return {
    maxSkew: c.maxSkew ?? 1,
    topologyKey: c.topologyKey ?? '',
    selector: withLabelKeys(selector, labels, c.matchLabelKeys),
    minDomains: c.minDomains ?? 1,
    honorNodeAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
    honorTaints: (c.nodeTaintsPolicy ?? 'Ignore') === 'Honor',
  };
}

/** Reads the objects the default constraints' selector is made from. */
export interface SelectorSources {
  /** Services of a namespace. */
  services(ns: string): Iterable<KubeObject>;
  /** A ReplicaSet, StatefulSet or ReplicationController by kind, namespace and name. */
  owner(kind: 'ReplicaSet' | 'StatefulSet' | 'ReplicationController', ns: string, name: string): KubeObject | undefined;
}

/**
 * The selector of the default constraints (upstream's DefaultSelector): the selectors of
 * the Services selecting the pod, and of the ReplicaSet, StatefulSet or
 * ReplicationController controlling it, together.
 */
export function defaultSelector(pod: KubeObject, src: SelectorSources): LabelSelector {
  const ns = pod.metadata.namespace ?? '';
  const labels = pod.metadata.labels ?? {};
  const set: Record<string, string> = {};
  for (const svc of src.services(ns)) {
    const sel = (svc.spec as { selector?: Record<string, string> } | undefined)?.selector;
    if (!sel || Object.keys(sel).length === 0) continue;
    if (Object.entries(sel).every(([k, v]) => labels[k] === v)) Object.assign(set, sel);
  }
  let selector = Object.keys(set).length > 0 ? selectorFromSet(set) : Everything;
  const owner = (pod.metadata.ownerReferences ?? []).find((o) => o.controller);
  if (!owner) return selector;
  const group = owner.apiVersion.includes('/') ? owner.apiVersion.split('/')[0] : '';
  let kind: 'ReplicaSet' | 'StatefulSet' | 'ReplicationController' | undefined;
  if (group === 'apps' && (owner.kind === 'ReplicaSet' || owner.kind === 'StatefulSet')) kind = owner.kind;
  else if (group === '' && owner.kind === 'ReplicationController') kind = 'ReplicationController';
  if (!kind) return selector;
  const obj = src.owner(kind, ns, owner.name);
  if (!obj) return selector;
  const spec = (obj.spec ?? {}) as { selector?: unknown };
  if (kind === 'ReplicationController') {
    const sel = spec.selector as Record<string, string> | undefined;
    return selectorFromSet({ ...set, ...(sel ?? {}) });
  }
  try {
    const other = fromLabelSelector(spec.selector);
    if (other === Nothing) return selector;
    selector = selectorFromRequirements([...selector.requirements, ...other.requirements]);
  } catch {
    // An invalid selector adds nothing.
  }
  return selector;
}

/** The pod's constraints; the defaults only when it sets none and `src` is given. */
export function spreadConstraints(pod: KubeObject, src?: SelectorSources): SpreadConstraints {
  const spec = (pod.spec ?? {}) as { topologySpreadConstraints?: TopologySpreadConstraintSpec[] };
  const labels = pod.metadata.labels ?? {};
  const list = spec.topologySpreadConstraints ?? [];
  if (list.length > 0) {
    return {
      hard: list.filter((c) => c.whenUnsatisfiable === 'DoNotSchedule').map((c) => toConstraint(c, labels)),
      soft: list.filter((c) => c.whenUnsatisfiable === 'ScheduleAnyway').map((c) => toConstraint(c, labels)),
      defaulted: false,
    };
  }
  if (!src) return { hard: [], soft: [], defaulted: false };
  const selector = defaultSelector(pod, src);
  if (selector.empty) return { hard: [], soft: [], defaulted: false };
  const base = { selector, minDomains: 1, honorNodeAffinity: true, honorTaints: false };
  return { hard: [], soft: [{ ...base, maxSkew: 3, topologyKey: hostnameLabel }, { ...base, maxSkew: 5, topologyKey: zoneLabel }], defaulted: true };
}

/** Per-node counts of the pod's namespace's live pods a constraint selects. */
function constraintCounter(index: PodIndex, ns: string, c: Constraint): Counter {
  const sel = c.selector;
  return index.counter(`spread:${ns}:${sel === Nothing ? '' : sel.toString()}`, [ns],
    (p) => !p.terminating && p.namespace === ns && !sel.empty && sel.matches(p.labels));
}

function selects(c: Constraint, ns: string, p: PodInfo): boolean {
  return !p.terminating && p.namespace === ns && !c.selector.empty && c.selector.matches(p.labels);
}

/** Whether the constraint counts pods on this node (nodeAffinityPolicy, nodeTaintsPolicy). */
function includes(c: Constraint, pod: SpreadPod, node: KubeObject): boolean {
  if (c.honorNodeAffinity && !matchesNodeSelectorAndAffinity(pod.spec, node)) return false;
  if (c.honorTaints && firstUntolerated(nodeTaints(node), pod.spec.tolerations, (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')) return false;
  return true;
}

function hasAllKeys(labels: Labels, cs: readonly Constraint[]): boolean {
  return cs.every((c) => Object.hasOwn(labels, c.topologyKey));
}

export interface SpreadOutcome { reason: string; resolvable: boolean }

export class TopologySpreadFilter {
  private readonly pod: SpreadPod;
  private readonly constraints: readonly Constraint[];
  /** Per constraint: matching pods per domain (value of the key) over the eligible nodes. */
  private readonly counts: Map<string, number>[];
  /** Per constraint: the nodes it counts. */
  private readonly eligible: Set<string>[];

  private constructor(pod: SpreadPod, constraints: readonly Constraint[], counts: Map<string, number>[], eligible: Set<string>[]) {
    this.pod = pod;
    this.constraints = constraints;
    this.counts = counts;
    this.eligible = eligible;
  }

  /** The filter's state for this cycle over all nodes, or undefined without DoNotSchedule constraints. */
  static prepare(pod: SpreadPod, hard: readonly Constraint[], nodes: readonly KubeObject[], index: PodIndex): TopologySpreadFilter | undefined {
    if (hard.length === 0) return undefined;
    const counts = hard.map(() => new Map<string, number>());
    const eligible = hard.map(() => new Set<string>());
    const counters = hard.map((c) => constraintCounter(index, pod.namespace, c));
    for (const node of nodes) {
      const labels = node.metadata.labels ?? {};
      if (!hasAllKeys(labels, hard)) continue;
      const name = node.metadata.name as string;
      hard.forEach((c, i) => {
        if (!includes(c, pod, node)) return;
        (eligible[i] as Set<string>).add(name);
        const m = counts[i] as Map<string, number>;
        const v = labels[c.topologyKey] as string;
        m.set(v, (m.get(v) ?? 0) + ((counters[i] as Counter).perNode.get(name) ?? 0));
      });
    }
    return new TopologySpreadFilter(pod, hard, counts, eligible);
  }

  clone(): TopologySpreadFilter {
    return new TopologySpreadFilter(this.pod, this.constraints, this.counts.map((m) => new Map(m)), this.eligible);
  }

  /** Count a pod on a node in (sign 1) or out (-1), as preemption's dry run does. */
  update(p: PodInfo, node: KubeObject, sign: number): void {
    const name = node.metadata.name as string;
    const labels = node.metadata.labels ?? {};
    this.constraints.forEach((c, i) => {
      if (!(this.eligible[i] as Set<string>).has(name) || !selects(c, this.pod.namespace, p)) return;
      const m = this.counts[i] as Map<string, number>;
      const v = labels[c.topologyKey] as string;
      m.set(v, (m.get(v) ?? 0) + sign);
    });
  }

  filter(node: KubeObject): SpreadOutcome | undefined {
    const labels = node.metadata.labels ?? {};
    for (let i = 0; i < this.constraints.length; i++) {
      const c = this.constraints[i] as Constraint;
      if (!Object.hasOwn(labels, c.topologyKey)) return { reason: msgSpreadMissingLabel, resolvable: false };
      const m = this.counts[i] as Map<string, number>;
      let min = m.size < c.minDomains ? 0 : Infinity;
      if (min !== 0) for (const n of m.values()) if (n < min) min = n;
      const self = !c.selector.empty && c.selector.matches(this.pod.labels) ? 1 : 0;
      const skew = (m.get(labels[c.topologyKey] as string) ?? 0) + self - min;
      if (skew > c.maxSkew) return { reason: msgSpreadConstraints, resolvable: true };
    }
    return undefined;
  }
}

/**
 * PodTopologySpread's normalised scores (0..100) for the feasible nodes, or undefined when
 * the pod has no soft (or default) constraints.
 */
export function topologySpreadScores(pod: SpreadPod, cs: SpreadConstraints, feasible: readonly KubeObject[],
  all: readonly KubeObject[], index: PodIndex): Map<string, number> | undefined {
  const soft = cs.soft;
  if (soft.length === 0 || feasible.length === 0) return undefined;
  const requireAll = !cs.defaulted;
  const ignored = new Set<string>();
  const pairs = new Map<string, number>();
  const pairOf = (key: string, labels: Labels) => `${key}\0${labels[key] ?? ''}`;
  const sizes = soft.map(() => 0);
  for (const node of feasible) {
    const labels = node.metadata.labels ?? {};
    if (requireAll && !hasAllKeys(labels, soft)) { ignored.add(node.metadata.name as string); continue; }
    soft.forEach((c, i) => {
      if (c.topologyKey === hostnameLabel) return;
      const p = pairOf(c.topologyKey, labels);
      if (!pairs.has(p)) { pairs.set(p, 0); sizes[i] = (sizes[i] as number) + 1; }
    });
  }
  const weights = soft.map((c, i) => Math.log((c.topologyKey === hostnameLabel ? feasible.length - ignored.size : sizes[i] as number) + 2));
  const counters = soft.map((c) => constraintCounter(index, pod.namespace, c));
  for (const node of all) {
    const labels = node.metadata.labels ?? {};
    if (requireAll && !hasAllKeys(labels, soft)) continue;
    const name = node.metadata.name as string;
    soft.forEach((c, i) => {
      if (c.topologyKey === hostnameLabel || !includes(c, pod, node)) return;
      const p = pairOf(c.topologyKey, labels);
      const have = pairs.get(p);
      if (have === undefined) return;
      pairs.set(p, have + ((counters[i] as Counter).perNode.get(name) ?? 0));
    });
  }
  const raw = new Map<string, number>();
  for (const node of feasible) {
    const name = node.metadata.name as string;
    if (ignored.has(name)) continue;
    const labels = node.metadata.labels ?? {};
    let s = 0;
    soft.forEach((c, i) => {
      if (!Object.hasOwn(labels, c.topologyKey)) return;
      const cnt = c.topologyKey === hostnameLabel ? ((counters[i] as Counter).perNode.get(name) ?? 0) : (pairs.get(pairOf(c.topologyKey, labels)) ?? 0);
      s += cnt * (weights[i] as number) + (c.maxSkew - 1);
    });
    raw.set(name, Math.round(s));
  }
  let min = Infinity;
  let max = 0;
  for (const s of raw.values()) { if (s < min) min = s; if (s > max) max = s; }
  const out = new Map<string, number>();
  for (const node of feasible) {
    const name = node.metadata.name as string;
    const s = raw.get(name);
    if (s === undefined) out.set(name, 0);
    else out.set(name, max === 0 ? 100 : Math.trunc((100 * (max + min - s)) / max));
  }
  return out;
}
