// The default RBAC objects of a Kubernetes 1.33 cluster (ClusterRoles such as
// cluster-admin, admin, edit, view and system:*, their ClusterRoleBindings, and
// the Roles and RoleBindings of kube-system and kube-public), created when a
// cluster opens and reconciled as kube-apiserver reconciles them at start:
// missing objects are created; objects whose autoupdate annotation is not
// "false" get back missing rules, subjects, selectors, labels and annotations
// (nothing is removed); a binding whose roleRef changed is recreated.
//
// The data comes from policy/bootstrap-policy.generated.json (see policy/generate.ts).

import { ApiError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { cloneObject, jsonEqual } from '../../registry/generic/metadata.ts';
import type { ResourceDef } from '../../registry/types.ts';
import type { VirtualCluster } from '../cluster.ts';
import { aggregatedRules, aggregationSelectors } from './aggregate.ts';
import { keyPrefix, roleRefOf, subjectsOf } from './resolver.ts';
import { covers, rbacGroup, rulesOf } from './rules.ts';
import policy from './policy/bootstrap-policy.generated.json' with { type: 'json' };
import { metricsReaderRole } from '../metrics/rbac.ts';

export const autoUpdateAnnotation = 'rbac.authorization.kubernetes.io/autoupdate';
const fieldManager = 'kube-apiserver';

interface Policy {
  clusterRoles: KubeObject[];
  clusterRoleBindings: KubeObject[];
  roles: KubeObject[];
  roleBindings: KubeObject[];
}

/** The bootstrap policy objects (fresh copies), with metrics-server's reader role (the Metrics API is served: metrics/rbac.ts). */
export function bootstrapPolicy(): Policy {
  const p = cloneObject(policy as unknown as Policy);
  p.clusterRoles.push(metricsReaderRole());
  return p;
}

interface Defs { clusterroles: ResourceDef; clusterrolebindings: ResourceDef; roles: ResourceDef; rolebindings: ResourceDef }

function defsOf(vc: VirtualCluster): Defs | undefined {
  const find = (p: string) => vc.registry.find(rbacGroup, 'v1', p);
  const [clusterroles, clusterrolebindings, roles, rolebindings] = ['clusterroles', 'clusterrolebindings', 'roles', 'rolebindings'].map(find);
  if (!clusterroles || !clusterrolebindings || !roles || !rolebindings) return undefined;
  return { clusterroles, clusterrolebindings, roles, rolebindings };
}

/** Fill the rules of aggregated bootstrap roles, as the aggregation controller would right after. */
function prefillAggregated(expected: KubeObject[], stored: KubeObject[]): void {
  const byName = new Map<string, KubeObject>();
  for (const r of stored) byName.set(r.metadata.name ?? '', r);
  for (const r of expected) if (!byName.has(r.metadata.name ?? '')) byName.set(r.metadata.name ?? '', r);
  const aggregated = expected.filter((r) => aggregationSelectors(r) !== undefined);
  // Aggregated roles may aggregate each other (view into edit into admin): repeat until stable.
  for (let pass = 0; pass < 5; pass++) {
    let changed = false;
    const all = [...byName.values()];
    for (const r of aggregated) {
      const rules = aggregatedRules(r, all) ?? [];
      if (!jsonEqual(rules, r.rules ?? [])) { r.rules = rules; changed = true; }
    }
    if (!changed) break;
  }
}

function mergeMaps(expected: Record<string, string> | undefined, existing: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!expected) return existing;
  return { ...expected, ...(existing ?? {}) };
}

/** The reconciled form of an existing role, or undefined when nothing is missing. */
function reconcileRole(existing: KubeObject, expected: KubeObject): KubeObject | undefined {
  const next = cloneObject(existing);
  let changed = false;
  const labels = mergeMaps(expected.metadata.labels, existing.metadata.labels);
  const annotations = mergeMaps(expected.metadata.annotations, existing.metadata.annotations);
  if (!jsonEqual(labels ?? {}, existing.metadata.labels ?? {})) { next.metadata.labels = labels; changed = true; }
  if (!jsonEqual(annotations ?? {}, existing.metadata.annotations ?? {})) { next.metadata.annotations = annotations; changed = true; }
  const { missing } = covers(rulesOf(existing as { rules?: unknown }), rulesOf(expected as { rules?: unknown }));
  if (missing.length > 0) { next.rules = [...((existing.rules as unknown[] | undefined) ?? []), ...missing]; changed = true; }
  const want = aggregationSelectors(expected);
  if (want) {
    const have = aggregationSelectors(existing) ?? [];
    const add = want.filter((w) => !have.some((h) => jsonEqual(h, w)));
    if (add.length > 0 || aggregationSelectors(existing) === undefined) {
      next.aggregationRule = { clusterRoleSelectors: [...have, ...add] };
      changed = true;
    }
  }
  return changed ? next : undefined;
}

/** The reconciled form of an existing binding ('recreate' when its roleRef differs). */
function reconcileBinding(existing: KubeObject, expected: KubeObject): KubeObject | 'recreate' | undefined {
  const a = roleRefOf(existing), b = roleRefOf(expected);
  if (a.kind !== b.kind || a.name !== b.name || (a.apiGroup ?? '') !== (b.apiGroup ?? '')) return 'recreate';
  const next = cloneObject(existing);
  let changed = false;
  const labels = mergeMaps(expected.metadata.labels, existing.metadata.labels);
  const annotations = mergeMaps(expected.metadata.annotations, existing.metadata.annotations);
  if (!jsonEqual(labels ?? {}, existing.metadata.labels ?? {})) { next.metadata.labels = labels; changed = true; }
  if (!jsonEqual(annotations ?? {}, existing.metadata.annotations ?? {})) { next.metadata.annotations = annotations; changed = true; }
  const have = subjectsOf(existing);
  const add = subjectsOf(expected).filter((s) => !have.some((h) => h.kind === s.kind && h.name === s.name &&
    (h.namespace ?? '') === (s.namespace ?? '') && (h.apiGroup ?? '') === (s.apiGroup ?? '')));
  if (add.length > 0) { next.subjects = [...((existing.subjects as unknown[] | undefined) ?? []), ...add]; changed = true; }
  return changed ? next : undefined;
}

async function ignoreConflicts(p: Promise<unknown>): Promise<void> {
  try { await p; } catch (e) {
    // Another writer (or the namespace being gone) wins; the next open reconciles again.
    if (!(e instanceof ApiError && (e.code === 409 || e.code === 404 || e.code === 403))) throw e;
  }
}

/**
 * Create the missing default RBAC objects of a cluster and reconcile the existing ones.
 * Idempotent; writes run concurrently (a new cluster needs about 130 objects).
 */
export async function bootstrapRbac(vc: VirtualCluster): Promise<void> {
  const defs = defsOf(vc);
  if (!defs || vc.fromImage || vc.policyReconciled) return;
  const p = bootstrapPolicy();
  const store = vc.store;
  const writes: Promise<void>[] = [];
  const storedClusterRoles = [...vc.cache.scan(keyPrefix.clusterRoles)].map((c) => c.obj);
  const missingClusterRoles = p.clusterRoles.filter((r) => !store.peek(defs.clusterroles, undefined, r.metadata.name ?? ''));
  prefillAggregated(missingClusterRoles, storedClusterRoles.length > 0 ? [...storedClusterRoles, ...p.clusterRoles] : p.clusterRoles);

  const ensure = (def: ResourceDef, expected: KubeObject, kind: 'role' | 'binding') => {
    const ns = expected.metadata.namespace;
    const name = expected.metadata.name ?? '';
    const existing = store.peek(def, ns, name);
    if (!existing) {
      writes.push(ignoreConflicts(store.create(def, ns, expected, { fieldManager })));
      return;
    }
    if (existing.metadata.annotations?.[autoUpdateAnnotation] === 'false') return;
    const next = kind === 'role' ? reconcileRole(existing, expected) : reconcileBinding(existing, expected);
    if (next === undefined) return;
    if (next === 'recreate') {
      writes.push(ignoreConflicts((async () => {
        await store.delete(def, ns, name);
        await store.create(def, ns, expected, { fieldManager });
      })()));
      return;
    }
    writes.push(ignoreConflicts(store.update(def, ns, name, next, { fieldManager })));
  };

  for (const r of p.clusterRoles) ensure(defs.clusterroles, r, 'role');
  for (const b of p.clusterRoleBindings) ensure(defs.clusterrolebindings, b, 'binding');
  const nsDef = vc.registry.find('', 'v1', 'namespaces');
  for (const r of p.roles) if (!nsDef || store.peek(nsDef, undefined, r.metadata.namespace ?? '')) ensure(defs.roles, r, 'role');
  for (const b of p.roleBindings) if (!nsDef || store.peek(nsDef, undefined, b.metadata.namespace ?? '')) ensure(defs.rolebindings, b, 'binding');
  await Promise.all(writes);
}
