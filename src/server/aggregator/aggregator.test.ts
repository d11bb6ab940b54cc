// API aggregation against a whole kubevisor server in this process and a real
// extension API server the test runs (test/support/demo-apiserver.ts): an
// APIService backed by a Service of a simulated pod whose port-forward
// annotation names the extension server; the availability check, discovery,
// proxying with the front-proxy certificate and X-Remote-* headers, RBAC
// before the backend, the published extension-apiserver-authentication,
// Local APIServices, validation, and what an unavailable backend answers.

import { test, before, after } from 'node:test';
import { request as httpsRequest } from 'node:https';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubevisorServer, type KubevisorServer } from '../../cli/server-runtime.ts';
import { ensurePki, type Pki } from '../pki/pki.ts';
import type { VirtualCluster } from '../cluster.ts';
import { startDemoApiServer, DEMO_GROUP, type DemoApiServer } from '../../../test/support/demo-apiserver.ts';
import { apiClient, eventually as within } from '../admission/testing.ts';

const CLUSTER = 'agg';
const API = `/clusters/${CLUSTER}`;
const NS = 'demo-api';

let dir: string;
let pki: Pki;
let server: KubevisorServer;
let vc: VirtualCluster;
let port: number;
let demo: DemoApiServer;

type Json = Record<string, unknown>;

const { call, ok } = apiClient(() => ({ port, ca: pki.caCert, token: 'admin-token', prefix: API }));
/** A backend's availability takes a check or two: 20 s by default. */
const eventually = <T>(fn: () => Promise<T | undefined> | T | undefined, what: string, ms = 20_000): Promise<T> => within(fn, what, ms);

function available(obj: Json): Json | undefined {
  return ((obj.status as Json | undefined)?.conditions as Json[] | undefined)?.find((c) => c.type === 'Available');
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubevisor-aggregator-'));
  pki = await ensurePki(join(dir, 'data'));
  demo = await startDemoApiServer({ namespace: NS, name: 'demo' });
  server = await startKubevisorServer({
    host: '127.0.0.1', port: 0, dataDir: join(dir, 'data'), storage: { backend: 'sqlite' }, pki, podHostAccess: true,
  });
  vc = await server.ensureCluster(CLUSTER, { nodes: 1 });
  port = Number(new URL(server.url).port);
  vc.tokens.push({
    authenticateToken: (t) => (t === 'admin-token' ? { username: 'admin', groups: ['system:masters', 'system:authenticated'] }
      : t === 'nobody-token' ? { username: 'nobody', groups: ['system:authenticated'] } : undefined),
  });
});

after(async () => {
  await server?.close();
  await demo?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('APIService validation and defaults, as upstream words them', async () => {
  const bad = await call('POST', '/apis/apiregistration.k8s.io/v1/apiservices', {
    apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: 'v1.wrong.example.com' },
    spec: { group: 'demo.example.com', version: 'v1', service: { namespace: 'x', name: 'y', port: 70000 }, caBundle: 'YWJj', insecureSkipTLSVerify: true },
  });
  assert.equal(bad.status, 422);
  assert.equal(bad.json.message, 'APIService.apiregistration.k8s.io "v1.wrong.example.com" is invalid: [' +
    'metadata.name: Invalid value: "v1.wrong.example.com": must be `spec.version+"."+spec.group`: "v1.demo.example.com", ' +
    'spec.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000, ' +
    'spec.versionPriority: Invalid value: 0: must be positive and less than 1000, ' +
    'spec.service.port: Invalid value: 70000: port is not valid: must be between 1 and 65535, inclusive, ' +
    'spec.insecureSkipTLSVerify: Invalid value: true: may not be true if caBundle is present]');
  const local = await call('POST', '/apis/apiregistration.k8s.io/v1/apiservices', {
    apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: 'v1.local.example.com' },
    spec: { group: 'local.example.com', version: 'v1', groupPriorityMinimum: 100, versionPriority: 10, caBundle: 'YWJj' },
  });
  assert.equal(local.status, 422);
  assert.match(String(local.json.message), /spec\.caBundle: Invalid value: "3 bytes": local APIServices may not have a caBundle/);
  // A Local one is Available at once; a Service's port defaults to 443.
  const made = await ok('POST', '/apis/apiregistration.k8s.io/v1/apiservices', {
    apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: 'v1.local.example.com' },
    spec: { group: 'local.example.com', version: 'v1', groupPriorityMinimum: 100, versionPriority: 10 },
  });
  assert.deepEqual({ ...available(made), lastTransitionTime: undefined },
    { type: 'Available', status: 'True', reason: 'Local', message: 'Local APIServices are always available', lastTransitionTime: undefined });
  await ok('DELETE', '/apis/apiregistration.k8s.io/v1/apiservices/v1.local.example.com');
});

test('Local APIServices: one per group version served, printed as upstream prints them', async () => {
  const list = await ok('GET', '/apis/apiregistration.k8s.io/v1/apiservices');
  const names = (list.items as Json[]).map((i) => (i.metadata as Json).name);
  for (const n of ['v1.', 'v1.apps', 'v2.autoscaling', 'v1.autoscaling', 'v1.apiregistration.k8s.io', 'v1.rbac.authorization.k8s.io']) assert.ok(names.includes(n), n);
  assert.ok(!names.includes('v1beta1.metrics.k8s.io'), 'the built-in Metrics API gets no APIService');
  const apps = (list.items as Json[]).find((i) => (i.metadata as Json).name === 'v1.apps')!;
  assert.deepEqual((apps.metadata as Json).labels, { 'kube-aggregator.kubernetes.io/automanaged': 'onstart' });
  assert.deepEqual(apps.spec, { group: 'apps', version: 'v1', groupPriorityMinimum: 17800, versionPriority: 15 });
  assert.equal(available(apps)?.reason, 'Local');
  // Its OpenAPI is served with the rest.
  assert.ok(Object.keys((await ok('GET', '/openapi/v3')).paths as Json).includes('apis/apiregistration.k8s.io/v1'));
  const table = await call('GET', '/apis/apiregistration.k8s.io/v1/apiservices/v1.apps', undefined, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
  assert.deepEqual((table.json.columnDefinitions as Json[]).map((c) => c.name), ['Name', 'Service', 'Available', 'Age']);
  assert.deepEqual(((table.json.rows as Json[])[0]!.cells as unknown[]).slice(0, 3), ['v1.apps', 'Local', 'True']);
});

test('a Local APIService per CRD group version, removed with the CRD', async () => {
  await ok('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'gadgets.crd.example.com' },
    spec: { group: 'crd.example.com', scope: 'Namespaced', names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
  });
  const made = await eventually(async () => {
    const a = await call('GET', '/apis/apiregistration.k8s.io/v1/apiservices/v1.crd.example.com');
    return a.status === 200 ? a.json : undefined;
  }, 'the CRD group version APIService');
  assert.deepEqual((made.metadata as Json).labels, { 'kube-aggregator.kubernetes.io/automanaged': 'true' });
  assert.deepEqual(made.spec, { group: 'crd.example.com', version: 'v1', groupPriorityMinimum: 1000, versionPriority: 100 });
  await ok('DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.crd.example.com');
  await eventually(async () => (await call('GET', '/apis/apiregistration.k8s.io/v1/apiservices/v1.crd.example.com')).status === 404, 'its removal');
});

test('an aggregated API behind a Service of a simulated pod', async () => {
  await ok('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await ok('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'demo' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'demo' } }, template: {
      metadata: { labels: { app: 'demo' }, annotations: { 'kubevisor.dev/port-forward-8443': `127.0.0.1:${demo.port}` } },
      spec: { containers: [{ name: 'api', image: 'example/demo-apiserver:1', ports: [{ containerPort: 8443 }] }] },
    } },
  });
  await ok('POST', `/api/v1/namespaces/${NS}/services`, {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'demo' },
    spec: { selector: { app: 'demo' }, ports: [{ name: 'https', port: 443, targetPort: 8443 }] },
  });
  const created = await ok('POST', '/apis/apiregistration.k8s.io/v1/apiservices', {
    apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: `v1.${DEMO_GROUP}` },
    spec: { group: DEMO_GROUP, version: 'v1', groupPriorityMinimum: 1000, versionPriority: 15, service: { namespace: NS, name: 'demo' },
      caBundle: Buffer.from(demo.caPem).toString('base64') },
  });
  assert.equal((created.spec as Json & { service: Json }).service.port, 443);
  assert.equal(created.status, undefined);

  // The authentication ConfigMap extension servers read: the front-proxy CA and the header names.
  const cm = await eventually(async () => {
    const a = await call('GET', '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication');
    return a.status === 200 ? a.json : undefined;
  }, 'extension-apiserver-authentication');
  const data = cm.data as Record<string, string>;
  assert.deepEqual(Object.keys(data).sort(), ['client-ca-file', 'requestheader-allowed-names', 'requestheader-client-ca-file',
    'requestheader-extra-headers-prefix', 'requestheader-group-headers', 'requestheader-uid-headers', 'requestheader-username-headers']);
  assert.equal(data['requestheader-allowed-names'], '["front-proxy-client"]');
  assert.equal(data['requestheader-username-headers'], '["X-Remote-User"]');
  assert.equal(data['requestheader-group-headers'], '["X-Remote-Group"]');
  assert.equal(data['requestheader-extra-headers-prefix'], '["X-Remote-Extra-"]');
  assert.match(data['client-ca-file']!, /^-----BEGIN CERTIFICATE-----/);
  demo.setRequestHeaderCA(data['requestheader-client-ca-file']!);

  const svc = await eventually(async () => {
    const a = await ok('GET', `/apis/apiregistration.k8s.io/v1/apiservices/v1.${DEMO_GROUP}`);
    return available(a)?.status === 'True' ? a : undefined;
  }, 'the APIService to be available');
  // Its OpenAPI v3 document is listed beside the cluster's own (kubectl explain).
  const root = await ok('GET', '/openapi/v3');
  const url = (root.paths as Record<string, { serverRelativeURL: string }>)[`apis/${DEMO_GROUP}/v1`]!.serverRelativeURL;
  const doc = await ok('GET', url);
  assert.ok(((doc.components as Json).schemas as Json)['test.kubevisor.demo.v1.Widget']);
  assert.deepEqual({ ...available(svc), lastTransitionTime: undefined },
    { type: 'Available', status: 'True', reason: 'Passed', message: 'all checks passed', lastTransitionTime: undefined });
  const check = demo.seen.find((s) => s.path === `/apis/${DEMO_GROUP}/v1`)!;
  assert.equal(check.user, 'system:kube-aggregator');
  assert.deepEqual(check.groups, ['system:masters']);

  // Discovery: legacy and aggregated.
  const groups = await ok('GET', '/apis');
  const demoGroup = (groups.groups as Json[]).find((g) => g.name === DEMO_GROUP);
  assert.deepEqual(demoGroup, { name: DEMO_GROUP, versions: [{ groupVersion: `${DEMO_GROUP}/v1`, version: 'v1' }], preferredVersion: { groupVersion: `${DEMO_GROUP}/v1`, version: 'v1' } });
  assert.deepEqual((await ok('GET', `/apis/${DEMO_GROUP}`)).preferredVersion, { groupVersion: `${DEMO_GROUP}/v1`, version: 'v1' });
  const resources = await ok('GET', `/apis/${DEMO_GROUP}/v1`);
  assert.equal((resources.resources as Json[])[0]!.name, 'widgets');
  const agg = await call('GET', '/apis', undefined, { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' });
  assert.equal(agg.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
  const item = (agg.json.items as Json[]).find((i) => (i.metadata as Json).name === DEMO_GROUP)!;
  assert.deepEqual(item.versions, [{ version: 'v1', freshness: 'Current', resources: [{
    resource: 'widgets', responseKind: { group: DEMO_GROUP, version: 'v1', kind: 'Widget' }, scope: 'Namespaced',
    singularResource: 'widget', verbs: ['get', 'list', 'watch'], shortNames: ['wd'],
  }] }]);

  // Proxied: the caller as X-Remote-User/Group, its credentials kept from the backend.
  const before = demo.seen.length;
  const widgets = await ok('GET', `/apis/${DEMO_GROUP}/v1/namespaces/${NS}/widgets?limit=5&fieldSelector=`);
  assert.deepEqual((widgets.items as Json[]).map((w) => (w.metadata as Json).name), ['w1', 'w2']);
  assert.deepEqual((widgets.items as Json[])[0]!.spec, { seenUser: 'admin', seenGroups: ['system:masters', 'system:authenticated'] });
  const sent = demo.seen[before]!;
  assert.equal(sent.authorization, undefined);
  assert.equal(sent.path, `/apis/${DEMO_GROUP}/v1/namespaces/${NS}/widgets?fieldSelector=&limit=5`);
  assert.equal(sent.headers.host, `demo.${NS}.svc:443`);
  const one = await call('GET', `/apis/${DEMO_GROUP}/v1/namespaces/${NS}/widgets/nope`);
  assert.equal(one.status, 404);
  assert.equal(one.json.message, `widgets.${DEMO_GROUP} "nope" not found`);

  // A watch streams through.
  const events = await new Promise<string>((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: `${API}/apis/${DEMO_GROUP}/v1/namespaces/${NS}/widgets?watch=true`, ca: pki.caCert, agent: false,
      headers: { Authorization: 'Bearer admin-token' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; if (text.split('\n').length > 2) { req.destroy(); resolve(text); } });
    });
    req.on('error', (e) => { if (!String(e).includes('socket hang up')) reject(e); });
    req.end();
  });
  assert.deepEqual(events.trim().split('\n').map((l) => (JSON.parse(l) as Json).type), ['ADDED', 'ADDED']);

  // An upgrade is joined both ways.
  const echoed = await new Promise<string>((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: `${API}/apis/${DEMO_GROUP}/v1/namespaces/${NS}/widgets/w1/echo`, ca: pki.caCert, agent: false,
      headers: { Authorization: 'Bearer admin-token', Connection: 'Upgrade', Upgrade: 'echo' } });
    req.on('upgrade', (res, socket) => {
      assert.equal(res.statusCode, 101);
      let text = '';
      socket.on('data', (c: Buffer) => { text += c.toString(); if (text === 'ping') { socket.destroy(); resolve(text); } });
      socket.write('ping');
    });
    req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
  assert.equal(echoed, 'ping');
  assert.equal(demo.seen.at(-1)!.user, 'admin');

  // RBAC decides before the backend is asked.
  const count = demo.seen.length;
  const denied = await call('GET', `/apis/${DEMO_GROUP}/v1/namespaces/${NS}/widgets`, undefined, {}, 'nobody-token');
  assert.equal(denied.status, 403);
  assert.equal(denied.json.message, `widgets.${DEMO_GROUP} is forbidden: User "nobody" cannot list resource "widgets" in API group "${DEMO_GROUP}" in the namespace "${NS}"`);
  assert.equal(demo.seen.length, count);
});

test('an APIService for the Metrics API takes it over from the built-in one', async () => {
  assert.equal((await call('GET', '/apis/metrics.k8s.io/v1beta1/nodes')).status, 200);
  await ok('POST', '/apis/apiregistration.k8s.io/v1/apiservices', {
    apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: 'v1beta1.metrics.k8s.io' },
    spec: { group: 'metrics.k8s.io', version: 'v1beta1', groupPriorityMinimum: 100, versionPriority: 100, service: { namespace: NS, name: 'demo' },
      caBundle: Buffer.from(demo.caPem).toString('base64') },
  });
  // The demo server has no metrics: the discovery check fails, and requests get the aggregator's 503.
  const svc = await eventually(async () => {
    const a = await ok('GET', '/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io');
    return available(a)?.status === 'False' ? a : undefined;
  }, 'the failed check');
  assert.equal(available(svc)?.reason, 'FailedDiscoveryCheck');
  assert.match(String(available(svc)?.message), /^failing or missing response from https:\/\/[\d.]+:443\/apis\/metrics\.k8s\.io\/v1beta1: bad status from https:\/\/[\d.]+:443\/apis\/metrics\.k8s\.io\/v1beta1: 404$/);
  const nodes = await call('GET', '/apis/metrics.k8s.io/v1beta1/nodes');
  assert.equal(nodes.status, 503);
  assert.equal(nodes.body, 'service unavailable\n');
  const agg = await call('GET', '/apis', undefined, { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' });
  const metrics = (agg.json.items as Json[]).find((i) => (i.metadata as Json).name === 'metrics.k8s.io')!;
  assert.deepEqual(metrics.versions, [{ version: 'v1beta1', resources: [], freshness: 'Stale' }]);
  await ok('DELETE', '/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io');
  await eventually(async () => (await call('GET', '/apis/metrics.k8s.io/v1beta1/nodes')).status === 200, 'the built-in Metrics API back');
});

test('a backend that stops: Available False (FailedDiscoveryCheck), then 503', async () => {
  await demo.close();
  const svc = await eventually(async () => {
    const a = await ok('GET', `/apis/apiregistration.k8s.io/v1/apiservices/v1.${DEMO_GROUP}`);
    if (available(a)?.status === 'False') return a;
    // A request that fails to reach it makes the controller check again at once.
    await call('GET', `/apis/${DEMO_GROUP}/v1/namespaces/${NS}/widgets`);
    return undefined;
  }, 'the APIService to become unavailable', 40_000);
  assert.equal(available(svc)?.reason, 'FailedDiscoveryCheck');
  assert.match(String(available(svc)?.message), /^failing or missing response from https:\/\/[\d.]+:443\/apis\/demo\.kubevisor\.test\/v1: Get "https:\/\/[\d.]+:443\/apis\/demo\.kubevisor\.test\/v1": dial tcp 127\.0\.0\.1:\d+: connect: connection refused$/);
  const widgets = await call('GET', `/apis/${DEMO_GROUP}/v1/namespaces/${NS}/widgets`);
  assert.equal(widgets.status, 503);
  assert.equal(widgets.body, 'service unavailable\n');
  assert.equal(widgets.headers['content-type'], 'text/plain; charset=utf-8');
});

test('what delegated authentication and authorization call back: TokenReview and SubjectAccessReview', async () => {
  const review = await ok('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
    apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'nobody-token' },
  });
  assert.deepEqual((review.status as Json).authenticated, true);
  assert.deepEqual(((review.status as Json).user as Json).username, 'nobody');
  const sar = (user: string, groups: string[]) => ok('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview',
    spec: { user, groups, resourceAttributes: { group: DEMO_GROUP, resource: 'widgets', verb: 'list', namespace: NS } },
  });
  assert.equal(((await sar('nobody', ['system:authenticated'])).status as Json).allowed, false);
  assert.equal(((await sar('admin', ['system:masters'])).status as Json).allowed, true);
});
