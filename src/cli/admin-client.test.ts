// The admin API client against a real kubevisor server started in this
// process: finding the server in a kubeconfig, authenticating, reading
// Status errors as kubectl prints them, watching.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ensurePki, type Pki } from '../server/pki/pki.ts';
import { AdminClient, apiError, clientForArgs, kubeconfigFiles, loadKubeconfig, resolveAdminTarget } from './admin-client.ts';
import { mergeKubeconfig, standaloneKubeconfig } from './kubeconfig.ts';
import { startKubevisorServer, type KubevisorServer } from './server-runtime.ts';

const VCS = '/apis/kubevisor.dev/v1alpha1/virtualclusters';

let dir: string;
let pki: Pki;
let server: KubevisorServer;
/** kubevisor-admin for the server, and "prod" (current). */
let kubeconfig: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubevisor-admin-client-'));
  const dataDir = join(dir, 'data');
  pki = await ensurePki(dataDir);
  server = await startKubevisorServer({ host: '127.0.0.1', port: 0, dataDir, storage: { backend: 'sqlite' }, pki });
  const creds = { server: server.url, caCert: pki.caCert, clientCert: pki.adminCert, clientKey: pki.adminKey };
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, mergeKubeconfig(standaloneKubeconfig({ name: 'kubevisor-admin', ...creds }), { name: 'prod', ...creds }), { mode: 0o600 });
});
after(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('which kubeconfig files: --kubeconfig, else $KUBECONFIG, else ~/.kube/config', () => {
  assert.deepEqual(kubeconfigFiles({ kubeconfig: 'k', env: {}, home: '/h', cwd: '/c' }), ['/c/k']);
  assert.deepEqual(kubeconfigFiles({ env: { KUBECONFIG: `/a${delimiter}${delimiter}/b${delimiter}/a` }, home: '/h' }), ['/a', '/b']);
  assert.deepEqual(kubeconfigFiles({ env: {}, home: '/h' }), ['/h/.kube/config']);
});

test('files merge: the first to name an entry or a current context wins', async () => {
  const a = join(dir, 'merge-a');
  const b = join(dir, 'merge-b');
  writeFileSync(a, 'contexts:\n- name: x\n  context: {cluster: from-a}\n');
  writeFileSync(b, 'current-context: x\ncontexts:\n- name: x\n  context: {cluster: from-b}\n- name: y\n  context: {cluster: c}\n');
  const k = await loadKubeconfig({ env: { KUBECONFIG: [a, join(dir, 'absent'), b].join(delimiter) }, home: '/h' });
  assert.equal(k.currentContext, 'x');
  assert.equal(k.contexts.get('x')!.value.cluster, 'from-a');
  assert.equal(k.contexts.get('y')!.file, b);
  await assert.rejects(loadKubeconfig({ kubeconfig: join(dir, 'absent'), env: {}, home: '/h' }), /cannot read kubeconfig/);
});

test('the admin target: context kubevisor-admin, whatever the current context', async () => {
  const t = await resolveAdminTarget({ env: { KUBECONFIG: kubeconfig }, home: '/h' });
  assert.equal(t.server, server.url);
  assert.equal(t.context, 'kubevisor-admin');
  assert.equal(t.ca!.toString(), pki.caCert);
  assert.equal(t.cert!.toString(), pki.adminCert);
  assert.equal(t.key!.toString(), pki.adminKey);
  const other = await resolveAdminTarget({ kubeconfig, context: 'prod', server: 'https://10.0.0.1:1/', env: {}, home: '/h' });
  assert.equal(other.server, 'https://10.0.0.1:1');
  assert.equal(other.context, 'prod');
  await assert.rejects(resolveAdminTarget({ kubeconfig, context: 'nope', env: {}, home: '/h' }), /context "nope" not found/);
  await assert.rejects(resolveAdminTarget({ kubeconfig, server: 'http://x', env: {}, home: '/h' }), /https only/);
  const bare = await resolveAdminTarget({ server: 'https://h:1', env: {}, home: dir });
  assert.deepEqual(bare, { server: 'https://h:1', context: undefined });
});

test('requests with the client certificate; Status errors read as kubectl prints them', async () => {
  const client = new AdminClient(await resolveAdminTarget({ kubeconfig, env: {}, home: '/h' }));
  const list = await client.json<{ kind: string; items: unknown[] }>(VCS);
  assert.equal(list.kind, 'VirtualClusterList');
  assert.deepEqual(list.items, []);
  await assert.rejects(client.json(`${VCS}/x`), {
    name: 'ApiError', code: 404, reason: 'NotFound', message: 'Error from server (NotFound): virtualclusters.kubevisor.dev "x" not found',
  });
  await assert.rejects(client.json(VCS, { method: 'POST', json: { apiVersion: 'kubevisor.dev/v1alpha1', kind: 'VirtualCluster', metadata: { name: 'Bad_Name' } } }), {
    name: 'ApiError', code: 422, reason: 'Invalid', message: /^Error from server \(Invalid\): VirtualCluster\.kubevisor\.dev "Bad_Name" is invalid: /,
  });
  const anonymous = new AdminClient({ server: server.url, context: undefined, ca: pki.caCert });
  await assert.rejects(anonymous.json(VCS), { code: 401, message: 'error: You must be logged in to the server (Unauthorized)' });
  const badToken = new AdminClient({ server: server.url, context: undefined, ca: pki.caCert, token: 'not-the-admin-token' });
  await assert.rejects(badToken.json(VCS), { code: 401, message: 'error: You must be logged in to the server (Unauthorized)' });
  assert.ok(pki.adminToken, 'ensurePki made the admin token just now');
  const withToken = new AdminClient({ server: server.url, context: undefined, ca: pki.caCert, token: pki.adminToken });
  assert.deepEqual((await withToken.json<{ items: unknown[] }>(VCS)).items, []);
  const untrusted = new AdminClient({ server: server.url, context: 'c', cert: pki.adminCert, key: pki.adminKey });
  await assert.rejects(untrusted.json('/'), /cannot connect to the kubevisor server at https:\/\/127\.0\.0\.1:\d+ \(context "c"\): TLS: /);
  const refused = new AdminClient({ server: 'https://127.0.0.1:1', context: undefined });
  await assert.rejects(refused.json('/'), /connection refused; is it running\?/);
});

test('watch: events until the callback is satisfied', async () => {
  const client = new AdminClient(await resolveAdminTarget({ kubeconfig, env: {}, home: '/h' }));
  const { metadata } = await client.json<{ metadata: { resourceVersion: string } }>(VCS);
  const seen: string[] = [];
  const watching = client.watch(VCS, { fieldSelector: 'metadata.name=watched', resourceVersion: metadata.resourceVersion }, (type, object) => {
    const status = object.status as { phase?: string } | undefined;
    seen.push(`${type} ${status?.phase ?? ''}`.trim());
    return status?.phase === 'Running';
  });
  await client.json(VCS, { method: 'POST', json: { apiVersion: 'kubevisor.dev/v1alpha1', kind: 'VirtualCluster', metadata: { name: 'watched' } } });
  assert.equal(await watching, true);
  assert.equal(seen[0]!.split(' ')[0], 'ADDED');
  assert.equal(seen.at(-1), 'MODIFIED Running');
  await client.json(`${VCS}/watched`, { method: 'DELETE' });
  // The deletion ends with a DELETED event.
  const { metadata: after } = await client.json<{ metadata: { resourceVersion: string } }>(VCS);
  const gone = await client.json(`${VCS}/watched`).then(() => false, (err: { code?: number }) => err.code === 404);
  if (!gone) {
    assert.equal(await client.watch(VCS, { fieldSelector: 'metadata.name=watched', resourceVersion: after.resourceVersion }, (type) => type === 'DELETED'), true);
  }
});

test('answers that are not a Status or not JSON', async () => {
  // The real server answers in Status objects; a server failure it cannot be made to produce comes from this stand-in.
  const broken = createServer({ cert: pki.servingCert, key: pki.servingKey }, (req, res) => {
    if (req.url === '/fail') {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('internal trouble');
    } else {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html>not json</html>');
    }
  });
  await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
  try {
    const address = broken.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const client = new AdminClient({ server: `https://127.0.0.1:${port}`, context: undefined, ca: pki.caCert });
    await assert.rejects(client.json('/fail'), {
      name: 'ApiError', code: 500, reason: 'InternalError',
      message: 'Error from server (InternalError): the server responded with the status code 500 but did not return more information: internal trouble (GET /fail)',
    });
    await assert.rejects(client.json('/page'), { message: 'GET /page: the server answered with something that is not JSON: <html>not json</html>' });
  } finally {
    broken.closeAllConnections();
    await new Promise<void>((resolve) => broken.close(() => resolve()));
  }
});

test('error messages for bodies that are not a Status', () => {
  assert.equal(apiError(409, JSON.stringify({ kind: 'Status', reason: 'AlreadyExists', message: 'virtualclusters.kubevisor.dev "a" already exists' }), 'x').message,
    'Error from server (AlreadyExists): virtualclusters.kubevisor.dev "a" already exists');
  assert.equal(apiError(503, 'busy', 'GET /x').message,
    'Error from server (ServiceUnavailable): the server responded with the status code 503 but did not return more information: busy (GET /x)');
  assert.equal(apiError(429, JSON.stringify({ kind: 'Status', message: 'too many requests' }), 'x').message, 'Error from server (TooManyRequests): too many requests');
});

test('the CLI config file names the kubeconfig and context when the flags do not', async () => {
  const home = join(dir, 'cli-home');
  const config = join(dir, 'cli-config.yaml');
  writeFileSync(config, `kubeconfig: ${kubeconfig}\ncontext: prod\n`);
  const io = { env: { KUBEVISOR_CONFIG: config }, home, cwd: dir };
  const c = await clientForArgs({}, io);
  assert.equal(c.target.context, 'prod');
  const list = await c.json<{ kind: string }>(VCS);
  assert.equal(list.kind, 'VirtualClusterList');
  writeFileSync(config, 'contxt: prod\n');
  await assert.rejects(clientForArgs({}, io), /unknown setting "contxt"/);
  // Flags win over the file.
  writeFileSync(config, 'context: nope\n');
  const flagged = await clientForArgs({ kubeconfig, context: 'kubevisor-admin' }, io);
  assert.equal(flagged.target.context, 'kubevisor-admin');
  await assert.rejects(clientForArgs({}, { env: { KUBEVISOR_CONFIG: join(dir, 'missing.yaml') }, home, cwd: dir }), /cannot read the kubevisor config file/);
});
