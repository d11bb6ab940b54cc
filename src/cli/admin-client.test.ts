import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { AdminClient, apiError, kubeconfigFiles, loadKubeconfig, resolveAdminTarget } from './admin-client.ts';
import { startFakeAdmin, type FakeAdmin } from './fake-admin-server.ts';

let fake: FakeAdmin;
before(async () => { fake = await startFakeAdmin(); });
after(async () => { await fake.close(); });

test('which kubeconfig files: --kubeconfig, else $KUBECONFIG, else ~/.kube/config', () => {
  assert.deepEqual(kubeconfigFiles({ kubeconfig: 'k', env: {}, home: '/h', cwd: '/c' }), ['/c/k']);
  assert.deepEqual(kubeconfigFiles({ env: { KUBECONFIG: `/a${delimiter}${delimiter}/b${delimiter}/a` }, home: '/h' }), ['/a', '/b']);
  assert.deepEqual(kubeconfigFiles({ env: {}, home: '/h' }), ['/h/.kube/config']);
});

test('files merge: the first to name an entry or a current context wins', async () => {
  const a = join(fake.dir, 'merge-a');
  const b = join(fake.dir, 'merge-b');
  writeFileSync(a, 'contexts:\n- name: x\n  context: {cluster: from-a}\n');
  writeFileSync(b, 'current-context: x\ncontexts:\n- name: x\n  context: {cluster: from-b}\n- name: y\n  context: {cluster: c}\n');
  const k = await loadKubeconfig({ env: { KUBECONFIG: [a, join(fake.dir, 'absent'), b].join(delimiter) }, home: '/h' });
  assert.equal(k.currentContext, 'x');
  assert.equal(k.contexts.get('x')!.value.cluster, 'from-a');
  assert.equal(k.contexts.get('y')!.file, b);
  await assert.rejects(loadKubeconfig({ kubeconfig: join(fake.dir, 'absent'), env: {}, home: '/h' }), /cannot read kubeconfig/);
});

test('the admin target: context kubevisor-admin, whatever the current context', async () => {
  const t = await resolveAdminTarget({ env: { KUBECONFIG: fake.kubeconfig }, home: '/h' });
  assert.equal(t.server, fake.url);
  assert.equal(t.context, 'kubevisor-admin');
  assert.equal(t.ca!.toString(), fake.pki.caCert);
  assert.equal(t.cert!.toString(), fake.pki.adminCert);
  const other = await resolveAdminTarget({ kubeconfig: fake.kubeconfig, context: 'prod', server: 'https://10.0.0.1:1/', env: {}, home: '/h' });
  assert.equal(other.server, 'https://10.0.0.1:1');
  assert.equal(other.context, 'prod');
  await assert.rejects(resolveAdminTarget({ kubeconfig: fake.kubeconfig, context: 'nope', env: {}, home: '/h' }), /context "nope" not found/);
  await assert.rejects(resolveAdminTarget({ kubeconfig: fake.kubeconfig, server: 'http://x', env: {}, home: '/h' }), /https only/);
  const bare = await resolveAdminTarget({ server: 'https://h:1', env: {}, home: fake.dir });
  assert.deepEqual(bare, { server: 'https://h:1', context: undefined });
});

test('requests with the client certificate; Status errors read as kubectl prints them', async () => {
  const client = new AdminClient(await resolveAdminTarget({ kubeconfig: fake.kubeconfig, env: {}, home: '/h' }));
  const list = await client.json<{ items: unknown[] }>('/apis/kubevisor.dev/v1alpha1/virtualclusters');
  assert.deepEqual(list.items, []);
  await assert.rejects(client.json('/apis/kubevisor.dev/v1alpha1/virtualclusters/x'), {
    name: 'ApiError', code: 404, reason: 'NotFound', message: 'Error from server (NotFound): virtualclusters.kubevisor.dev "x" not found',
  });
  const anonymous = new AdminClient({ server: fake.url, context: undefined, ca: fake.pki.caCert });
  await assert.rejects(anonymous.json('/apis/kubevisor.dev/v1alpha1/virtualclusters'), { code: 401, message: 'error: You must be logged in to the server (Unauthorized)' });
  const withToken = new AdminClient({ server: fake.url, context: undefined, ca: fake.pki.caCert, token: 'admin-token' });
  assert.deepEqual((await withToken.json<{ items: unknown[] }>('/apis/kubevisor.dev/v1alpha1/virtualclusters')).items, []);
  const untrusted = new AdminClient({ server: fake.url, context: 'c', cert: fake.pki.adminCert, key: fake.pki.adminKey });
  await assert.rejects(untrusted.json('/'), /cannot connect to the kubevisor server at https:\/\/127\.0\.0\.1:\d+ \(context "c"\): TLS: /);
  const refused = new AdminClient({ server: 'https://127.0.0.1:1', context: undefined });
  await assert.rejects(refused.json('/'), /connection refused; is it running\?/);
});

test('error messages for bodies that are not a Status', () => {
  assert.equal(apiError(409, JSON.stringify({ kind: 'Status', reason: 'AlreadyExists', message: 'virtualclusters.kubevisor.dev "a" already exists' }), 'x').message,
    'Error from server (AlreadyExists): virtualclusters.kubevisor.dev "a" already exists');
  assert.equal(apiError(503, 'busy', 'GET /x').message,
    'Error from server (ServiceUnavailable): the server responded with the status code 503 but did not return more information: busy (GET /x)');
  assert.equal(apiError(429, JSON.stringify({ kind: 'Status', message: 'too many requests' }), 'x').message, 'Error from server (TooManyRequests): too many requests');
});
