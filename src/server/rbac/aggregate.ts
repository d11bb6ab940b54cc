// ClusterRole aggregation: the rules of a ClusterRole with an aggregationRule
// are the rules of every other ClusterRole its selectors match (selector by
// selector, matches by name, each distinct rule once), as upstream's
// clusterrole-aggregation controller computes them.

import type { KubeObject } from '../../api/types.ts';
import { fromLabelSelector } from '../../api/selectors/labels.ts';
import { asRule, type PolicyRule } from './rules.ts';

export function aggregationSelectors(role: KubeObject): unknown[] | undefined {
  const ar = (role as { aggregationRule?: { clusterRoleSelectors?: unknown } }).aggregationRule;
  if (!ar || typeof ar !== 'object') return undefined;
  return Array.isArray(ar.clusterRoleSelectors) ? ar.clusterRoleSelectors : [];
}

/** A rule in a canonical form: empty lists and missing lists are the same (as upstream's semantic equality). */
function canonical(r: PolicyRule): string {
  const parts = [r.verbs, r.apiGroups ?? [], r.resources ?? [], r.resourceNames ?? [], r.nonResourceURLs ?? []];
  return JSON.stringify(parts);
}

export function sameRules(a: readonly PolicyRule[], b: readonly PolicyRule[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (canonical(a[i]) !== canonical(b[i])) return false;
  return true;
}

/**
 * The rules `role` aggregates from `clusterRoles` (all of the cluster's ClusterRoles),
 * or undefined when it has no aggregationRule. Throws on a selector that cannot be parsed.
 */
export function aggregatedRules(role: KubeObject, clusterRoles: readonly KubeObject[]): PolicyRule[] | undefined {
  const selectors = aggregationSelectors(role);
  if (!selectors) return undefined;
  const out: PolicyRule[] = [];
  const seen = new Set<string>();
  const byName = [...clusterRoles].sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  for (const s of selectors) {
    const sel = fromLabelSelector(s);
    for (const cr of byName) {
      if (cr.metadata.name === role.metadata.name || !sel.matches(cr.metadata.labels)) continue;
      const rules = (cr as { rules?: unknown }).rules;
      if (!Array.isArray(rules)) continue;
      for (const raw of rules) {
        const r = asRule(raw);
        if (!r) continue;
        const k = canonical(r);
        if (seen.has(k)) continue;
        seen.add(k);
        out.push(r);
      }
    }
  }
  return out;
}
