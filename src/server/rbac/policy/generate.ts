// Derives bootstrap-policy.generated.json, the default RBAC objects of a
// Kubernetes 1.33 cluster, from the bootstrap-policy test data of a Kubernetes
// source checkout (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata),
// which is not kept in this repository:
//
//   npx node src/server/rbac/policy/generate.ts PATH/TO/testdata
//
// cluster-roles.yaml            ClusterRoles (admin, edit, view, system:*)
// controller-roles.yaml         system:controller:* ClusterRoles; roles of
//                               feature-gated alpha controllers are left out
// cluster-role-bindings.yaml    ClusterRoleBindings
// namespace-roles.yaml          Roles in kube-system and kube-public
// namespace-role-bindings.yaml  RoleBindings in kube-system and kube-public
//
// Each controller ClusterRole "system:controller:NAME" is bound, as upstream
// does, by a ClusterRoleBinding of the same name to the ServiceAccount
// kube-system/NAME. Rules are written in the field order of the Go types.

import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';

type Obj = Record<string, unknown>;

const here = new URL('.', import.meta.url);
const source = process.argv[2];
if (!source) {
  console.error('usage: generate.ts PATH/TO/bootstrappolicy/testdata');
  process.exit(2);
}
const read = (name: string): Obj[] => (parse(readFileSync(`${source}/${name}`, 'utf8')) as { items: Obj[] }).items;

function meta(o: Obj): Obj {
  const m = o.metadata as Obj;
  const out: Obj = { name: m.name };
  if (m.namespace !== undefined) out.namespace = m.namespace;
  if (m.labels !== undefined) out.labels = m.labels;
  if (m.annotations !== undefined) out.annotations = m.annotations;
  return out;
}

function rule(r: Obj): Obj {
  const out: Obj = { verbs: r.verbs };
  for (const k of ['apiGroups', 'resources', 'resourceNames', 'nonResourceURLs']) if (r[k] !== undefined) out[k] = r[k];
  return out;
}

function role(o: Obj): Obj {
  const out: Obj = { metadata: meta(o) };
  if (o.aggregationRule !== undefined) out.aggregationRule = o.aggregationRule;
  out.rules = Array.isArray(o.rules) ? o.rules.map((r) => rule(r as Obj)) : null;
  return out;
}

function binding(o: Obj): Obj {
  const out: Obj = { metadata: meta(o) };
  if (Array.isArray(o.subjects)) out.subjects = o.subjects;
  out.roleRef = o.roleRef;
  return out;
}

const controllerRoles = read('controller-roles.yaml').map(role);
const controllerBindings = controllerRoles.map((r) => {
  const name = (r.metadata as Obj).name as string;
  return {
    metadata: { name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' }, annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' } },
    subjects: [{ kind: 'ServiceAccount', name: name.slice('system:controller:'.length), namespace: 'kube-system' }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
  };
});

const out = {
  kubernetesVersion: '1.33',
  clusterRoles: [...read('cluster-roles.yaml').map(role), ...controllerRoles],
  clusterRoleBindings: [...read('cluster-role-bindings.yaml').map(binding), ...controllerBindings],
  roles: read('namespace-roles.yaml').map(role),
  roleBindings: read('namespace-role-bindings.yaml').map(binding),
};
writeFileSync(new URL('bootstrap-policy.generated.json', here), JSON.stringify(out) + '\n');
console.log(`${out.clusterRoles.length} cluster roles, ${out.clusterRoleBindings.length} cluster role bindings, ${out.roles.length} roles, ${out.roleBindings.length} role bindings`);
