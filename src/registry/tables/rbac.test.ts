import assert from 'node:assert/strict';
import { test } from 'node:test';

import { tableFor } from './index.ts';
import { clusterRoleBindingTable, roleBindingTable } from './rbac.ts';
import { DAY, NOW, header, narrow, obj } from './testing.ts';

const subjects = [
  { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice@example.com' },
  { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:authenticated' },
  { kind: 'ServiceAccount', namespace: 'ci', name: 'deployer' },
  { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'bob' },
  { kind: 'ServiceAccount', namespace: 'kube-system', name: 'default' },
];

test('role binding', () => {
  assert.deepEqual(header(roleBindingTable), ['Name', 'Role', 'Age', 'Users*', 'Groups*', 'ServiceAccounts*']);
  const rb = obj('deployers', 14 * DAY, { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' }, subjects });
  assert.deepEqual(roleBindingTable.cells(rb, NOW), [
    'deployers', 'ClusterRole/edit', '14d', 'alice@example.com, bob', 'system:authenticated', 'ci/deployer, kube-system/default',
  ]);
  const empty = obj('nobody', 14 * DAY, { roleRef: { kind: 'Role', name: 'reader' } });
  assert.deepEqual(roleBindingTable.cells(empty, NOW), ['nobody', 'Role/reader', '14d', '', '', '']);
});

test('cluster role binding', () => {
  assert.deepEqual(header(clusterRoleBindingTable), ['Name', 'Role', 'Age', 'Users*', 'Groups*', 'ServiceAccounts*']);
  const crb = obj('cluster-admin', 300 * DAY, {
    roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'Group', name: 'system:masters' }],
  }, { namespace: undefined });
  assert.deepEqual(narrow(clusterRoleBindingTable, crb), ['cluster-admin', 'ClusterRole/cluster-admin', '300d']);
  assert.deepEqual(clusterRoleBindingTable.cells(crb, NOW).slice(3), ['', 'system:masters', '']);
});

test('roles have no printer: name and creation time', () => {
  for (const kind of ['Role', 'ClusterRole']) {
    const table = tableFor('rbac.authorization.k8s.io', 'v1', kind)!;
    assert.deepEqual(header(table), ['Name', 'Created At']);
    assert.equal(table.columns[1]!.type, 'date');
    const role = obj('view', 3 * DAY, { rules: [] }, { creationTimestamp: '2024-04-28T12:00:00.123Z' });
    assert.deepEqual(table.cells(role, NOW), ['view', '2024-04-28T12:00:00Z']);
  }
});
