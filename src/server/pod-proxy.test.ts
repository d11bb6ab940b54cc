// pods/proxy and services/proxy of simulated pods, against a whole kubevisor
// server in this process: requests reach a local HTTP server through the
// pod's port-forward annotation, as upstream's proxy would reach the pod.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { spawn } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubevisorServer, type KubevisorServer } from '../cli/server-runtime.ts';
import { standaloneKubeconfig } from '../cli/kubeconfig.ts';
import { ensurePki, type Pki } from './pki/pki.ts';
import type { VirtualCluster } from './cluster.ts';
import { installRbac } from './rbac/install.ts';
import { hasKubectl } from '../../test/support/in-process-server.ts';
import { waitForOutput } from './streaming/testing.ts';

const CLUSTER = 'proxy';
const BASE = `/clusters/${CLUSTER}/api/v1/namespaces/default`;

let dir: string;
let pki: Pki;
let server: KubevisorServer;
let vc: VirtualCluster;
let port: number;
let backend: Server;
let backendPort: number;
/** The requests the backend saw, last first. */
const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];

interface Answer { status: number; headers: IncomingMessage['headers']; body: string }

/** A request to the kubevisor server, as `token`'s user (the admin by default). */
function call(method: string, path: string, opts: { token?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: '127.0.0.1', port, path, method, ca: pki.caCert, agent: false,
      headers: { Authorization: `Bearer ${opts.token ?? 'admin-token'}`, ...(opts.body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...opts.headers },
    }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

async function ok(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const a = await call(method, path, { body: body === undefined ? undefined : JSON.stringify(body) });
  assert.ok(a.status < 300, `${method} ${path}: ${a.status} ${a.body}`);
  return JSON.parse(a.body) as Record<string, unknown>;
}

/** A pod with an IP and the annotations given (its status set as a kubelet would). */
async function pod(name: string, annotations: Record<string, string>, opts: { ip?: string; ports?: unknown[] } = {}): Promise<void> {
  const created = await ok('POST', `${BASE}/pods`, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, annotations, labels: { app: name } },
    spec: { containers: [{ name: 'app', image: 'example/app:1', ...(opts.ports ? { ports: opts.ports } : {}) }] },
  });
  if (opts.ip === undefined) return;
  await ok('PUT', `${BASE}/pods/${name}/status`, { ...created, status: { phase: 'Running', podIP: opts.ip, podIPs: [{ ip: opts.ip }] } });
}

const proxied = (path: string) => `${BASE}/pods/${path}`;
const status = (a: Answer) => JSON.parse(a.body) as { code: number; reason: string; message: string };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubevisor-proxy-'));
  pki = await ensurePki(join(dir, 'data'));
  server = await startKubevisorServer({
    host: '127.0.0.1', port: 0, dataDir: join(dir, 'data'), storage: { backend: 'sqlite' }, pki, podHostAccess: true, controllers: () => () => {},
  });
  vc = await server.ensureCluster(CLUSTER);
  port = Number(new URL(server.url).port);
  vc.tokens.push({ authenticateToken: (t) => (t === 'admin-token' ? { username: 'admin', groups: ['system:masters', 'system:authenticated'] } : undefined) });
  vc.tokens.push({ authenticateToken: (t) => (t === 'jane-token' ? { username: 'jane', groups: ['system:authenticated'] } : undefined) });

  backend = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      seen.unshift({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url === '/redirect') {
        res.writeHead(302, { Location: '/elsewhere/' });
        res.end();
      } else if (req.url === '/page') {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end('<html><a href="/docs/">docs</a> <img src=\'pic.png\'> <a href="https://example.com/x">out</a><script>var a = "<a href=/no>";</script></html>');
      } else {
        res.writeHead(req.method === 'POST' ? 201 : 200, {
          'Content-Type': 'text/plain', 'X-Backend': 'yes', 'Access-Control-Allow-Origin': '*',
        });
        res.end(req.method === 'HEAD' ? undefined : `${req.method} ${req.url} ${body}`);
      }
    });
  });
  // A WebSocket-like upgrade: 101, then every chunk comes back prefixed.
  backend.on('upgrade', (req, socket) => {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Saw-Authorization: ${req.headers.authorization ? 'yes' : 'no'}\r\n\r\n`);
    socket.on('data', (d: Buffer) => socket.write(`echo:${d.toString()}`));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  backendPort = (backend.address() as AddressInfo).port;

  await pod('web', { 'kubevisor.dev/port-forward-8080': `127.0.0.1:${backendPort}` }, { ip: '10.244.0.10', ports: [{ name: 'http', containerPort: 8080 }] });
  await pod('pending', { 'kubevisor.dev/port-forward-8080': `127.0.0.1:${backendPort}` });
  // Ready in no endpoint; its port goes nowhere.
  await pod('down', { 'kubevisor.dev/port-forward-8080': '127.0.0.1:1' }, { ip: '10.244.0.11' });
  await ok('POST', `${BASE}/services`, {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  });
  await ok('POST', `${BASE}/endpoints`, {
    apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web' },
    subsets: [{
      addresses: [{ ip: '10.244.0.10', targetRef: { kind: 'Pod', namespace: 'default', name: 'web' } }],
      notReadyAddresses: [{ ip: '10.244.0.11', targetRef: { kind: 'Pod', namespace: 'default', name: 'down' } }],
      ports: [{ name: 'http', port: 8080 }],
    }],
  });
  await ok('POST', `${BASE}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'empty' }, spec: { selector: { app: 'none' }, ports: [{ port: 80 }] } });
  await ok('POST', `${BASE}/endpoints`, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'empty' } });
  // A service with EndpointSlices only (no Endpoints object).
  await ok('POST', `${BASE}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'sliced' }, spec: { selector: { app: 'web' }, ports: [{ port: 81, targetPort: 8080 }] } });
  await ok('POST', `/clusters/${CLUSTER}/apis/discovery.k8s.io/v1/namespaces/default/endpointslices`, {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'sliced-abc', labels: { 'kubernetes.io/service-name': 'sliced' } },
    addressType: 'IPv4', ports: [{ name: '', port: 8080 }],
    endpoints: [
      { addresses: ['10.244.0.11'], conditions: { ready: false }, targetRef: { kind: 'Pod', namespace: 'default', name: 'down' } },
      { addresses: ['10.244.0.10'], conditions: { ready: true }, targetRef: { kind: 'Pod', namespace: 'default', name: 'web' } },
    ],
  });
});

after(async () => {
  await server?.close();
  await new Promise<void>((resolve) => (backend ? backend.close(() => resolve()) : resolve()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('GET through pods/proxy: path and query forwarded, credentials not, X-Forwarded-* set', async () => {
  const a = await call('GET', proxied('web:8080/proxy/some/./deep/../path?x=1&y=a%20b&y=c'), {
    headers: {
      'X-Custom': 'kept', 'Impersonate-User': 'someone', 'Impersonate-Group': 'system:masters', 'X-Remote-User': 'someone', 'X-Forwarded-For': '192.0.2.1',
    },
  });
  assert.equal(a.status, 200, a.body);
  assert.equal(a.body, 'GET /some/path?x=1&y=a%20b&y=c ');
  assert.equal(a.headers['x-backend'], 'yes');
  assert.equal(a.headers['access-control-allow-origin'], undefined, 'CORS headers of the backend are dropped');
  const h = seen[0]!.headers;
  assert.equal(h.authorization, undefined, 'the caller\'s Authorization stays on the API server');
  assert.equal(h['impersonate-user'], undefined);
  assert.equal(h['impersonate-group'], undefined);
  assert.equal(h['x-remote-user'], undefined);
  assert.equal(h['x-custom'], 'kept');
  assert.equal(h.host, `127.0.0.1:${port}`, 'the client\'s Host goes on');
  assert.equal(h['x-forwarded-for'], '192.0.2.1, 127.0.0.1');
  assert.equal(h['x-forwarded-uri'], `${BASE}/pods/web:8080/proxy/some/path`);
});

test('POST, PUT, DELETE and HEAD through pods/proxy; the backend\'s status and headers come back', async () => {
  const posted = await call('POST', proxied('web:8080/proxy/submit'), { body: '{"hello":"world"}' });
  assert.equal(posted.status, 201);
  assert.equal(posted.body, 'POST /submit {"hello":"world"}');
  assert.equal(seen[0]!.headers['content-type'], 'application/json');
  assert.equal((await call('PUT', proxied('web:8080/proxy/item'), { body: 'x' })).body, 'PUT /item x');
  assert.equal((await call('DELETE', proxied('web:8080/proxy/item'))).body, 'DELETE /item ');
  const head = await call('HEAD', proxied('web:8080/proxy/item'));
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  assert.equal(seen[0]!.method, 'HEAD');
});

test('the port: the first declared container port when none is given; a port name is not a container port', async () => {
  assert.equal((await call('GET', proxied('web/proxy/default-port'))).body, 'GET /default-port ');
  assert.equal((await call('GET', proxied('http:web:8080/proxy/scheme'))).body, 'GET /scheme ');
  // As upstream: the dialer reads `http` as port 80, which nothing is configured for.
  const named = await call('GET', proxied('web:http/proxy/'));
  assert.equal(named.status, 503);
  assert.match(status(named).message, /^error trying to reach service: pod default\/web is simulated by kubevisor and nothing listens on its port 80; set the pod annotation kubevisor\.dev\/port-forward-80 /);
});

test('errors: no annotation for the port, a pod without an IP, an unknown pod, a bad id, a refused connection', async () => {
  const missing = await call('GET', proxied('web:9999/proxy/'));
  assert.equal(missing.status, 503);
  assert.equal(status(missing).reason, 'ServiceUnavailable');
  assert.match(status(missing).message, /^error trying to reach service: pod default\/web is simulated by kubevisor and nothing listens on its port 9999; set the pod annotation kubevisor\.dev\/port-forward-9999 to a local address/);
  const pending = await call('GET', proxied('pending:8080/proxy/'));
  assert.equal(pending.status, 400);
  assert.equal(status(pending).message, 'address not allowed');
  const gone = await call('GET', proxied('nope:8080/proxy/'));
  assert.equal(gone.status, 404);
  assert.equal(status(gone).message, 'pods "nope" not found');
  const bad = await call('GET', proxied('ftp:web:80/proxy/'));
  assert.equal(bad.status, 400);
  assert.equal(status(bad).message, 'invalid pod request "ftp:web:80"');
  const refused = await call('GET', proxied('down:8080/proxy/'));
  assert.equal(refused.status, 503);
  assert.equal(status(refused).message, 'error trying to reach service: dial tcp 127.0.0.1:1: connect: connection refused');
});

test('a GET of …/proxy is redirected to …/proxy/; Location headers and HTML links stay under the proxy path', async () => {
  const bare = await call('GET', proxied('web:8080/proxy?q=1'));
  assert.equal(bare.status, 301);
  assert.equal(bare.headers.location, `${BASE}/pods/web:8080/proxy/?q=1`);
  const redirect = await call('GET', proxied('web:8080/proxy/redirect'));
  assert.equal(redirect.status, 302);
  assert.equal(redirect.headers.location, `${BASE}/pods/web:8080/proxy/elsewhere/`);
  const page = await call('GET', proxied('web:8080/proxy/page'));
  assert.equal(page.body,
    `<html><a href="${BASE}/pods/web:8080/proxy/docs/">docs</a> <img src='pic.png'> <a href="https://example.com/x">out</a><script>var a = "<a href=/no>";</script></html>`);
  assert.equal(page.headers['content-length'], String(Buffer.byteLength(page.body)));
});

test('services/proxy: a ready endpoint by service port number or name; the errors as upstream words them', async () => {
  for (let i = 0; i < 5; i++) {
    const a = await call('GET', `${BASE}/services/web:80/proxy/svc?i=${i}`);
    assert.equal(a.status, 200, a.body);
    assert.equal(a.body, `GET /svc?i=${i} `);
  }
  assert.equal((await call('GET', `${BASE}/services/http:web:http/proxy/named`)).body, 'GET /named ');
  assert.equal((await call('GET', `${BASE}/services/sliced:81/proxy/slice`)).body, 'GET /slice ');
  // The service's only port is named: no port given means the unnamed one, which no endpoint has.
  const unnamed = await call('GET', `${BASE}/services/web/proxy/`);
  assert.equal(unnamed.status, 503);
  assert.equal(status(unnamed).message, 'no endpoints available for service "web"');
  const empty = await call('GET', `${BASE}/services/empty:80/proxy/`);
  assert.equal(empty.status, 503);
  assert.equal(status(empty).message, 'no endpoints available for service "empty"');
  const wrongPort = await call('GET', `${BASE}/services/web:81/proxy/`);
  assert.equal(wrongPort.status, 503);
  assert.equal(status(wrongPort).message, 'no service port 81 found for service "web"');
  const unknown = await call('GET', `${BASE}/services/nope/proxy/`);
  assert.equal(unknown.status, 404);
  assert.equal(status(unknown).message, 'endpoints "nope" not found');
});

test('a WebSocket upgrade through pods/proxy reaches the backend without the caller\'s credentials', async () => {
  const socket = tlsConnect({ host: '127.0.0.1', port, ca: pki.caCert, servername: 'localhost' });
  try {
    await new Promise<void>((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject); });
    socket.write(`GET ${proxied('web:8080/proxy/ws')} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nAuthorization: Bearer admin-token\r\n\r\n`);
    let got = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer): void => {
        got += d.toString();
        if (got.includes('\r\n\r\n')) { socket.off('data', onData); resolve(); }
      };
      socket.on('data', onData);
      socket.once('error', reject);
    });
    assert.match(got, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(got, /X-Saw-Authorization: no\r\n/);
    socket.write('ping');
    const echoed = await new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
    assert.equal(echoed, 'echo:ping');
  } finally {
    socket.destroy();
  }
});

test('kubectl proxy: browsing a service through it follows the redirect and the rewritten links', async (t) => {
  if (!(await hasKubectl())) { t.skip('kubectl is not installed'); return; }
  const kubeconfig = join(dir, 'kubeconfig');
  // The cluster's own client certificate: kubectl proxy drops the /clusters/NAME path, and the server finds the cluster by it.
  const creds = await server.manager.credentials(CLUSTER);
  writeFileSync(kubeconfig, standaloneKubeconfig({
    name: CLUSTER, server: `${server.url}/clusters/${CLUSTER}`, caCert: pki.caCert, clientCert: creds.certChainPem, clientKey: creds.keyPem,
  }));
  const child = spawn('kubectl', ['proxy', '--port=0'], { env: { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: kubeconfig } });
  try {
    const local = Number((await waitForOutput(child.stdout!, /Starting to serve on 127\.0\.0\.1:(\d+)/))[1]);
    const browse = (path: string) => new Promise<{ status: number; location?: string; body: string }>((resolve, reject) => {
      httpGet({ host: '127.0.0.1', port: local, path }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body }));
      }).on('error', reject);
    });
    const svc = '/api/v1/namespaces/default/services/web:80/proxy';
    const bare = await browse(svc);
    assert.equal(bare.status, 301);
    assert.equal(bare.location, `${svc}/`);
    assert.equal((await browse(bare.location!)).body, 'GET / ');
    const page = await browse(`${svc}/page`);
    const link = /<a href="([^"]+)">docs/.exec(page.body)?.[1];
    assert.equal(link, `${svc}/docs/`);
    assert.equal((await browse(link!)).body, 'GET /docs/ ');
    assert.equal(seen[0]!.headers.authorization, undefined);
  } finally {
    child.kill();
  }
});

test('authorization: pods/proxy by the request\'s verb; OPTIONS needs verb options', async () => {
  vc.authorizer = await installRbac(vc);
  await ok('POST', `/clusters/${CLUSTER}/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles`, {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'reader' },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
  });
  await ok('POST', `/clusters/${CLUSTER}/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'jane' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'jane' }],
  });
  const denied = await call('GET', proxied('web:8080/proxy/'), { token: 'jane-token' });
  assert.equal(denied.status, 403);
  assert.equal(status(denied).message,
    'pods "web:8080" is forbidden: User "jane" cannot get resource "pods/proxy" in API group "" in the namespace "default"');
  await ok('PUT', `/clusters/${CLUSTER}/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles/reader`, {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'reader' },
    rules: [{ apiGroups: [''], resources: ['pods', 'pods/proxy'], verbs: ['get'] }],
  });
  // The authorizer's cache sees the change shortly.
  let allowed: Answer | undefined;
  for (let i = 0; i < 50; i++) {
    allowed = await call('GET', proxied('web:8080/proxy/hi'), { token: 'jane-token' });
    if (allowed.status !== 403) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(allowed?.status, 200, allowed?.body);
  const post = await call('POST', proxied('web:8080/proxy/hi'), { token: 'jane-token', body: '{}' });
  assert.equal(post.status, 403);
  assert.match(status(post).message, /cannot create resource "pods\/proxy"/);
  const options = await call('OPTIONS', proxied('web:8080/proxy/hi'), { token: 'jane-token' });
  assert.equal(options.status, 403);
  assert.match(status(options).message, /cannot options resource "pods\/proxy"/);
});
