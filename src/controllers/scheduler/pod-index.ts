// The bound pods the scheduler knows, by node, with what the inter-pod
// affinity, topology spread and preemption plugins read of each (labels,
// priority, parsed affinity terms), and counters of the pods matching a given
// predicate per node. A counter is built from all pods the first time it is
// asked for and then kept up to date as pods come, change and go, so a
// scheduling cycle reads per-node counts without looking at every pod.

import type { KubeObject } from '../../api/types.ts';
import type { Labels } from '../../api/selectors/labels.ts';
import type { PodTerms } from './pod-terms.ts';
import { hasAnyTerms } from './pod-terms.ts';

export interface PodInfo {
  key: string;
  namespace: string;
  name: string;
  uid: string | undefined;
  labels: Labels;
  /** The node the pod is bound (or assumed) to. */
  node: string;
  priority: number;
  terminating: boolean;
  /** status.startTime (or the creation time), for preemption's ordering. */
  startTime: string;
  terms: PodTerms;
  pod: KubeObject;
}

/** Counts per node of the indexed pods a predicate accepts. */
export interface Counter {
  readonly perNode: ReadonlyMap<string, number>;
}

interface CounterEntry extends Counter {
  perNode: Map<string, number>;
  namespaces: readonly string[] | undefined;
  match(p: PodInfo): boolean;
}

/** Counters kept at most (the least recently used go first; they are rebuilt when asked for again). */
const maxCounters = 1024;

export class PodIndex {
  readonly byKey = new Map<string, PodInfo>();
  readonly byNode = new Map<string, Map<string, PodInfo>>();
  /** Pods with any pod (anti-)affinity term. */
  readonly withAffinity = new Set<PodInfo>();
  /** Pods with required anti-affinity terms. */
  readonly withRequiredAnti = new Set<PodInfo>();
  private readonly counters = new Map<string, CounterEntry>();
  private readonly countersByNs = new Map<string, Set<CounterEntry>>();
  private readonly countersAnyNs = new Set<CounterEntry>();

  get(key: string): PodInfo | undefined {
    return this.byKey.get(key);
  }

  podsOn(node: string): Iterable<PodInfo> {
    return this.byNode.get(node)?.values() ?? [];
  }

  /** Put (or replace, or with undefined remove) a pod. */
  set(key: string, info: PodInfo | undefined): void {
    const old = this.byKey.get(key);
    if (old) {
      this.byKey.delete(key);
      const m = this.byNode.get(old.node);
      m?.delete(key);
      if (m && m.size === 0) this.byNode.delete(old.node);
      this.withAffinity.delete(old);
      this.withRequiredAnti.delete(old);
      this.count(old, -1);
    }
    if (!info) return;
    this.byKey.set(key, info);
    let m = this.byNode.get(info.node);
    if (!m) this.byNode.set(info.node, (m = new Map()));
    m.set(key, info);
    if (hasAnyTerms(info.terms)) this.withAffinity.add(info);
    if (info.terms.requiredAnti.length > 0) this.withRequiredAnti.add(info);
    this.count(info, 1);
  }

  private count(p: PodInfo, sign: number): void {
    const apply = (c: CounterEntry): void => {
      if (!c.match(p)) return;
      const n = (c.perNode.get(p.node) ?? 0) + sign;
      if (n === 0) c.perNode.delete(p.node); else c.perNode.set(p.node, n);
    };
    const byNs = this.countersByNs.get(p.namespace);
    if (byNs) for (const c of byNs) apply(c);
    for (const c of this.countersAnyNs) apply(c);
  }

  /**
   * The counter named `id` of the pods (in `namespaces`, or in any namespace when undefined)
   * that `match` accepts. The same id must always mean the same predicate.
   */
  counter(id: string, namespaces: readonly string[] | undefined, match: (p: PodInfo) => boolean): Counter {
    const have = this.counters.get(id);
    if (have) {
      this.counters.delete(id);
      this.counters.set(id, have);
      return have;
    }
    const c: CounterEntry = { perNode: new Map(), namespaces, match };
    const nsSet = namespaces ? new Set(namespaces) : undefined;
    for (const p of this.byKey.values()) {
      if (nsSet && !nsSet.has(p.namespace)) continue;
      if (match(p)) c.perNode.set(p.node, (c.perNode.get(p.node) ?? 0) + 1);
    }
    this.counters.set(id, c);
    if (namespaces) {
      for (const ns of namespaces) {
        let s = this.countersByNs.get(ns);
        if (!s) this.countersByNs.set(ns, (s = new Set()));
        s.add(c);
      }
    } else {
      this.countersAnyNs.add(c);
    }
    while (this.counters.size > maxCounters) {
      const [oldId, oldest] = this.counters.entries().next().value as [string, CounterEntry];
      this.forget(oldId, oldest);
    }
    return c;
  }

  private forget(id: string, c: CounterEntry): void {
    this.counters.delete(id);
    if (c.namespaces) {
      for (const ns of c.namespaces) {
        const s = this.countersByNs.get(ns);
        s?.delete(c);
        if (s && s.size === 0) this.countersByNs.delete(ns);
      }
    } else {
      this.countersAnyNs.delete(c);
    }
  }

  /** Drop the counters over any namespace (their predicates read namespace labels, which changed). */
  forgetAnyNamespaceCounters(): void {
    for (const [id, c] of [...this.counters]) if (!c.namespaces) this.forget(id, c);
  }
}
