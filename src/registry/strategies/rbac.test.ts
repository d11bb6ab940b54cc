import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterRoleBindingStrategy, clusterRoleStrategy, roleBindingStrategy, roleStrategyNamespaced } from './rbac.ts';
import { clone, messages, runCreate, runUpdate } from './testing.ts';

test('roles: rules need verbs, groups and resources; names are path segments', () => {
  assert.deepEqual(runCreate(roleStrategyNamespaced, { metadata: { name: 'pod-reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] }, { namespace: 'd' }).errors, []);
  assert.deepEqual(runCreate(clusterRoleStrategy, { metadata: { name: 'system:controller:x' }, rules: [] }).errors, []);
  const errs = runCreate(roleStrategyNamespaced, { metadata: { name: 'a/b' }, rules: [{ resources: ['pods'] }, { nonResourceURLs: ['/healthz'], verbs: ['get'] }] }, { namespace: 'd' }).errors;
  assert.deepEqual(messages(errs), [
    `metadata.name: Invalid value: "a/b": may not contain '/'`,
    'rules[0].verbs: Required value: verbs must contain at least one value',
    'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
    'rules[1].nonResourceURLs: Invalid value: ["/healthz"]: namespaced rules cannot apply to non-resource URLs',
  ]);
});

test('bindings: defaults for apiGroup; subjects; roleRef is immutable', () => {
  const rb = { metadata: { name: 'read-pods' }, roleRef: { kind: 'Role', name: 'pod-reader' }, subjects: [{ kind: 'User', name: 'jane' }, { kind: 'ServiceAccount', name: 'default' }] };
  const { obj, errors } = runCreate(roleBindingStrategy, rb, { namespace: 'd' });
  assert.deepEqual(errors, []);
  assert.deepEqual(obj.roleRef, { kind: 'Role', name: 'pod-reader', apiGroup: 'rbac.authorization.k8s.io' });
  assert.deepEqual(obj.subjects, [{ kind: 'User', name: 'jane', apiGroup: 'rbac.authorization.k8s.io' }, { kind: 'ServiceAccount', name: 'default' }]);
  const next = clone(obj) as any;
  next.roleRef.name = 'other';
  assert.deepEqual(messages(runUpdate(roleBindingStrategy, next, obj).errors),
    ['roleRef: Invalid value: {"kind":"Role","name":"other","apiGroup":"rbac.authorization.k8s.io"}: cannot change roleRef']);
  const crb = { metadata: { name: 'x' }, roleRef: { kind: 'Role', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'sa' }, { kind: 'Robot', name: 'r2' }] };
  assert.deepEqual(messages(runCreate(clusterRoleBindingStrategy, crb).errors), [
    'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
    'subjects[0].namespace: Required value',
    'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
  ]);
});
