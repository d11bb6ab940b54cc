// RBAC policy rules: does a rule allow a request, does a set of rules cover
// another (escalation checks, reconciliation), and how upstream prints rules in
// its escalation errors. Semantics follow rbac.authorization.k8s.io/v1.

import type { ResourceAttributes } from '../../registry/types.ts';
import { goQuote } from '../../api/decode/go-text.ts';

export { goQuote };

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export const rbacGroup = 'rbac.authorization.k8s.io';

const all = '*';

function has(set: readonly string[] | undefined, v: string): boolean {
  return set !== undefined && set.includes(v);
}

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  for (const v of rule.verbs ?? []) if (v === all || v === verb) return true;
  return false;
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  for (const g of rule.apiGroups ?? []) if (g === all || g === group) return true;
  return false;
}

/** `combined` is "resource" or "resource/subresource"; a rule's "*\/sub" matches any resource's sub. */
export function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  for (const r of rule.resources ?? []) {
    if (r === all || r === combined) return true;
    if (subresource && r.length === subresource.length + 2 && r.startsWith('*/') && r.endsWith(subresource)) return true;
  }
  return false;
}

export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames;
  if (!names || names.length === 0) return true;
  return names.includes(name);
}

/** A rule URL ending in "*" matches every path it prefixes (the "*" stripped). */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === all || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.replace(/\*+$/, ''))) return true;
  }
  return false;
}

/** Whether the rule allows the request (a resource request unless `path` is set). */
export function ruleAllows(attrs: ResourceAttributes, rule: PolicyRule): boolean {
  if (attrs.path === undefined) {
    const sub = attrs.subresource ?? '';
    const res = attrs.resource ?? '';
    const combined = sub ? `${res}/${sub}` : res;
    return verbMatches(rule, attrs.verb) && apiGroupMatches(rule, attrs.group ?? '') &&
      resourceMatches(rule, combined, sub) && resourceNameMatches(rule, attrs.name ?? '');
  }
  return verbMatches(rule, attrs.verb) && nonResourceURLMatches(rule, attrs.path);
}

export function rulesAllow(attrs: ResourceAttributes, rules: readonly PolicyRule[]): boolean {
  for (const r of rules) if (ruleAllows(attrs, r)) return true;
  return false;
}

// ---- coverage -------------------------------------------------------------

/** Split a rule into rules of one group, resource, verb and name each (URLs: one URL and verb). */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  const names = rule.resourceNames ?? [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs ?? []) {
        if (names.length > 0) {
          for (const name of names) out.push({ verbs: [verb], apiGroups: [group], resources: [resource], resourceNames: [name] });
        } else {
          out.push({ verbs: [verb], apiGroups: [group], resources: [resource] });
        }
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? []) {
    for (const verb of rule.verbs ?? []) out.push({ verbs: [verb], nonResourceURLs: [url] });
  }
  return out;
}

function hasAll(set: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  if (!wanted || wanted.length === 0) return true;
  if (!set) return false;
  for (const w of wanted) if (!set.includes(w)) return false;
  return true;
}

function resourcesCover(owner: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  if (has(owner, all) || hasAll(owner, wanted)) return true;
  for (const path of wanted ?? []) {
    if (has(owner, path)) continue;
    const slash = path.indexOf('/');
    if (slash < 0) return false;
    if (!has(owner, `*/${path.slice(slash + 1)}`)) return false;
  }
  return true;
}

function urlCovers(owner: string, path: string): boolean {
  return owner === path || (owner.endsWith('*') && path.startsWith(owner.replace(/\*+$/, '')));
}

function urlsCover(owner: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  for (const p of wanted ?? []) {
    if (!(owner ?? []).some((o) => urlCovers(o, p))) return false;
  }
  return true;
}

/** Whether `owner` (any rule) covers `sub` (a rule from breakdownRule). */
export function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = has(owner.verbs, all) || hasAll(owner.verbs, sub.verbs);
  const groups = has(owner.apiGroups, all) || hasAll(owner.apiGroups, sub.apiGroups);
  const resources = resourcesCover(owner.resources, sub.resources);
  const urls = urlsCover(owner.nonResourceURLs, sub.nonResourceURLs);
  const ownerNames = owner.resourceNames ?? [];
  const subNames = sub.resourceNames ?? [];
  const names = subNames.length === 0 ? ownerNames.length === 0 : ownerNames.length === 0 || hasAll(ownerNames, subNames);
  return verbs && groups && resources && names && urls;
}

/** Whether `owner` covers every permission of `servant`, and the broken-down rules it does not. */
export function covers(owner: readonly PolicyRule[], servant: readonly PolicyRule[]): { covered: boolean; missing: PolicyRule[] } {
  const missing: PolicyRule[] = [];
  for (const r of servant) {
    for (const sub of breakdownRule(r)) {
      if (!owner.some((o) => ruleCovers(o, sub))) missing.push(sub);
    }
  }
  return { covered: missing.length === 0, missing };
}

/** Merge rules of one group and resource that differ only in their verbs (as upstream does for messages). */
export function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const r of rules) {
    const isSimple = !(r.resourceNames?.length) && !(r.nonResourceURLs?.length) &&
      r.apiGroups?.length === 1 && r.resources?.length === 1;
    if (!isSimple) { out.push(r); continue; }
    const key = `${(r.apiGroups as string[])[0]}\x00${(r.resources as string[])[0]}`;
    const prev = simple.get(key);
    if (prev) prev.verbs = [...prev.verbs, ...(r.verbs ?? [])];
    else simple.set(key, { verbs: [...(r.verbs ?? [])], apiGroups: [...(r.apiGroups as string[])], resources: [...(r.resources as string[])] });
  }
  return [...out, ...simple.values()];
}


/** A string slice as Go's %q prints it: ["a" "b"]. */
export function goQuoteList(list: readonly string[]): string {
  return `[${list.map(goQuote).join(' ')}]`;
}

/** A rule as upstream's escalation messages print it: {APIGroups:[""], Resources:["pods"], Verbs:["get"]}. */
export function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:${goQuoteList(r.apiGroups)}`);
  if (r.resources?.length) parts.push(`Resources:${goQuoteList(r.resources)}`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:${goQuoteList(r.nonResourceURLs)}`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:${goQuoteList(r.resourceNames)}`);
  if (r.verbs?.length) parts.push(`Verbs:${goQuoteList(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}

/** Normalize a stored rule (unknown JSON) to a PolicyRule; undefined when it is not an object. */
export function asRule(v: unknown): PolicyRule | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const strs = (x: unknown): string[] | undefined => (Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : undefined);
  const r: PolicyRule = { verbs: strs(o.verbs) ?? [] };
  const g = strs(o.apiGroups), res = strs(o.resources), n = strs(o.resourceNames), u = strs(o.nonResourceURLs);
  if (g) r.apiGroups = g;
  if (res) r.resources = res;
  if (n) r.resourceNames = n;
  if (u) r.nonResourceURLs = u;
  return r;
}

/** The rules of a stored Role or ClusterRole. */
export function rulesOf(obj: { rules?: unknown } | undefined): PolicyRule[] {
  const rules = obj?.rules;
  if (!Array.isArray(rules)) return [];
  const out: PolicyRule[] = [];
  for (const r of rules) { const p = asRule(r); if (p) out.push(p); }
  return out;
}
