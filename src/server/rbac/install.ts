// What a cluster needs for RBAC at open: its default roles and bindings, an
// authorizer reading the cluster's watch cache, and the escalation check on
// writes of roles and bindings.

import type { VirtualCluster } from '../cluster.ts';
import { RbacAuthorizer } from './authorizer.ts';
import { bootstrapRbac } from './bootstrap.ts';
import { escalationAdmission } from './escalation.ts';

const installed = new WeakMap<VirtualCluster, RbacAuthorizer>();

/** Bootstrap the cluster's RBAC objects and return its authorizer (once per cluster; later calls return the same). */
export async function installRbac(vc: VirtualCluster): Promise<RbacAuthorizer> {
  const prev = installed.get(vc);
  if (prev) return prev;
  const authorizer = new RbacAuthorizer(vc.cache);
  installed.set(vc, authorizer);
  vc.store.admission.push(escalationAdmission(authorizer.resolver, authorizer));
  await bootstrapRbac(vc);
  return authorizer;
}

/** The RBAC authorizer installed on a cluster, if any. */
export function rbacAuthorizerOf(vc: VirtualCluster): RbacAuthorizer | undefined {
  return installed.get(vc);
}
