// Condition lists as upstream's helpers keep them: metav1.Condition
// (meta.SetStatusCondition) for PodDisruptionBudgets, PodCondition
// (podutil.UpdatePodCondition) for pods.

import { isObj } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { nowTimestamp } from '../../registry/generic/metadata.ts';

export interface Condition {
  type: string;
  status: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
  reason: string;
  message: string;
}

export function findCondition(conds: unknown, type: string): Obj | undefined {
  if (!Array.isArray(conds)) return undefined;
  return conds.find((c): c is Obj => isObj(c) && c.type === type);
}

/**
 * Set a metav1.Condition in `conds` (mutated): a new type is added, a changed
 * status moves lastTransitionTime to now, reason, message and
 * observedGeneration are taken over. Returns whether anything changed.
 */
export function setStatusCondition(conds: Obj[], c: Condition, now: Date): boolean {
  const cur = conds.find((x) => x.type === c.type);
  if (!cur) {
    const add: Obj = { type: c.type, status: c.status };
    if (c.observedGeneration) add.observedGeneration = c.observedGeneration;
    add.lastTransitionTime = c.lastTransitionTime ?? nowTimestamp(now);
    add.reason = c.reason;
    add.message = c.message;
    conds.push(add);
    return true;
  }
  let changed = false;
  if (cur.status !== c.status) {
    cur.status = c.status;
    cur.lastTransitionTime = c.lastTransitionTime ?? nowTimestamp(now);
    changed = true;
  }
  if (cur.reason !== c.reason) { cur.reason = c.reason; changed = true; }
  if (cur.message !== c.message) { cur.message = c.message; changed = true; }
  const gen = c.observedGeneration ?? 0;
  if ((typeof cur.observedGeneration === 'number' ? cur.observedGeneration : 0) !== gen) {
    if (gen) cur.observedGeneration = gen; else delete cur.observedGeneration;
    changed = true;
  }
  return changed;
}

/**
 * Set a pod condition in `conds` (mutated) the way the kubelet and API server
 * do: the condition replaces the old one of its type, keeping the old
 * lastTransitionTime when the status did not change. Returns whether it changed.
 */
export function updatePodCondition(conds: Obj[], c: { type: string; status: string; reason?: string; message?: string }, now: Date): boolean {
  const next: Obj = { type: c.type, status: c.status, lastProbeTime: null, lastTransitionTime: nowTimestamp(now) };
  if (c.reason) next.reason = c.reason;
  if (c.message) next.message = c.message;
  const i = conds.findIndex((x) => x.type === c.type);
  if (i < 0) { conds.push(next); return true; }
  const old = conds[i] as Obj;
  if (old.status === c.status) next.lastTransitionTime = old.lastTransitionTime ?? null;
  const same = old.status === next.status && (old.reason ?? '') === (next.reason ?? '') && (old.message ?? '') === (next.message ?? '') &&
    (old.lastProbeTime ?? null) === null && (old.lastTransitionTime ?? null) === next.lastTransitionTime;
  conds[i] = next;
  return !same;
}
