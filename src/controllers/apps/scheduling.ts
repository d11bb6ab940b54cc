// Where a DaemonSet's pod may run: a pod's required node affinity (nodeSelector
// plus requiredDuringSchedulingIgnoredDuringExecution, with matchFields on
// metadata.name) against a node, and taints against tolerations, as the
// scheduling helpers the DaemonSet controller shares with the scheduler
// evaluate them.

import type { KubeObject } from '../../api/types.ts';
import { isObj } from './util.ts';
import type { Obj, PodSpec, Taint, Toleration } from './util.ts';

export const nodeNameField = 'metadata.name';

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** One parsed requirement: a predicate over a key-value map, or undefined when malformed. */
function labelRequirement(req: unknown): ((set: Record<string, string>) => boolean) | undefined {
  if (!isObj(req) || typeof req.key !== 'string' || req.key === '') return undefined;
  const key = req.key;
  const vals = strings(req.values);
  switch (req.operator) {
    case 'In':
      if (vals.length === 0) return undefined;
      return (set) => Object.hasOwn(set, key) && vals.includes(set[key] as string);
    case 'NotIn':
      if (vals.length === 0) return undefined;
      return (set) => !Object.hasOwn(set, key) || !vals.includes(set[key] as string);
    case 'Exists':
      if (vals.length > 0) return undefined;
      return (set) => Object.hasOwn(set, key);
    case 'DoesNotExist':
      if (vals.length > 0) return undefined;
      return (set) => !Object.hasOwn(set, key);
    case 'Gt': case 'Lt': {
      if (vals.length !== 1 || !/^-?\d+$/.test(vals[0] as string)) return undefined;
      const bound = Number(vals[0]);
      const gt = req.operator === 'Gt';
      return (set) => {
        if (!Object.hasOwn(set, key)) return false;
        const v = set[key] as string;
        if (!/^-?\d+$/.test(v)) return false;
        return gt ? Number(v) > bound : Number(v) < bound;
      };
    }
    default:
      return undefined;
  }
}

function fieldRequirement(req: unknown): ((fields: Record<string, string>) => boolean) | undefined {
  if (!isObj(req) || req.key !== nodeNameField) return undefined;
  const vals = strings(req.values);
  if (vals.length !== 1) return undefined;
  const want = vals[0] as string;
  if (req.operator === 'In') return (f) => f[nodeNameField] === want;
  if (req.operator === 'NotIn') return (f) => f[nodeNameField] !== want;
  return undefined;
}

type TermMatch = (labels: Record<string, string>, fields: Record<string, string>) => boolean;

/** A node selector term; empty terms select nothing and malformed ones are skipped (undefined). */
function parseTerm(term: unknown): TermMatch | undefined {
  if (!isObj(term)) return undefined;
  const exprs = Array.isArray(term.matchExpressions) ? term.matchExpressions : [];
  const fields = Array.isArray(term.matchFields) ? term.matchFields : [];
  if (exprs.length === 0 && fields.length === 0) return undefined;
  const lreqs = exprs.map(labelRequirement);
  const freqs = fields.map(fieldRequirement);
  if (lreqs.some((r) => !r) || freqs.some((r) => !r)) return undefined;
  return (labels, f) => lreqs.every((r) => r?.(labels)) && freqs.every((r) => r?.(f));
}

/** Whether a node fits a pod's nodeSelector and required node affinity. */
export function fitsNodeAffinity(spec: PodSpec, node: KubeObject): boolean {
  const labels = node.metadata.labels ?? {};
  const sel = spec.nodeSelector;
  if (isObj(sel)) {
    for (const [k, v] of Object.entries(sel)) if (labels[k] !== v) return false;
  }
  const na = isObj(spec.affinity) && isObj(spec.affinity.nodeAffinity) ? spec.affinity.nodeAffinity : undefined;
  const req = na && isObj(na.requiredDuringSchedulingIgnoredDuringExecution) ? na.requiredDuringSchedulingIgnoredDuringExecution : undefined;
  if (!req) return true;
  const fields = { [nodeNameField]: node.metadata.name as string };
  const terms = Array.isArray(req.nodeSelectorTerms) ? req.nodeSelectorTerms : [];
  for (const t of terms) {
    const m = parseTerm(t);
    if (m && m(labels, fields)) return true;
  }
  return false;
}

export function nodeTaints(node: KubeObject): Taint[] {
  const spec = isObj(node.spec) ? node.spec : {};
  return Array.isArray(spec.taints) ? spec.taints.filter(isObj).map((t) => t as unknown as Taint) : [];
}

/** Toleration.ToleratesTaint. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? '') {
    case '': case 'Equal': return (t.value ?? '') === (taint.value ?? '');
    case 'Exists': return true;
    default: return false;
  }
}

/** The first taint passing `filter` that no toleration tolerates. */
export function untoleratedTaint(taints: Taint[], tolerations: Toleration[], filter: (t: Taint) => boolean): Taint | undefined {
  for (const taint of taints) {
    if (!filter(taint)) continue;
    if (!tolerations.some((t) => toleratesTaint(t, taint))) return taint;
  }
  return undefined;
}

function sameToleration(a: Toleration, b: Toleration): boolean {
  return (a.key ?? '') === (b.key ?? '') && (a.effect ?? '') === (b.effect ?? '') &&
    (a.operator ?? '') === (b.operator ?? '') && (a.value ?? '') === (b.value ?? '');
}

/** v1helper.AddOrUpdateTolerationInPodSpec: replace an equal toleration (ignoring tolerationSeconds) or append. */
export function addOrUpdateToleration(spec: PodSpec, tol: Toleration): void {
  const list = Array.isArray(spec.tolerations) ? spec.tolerations : [];
  let updated = false;
  const out: Toleration[] = [];
  for (const t of list) {
    if (isObj(t) && sameToleration(tol, t)) {
      if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) return;
      out.push({ ...tol });
      updated = true;
      continue;
    }
    out.push(t);
  }
  if (!updated) out.push({ ...tol });
  spec.tolerations = out;
}

/** The tolerations every DaemonSet pod gets, so node problems neither evict nor block it. */
export function addDaemonPodTolerations(spec: PodSpec): void {
  const exists = (key: string, effect: string): Toleration => ({ key, operator: 'Exists', effect });
  addOrUpdateToleration(spec, exists('node.kubernetes.io/not-ready', 'NoExecute'));
  addOrUpdateToleration(spec, exists('node.kubernetes.io/unreachable', 'NoExecute'));
  addOrUpdateToleration(spec, exists('node.kubernetes.io/disk-pressure', 'NoSchedule'));
  addOrUpdateToleration(spec, exists('node.kubernetes.io/memory-pressure', 'NoSchedule'));
  addOrUpdateToleration(spec, exists('node.kubernetes.io/pid-pressure', 'NoSchedule'));
  addOrUpdateToleration(spec, exists('node.kubernetes.io/unschedulable', 'NoSchedule'));
  if (spec.hostNetwork === true) addOrUpdateToleration(spec, exists('node.kubernetes.io/network-unavailable', 'NoSchedule'));
}

/**
 * Bind a pod to one node the way the DaemonSet controller does: its required
 * node affinity becomes the single term `metadata.name In [node]` (other
 * affinity, and the preferred terms, stay as they are).
 */
export function replaceNodeNameAffinity(affinity: Obj | undefined, nodeName: string): Obj {
  const term = { matchFields: [{ key: nodeNameField, operator: 'In', values: [nodeName] }] };
  const aff: Obj = isObj(affinity) ? affinity : {};
  const na: Obj = isObj(aff.nodeAffinity) ? aff.nodeAffinity : {};
  const req: Obj = isObj(na.requiredDuringSchedulingIgnoredDuringExecution) ? na.requiredDuringSchedulingIgnoredDuringExecution : {};
  req.nodeSelectorTerms = [term];
  na.requiredDuringSchedulingIgnoredDuringExecution = req;
  aff.nodeAffinity = na;
  return aff;
}

/**
 * util.GetTargetNodeName: the pod's node, or for a pod not yet bound the node
 * its affinity names with `metadata.name In [one value]`.
 */
export function targetNodeName(spec: PodSpec | undefined): string | undefined {
  if (!spec) return undefined;
  if (spec.nodeName) return spec.nodeName;
  const na = isObj(spec.affinity) && isObj(spec.affinity.nodeAffinity) ? spec.affinity.nodeAffinity : undefined;
  const req = na && isObj(na.requiredDuringSchedulingIgnoredDuringExecution) ? na.requiredDuringSchedulingIgnoredDuringExecution : undefined;
  const terms = req && Array.isArray(req.nodeSelectorTerms) ? req.nodeSelectorTerms : [];
  for (const t of terms) {
    if (!isObj(t) || !Array.isArray(t.matchFields)) continue;
    for (const f of t.matchFields) {
      if (isObj(f) && f.key === nodeNameField && f.operator === 'In') {
        const vals = strings(f.values);
        return vals.length === 1 ? vals[0] : undefined;
      }
    }
  }
  return undefined;
}
