// Matching pods to nodes: taints against tolerations, node selectors and node
// affinity terms. Shared by the scheduler and the node lifecycle controller
// (NoExecute taint eviction).

import type { KubeObject } from '../../api/types.ts';
import type { NodeSelectorRequirement, NodeSelectorTerm, PodSpec, Taint, Toleration } from '../../nodes/api.ts';
import { nodeSpec } from '../../nodes/api.ts';

/** Whether one toleration tolerates one taint (empty effect and empty key with Exists match everything). */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  const op = t.operator || 'Equal';
  if (op === 'Exists') return !t.key || t.key === taint.key;
  if (op !== 'Equal') return false;
  return (t.key ?? '') === taint.key && (t.value ?? '') === (taint.value ?? '');
}

export function toleratedBy(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => tolerates(t, taint));
}

/** The first taint passing `filter` that no toleration tolerates. */
export function firstUntolerated(taints: readonly Taint[] | undefined, tolerations: readonly Toleration[] | undefined,
  filter: (t: Taint) => boolean): Taint | undefined {
  for (const taint of taints ?? []) {
    if (filter(taint) && !toleratedBy(tolerations, taint)) return taint;
  }
  return undefined;
}

export function nodeTaints(node: KubeObject): Taint[] {
  return nodeSpec(node).taints ?? [];
}

function parseIntLabel(s: string | undefined): number | undefined {
  if (s === undefined || !/^-?\d+$/.test(s)) return undefined;
  return Number(s);
}

function requirementMatches(req: NodeSelectorRequirement, value: string | undefined, present: boolean): boolean {
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In': return present && values.includes(value as string);
    case 'NotIn': return !present || !values.includes(value as string);
    case 'Exists': return present;
    case 'DoesNotExist': return !present;
    case 'Gt':
    case 'Lt': {
      const have = parseIntLabel(present ? value : undefined);
      const want = parseIntLabel(values[0]);
      if (have === undefined || want === undefined || values.length !== 1) return false;
      return req.operator === 'Gt' ? have > want : have < want;
    }
    default: return false;
  }
}

/** One node selector term: every expression on labels and every field requirement hold; an empty term matches nothing. */
export function termMatches(term: NodeSelectorTerm, node: KubeObject): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  for (const e of exprs) {
    if (!requirementMatches(e, labels[e.key], Object.hasOwn(labels, e.key))) return false;
  }
  for (const f of fields) {
    if (f.key !== 'metadata.name') return false;
    if (f.operator !== 'In' && f.operator !== 'NotIn') return false;
    if (!requirementMatches(f, node.metadata.name, true)) return false;
  }
  return true;
}

/** nodeSelector and required node affinity (terms are ORed). */
export function matchesNodeSelectorAndAffinity(spec: PodSpec, node: KubeObject): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) {
    if (labels[k] !== v) return false;
  }
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) {
    const terms = required.nodeSelectorTerms ?? [];
    if (!terms.some((t) => termMatches(t, node))) return false;
  }
  return true;
}

/** Sum of the weights of the preferred node affinity terms the node matches. */
export function preferredAffinityScore(spec: PodSpec, node: KubeObject): number {
  let sum = 0;
  for (const p of spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
    if (p.weight && termMatches(p.preference, node)) sum += p.weight;
  }
  return sum;
}
