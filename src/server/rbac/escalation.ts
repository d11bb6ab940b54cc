// Privilege-escalation prevention, as upstream's RBAC storage does it: a user
// may write a Role or ClusterRole only with every permission it grants (or the
// `escalate` verb on it), and a RoleBinding or ClusterRoleBinding only with
// every permission of the role it references (or the `bind` verb on that
// role). Members of system:masters, and writes without a user (controllers,
// the server itself), are not checked.

import { errors } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import type { AdmissionOperation, AdmissionPlugin } from '../../registry/generic/admission.ts';
import { jsonEqual } from '../../registry/generic/metadata.ts';
import type { ResourceDef, UserInfo } from '../../registry/types.ts';
import type { Authorizer } from '../auth/authorize.ts';
import { aggregateMessage, roleRefOf, type RuleResolver } from './resolver.ts';
import { compactRules, compactString, covers, goQuoteList, rbacGroup, rulesOf, type PolicyRule } from './rules.ts';

const privilegedGroup = 'system:masters';

/** What the aggregationRule of a ClusterRole needs: everything. */
const fullAuthority: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

function hasAggregationRule(obj: KubeObject | undefined): boolean {
  const ar = (obj as { aggregationRule?: { clusterRoleSelectors?: unknown } } | undefined)?.aggregationRule;
  return Array.isArray(ar?.clusterRoleSelectors) && ar.clusterRoleSelectors.length > 0;
}

/** An update that changes only what the garbage collector changes (owners, finalizers) is not checked. */
function onlyGCFields(obj: KubeObject, old: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { ownerReferences: _o, finalizers: _f, managedFields: _m, resourceVersion: _r, selfLink: _s, ...meta } = o.metadata;
    return { ...o, metadata: meta };
  };
  return jsonEqual(strip(obj), strip(old));
}

export function escalationMessage(user: UserInfo, missing: readonly PolicyRule[], resolutionErrors: readonly Error[]): string {
  const lines = [...new Set(compactRules(missing).map(compactString))].sort();
  let msg = `user "${user.username}" (groups=${goQuoteList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
  if (resolutionErrors.length > 0) msg += `; resolution errors: [${aggregateMessage(resolutionErrors)}]`;
  return msg;
}

/** The admission plugin that refuses escalating RBAC writes. */
export function escalationAdmission(resolver: RuleResolver, authorizer: Authorizer): AdmissionPlugin {
  const allowedVerb = async (user: UserInfo, verb: string, resource: string, namespace: string | undefined, name: string | undefined, group = rbacGroup) =>
    (await authorizer.authorize(user, { verb, group, version: '*', resource, namespace, name })).allowed;

  /** Returns the missing permissions message, or undefined when the user holds them all. */
  const notHeld = (user: UserInfo, namespace: string, rules: readonly PolicyRule[]): string | undefined => {
    const owner = resolver.rulesFor(user, namespace);
    const { covered, missing } = covers(owner.rules, rules);
    return covered ? undefined : escalationMessage(user, missing, owner.errors);
  };

  async function admitRole(op: AdmissionOperation, def: ResourceDef, namespace: string | undefined, obj: KubeObject, old: KubeObject | undefined, user: UserInfo): Promise<void> {
    const name = obj.metadata.name ?? '';
    // Upstream asks about `escalate` with the request's name: none on create.
    if (await allowedVerb(user, 'escalate', def.plural, namespace, op === 'update' ? name : undefined)) return;
    if (op === 'update' && old && onlyGCFields(obj, old)) return;
    const gr = { group: rbacGroup, resource: def.plural };
    const missing = notHeld(user, namespace ?? '', rulesOf(obj as { rules?: unknown }));
    if (missing) throw errors.forbidden(gr, name, missing);
    if (def.plural === 'clusterroles' && (hasAggregationRule(obj) || hasAggregationRule(old))) {
      if (notHeld(user, namespace ?? '', fullAuthority)) throw errors.forbidden(gr, name, 'must have cluster-admin privileges to use the aggregationRule');
    }
  }

  async function admitBinding(op: AdmissionOperation, def: ResourceDef, namespace: string | undefined, obj: KubeObject, old: KubeObject | undefined, user: UserInfo): Promise<void> {
    if (op === 'update' && old && onlyGCFields(obj, old)) return;
    const ns = def.plural === 'rolebindings' ? namespace ?? '' : '';
    const ref = roleRefOf(obj);
    if (ref.kind === 'ClusterRole' || ref.kind === 'Role') {
      const resource = ref.kind === 'ClusterRole' ? 'clusterroles' : 'roles';
      if (await allowedVerb(user, 'bind', resource, ns || undefined, ref.name, ref.apiGroup ?? '')) return;
    }
    const rules = roleRules(ref.kind, ref.name, ns);
    const missing = notHeld(user, ns, rules);
    if (missing) throw errors.forbidden({ group: rbacGroup, resource: def.plural }, obj.metadata.name ?? '', missing);
  }

  /** The rules of the referenced role, read as the registry reads it (404 when missing). */
  function roleRules(kind: string, name: string, namespace: string): PolicyRule[] {
    if (kind !== 'Role' && kind !== 'ClusterRole') throw errors.badRequest(`unsupported role reference kind: "${kind}"`);
    const rules = resolver.roleReferenceRules({ kind, name }, namespace);
    if (rules instanceof Error) throw errors.notFound({ group: rbacGroup, resource: kind === 'Role' ? 'roles' : 'clusterroles' }, name);
    return rules;
  }

  return {
    name: 'RBACEscalation',
    async admit(op, def, namespace, obj, old, user) {
      if (def.group !== rbacGroup || !user) return;
      if (user.groups.includes(privilegedGroup)) return;
      switch (def.plural) {
        case 'roles': case 'clusterroles': return admitRole(op, def, namespace, obj, old, user);
        case 'rolebindings': case 'clusterrolebindings': return admitBinding(op, def, namespace, obj, old, user);
      }
    },
  };
}
