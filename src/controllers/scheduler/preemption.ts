// DefaultPreemption's choices, as kube-scheduler makes them: on a node where
// the pod failed for a reason preemption can resolve, every lower-priority pod
// is a potential victim; if the pod fits with all of them gone, they are
// given back one at a time (those whose PodDisruptionBudget would be violated
// first, then the others, the most important first) while it still fits. Of
// the nodes that work, the one with the fewest budget violations, then the
// lowest highest victim priority, the lowest priority sum, the fewest victims
// and the latest start of its most important victims is chosen.
//
// The scheduler core runs the filters (`fits`) and carries the choice out.

import type { KubeObject } from '../../api/types.ts';
import type { LabelSelector } from '../../api/selectors/labels.ts';
import { Nothing, fromLabelSelector } from '../../api/selectors/labels.ts';
import type { PodCondition } from '../../nodes/api.ts';
import type { PodInfo } from './pod-index.ts';

export const msgNoVictims = 'No preemption victims found for incoming pod';
export const msgNotHelpful = 'Preemption is not helpful for scheduling';
export const msgPolicyNever = 'not eligible due to preemptionPolicy=Never.';
export const msgTerminatingOnNominated = 'not eligible due to a terminating pod on the nominated node.';

/** Why one node was turned down; `resolvable` when preemption could in principle help. */
export interface Rejection { reasons: string[]; resolvable: boolean }

export interface Candidate { node: string; victims: PodInfo[]; pdbViolations: number }

export interface Budget { namespace: string; selector: LabelSelector; allowed: number; disrupted: ReadonlySet<string> }

/** PodDisruptionBudgets as preemption reads them (an empty or invalid selector selects nothing). */
export function budgets(objs: Iterable<KubeObject>): Budget[] {
  const out: Budget[] = [];
  for (const o of objs) {
    const spec = (o.spec ?? {}) as { selector?: unknown };
    const st = (o.status ?? {}) as { disruptionsAllowed?: number; disruptedPods?: Record<string, unknown> };
    let selector: LabelSelector;
    try {
      selector = fromLabelSelector(spec.selector);
    } catch {
      selector = Nothing;
    }
    out.push({ namespace: o.metadata.namespace ?? '', selector, allowed: st.disruptionsAllowed ?? 0, disrupted: new Set(Object.keys(st.disruptedPods ?? {})) });
  }
  return out;
}

/** Sort order of victims: higher priority first, then the one started earlier. */
export function byImportance(a: PodInfo, b: PodInfo): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  const ta = a.startTime || '\uffff';
  const tb = b.startTime || '\uffff';
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}

/** Splits victims (keeping their order) into those whose eviction would exceed a budget and the rest. */
export function splitByBudgets(victims: readonly PodInfo[], pdbs: readonly Budget[]): { violating: PodInfo[]; nonViolating: PodInfo[] } {
  const allowed = pdbs.map((b) => b.allowed);
  const violating: PodInfo[] = [];
  const nonViolating: PodInfo[] = [];
  for (const v of victims) {
    let violates = false;
    if (Object.keys(v.labels).length > 0) {
      pdbs.forEach((b, i) => {
        if (violates || b.namespace !== v.namespace || b.selector.empty || !b.selector.matches(v.labels)) return;
        if (b.disrupted.has(v.name)) return;
        allowed[i] = (allowed[i] as number) - 1;
        if ((allowed[i] as number) < 0) violates = true;
      });
    }
    (violates ? violating : nonViolating).push(v);
  }
  return { violating, nonViolating };
}

/**
 * The fewest victims among `potential` (the node's lower-priority pods) whose removal
 * lets the pod fit, as upstream's SelectVictimsOnNode; `fits` runs the filters with the
 * given pods gone. A rejection when there is no potential victim or nothing helps.
 */
export function selectVictims(potential: readonly PodInfo[], fits: (removed: ReadonlySet<PodInfo>) => Rejection | undefined,
  pdbs: readonly Budget[]): { victims: PodInfo[]; pdbViolations: number } | { rejection: Rejection } {
  if (potential.length === 0) return { rejection: { reasons: [msgNoVictims], resolvable: false } };
  const removed = new Set(potential);
  const r = fits(removed);
  if (r) return { rejection: r };
  const sorted = [...potential].sort(byImportance);
  const { violating, nonViolating } = splitByBudgets(sorted, pdbs);
  const victims: PodInfo[] = [];
  let pdbViolations = 0;
  const reprieve = (v: PodInfo): boolean => {
    removed.delete(v);
    if (fits(removed) === undefined) return true;
    removed.add(v);
    victims.push(v);
    return false;
  };
  for (const v of violating) if (!reprieve(v)) pdbViolations++;
  for (const v of nonViolating) reprieve(v);
  if (violating.length > 0 && nonViolating.length > 0) victims.sort(byImportance);
  return { victims, pdbViolations };
}

/** The candidate upstream's pickOneNodeForPreemption picks. */
export function pickCandidate(cands: readonly Candidate[]): Candidate | undefined {
  let best = [...cands];
  const keepMin = (f: (c: Candidate) => number): void => {
    const min = Math.min(...best.map(f));
    best = best.filter((c) => f(c) === min);
  };
  keepMin((c) => c.pdbViolations);
  keepMin((c) => c.victims[0]?.priority ?? 0);
  // Each priority offset by 2^31 so that negative priorities still add up to more victims costing more.
  keepMin((c) => c.victims.reduce((s, v) => s + v.priority + 2 ** 31, 0));
  keepMin((c) => c.victims.length);
  if (best.length > 1) {
    // The node whose most important victims started last.
    const earliest = (c: Candidate): string => {
      const top = c.victims[0]?.priority;
      let t = '\uffff';
      for (const v of c.victims) if (v.priority === top && (v.startTime || '\uffff') < t) t = v.startTime || '\uffff';
      return t;
    };
    let latest = earliest(best[0] as Candidate);
    for (const c of best) if (earliest(c) > latest) latest = earliest(c);
    best = best.filter((c) => earliest(c) === latest);
  }
  return best[0];
}

/** A pod being deleted because the scheduler preempted it. */
export function terminatingByPreemption(pod: KubeObject): boolean {
  if (!pod.metadata.deletionTimestamp) return false;
  const conds = ((pod.status ?? {}) as { conditions?: PodCondition[] }).conditions ?? [];
  const c = conds.find((x) => x.type === 'DisruptionTarget');
  return c !== undefined && c.status === 'True' && c.reason === 'PreemptionByScheduler';
}
