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
  const known = canonicalOf.get(r);
  if (known !== undefined) return known;
  const parts = [r.verbs, r.apiGroups ?? [], r.resources ?? [], r.resourceNames ?? [], r.nonResourceURLs ?? []];
  const key = JSON.stringify(parts);
  if (Object.isFrozen(r)) canonicalOf.set(r, key);
  return key;
}

// The bootstrap policy's rule lists are frozen and shared by every cluster (the watch
// cache interns them): each is normalized once, not once per cluster and reconcile.
const canonicalOf = new WeakMap<PolicyRule, string>();
const normalized = new WeakMap<readonly unknown[], readonly PolicyRule[]>();

/** A stored rules list as PolicyRules (frozen, and remembered, for a frozen list). */
export function storedRules(raw: unknown): readonly PolicyRule[] {
  if (!Array.isArray(raw)) return [];
  const known = normalized.get(raw);
  if (known) return known;
  const out: PolicyRule[] = [];
  for (const x of raw) {
    const r = asRule(x);
    if (r) out.push(r);
  }
  if (Object.isFrozen(raw)) {
    for (const r of out) {
      for (const v of Object.values(r)) Object.freeze(v);
      Object.freeze(r);
    }
    normalized.set(raw, Object.freeze(out));
  }
  return out;
}

export function sameRules(a: readonly PolicyRule[], b: readonly PolicyRule[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && canonical(a[i]) !== canonical(b[i])) return false;
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
      for (const r of storedRules((cr as { rules?: unknown }).rules)) {
        const k = canonical(r);
        if (seen.has(k)) continue;
        seen.add(k);
        out.push(r);
      }
    }
  }
  return out;
}
