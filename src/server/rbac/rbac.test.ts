// RBAC on a real in-process cluster: bootstrap policy, bindings, rulesFor,
// escalation checks through the generic store, impersonation and aggregation.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { ApiError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import type { ResourceDef, UserInfo } from '../../registry/types.ts';
import { eventually, openTestCluster } from '../../../test/support/cluster.ts';
import { startClusterRoleAggregationController } from '../../controllers/rbac/aggregation.ts';
import { installRbac } from './install.ts';
import { bootstrapRbac } from './bootstrap.ts';
import { impersonate } from './impersonation.ts';

const g = 'rbac.authorization.k8s.io';
const bob: UserInfo = { username: 'bob', groups: ['system:authenticated'] };
const admin: UserInfo = { username: 'kubevisor-admin', groups: ['system:masters', 'system:authenticated'] };

async function setup() {
  const tc = await openTestCluster();
  const authz = await installRbac(tc.vc);
  const def = (p: string): ResourceDef => tc.vc.registry.find(p === 'namespaces' ? '' : g, 'v1', p) as ResourceDef;
  const create = (p: string, ns: string | undefined, obj: Record<string, unknown>, user?: UserInfo) =>
    tc.vc.store.create(def(p), ns, obj as unknown as KubeObject, { user });
  return { tc, authz, def, create };
}

function bind(name: string, roleKind: string, role: string, subjects: unknown[], namespace?: string) {
  return { metadata: { name, namespace }, roleRef: { apiGroup: g, kind: roleKind, name: role }, subjects };
}

async function rejects(p: Promise<unknown>, code: number, message: string | RegExp) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.code, code);
    if (typeof message === 'string') assert.equal(e.message, message); else assert.match(e.message, message);
    return true;
  });
}

test('bootstrap policy: the default roles and bindings, aggregated rules filled, idempotent', async () => {
  const { tc, def } = await setup();
  try {
    const view = tc.vc.store.peek(def('clusterroles'), undefined, 'view') as KubeObject;
    assert.equal(view.metadata.labels?.['kubernetes.io/bootstrapping'], 'rbac-defaults');
    assert.equal(view.metadata.annotations?.['rbac.authorization.kubernetes.io/autoupdate'], 'true');
    assert.ok((view.rules as unknown[]).length > 5);
    const edit = tc.vc.store.peek(def('clusterroles'), undefined, 'edit') as KubeObject;
    assert.ok((edit.rules as unknown[]).length > (view.rules as unknown[]).length, 'edit aggregates view too');
    for (const n of ['cluster-admin', 'admin', 'system:basic-user', 'system:discovery', 'system:public-info-viewer', 'system:node', 'system:controller:deployment-controller', 'system:kube-scheduler']) {
      assert.ok(tc.vc.store.peek(def('clusterroles'), undefined, n), n);
    }
    assert.ok(tc.vc.store.peek(def('clusterrolebindings'), undefined, 'system:controller:deployment-controller'));
    assert.ok(tc.vc.store.peek(def('roles'), 'kube-system', 'extension-apiserver-authentication-reader'));
    assert.ok(tc.vc.store.peek(def('rolebindings'), 'kube-public', 'system:controller:bootstrap-signer'));
    const rev = tc.vc.cache.revision;
    await bootstrapRbac(tc.vc);
    assert.equal(tc.vc.cache.revision, rev, 'a second bootstrap writes nothing');
    // Reconcile: a removed rule and subject come back; an opted-out role is left alone.
    await tc.vc.store.guaranteedUpdate(def('clusterroles'), undefined, 'system:basic-user', (cur) => ({ ...(cur as KubeObject), rules: [] }));
    await tc.vc.store.guaranteedUpdate(def('clusterrolebindings'), undefined, 'system:discovery', (cur) => ({ ...(cur as KubeObject), subjects: [] }));
    await tc.vc.store.guaranteedUpdate(def('clusterroles'), undefined, 'system:heapster', (cur) => {
      const o = cur as KubeObject;
      return { ...o, metadata: { ...o.metadata, annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'false' } }, rules: [] };
    });
    await bootstrapRbac(tc.vc);
    assert.equal((tc.vc.store.peek(def('clusterroles'), undefined, 'system:basic-user')?.rules as unknown[]).length, 3);
    assert.equal((tc.vc.store.peek(def('clusterrolebindings'), undefined, 'system:discovery')?.subjects as unknown[]).length, 1);
    assert.deepEqual(tc.vc.store.peek(def('clusterroles'), undefined, 'system:heapster')?.rules, []);
  } finally { await tc.close(); }
});

test('authorize: bootstrap grants with upstream reasons; bindings by user, group and service account', async () => {
  const { tc, authz, create } = await setup();
  try {
    // system:masters is allowed before RBAC, with no reason (kube-apiserver's privileged-group authorizer).
    assert.deepEqual(authz.authorize(admin, { verb: 'delete', group: 'apps', resource: 'deployments', namespace: 'a', name: 'b' }), { allowed: true, reason: '' });
    assert.equal(authz.authorize(bob, { verb: 'create', group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews' }).reason,
      'RBAC: allowed by ClusterRoleBinding "system:basic-user" of ClusterRole "system:basic-user" to Group "system:authenticated"');
    assert.equal(authz.authorize(bob, { verb: 'get', path: '/apis/apps/v1' }).allowed, true);
    assert.equal(authz.authorize({ username: 'system:anonymous', groups: ['system:unauthenticated'] }, { verb: 'get', path: '/apis' }).allowed, false);
    assert.equal(authz.authorize({ username: 'system:anonymous', groups: ['system:unauthenticated'] }, { verb: 'get', path: '/readyz' }).allowed, true);
    assert.deepEqual(authz.authorize(bob, { verb: 'get', group: '', resource: 'pods', namespace: 'default' }), { allowed: false, reason: '' });

    await create('rolebindings', 'default', bind('bob-view', 'ClusterRole', 'view', [{ apiGroup: g, kind: 'User', name: 'bob' }], 'default'));
    assert.deepEqual(authz.authorize(bob, { verb: 'list', group: '', resource: 'pods', namespace: 'default' }),
      { allowed: true, reason: 'RBAC: allowed by RoleBinding "bob-view/default" of ClusterRole "view" to User "bob"' });
    assert.equal(authz.authorize(bob, { verb: 'list', group: '', resource: 'pods', namespace: 'other' }).allowed, false);
    assert.equal(authz.authorize(bob, { verb: 'create', group: '', resource: 'pods', namespace: 'default' }).allowed, false);
    assert.equal(authz.authorize(bob, { verb: 'get', group: '', resource: 'secrets', namespace: 'default' }).allowed, false);

    // A ServiceAccount subject without a namespace means the binding's namespace.
    const sa: UserInfo = { username: 'system:serviceaccount:default:robot', groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'] };
    await create('roles', 'default', { metadata: { name: 'cm' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['one'] }] });
    await create('rolebindings', 'default', bind('robot', 'Role', 'cm', [{ kind: 'ServiceAccount', name: 'robot' }], 'default'));
    assert.equal(authz.authorize(sa, { verb: 'get', group: '', resource: 'configmaps', namespace: 'default', name: 'one' }).reason,
      'RBAC: allowed by RoleBinding "robot/default" of Role "cm" to ServiceAccount "robot/default"');
    assert.equal(authz.authorize(sa, { verb: 'get', group: '', resource: 'configmaps', namespace: 'default', name: 'two' }).allowed, false);
    // Groups of service accounts, in a ClusterRoleBinding.
    await create('clusterrolebindings', undefined, bind('all-sa', 'ClusterRole', 'view', [{ apiGroup: g, kind: 'Group', name: 'system:serviceaccounts:default' }]));
    assert.equal(authz.authorize(sa, { verb: 'watch', group: 'apps', resource: 'deployments', namespace: 'x' }).reason,
      'RBAC: allowed by ClusterRoleBinding "all-sa" of ClusterRole "view" to Group "system:serviceaccounts:default"');

    // A binding to a missing role: denied with upstream's resolution error as the reason.
    await create('rolebindings', 'default', bind('dangling', 'Role', 'nope', [{ apiGroup: g, kind: 'User', name: 'carol' }], 'default'));
    assert.deepEqual(authz.authorize({ username: 'carol', groups: [] }, { verb: 'get', group: '', resource: 'pods', namespace: 'default' }),
      { allowed: false, reason: 'RBAC: role.rbac.authorization.k8s.io "nope" not found' });

    // Deleting the binding takes the grant away (the index follows the cache).
    await tc.vc.store.delete(tc.vc.registry.find(g, 'v1', 'rolebindings') as ResourceDef, 'default', 'bob-view');
    assert.equal(authz.authorize(bob, { verb: 'list', group: '', resource: 'pods', namespace: 'default' }).allowed, false);
  } finally { await tc.close(); }
});

test('system:masters is allowed without RBAC: deleting the cluster-admin binding does not lock administrators out', async () => {
  const { tc, authz, def } = await setup();
  try {
    await tc.vc.store.delete(def('clusterrolebindings'), undefined, 'cluster-admin');
    await eventually(async () => !authz.rulesFor(admin, 'default').resourceRules.some((r) => r.resources?.includes('*')), 2000, 'the binding gone from the rules');
    assert.deepEqual(authz.authorize(admin, { verb: 'delete', group: '', resource: 'namespaces', name: 'kube-system' }), { allowed: true, reason: '' });
    assert.equal(authz.authorize({ username: 'eve', groups: ['system:authenticated'] }, { verb: 'get', group: '', resource: 'pods', namespace: 'default' }).allowed, false);
  } finally { await tc.close(); }
});

test('rulesFor: the rules of every applying binding, split into resource and non-resource rules', async () => {
  const { tc, authz, create } = await setup();
  try {
    await create('namespaces', undefined, { metadata: { name: 'dev' } });
    await create('roles', 'dev', { metadata: { name: 'pods' }, rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }] });
    await create('rolebindings', 'dev', bind('bob', 'Role', 'pods', [{ apiGroup: g, kind: 'User', name: 'bob' }], 'dev'));
    const s = authz.rulesFor(bob, 'dev');
    assert.equal(s.incomplete, false);
    assert.deepEqual(s.resourceRules, [
      { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] },
      { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] },
      { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] },
    ]);
    assert.deepEqual(s.nonResourceRules.map((r) => r.nonResourceURLs?.[0]), ['/api', '/healthz']);
    assert.equal(authz.rulesFor(bob, 'default').resourceRules.length, 2);
  } finally { await tc.close(); }
});

test('escalation: roles need the permissions they grant (or escalate), bindings the role\'s (or bind)', async () => {
  const { tc, create } = await setup();
  try {
    // bob may manage roles and bindings in default (admin there), but holds no secrets outside it.
    await create('rolebindings', 'default', bind('bob-admin', 'ClusterRole', 'admin', [{ apiGroup: g, kind: 'User', name: 'bob' }], 'default'));
    // Within his permissions: fine.
    await create('roles', 'default', { metadata: { name: 'readpods' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] }, bob);
    // Beyond: refused with upstream's message.
    await rejects(create('roles', 'default', { metadata: { name: 'nodes' }, rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['nodes'] }] }, bob), 403,
      'roles.rbac.authorization.k8s.io "nodes" is forbidden: user "bob" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
      '{APIGroups:[""], Resources:["nodes"], Verbs:["get" "list"]}');
    await rejects(create('clusterroles', undefined, { metadata: { name: 'x' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] }, bob), 403,
      /^clusterroles\.rbac\.authorization\.k8s\.io "x" is forbidden: user "bob" .* not currently held:\n\{APIGroups:\[""\], Resources:\["pods"\], Verbs:\["get"\]\}$/);
    // Binding: the referenced role must be covered...
    await create('rolebindings', 'default', bind('carol-view', 'ClusterRole', 'view', [{ apiGroup: g, kind: 'User', name: 'carol' }], 'default'), bob);
    await rejects(create('rolebindings', 'default', bind('carol-ca', 'ClusterRole', 'cluster-admin', [{ apiGroup: g, kind: 'User', name: 'carol' }], 'default'), bob), 403,
      /^rolebindings\.rbac\.authorization\.k8s\.io "carol-ca" is forbidden: user "bob" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n/);
    await rejects(create('rolebindings', 'default', bind('carol-x', 'Role', 'missing', [{ apiGroup: g, kind: 'User', name: 'carol' }], 'default'), bob), 404,
      'roles.rbac.authorization.k8s.io "missing" not found');
    // ...unless the user may `bind` it; and `escalate` allows any role.
    await create('clusterroles', undefined, { metadata: { name: 'binder' }, rules: [
      { verbs: ['bind'], apiGroups: [g], resources: ['clusterroles'], resourceNames: ['cluster-admin'] },
      { verbs: ['escalate'], apiGroups: [g], resources: ['roles'] },
    ] });
    await create('rolebindings', 'default', bind('bob-binder', 'ClusterRole', 'binder', [{ apiGroup: g, kind: 'User', name: 'bob' }], 'default'));
    await create('rolebindings', 'default', bind('carol-ca', 'ClusterRole', 'cluster-admin', [{ apiGroup: g, kind: 'User', name: 'carol' }], 'default'), bob);
    await create('roles', 'default', { metadata: { name: 'nodes' }, rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['nodes'] }] }, bob);
    // Writes without a user (controllers) and by system:masters are not checked.
    await create('clusterroles', undefined, { metadata: { name: 'by-server' }, rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }] });
    await create('clusterroles', undefined, { metadata: { name: 'by-admin' }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { a: 'b' } }] } }, admin);
  } finally { await tc.close(); }
});

function fakeRequest(headers: Record<string, string | string[]>): IncomingMessage {
  const lower: Record<string, string | string[]> = {};
  const distinct: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    lower[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    distinct[k.toLowerCase()] = Array.isArray(v) ? v : [v];
  }
  return { headers: lower, headersDistinct: distinct } as unknown as IncomingMessage;
}

test('impersonation: allowed parts become the user; a forbidden part is a 403 as upstream words it', async () => {
  const { tc, authz, create } = await setup();
  try {
    assert.equal(await impersonate(fakeRequest({}), bob, authz), bob);
    assert.deepEqual(await impersonate(fakeRequest({ 'Impersonate-User': 'jane', 'Impersonate-Group': ['dev', 'ops'], 'Impersonate-Extra-Scopes': 'a', 'Impersonate-Uid': 'u1' }), admin, authz),
      { username: 'jane', groups: ['dev', 'ops', 'system:authenticated'], uid: 'u1', extra: { scopes: ['a'] } });
    assert.deepEqual(await impersonate(fakeRequest({ 'Impersonate-User': 'system:serviceaccount:ns1:robot' }), admin, authz),
      { username: 'system:serviceaccount:ns1:robot', groups: ['system:serviceaccounts', 'system:serviceaccounts:ns1', 'system:authenticated'] });
    await rejects(impersonate(fakeRequest({ 'Impersonate-User': 'jane' }), bob, authz), 403,
      'users "jane" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope');
    await rejects(impersonate(fakeRequest({ 'Impersonate-User': 'system:serviceaccount:ns1:robot' }), bob, authz), 403,
      'serviceaccounts "robot" is forbidden: User "bob" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "ns1"');
    await rejects(impersonate(fakeRequest({ 'Impersonate-Group': 'dev' }), admin, authz), 400,
      'requested [{Group  dev    }] without impersonating a user');
    // A grant of impersonate on users named jane, but not on groups.
    await create('clusterroles', undefined, { metadata: { name: 'as-jane' }, rules: [{ verbs: ['impersonate'], apiGroups: [''], resources: ['users'], resourceNames: ['jane'] }] });
    await create('clusterrolebindings', undefined, bind('bob-as-jane', 'ClusterRole', 'as-jane', [{ apiGroup: g, kind: 'User', name: 'bob' }]));
    assert.deepEqual(await impersonate(fakeRequest({ 'Impersonate-User': 'jane' }), bob, authz), { username: 'jane', groups: ['system:authenticated'] });
    await rejects(impersonate(fakeRequest({ 'Impersonate-User': 'jane', 'Impersonate-Group': 'system:masters' }), bob, authz), 403,
      'groups "system:masters" is forbidden: User "bob" cannot impersonate resource "groups" in API group "" at the cluster scope');
    await rejects(impersonate(fakeRequest({ 'Impersonate-User': 'jane', 'Impersonate-Extra-Scopes': 'x' }), bob, authz), 403,
      'userextras.authentication.k8s.io "x" is forbidden: User "bob" cannot impersonate resource "userextras/scopes" in API group "authentication.k8s.io" at the cluster scope');
  } finally { await tc.close(); }
});

test('aggregation controller: aggregated roles follow the roles their selectors match', async () => {
  const { tc, def, create } = await setup();
  const stop = startClusterRoleAggregationController(tc.ctx);
  try {
    const rulesOf = (n: string) => (tc.vc.store.peek(def('clusterroles'), undefined, n)?.rules ?? []) as { resources?: string[] }[];
    const before = rulesOf('view').length;
    await create('clusterroles', undefined, { metadata: { name: 'widgets-view', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
      rules: [{ verbs: ['get', 'list', 'watch'], apiGroups: ['example.com'], resources: ['widgets'] }] });
    await eventually(() => rulesOf('view').length === before + 1, 5000, 'view to aggregate widgets');
    // transitively: edit and admin aggregate view
    await eventually(() => rulesOf('admin').some((r) => r.resources?.includes('widgets')), 5000, 'admin to aggregate widgets');
    await create('clusterroles', undefined, { metadata: { name: 'mine' }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { team: 'a' } }] } });
    await create('clusterroles', undefined, { metadata: { name: 'a1', labels: { team: 'a' } }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] });
    await create('clusterroles', undefined, { metadata: { name: 'a2', labels: { team: 'a' } }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, { verbs: ['list'], apiGroups: [''], resources: ['pods'] }] });
    await eventually(() => rulesOf('mine').length === 2, 5000, 'mine to aggregate a1 and a2 (one copy of the shared rule)');
    await tc.vc.store.delete(def('clusterroles'), undefined, 'widgets-view');
    await eventually(() => rulesOf('view').length === before, 5000, 'view to drop widgets');
  } finally { stop(); await tc.close(); }
});
