// RBAC seen through the real kubectl against an in-process server: a user
// bound to `view` reads but may not write (upstream's 403 text), `auth can-i
// --list` shows the bound rules, and --as impersonation is authorized.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { hasKubectl, kubectl, startInProcessServer } from '../../../test/support/in-process-server.ts';
import { installRbac } from './install.ts';
import { impersonate } from './impersonation.ts';

test('kubectl as a view user: reads allowed, writes forbidden, can-i --list, --as', { timeout: 120_000 }, async (t) => {
  if (!(await hasKubectl())) { t.skip('kubectl is not installed'); return; }
  const server = await startInProcessServer('rbac', () => () => {});
  try {
    const vc = server.vc;
    // Until the server installs RBAC at cluster open, install it here (installRbac is idempotent).
    const authz = await installRbac(vc);
    vc.authorizer = authz;
    vc.impersonate = (req, user) => impersonate(req, user, authz);
    // jane authenticates with a bearer token of her own.
    vc.tokens.push({ authenticateToken: (tok) => (tok === 'jane-token' ? { username: 'jane', groups: ['system:authenticated'] } : undefined) });
    const kc = parse(readFileSync(server.kubeconfig, 'utf8'));
    kc.users = [{ name: 'jane', user: { token: 'jane-token' } }];
    for (const c of kc.contexts) c.context.user = 'jane';
    const janeConfig = `${server.kubeconfig}-jane`;
    writeFileSync(janeConfig, stringify(kc));
    const admin = (...args: string[]) => kubectl(server.env, args);
    const jane = (...args: string[]) => kubectl({ ...server.env, KUBECONFIG: janeConfig }, args);

    const bound = await admin('create', 'rolebinding', 'jane-view', '--clusterrole=view', '--user=jane', '-n', 'default');
    assert.equal(bound.code, 0, bound.stderr);

    const get = await jane('get', 'pods', '-n', 'default');
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stderr, /No resources found in default namespace/);

    const create = await jane('create', 'configmap', 'x', '-n', 'default');
    assert.notEqual(create.code, 0);
    assert.equal(create.stderr.trim(),
      'error: failed to create configmap: configmaps is forbidden: User "jane" cannot create resource "configmaps" in API group "" in the namespace "default"');

    const other = await jane('get', 'pods', '-n', 'kube-system');
    assert.equal(other.stderr.trim(),
      'Error from server (Forbidden): pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "kube-system"');

    const list = await jane('auth', 'can-i', '--list', '-n', 'default');
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    assert.ok(lines.includes('pods [] [] [get list watch]'), list.stdout);
    assert.ok(lines.includes('selfsubjectaccessreviews.authorization.k8s.io [] [] [create]'), list.stdout);
    assert.ok(lines.includes('[/api/*] [] [get]'), list.stdout);
    assert.ok(!lines.some((l) => l.startsWith('secrets ')), 'view does not read secrets');

    assert.equal((await jane('auth', 'can-i', 'list', 'deployments.apps', '-n', 'default')).stdout.trim(), 'yes');
    assert.equal((await jane('auth', 'can-i', 'create', 'pods', '-n', 'default')).stdout.trim(), 'no');

    // The admin (system:masters) may impersonate; jane may not.
    const as = await admin('get', 'pods', '-n', 'kube-system', '--as=jane');
    assert.equal(as.stderr.trim(),
      'Error from server (Forbidden): pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "kube-system"');
    const asOk = await admin('auth', 'can-i', 'get', 'pods', '-n', 'default', '--as=jane');
    assert.equal(asOk.stdout.trim(), 'yes');
    const janeAs = await jane('get', 'pods', '-n', 'default', '--as=bob');
    assert.equal(janeAs.stderr.trim(),
      'Error from server (Forbidden): users "bob" is forbidden: User "jane" cannot impersonate resource "users" in API group "" at the cluster scope');
  } finally {
    await server.close();
  }
});
