// The admin API's own RBAC decides who may create virtual clusters: a platform
// team grants self-service with an ordinary ClusterRole and binding.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../support/client.ts';
import { startKubevisor, type Kubevisor } from '../support/kubevisor.ts';

const JSON_HEADERS = { 'Content-Type': 'application/json' };
const VCS = '/apis/kubevisor.dev/v1alpha1/virtualclusters';
let kv: Kubevisor;
let admin: Client;

before(async () => {
  kv = await startKubevisor({ extraArgs: ['--nodes', '0'] });
  admin = new Client(kv.kubeconfig, 'kubevisor-admin');
});
after(async () => {
  admin?.close();
  await kv?.stop();
});

const asAlice = { 'Impersonate-User': 'alice', 'Impersonate-Group': 'platform-users' };
const vc = (name: string) => JSON.stringify({ apiVersion: 'kubevisor.dev/v1alpha1', kind: 'VirtualCluster', metadata: { name }, spec: {} });

test('a user may create virtual clusters only once the admin API\'s RBAC allows it', async () => {
  const refused = await admin.request('POST', VCS, { body: vc('alice-dev'), headers: { ...JSON_HEADERS, ...asAlice } });
  assert.equal(refused.status, 403);
  assert.equal(refused.json().message, 'virtualclusters.kubevisor.dev is forbidden: User "alice" cannot create resource "virtualclusters" in API group "kubevisor.dev" at the cluster scope');
  const list = await admin.request('GET', VCS, { headers: asAlice });
  assert.equal(list.status, 403);

  const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'virtualcluster-creator' }, rules: [
    { apiGroups: ['kubevisor.dev'], resources: ['virtualclusters'], verbs: ['create', 'get', 'list', 'watch'] },
    { apiGroups: ['kubevisor.dev'], resources: ['virtualclusters/kubeconfig'], verbs: ['get'] },
  ] };
  const binding = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'platform-users-create' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'virtualcluster-creator' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'platform-users' }] };
  assert.equal((await admin.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', { body: JSON.stringify(role), headers: JSON_HEADERS })).status, 201);
  assert.equal((await admin.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', { body: JSON.stringify(binding), headers: JSON_HEADERS })).status, 201);

  const created = await admin.request('POST', VCS, { body: vc('alice-dev'), headers: { ...JSON_HEADERS, ...asAlice } });
  assert.equal(created.status, 201, created.body.toString());
  const creds = await admin.request('GET', `${VCS}/alice-dev/kubeconfig`, { headers: asAlice });
  assert.equal(creds.status, 200);
  assert.match(creds.json().server, /\/clusters\/alice-dev$/);
  // Deleting was not granted.
  const del = await admin.request('DELETE', `${VCS}/alice-dev`, { headers: asAlice });
  assert.equal(del.status, 403);
  assert.match(del.json().message, /cannot delete resource "virtualclusters"/);
  // Snapshots were not granted either: a different subresource.
  const snap = await admin.request('GET', `${VCS}/alice-dev/snapshot`, { headers: asAlice });
  assert.equal(snap.status, 403);
});
