// Admission webhooks against a whole kubevisor server in this process, with a
// real HTTPS webhook server this test runs (its own CA): denials and their
// Status, mutation by JSONPatch (clients' and controllers' writes), failure
// policies, timeouts, selectors, dry runs, deletes, warnings, Services of
// simulated pods, reinvocation and equivalent versions; connect requests
// (exec, attach, port-forward, proxy) as operation CONNECT; writes of a
// workload's scale as Scales; pod bindings and evictions and token requests
// as creates of their subresources.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpsServer, request as httpsRequest, type Server } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubevisorServer, type KubevisorServer } from '../../../cli/server-runtime.ts';
import { ensurePki, type Pki } from '../../pki/pki.ts';
import { issueCertificate, newKeyPair, privateKeyPem } from '../../pki/certificate.ts';
import type { VirtualCluster } from '../../cluster.ts';
import { upgrade, type Connected, type Refused } from '../testing.ts';

const CLUSTER = 'hooks';
const API = `/clusters/${CLUSTER}`;

let dir: string;
let pki: Pki;
let server: KubevisorServer;
let vc: VirtualCluster;
let port: number;
let hook: Server;
let hookPort: number;
let caBundle: string;
/** A port nothing listens on. */
let deadPort: number;
/** The node /bind-to-node-0 binds pods to (the cluster's one simulated node). */
let bindTarget = '';

interface Seen { path: string; query: string; headers: IncomingHttpHeaders; review: { request: Record<string, unknown> } }
const seen: Seen[] = [];

type Json = Record<string, unknown>;
interface Answer { status: number; headers: IncomingHttpHeaders; rawHeaders: string[]; body: string; json: Json }

function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: '127.0.0.1', port, path: API + path, method, ca: pki.caCert, agent: false,
      headers: { Authorization: 'Bearer admin-token', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => {
        let json: Json = {};
        try { json = JSON.parse(text) as Json; } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: text, json });
      });
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function ok(method: string, path: string, body?: unknown): Promise<Json> {
  const a = await call(method, path, body);
  assert.ok(a.status < 300, `${method} ${path}: ${a.status} ${a.body}`);
  return a.json;
}

async function eventually<T>(fn: () => Promise<T | undefined> | T | undefined, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What the webhook server answers, by path. */
function answer(path: string, review: { request: Json }): Json {
  const req = review.request;
  const obj = (req.object ?? req.oldObject) as { metadata?: { labels?: Record<string, string>; name?: string } } | null;
  const labels = obj?.metadata?.labels ?? {};
  const response: Json = { uid: req.uid, allowed: true };
  switch (path) {
    case '/deny-labelled':
      if (labels.deny === 'true') {
        Object.assign(response, { allowed: false, status: { code: 403, reason: 'Forbidden', message: 'configmaps labelled deny=true are refused' } });
      }
      break;
    case '/warn':
      response.warnings = ['this configmap is watched', 'résumé checked'];
      break;
    case '/deny-plain':
      Object.assign(response, { allowed: false, status: { message: 'no reason given' } });
      break;
    case '/protect':
      if (req.operation === 'DELETE' && labels.protect === 'true') {
        Object.assign(response, { allowed: false, status: { code: 403, reason: 'Forbidden', message: 'this object is protected' } });
      }
      break;
    case '/inject': {
      const o = req.object as { metadata: { labels?: Json } } | null;
      if (o) {
        const patch = o.metadata.labels ? [{ op: 'add', path: '/metadata/labels/injected', value: 'yes' }]
          : [{ op: 'add', path: '/metadata/labels', value: { injected: 'yes' } }];
        Object.assign(response, { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') });
      }
      break;
    }
    case '/rewrite-command':
      if (req.operation === 'CONNECT') {
        const patch = [{ op: 'replace', path: '/command', value: ['echo', 'rewritten by the webhook'] }];
        Object.assign(response, { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') });
      }
      break;
    case '/scale-at-least-3': {
      // A Scale below 3 replicas is raised to 3.
      const o = req.object as { kind?: string; spec?: { replicas?: number } } | null;
      if (o?.kind === 'Scale' && (o.spec?.replicas ?? 0) < 3) {
        const patch = [{ op: 'replace', path: '/spec/replicas', value: 3 }];
        Object.assign(response, { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') });
      }
      break;
    }
    case '/bind-to-node-0': {
      // Every Binding goes to node-0, whatever it asked for.
      const patch = [{ op: 'replace', path: '/target/name', value: bindTarget }];
      Object.assign(response, { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') });
      break;
    }
    case '/reinvoke-a': case '/reinvoke-b': {
      // a marks whether it saw b's label; b sets its label.
      const o = req.object as { metadata: { labels?: Record<string, string> } };
      const [key, value] = path === '/reinvoke-a' ? ['a-saw-b', o.metadata.labels?.b ? 'true' : 'false'] : ['b', 'done'];
      const patch = o.metadata.labels ? [{ op: 'add', path: `/metadata/labels/${key}`, value }] : [{ op: 'add', path: '/metadata/labels', value: { [key]: value } }];
      Object.assign(response, { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') });
      break;
    }
  }
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}

/**
 * What a webhook guarding pods labelled locked=true answers: a CONNECT names
 * the pod only by namespace and name (its object is the options), so it
 * reads the pod, as such webhooks do.
 */
async function lockedAnswer(review: { request: Json }): Promise<Json> {
  const req = review.request;
  const response: Json = { uid: req.uid, allowed: true };
  const pod = await call('GET', `/api/v1/namespaces/${req.namespace as string}/pods/${req.name as string}`);
  if (((pod.json.metadata as Json | undefined)?.labels as Json | undefined)?.locked === 'true') {
    Object.assign(response, { allowed: false, status: { code: 403, reason: 'Forbidden', message: `pod ${req.namespace as string}/${req.name as string} is locked` } });
  }
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}

function webhookConfig(kind: 'Validating' | 'Mutating', name: string, hooks: Json[]): Json {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: `${kind}WebhookConfiguration`, metadata: { name },
    webhooks: hooks.map((h) => ({ admissionReviewVersions: ['v1'], sideEffects: 'None', clientConfig: { url: `https://127.0.0.1:${hookPort}${h.path as string}`, caBundle }, ...h, path: undefined })),
  };
}

const plural = (kind: 'Validating' | 'Mutating') => `${kind.toLowerCase()}webhookconfigurations`;

/** Install a configuration for the test's duration (until the returned function). */
async function install(kind: 'Validating' | 'Mutating', name: string, hooks: Json[]): Promise<() => Promise<void>> {
  await ok('POST', `/apis/admissionregistration.k8s.io/v1/${plural(kind)}`, webhookConfig(kind, name, hooks));
  return async () => { await ok('DELETE', `/apis/admissionregistration.k8s.io/v1/${plural(kind)}/${name}`); };
}

/** A namespace of the test's own, labelled so that namespaceSelectors pick it alone. */
async function namespace(name: string): Promise<void> {
  await ok('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'webhook-test': name } } });
}

const inNs = (name: string) => ({ namespaceSelector: { matchLabels: { 'webhook-test': name } } });
const rule = (resources: string[], operations = ['CREATE'], apiGroups = [''], apiVersions = ['v1']) => ({ rules: [{ operations, apiGroups, apiVersions, resources }] });
const configMap = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { a: '1' } });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubevisor-webhooks-'));
  pki = await ensurePki(join(dir, 'data'));
  // The webhook's own CA and serving certificate (its IP and the Service's name).
  const now = Date.now();
  const caKeys = newKeyPair();
  const caName = { commonName: 'webhook-test-ca' };
  const caPem = issueCertificate({ subject: caName, publicKey: caKeys.publicKey, notBefore: new Date(now - 60_000), notAfter: new Date(now + 3_600_000), isCA: true }, { name: caName, ...caKeys });
  const keys = newKeyPair();
  const certPem = issueCertificate({
    subject: { commonName: 'webhook' }, publicKey: keys.publicKey, notBefore: new Date(now - 60_000), notAfter: new Date(now + 3_600_000),
    extendedKeyUsages: ['serverAuth'], hosts: ['127.0.0.1', 'webhook.hooks-svc.svc'],
  }, { name: caName, ...caKeys });
  caBundle = Buffer.from(caPem).toString('base64');
  hook = createHttpsServer({ key: privateKeyPem(keys.privateKey), cert: certPem }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      const [path = '', query = ''] = (req.url ?? '').split('?');
      const review = JSON.parse(body) as { request: Json };
      seen.unshift({ path, query, headers: req.headers, review });
      const reply = (json = answer(path, review)) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (path === '/slow') setTimeout(reply, 3000);
      else if (path === '/deny-locked') void lockedAnswer(review).then(reply);
      else reply();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookPort = (hook.address() as AddressInfo).port;
  const probe = createTcpServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  deadPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));

  server = await startKubevisorServer({
    host: '127.0.0.1', port: 0, dataDir: join(dir, 'data'), storage: { backend: 'sqlite' }, pki, podHostAccess: true,
  });
  vc = await server.ensureCluster(CLUSTER, { nodes: 1 });
  port = Number(new URL(server.url).port);
  vc.tokens.push({ authenticateToken: (t) => (t === 'admin-token' ? { username: 'admin', groups: ['system:masters', 'system:authenticated'] } : undefined) });
});

after(async () => {
  await server?.close();
  hook?.close();
  hook?.closeAllConnections();
  rmSync(dir, { recursive: true, force: true });
});

test('a validating webhook denies: the webhook status with upstream message, nothing stored', async () => {
  await namespace('deny');
  await namespace('deny-other');
  const remove = await install('Validating', 'deny', [{
    name: 'deny.kubevisor.test', path: '/deny-labelled', ...rule(['configmaps']), ...inNs('deny'),
    objectSelector: { matchLabels: { deny: 'true' } },
  }]);
  try {
    const before = seen.length;
    const a = await call('POST', '/api/v1/namespaces/deny/configmaps?fieldManager=tester', configMap('bad', { deny: 'true' }));
    assert.equal(a.status, 403);
    assert.deepEqual(a.json, {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 403, reason: 'Forbidden',
      message: 'admission webhook "deny.kubevisor.test" denied the request: configmaps labelled deny=true are refused',
    });
    assert.equal((await call('GET', '/api/v1/namespaces/deny/configmaps/bad')).status, 404);
    // What the webhook was sent.
    const s = seen[0]!;
    assert.equal(s.path, '/deny-labelled');
    assert.equal(s.query, 'timeout=10s');
    assert.equal(s.headers['user-agent'], 'kube-apiserver-admission');
    assert.equal(s.headers['content-type'], 'application/json');
    const r = s.review.request;
    assert.deepEqual(r.kind, { group: '', version: 'v1', kind: 'ConfigMap' });
    assert.deepEqual(r.resource, { group: '', version: 'v1', resource: 'configmaps' });
    assert.deepEqual(r.requestKind, r.kind);
    assert.equal(r.operation, 'CREATE');
    assert.equal(r.name, 'bad');
    assert.equal(r.namespace, 'deny');
    assert.equal(r.dryRun, false);
    assert.equal(r.oldObject, null);
    assert.deepEqual(r.userInfo, { username: 'admin', groups: ['system:masters', 'system:authenticated'] });
    assert.deepEqual(r.options, { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', fieldManager: 'tester' });
    const o = r.object as Json & { metadata: Json };
    assert.equal(o.apiVersion, 'v1');
    assert.equal(o.kind, 'ConfigMap');
    assert.ok(o.metadata.uid, 'validating webhooks see the uid the store gave');
    assert.equal(seen.length - before, 1);
    // Not selected: no label, or another namespace.
    await ok('POST', '/api/v1/namespaces/deny/configmaps', configMap('fine'));
    await ok('POST', '/api/v1/namespaces/deny-other/configmaps', configMap('elsewhere', { deny: 'true' }));
    assert.equal(seen.length - before, 1, 'the webhook was not called for objects its selectors leave out');
  } finally {
    await remove();
  }
});

test('a denial without code or reason: 400, the message prefixed', async () => {
  await namespace('plain');
  const remove = await install('Validating', 'plain', [{ name: 'plain.kubevisor.test', path: '/deny-plain', ...rule(['configmaps']), ...inNs('plain') }]);
  try {
    const a = await call('POST', '/api/v1/namespaces/plain/configmaps', configMap('x'));
    assert.equal(a.status, 400);
    assert.equal(a.json.reason, undefined);
    assert.equal(a.json.message, 'admission webhook "plain.kubevisor.test" denied the request: no reason given');
  } finally {
    await remove();
  }
});

test('warnings reach the client as Warning headers', async () => {
  await namespace('warn');
  const remove = await install('Validating', 'warn', [{ name: 'warn.kubevisor.test', path: '/warn', ...rule(['configmaps']), ...inNs('warn') }]);
  try {
    const a = await call('POST', '/api/v1/namespaces/warn/configmaps', configMap('x'));
    assert.equal(a.status, 201);
    // One header field per warning (UTF-8 sent as it is).
    const values = a.rawHeaders.flatMap((v, i) => (i % 2 === 1 && a.rawHeaders[i - 1]!.toLowerCase() === 'warning' ? [Buffer.from(v, 'latin1').toString('utf8')] : []));
    assert.deepEqual(values, ['299 - "this configmap is watched"', '299 - "résumé checked"']);
  } finally {
    await remove();
  }
});

test('a mutating webhook labels pods: in the response and stored; a Deployment\'s pods too', async () => {
  await namespace('mutate');
  const remove = await install('Mutating', 'inject', [{ name: 'inject.kubevisor.test', path: '/inject', ...rule(['pods']), ...inNs('mutate') }]);
  try {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'example/app:1' }] } };
    const created = await ok('POST', '/api/v1/namespaces/mutate/pods', pod);
    assert.deepEqual((created.metadata as Json).labels, { injected: 'yes' });
    const stored = await ok('GET', '/api/v1/namespaces/mutate/pods/p');
    assert.deepEqual((stored.metadata as Json).labels, { injected: 'yes' });
    // A mutating webhook sees a create before the store names it: no uid yet.
    const sent = seen.find((s) => s.path === '/inject' && (s.review.request.object as { metadata: Json }).metadata.name === 'p')!;
    assert.equal((sent.review.request.object as { metadata: Json }).metadata.uid, undefined);

    // The ReplicaSet controller's pods pass the webhook too.
    await ok('POST', '/apis/apps/v1/namespaces/mutate/deployments', {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'example/web:1' }] } } },
    });
    const made = await eventually(async () => {
      const list = await ok('GET', '/api/v1/namespaces/mutate/pods?labelSelector=app%3Dweb');
      return (list.items as Json[])[0];
    }, 'the deployment\'s pod');
    assert.deepEqual((made.metadata as Json).labels, { app: 'web', injected: 'yes', 'pod-template-hash': ((made.metadata as Json).labels as Json)['pod-template-hash'] });
    // Sent with its generateName and no name yet, by the server itself.
    const fromController = seen.find((s) => s.path === '/inject' && ((s.review.request.object as { metadata: Json }).metadata.generateName as string | undefined)?.startsWith('web-'))!;
    assert.equal(fromController.review.request.name, undefined);
    assert.equal((fromController.review.request.object as { metadata: Json }).metadata.name, undefined);
    assert.equal((fromController.review.request.userInfo as Json).username, 'system:kube-controller-manager');
  } finally {
    await remove();
  }
});

test('failurePolicy Fail refuses a write when the webhook is down; Ignore lets it through', async () => {
  await namespace('down');
  const url = `https://127.0.0.1:${deadPort}/x`;
  const remove = await install('Validating', 'down', [
    { name: 'down.kubevisor.test', path: '/x', ...rule(['configmaps']), ...inNs('down'), objectSelector: { matchLabels: { policy: 'fail' } }, clientConfig: { url, caBundle } },
    { name: 'down-ignore.kubevisor.test', path: '/x', ...rule(['configmaps']), ...inNs('down'), failurePolicy: 'Ignore', clientConfig: { url, caBundle } },
  ]);
  try {
    const a = await call('POST', '/api/v1/namespaces/down/configmaps', configMap('failing', { policy: 'fail' }));
    assert.equal(a.status, 500);
    assert.equal(a.json.reason, 'InternalError');
    assert.equal(a.json.message, `Internal error occurred: failed calling webhook "down.kubevisor.test": failed to call webhook: Post "https://127.0.0.1:${deadPort}/x?timeout=10s": dial tcp 127.0.0.1:${deadPort}: connect: connection refused`);
    assert.equal((await call('GET', '/api/v1/namespaces/down/configmaps/failing')).status, 404);
    // Only the Ignore one applies here.
    await ok('POST', '/api/v1/namespaces/down/configmaps', configMap('ignored'));
  } finally {
    await remove();
  }
});

test('a webhook that does not answer within timeoutSeconds', async () => {
  await namespace('slow');
  const remove = await install('Validating', 'slow', [{ name: 'slow.kubevisor.test', path: '/slow', timeoutSeconds: 1, ...rule(['configmaps']), ...inNs('slow') }]);
  try {
    const t0 = Date.now();
    const a = await call('POST', '/api/v1/namespaces/slow/configmaps', configMap('x'));
    const took = Date.now() - t0;
    assert.equal(a.status, 500);
    assert.equal(a.json.message, `Internal error occurred: failed calling webhook "slow.kubevisor.test": failed to call webhook: Post "https://127.0.0.1:${hookPort}/slow?timeout=1s": context deadline exceeded`);
    assert.ok(took >= 900 && took < 2900, `took ${took} ms`);
  } finally {
    await remove();
  }
});

test('a certificate the caBundle does not vouch for', async () => {
  await namespace('badca');
  const remove = await install('Validating', 'badca', [{ name: 'badca.kubevisor.test', path: '/warn', ...rule(['configmaps']), ...inNs('badca'),
    clientConfig: { url: `https://127.0.0.1:${hookPort}/warn`, caBundle: Buffer.from(pki.caCert).toString('base64') } }]);
  try {
    const a = await call('POST', '/api/v1/namespaces/badca/configmaps', configMap('x'));
    assert.equal(a.status, 500);
    assert.equal(a.json.message, `Internal error occurred: failed calling webhook "badca.kubevisor.test": failed to call webhook: Post "https://127.0.0.1:${hookPort}/warn?timeout=10s": tls: failed to verify certificate: x509: certificate signed by unknown authority`);
  } finally {
    await remove();
  }
});

test('dry run: refused by a webhook with side effects, sent as a dry run to one without', async () => {
  await namespace('dry');
  const remove = await install('Validating', 'dry', [
    { name: 'some.kubevisor.test', path: '/warn', sideEffects: 'NoneOnDryRun', ...rule(['configmaps']), ...inNs('dry'), objectSelector: { matchLabels: { effects: 'none' } } },
    { name: 'effects.kubevisor.test', path: '/warn', ...rule(['configmaps']), ...inNs('dry'), objectSelector: { matchLabels: { effects: 'some' } } },
  ]);
  try {
    // sideEffects Some cannot be written through the v1 API (None and NoneOnDryRun only), as upstream: it is set in storage,
    // as an older configuration would hold it.
    const key = '/registry/admissionregistration.k8s.io/validatingwebhookconfigurations/dry';
    const got = (await vc.kv.get(key)).kv!;
    const stored = JSON.parse(got.value) as { webhooks: Json[] };
    stored.webhooks[1]!.sideEffects = 'Some';
    assert.ok((await vc.kv.update(key, JSON.stringify(stored), got.modRevision)).succeeded);
    await vc.cache.sync();
    const a = await call('POST', '/api/v1/namespaces/dry/configmaps?dryRun=All', configMap('x', { effects: 'some' }));
    assert.equal(a.status, 400);
    assert.deepEqual(a.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 400, reason: 'BadRequest', message: 'admission webhook "effects.kubevisor.test" does not support dry run' });
    const b = await call('POST', '/api/v1/namespaces/dry/configmaps?dryRun=All', configMap('y', { effects: 'none' }));
    assert.equal(b.status, 201);
    assert.equal(seen[0]!.review.request.dryRun, true);
    assert.deepEqual(seen[0]!.review.request.options, { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', dryRun: ['All'] });
    assert.equal((await call('GET', '/api/v1/namespaces/dry/configmaps/y')).status, 404);
  } finally {
    await remove();
  }
});

test('DELETE: sent with the old object, refused by a validating webhook', async () => {
  await namespace('del');
  await ok('POST', '/api/v1/namespaces/del/configmaps', configMap('keep', { protect: 'true' }));
  await ok('POST', '/api/v1/namespaces/del/configmaps', configMap('drop'));
  const remove = await install('Validating', 'protect', [{ name: 'protect.kubevisor.test', path: '/protect', ...rule(['configmaps'], ['DELETE']), ...inNs('del') }]);
  try {
    const a = await call('DELETE', '/api/v1/namespaces/del/configmaps/keep');
    assert.equal(a.status, 403);
    assert.equal(a.json.message, 'admission webhook "protect.kubevisor.test" denied the request: this object is protected');
    assert.equal((await call('GET', '/api/v1/namespaces/del/configmaps/keep')).status, 200);
    const r = seen[0]!.review.request;
    assert.equal(r.operation, 'DELETE');
    assert.equal(r.object, null);
    assert.equal((r.oldObject as { metadata: Json }).metadata.name, 'keep');
    assert.deepEqual(r.options, { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1' });
    await ok('DELETE', '/api/v1/namespaces/del/configmaps/drop');
    assert.equal((await call('GET', '/api/v1/namespaces/del/configmaps/drop')).status, 404);
  } finally {
    await remove();
  }
});

test('subresources: a rule for pods/status is called on status writes only', async () => {
  await namespace('status');
  const created = await ok('POST', '/api/v1/namespaces/status/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { nodeName: 'nowhere', containers: [{ name: 'c', image: 'i' }] } });
  const remove = await install('Validating', 'status', [{ name: 'status.kubevisor.test', path: '/warn', ...rule(['pods/status'], ['UPDATE']), ...inNs('status') }]);
  try {
    const before = seen.length;
    const a = await call('PUT', '/api/v1/namespaces/status/pods/p/status', { ...created, status: { phase: 'Pending', message: 'hi' } });
    assert.equal(a.status, 200, a.body);
    assert.ok(seen.length > before);
    const r = seen[0]!.review.request;
    assert.equal(r.subResource, 'status');
    assert.equal(r.requestSubResource, 'status');
    assert.equal(r.operation, 'UPDATE');
    assert.deepEqual(r.options, { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1' });
  } finally {
    await remove();
  }
});

test('reinvocation: an IfNeeded webhook is called again after a later one changed the object', async () => {
  await namespace('again');
  // Configurations run in name order: a, then b.
  const removeA = await install('Mutating', 'a-reinvoke', [{ name: 'a.kubevisor.test', path: '/reinvoke-a', reinvocationPolicy: 'IfNeeded', ...rule(['configmaps']), ...inNs('again') }]);
  const removeB = await install('Mutating', 'b-change', [{ name: 'b.kubevisor.test', path: '/reinvoke-b', ...rule(['configmaps']), ...inNs('again') }]);
  try {
    const created = await ok('POST', '/api/v1/namespaces/again/configmaps', configMap('x'));
    assert.deepEqual((created.metadata as Json).labels, { 'a-saw-b': 'true', b: 'done' });
    assert.deepEqual(seen.slice(0, 3).map((s) => s.path), ['/reinvoke-a', '/reinvoke-b', '/reinvoke-a']);
  } finally {
    await removeB();
    await removeA();
  }
});

test('matchPolicy Equivalent: a rule for autoscaling/v1 sees an autoscaling/v2 write in v1', async () => {
  await namespace('equiv');
  const remove = await install('Validating', 'equiv', [{ name: 'equiv.kubevisor.test', path: '/warn', ...inNs('equiv'),
    rules: [{ operations: ['CREATE'], apiGroups: ['autoscaling'], apiVersions: ['v1'], resources: ['horizontalpodautoscalers'] }] }]);
  try {
    await ok('POST', '/apis/autoscaling/v2/namespaces/equiv/horizontalpodautoscalers', {
      apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 3,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }] },
    });
    const r = seen[0]!.review.request;
    assert.deepEqual(r.kind, { group: 'autoscaling', version: 'v1', kind: 'HorizontalPodAutoscaler' });
    assert.deepEqual(r.requestKind, { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler' });
    assert.deepEqual(r.resource, { group: 'autoscaling', version: 'v1', resource: 'horizontalpodautoscalers' });
    const o = r.object as { apiVersion: string; spec: Json };
    assert.equal(o.apiVersion, 'autoscaling/v1');
    assert.equal(o.spec.targetCPUUtilizationPercentage, 60);
  } finally {
    await remove();
  }
});

test('clientConfig.service: a simulated pod behind the Service, TLS for NAME.NAMESPACE.svc', async () => {
  await namespace('hooks-svc');
  await namespace('svc-target');
  await ok('POST', '/apis/apps/v1/namespaces/hooks-svc/deployments', {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'webhook' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'webhook' } }, template: {
      metadata: { labels: { app: 'webhook' }, annotations: { 'kubevisor.dev/port-forward-8443': `127.0.0.1:${hookPort}` } },
      spec: { containers: [{ name: 'hook', image: 'example/hook:1', ports: [{ containerPort: 8443 }] }] },
    } },
  });
  await ok('POST', '/api/v1/namespaces/hooks-svc/services', {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'webhook' },
    spec: { selector: { app: 'webhook' }, ports: [{ name: 'https', port: 443, targetPort: 8443 }] },
  });
  const remove = await install('Validating', 'by-service', [{ name: 'svc.kubevisor.test', ...rule(['configmaps']), ...inNs('svc-target'),
    clientConfig: { service: { namespace: 'hooks-svc', name: 'webhook', path: '/deny-labelled' }, caBundle } }]);
  try {
    // Until the pod is ready, the Service has no endpoint.
    const denial = await eventually(async () => {
      const a = await call('POST', '/api/v1/namespaces/svc-target/configmaps', configMap(`bad-${Date.now()}`, { deny: 'true' }));
      return a.status === 403 ? a : undefined;
    }, 'the webhook behind the Service');
    assert.equal(denial.json.message, 'admission webhook "svc.kubevisor.test" denied the request: configmaps labelled deny=true are refused');
    assert.equal(seen[0]!.headers.host, 'webhook.hooks-svc.svc:443');
    assert.equal(seen[0]!.path, '/deny-labelled');
    await ok('POST', '/api/v1/namespaces/svc-target/configmaps', configMap('fine'));
  } finally {
    await remove();
  }
  // A Service with no ready endpoint.
  await ok('POST', '/api/v1/namespaces/hooks-svc/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'empty' }, spec: { selector: { app: 'none' }, ports: [{ port: 443 }] } });
  const removeEmpty = await install('Validating', 'empty', [{ name: 'empty.kubevisor.test', ...rule(['configmaps']), ...inNs('svc-target'),
    clientConfig: { service: { namespace: 'hooks-svc', name: 'empty' }, caBundle } }]);
  try {
    const a = await eventually(async () => {
      const r = await call('POST', '/api/v1/namespaces/svc-target/configmaps', configMap('y'));
      return /no endpoints available/.test(String(r.json.message)) ? r : undefined;
    }, 'no endpoints');
    assert.equal(a.status, 500);
    assert.equal(a.json.message, 'Internal error occurred: failed calling webhook "empty.kubevisor.test": failed to call webhook: Post "https://empty.hooks-svc.svc:443/?timeout=10s": no endpoints available for service "empty"');
  } finally {
    await removeEmpty();
  }
});

/** An exec, attach or port-forward through the API server, upgraded as kubectl 1.30+ asks (WebSocket). */
const connect = (path: string): Promise<Refused | Connected> => upgrade({ port, ca: pki.caCert, token: 'admin-token', path: API + path });

function refused(r: Refused | Connected): Refused {
  assert.notEqual(r.status, 101, 'the connection was upgraded');
  return r as Refused;
}

async function connected(r: Refused | Connected): Promise<Connected> {
  assert.equal(r.status, 101, `refused: ${(r as Refused).body}`);
  return r as Connected;
}

/** A pod whose exec runs a local shell (host access is on in this server), once it runs. */
async function shellPod(namespace: string, name: string, labels: Record<string, string> = {}): Promise<void> {
  await ok('POST', `/api/v1/namespaces/${namespace}/pods`, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels, annotations: { 'kubevisor.dev/exec-command': '/bin/sh' } },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  });
  await eventually(async () => ((await ok('GET', `/api/v1/namespaces/${namespace}/pods/${name}`)).status as Json | undefined)?.phase === 'Running', `pod ${name} running`);
}

const ECHO_HI = 'command=sh&command=-c&command=echo%20hi&container=c&stdout=true&stderr=true';

test('CONNECT: a validating webhook on pods/exec, attach and portforward refuses pods labelled locked=true before the upgrade; others connect', async () => {
  await namespace('connect');
  await shellPod('connect', 'locked', { locked: 'true' });
  await shellPod('connect', 'open');
  const remove = await install('Validating', 'connect', [{
    name: 'connect.kubevisor.test', path: '/deny-locked', ...inNs('connect'),
    rules: [
      { operations: ['CONNECT'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/exec', 'pods/attach'] },
      { operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['pods/portforward'] },
    ],
  }, {
    // An objectSelector never selects a CONNECT (its object has no labels): this one is never called.
    name: 'selected.kubevisor.test', path: '/deny-plain', ...inNs('connect'), objectSelector: { matchLabels: { locked: 'true' } },
    rules: [{ operations: ['CONNECT'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/*'] }],
  }]);
  try {
    const before = seen.length;
    const a = refused(await connect(`/api/v1/namespaces/connect/pods/locked/exec?${ECHO_HI}`));
    assert.equal(a.status, 403);
    assert.deepEqual(a.json, {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 403, reason: 'Forbidden',
      message: 'admission webhook "connect.kubevisor.test" denied the request: pod connect/locked is locked',
    });
    assert.equal(seen.length - before, 1);
    const r = seen[0]!.review.request;
    assert.equal(seen[0]!.path, '/deny-locked');
    assert.deepEqual(r.kind, { group: '', version: 'v1', kind: 'PodExecOptions' });
    assert.deepEqual(r.requestKind, { group: '', version: 'v1', kind: 'PodExecOptions' });
    assert.deepEqual(r.resource, { group: '', version: 'v1', resource: 'pods' });
    assert.deepEqual(r.requestResource, { group: '', version: 'v1', resource: 'pods' });
    assert.equal(r.subResource, 'exec');
    assert.equal(r.requestSubResource, 'exec');
    assert.equal(r.operation, 'CONNECT');
    assert.equal(r.name, 'locked');
    assert.equal(r.namespace, 'connect');
    assert.deepEqual(r.userInfo, { username: 'admin', groups: ['system:masters', 'system:authenticated'] });
    assert.deepEqual(r.object, { kind: 'PodExecOptions', apiVersion: 'v1', stdout: true, stderr: true, container: 'c', command: ['sh', '-c', 'echo hi'] });
    assert.equal(r.oldObject, null);
    assert.equal(r.options, null);
    assert.equal(r.dryRun, false);

    // Another pod: allowed, and the exec runs.
    const c = await connected(await connect(`/api/v1/namespaces/connect/pods/open/exec?${ECHO_HI}`));
    assert.equal(await c.stdout, 'hi\n');

    // attach, as kubectl attach -it asks.
    const b = refused(await connect('/api/v1/namespaces/connect/pods/locked/attach?container=c&stdin=true&stdout=true&tty=true'));
    assert.equal(b.status, 403);
    assert.equal(b.json.message, 'admission webhook "connect.kubevisor.test" denied the request: pod connect/locked is locked');
    assert.deepEqual(seen[0]!.review.request.object, { kind: 'PodAttachOptions', apiVersion: 'v1', stdin: true, stdout: true, tty: true, container: 'c' });
    assert.equal(seen[0]!.review.request.subResource, 'attach');

    // port-forward, matched by a rule for any operation.
    const pf = refused(await connect('/api/v1/namespaces/connect/pods/locked/portforward?ports=80'));
    assert.equal(pf.status, 403);
    assert.deepEqual(seen[0]!.review.request.object, { kind: 'PodPortForwardOptions', apiVersion: 'v1', ports: [80] });
    assert.deepEqual(seen[0]!.review.request.kind, { group: '', version: 'v1', kind: 'PodPortForwardOptions' });

    // No dry run for a connect, and options that do not decode: refused before any webhook is asked.
    const calls = seen.length;
    const dry = refused(await connect(`/api/v1/namespaces/connect/pods/open/exec?${ECHO_HI}&dryRun=All`));
    assert.deepEqual(dry.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 400, reason: 'BadRequest', message: 'dryRun is not supported' });
    const bad = refused(await connect('/api/v1/namespaces/connect/pods/locked/portforward?ports=http'));
    assert.equal(bad.status, 400);
    assert.equal(bad.json.message, 'cannot convert to []int32: strconv.ParseUint: parsing "http": invalid syntax');
    assert.equal(seen.length, calls);
    assert.ok(!seen.slice(0, seen.length - before).some((s) => s.path === '/deny-plain'), 'the webhook with an objectSelector was called');
  } finally {
    await remove();
  }
  // Gone with its configuration.
  const after = await connected(await connect(`/api/v1/namespaces/connect/pods/locked/exec?${ECHO_HI}`));
  assert.equal(await after.stdout, 'hi\n');
});

test('CONNECT: a mutating webhook is called too, and its patch is what the exec runs', async () => {
  await namespace('connect-mutate');
  await shellPod('connect-mutate', 'p');
  const remove = await install('Mutating', 'rewrite', [{ name: 'rewrite.kubevisor.test', path: '/rewrite-command', ...inNs('connect-mutate'),
    rules: [{ operations: ['CONNECT'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/exec'] }] }]);
  try {
    const c = await connected(await connect('/api/v1/namespaces/connect-mutate/pods/p/exec?command=echo&command=original&container=c&stdout=true'));
    assert.equal(await c.stdout, 'rewritten by the webhook\n');
    const r = seen[0]!.review.request;
    assert.equal(seen[0]!.path, '/rewrite-command');
    assert.equal(r.operation, 'CONNECT');
    assert.deepEqual(r.object, { kind: 'PodExecOptions', apiVersion: 'v1', stdout: true, container: 'c', command: ['echo', 'original'] });
  } finally {
    await remove();
  }
});

test('CONNECT over plain HTTP: services/proxy and pods/proxy are sent their ProxyOptions with the path', async () => {
  await namespace('connect-proxy');
  const remove = await install('Validating', 'proxy', [{ name: 'proxy.kubevisor.test', path: '/deny-plain', ...inNs('connect-proxy'),
    rules: [{ operations: ['CONNECT'], apiGroups: [''], apiVersions: ['v1'], resources: ['services/proxy', 'pods/proxy'] }] }]);
  try {
    const a = await call('GET', '/api/v1/namespaces/connect-proxy/services/web:80/proxy/some/path/?q=1');
    assert.equal(a.status, 400);
    assert.equal(a.json.message, 'admission webhook "proxy.kubevisor.test" denied the request: no reason given');
    const r = seen[0]!.review.request;
    assert.deepEqual(r.kind, { group: '', version: 'v1', kind: 'ServiceProxyOptions' });
    assert.equal(r.subResource, 'proxy');
    assert.equal(r.name, 'web:80');
    assert.deepEqual(r.object, { kind: 'ServiceProxyOptions', apiVersion: 'v1', path: '/some/path/' });
    const b = await call('POST', '/api/v1/namespaces/connect-proxy/pods/p/proxy');
    assert.equal(b.status, 400);
    assert.deepEqual(seen[0]!.review.request.object, { kind: 'PodProxyOptions', apiVersion: 'v1' });
    assert.equal(seen[0]!.review.request.operation, 'CONNECT');
  } finally {
    await remove();
  }
});

test('scale: webhooks see an UPDATE of deployments/scale with Scales, a mutating one sets the replicas, ownership is recorded under scale', async () => {
  await namespace('scale');
  const deploy = (name: string) => ({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
    spec: { replicas: 0, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
  });
  await ok('POST', '/apis/apps/v1/namespaces/scale/deployments', deploy('d'));
  const removeM = await install('Mutating', 'scale-min', [{ name: 'scale.kubevisor.test', path: '/scale-at-least-3', ...rule(['deployments/scale'], ['UPDATE'], ['apps'], ['v1']), ...inNs('scale') }]);
  // A rule for deployments alone is not called for the scale subresource.
  const removeV = await install('Validating', 'deploy-only', [{ name: 'deploy.kubevisor.test', path: '/deny-plain', ...rule(['deployments'], ['UPDATE'], ['apps'], ['v1']), ...inNs('scale') }]);
  try {
    const before = seen.length;
    const a = await call('PUT', '/apis/apps/v1/namespaces/scale/deployments/d/scale', { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'd', namespace: 'scale' }, spec: { replicas: 1 } }, { 'Content-Type': 'application/json' });
    assert.equal(a.status, 200, a.body);
    assert.equal((a.json.spec as Json).replicas, 3);
    assert.equal(seen.length - before, 1, 'only the scale webhook was called');
    const r = seen[0]!.review.request;
    assert.equal(seen[0]!.path, '/scale-at-least-3');
    assert.equal(r.operation, 'UPDATE');
    assert.deepEqual(r.kind, { group: 'autoscaling', version: 'v1', kind: 'Scale' });
    assert.deepEqual(r.resource, { group: 'apps', version: 'v1', resource: 'deployments' });
    assert.equal(r.subResource, 'scale');
    assert.equal((r.object as Json).kind, 'Scale');
    assert.equal(((r.object as Json).spec as Json).replicas, 1);
    assert.equal(((r.oldObject as Json).spec as Json).replicas, 0);
    const stored = await ok('GET', '/apis/apps/v1/namespaces/scale/deployments/d');
    assert.equal((stored.spec as Json).replicas, 3);
    const entries = (stored.metadata as { managedFields: Json[] }).managedFields;
    const scaleEntry = entries.find((e) => e.subresource === 'scale');
    assert.ok(scaleEntry, JSON.stringify(entries));
    assert.equal(scaleEntry.operation, 'Update');
    assert.equal(scaleEntry.apiVersion, 'apps/v1');
    assert.deepEqual(scaleEntry.fieldsV1, { 'f:spec': { 'f:replicas': {} } });

    // A merge patch of the scale goes the same way.
    const p = await call('PATCH', '/apis/apps/v1/namespaces/scale/deployments/d/scale', { spec: { replicas: 2 } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(p.status, 200, p.body);
    assert.equal((p.json.spec as Json).replicas, 3);
    assert.equal(((seen[0]!.review.request.object as Json).spec as Json).replicas, 2);
  } finally {
    await removeV();
    await removeM();
  }
});

test('pods/binding, pods/eviction and serviceaccounts/token: sent as CREATEs of the subresource with their bodies; a mutation is what is done, a denial stops it', async () => {
  await namespace('subcreate');
  const nodes = (await ok('GET', '/api/v1/nodes')).items as Json[];
  bindTarget = (nodes[0]!.metadata as Json).name as string;
  await ok('POST', '/api/v1/namespaces/subcreate/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { schedulerName: 'elsewhere', containers: [{ name: 'c', image: 'i' }] } });
  const removeBind = await install('Mutating', 'bind', [{ name: 'bind.kubevisor.test', path: '/bind-to-node-0', ...rule(['pods/binding']), ...inNs('subcreate') }]);
  const removeDeny = await install('Validating', 'deny-evict-token', [{ name: 'deny.kubevisor.test', path: '/deny-plain', ...rule(['pods/eviction', 'serviceaccounts/token']), ...inNs('subcreate') }]);
  try {
    const b = await call('POST', '/api/v1/namespaces/subcreate/pods/p/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p' }, target: { kind: 'Node', name: 'no-such-node' } });
    assert.equal(b.status, 201, b.body);
    let r = seen.find((x) => x.path === '/bind-to-node-0')!.review.request;
    assert.equal(r.operation, 'CREATE');
    assert.deepEqual(r.kind, { group: '', version: 'v1', kind: 'Binding' });
    assert.equal(r.subResource, 'binding');
    assert.equal(r.name, 'p');
    assert.equal(((r.object as Json).target as Json).name, 'no-such-node');
    const pod = await ok('GET', '/api/v1/namespaces/subcreate/pods/p');
    assert.equal((pod.spec as Json).nodeName, bindTarget);

    const e = await call('POST', '/api/v1/namespaces/subcreate/pods/p/eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p' } });
    assert.equal(e.status, 400, e.body);
    assert.match(e.json.message as string, /denied the request: no reason given/);
    r = seen[0]!.review.request;
    assert.deepEqual(r.kind, { group: 'policy', version: 'v1', kind: 'Eviction' });
    assert.equal(r.subResource, 'eviction');
    assert.equal((r.object as Json).kind, 'Eviction');
    assert.equal((await call('GET', '/api/v1/namespaces/subcreate/pods/p')).status, 200, 'the pod is still there');

    const t = await call('POST', '/api/v1/namespaces/subcreate/serviceaccounts/default/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: ['x'] } });
    assert.equal(t.status, 400, t.body);
    r = seen[0]!.review.request;
    assert.deepEqual(r.kind, { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' });
    assert.equal(r.subResource, 'token');
    assert.equal(r.name, 'default');
    assert.deepEqual(((r.object as Json).spec as Json).audiences, ['x']);
  } finally {
    await removeDeny();
    await removeBind();
  }
});
