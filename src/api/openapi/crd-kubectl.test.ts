// The real kubectl explaining (and creating) custom resources against a tiny
// server: aggregated discovery (v2 and v2beta1) for core/v1 and the example.com
// CRDs, /version minor 36, /openapi/* from src/server/openapi.ts with the `crds`
// option, and a POST that echoes the object.
// `explain` and the fieldValidation check of `create` read /openapi/v3 in every
// version 1.27-1.33; 1.27 and 1.28 also GET /openapi/v2 first, and fail (NotFound)
// when it is missing; `explain --output=plaintext-openapiv2` reads /openapi/v2
// (protobuf) and needs the CRD's definitions in it. Skipped when the kubectl
// binaries are not installed.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { serveOpenAPI } from '../../server/openapi.ts';
import { gadgetCRD, widgetCRD } from './crd.fixtures.ts';

const BIN_DIR = '/usr/lib/google-cloud-sdk/bin';
const kubectl = (minor: number): string => join(BIN_DIR, `kubectl.1.${minor}`);
const MINORS = [27, 28, 29, 30, 31, 32, 33].filter((m) => existsSync(kubectl(m)));
const available = [27, 30, 33].every((m) => MINORS.includes(m));

const SERVED = ['v1'];
const CRDS = [widgetCRD(), gadgetCRD()];

interface Recorded { method: string; url: string; accept: string; contentType: string; body: string }

let server: Server;
let dir: string;
let kubeconfig: string;
let requests: Recorded[] = [];

const VERBS = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];
const SUB_VERBS = ['get', 'patch', 'update'];

function discoveryItems(core: boolean): unknown[] {
  if (core) {
    return [{
      metadata: { creationTimestamp: null },
      versions: [{
        version: 'v1',
        freshness: 'Current',
        resources: [{
          resource: 'configmaps', singularResource: 'configmap', scope: 'Namespaced', shortNames: ['cm'],
          responseKind: { group: '', version: 'v1', kind: 'ConfigMap' }, verbs: VERBS,
        }],
      }],
    }];
  }
  const widget = (version: string): unknown => ({
    resource: 'widgets', singularResource: 'widget', scope: 'Namespaced', shortNames: ['wd'], categories: ['all'],
    responseKind: { group: 'example.com', version, kind: 'Widget' }, verbs: VERBS,
    subresources: version === 'v1' ? [
      { subresource: 'status', responseKind: { group: 'example.com', version, kind: 'Widget' }, verbs: SUB_VERBS },
      { subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: SUB_VERBS },
    ] : [],
  });
  const gadget = {
    resource: 'gadgets', singularResource: 'gadget', scope: 'Cluster',
    responseKind: { group: 'example.com', version: 'v1', kind: 'Gadget' }, verbs: VERBS,
  };
  return [{
    metadata: { name: 'example.com', creationTimestamp: null },
    versions: [
      { version: 'v1', freshness: 'Current', resources: [widget('v1'), gadget] },
      { version: 'v1beta1', freshness: 'Current', resources: [widget('v1beta1')] },
    ],
  }];
}

const appliedWidget = {
  apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w2', namespace: 'default' },
  spec: { size: 1, ports: [{ name: 'http', port: 80 }] },
};
const liveWidget = {
  ...appliedWidget,
  metadata: {
    name: 'w2', namespace: 'default', uid: '00000000-0000-4000-8000-000000000002', resourceVersion: '5', generation: 1,
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(appliedWidget) },
  },
};

function json(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  res.writeHead(code, { 'Content-Type': contentType });
  res.end(JSON.stringify(body));
}

function discovery(req: IncomingMessage, res: ServerResponse, core: boolean): void {
  const accept = String(req.headers.accept ?? '');
  const version = /v=v2(?![a-z0-9])/.test(accept) ? 'v2' : accept.includes('v=v2beta1') ? 'v2beta1' : undefined;
  if (version) {
    return json(res, 200, { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items: discoveryItems(core) },
      `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`);
  }
  if (core) return json(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
  return json(res, 200, {
    kind: 'APIGroupList', apiVersion: 'v1',
    groups: [{
      name: 'example.com',
      versions: [{ groupVersion: 'example.com/v1', version: 'v1' }, { groupVersion: 'example.com/v1beta1', version: 'v1beta1' }],
      preferredVersion: { groupVersion: 'example.com/v1', version: 'v1' },
    }],
  });
}

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = new URL(req.url ?? '/', 'http://x');
  requests.push({
    method: req.method ?? '', url: req.url ?? '', accept: String(req.headers.accept ?? ''),
    contentType: String(req.headers['content-type'] ?? ''), body,
  });
  if (serveOpenAPI(url.pathname, url.searchParams, req, res, SERVED, { crds: CRDS })) return;
  if (req.method === 'POST' && url.pathname === '/apis/example.com/v1/namespaces/default/widgets') {
    const obj = JSON.parse(body) as { metadata: Record<string, unknown> };
    obj.metadata = { ...obj.metadata, namespace: 'default', uid: '00000000-0000-4000-8000-000000000001', resourceVersion: '1', generation: 1 };
    return json(res, 201, obj);
  }
  if (url.pathname === '/apis/example.com/v1/namespaces/default/widgets/w2') {
    if (req.method === 'GET') return json(res, 200, liveWidget);
    if (req.method === 'PATCH') return json(res, 200, liveWidget);
  }
  switch (url.pathname) {
    case '/version':
      return json(res, 200, { major: '1', minor: '36', gitVersion: 'v1.36.0', platform: 'linux/amd64' });
    case '/api':
      return discovery(req, res, true);
    case '/apis':
      return discovery(req, res, false);
    default:
      return json(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' });
  }
}

function run(minor: number, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // A fresh HOME each time: cold discovery and HTTP caches.
    const home = mkdtempSync(join(dir, 'home-'));
    execFile(kubectl(minor), [...args, '--kubeconfig', kubeconfig], {
      env: { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeout: 60_000,
    }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('real kubectl explains custom resources', { skip: available ? false : 'kubectl binaries not installed' }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubevisor-crd-openapi-'));
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u, namespace: default}}]
current-context: c
`);
    writeFileSync(join(dir, 'widget.yaml'), `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w1
  namespace: default
spec:
  size: 10Gi
  replicas: 2
  ports:
  - name: http
    port: 80
  template:
    apiVersion: v1
    kind: ConfigMap
    data: {a: b}
`);
    writeFileSync(join(dir, 'widget2.yaml'), `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w2
  namespace: default
spec:
  size: 2
  ports:
  - name: http
    port: 8080
`);
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  for (const minor of MINORS) {
    it(`kubectl 1.${minor} explain widgets reads /openapi/v3`, async () => {
      requests = [];
      const r = await run(minor, ['explain', 'widgets']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /KIND:\s+Widget/);
      assert.match(r.stdout, /VERSION:\s+v1\n/);
      assert.match(r.stdout, /Widget is a made-up resource that the tests publish\./);
      for (const f of ['apiVersion', 'kind', 'metadata', 'spec', 'status']) assert.match(r.stdout, new RegExp(`^\\s+${f}\\s+<`, 'm'), f);
      assert.match(r.stdout, /metadata\s+<ObjectMeta>/);
      assert.match(r.stdout, /spec\s+<Object> -required-/);
      const urls = requests.map((q) => q.url);
      assert.ok(urls.some((u) => u.startsWith('/openapi/v3/apis/example.com/v1?hash=')), JSON.stringify(urls));
      // 1.27 and 1.28 fetch /openapi/v2 too (and must be able to parse it), before discovery.
      assert.equal(urls.some((u) => u.startsWith('/openapi/v2')), minor <= 28, JSON.stringify(urls));
    });

    it(`kubectl 1.${minor} explain widgets.spec.size (int-or-string) and nested fields`, async () => {
      const size = await run(minor, ['explain', 'widgets.spec.size']);
      assert.equal(size.code, 0, size.stderr);
      assert.match(size.stdout, /FIELD:\s+size/);
      assert.match(size.stdout, /How big the widget is: a count of units or a quantity such as 10Gi\./);

      const ports = await run(minor, ['explain', 'widgets.spec.ports']);
      assert.equal(ports.code, 0, ports.stderr);
      assert.match(ports.stdout, /Ports the widget listens on\./);
      assert.match(ports.stdout, /port\s+<integer> -required-/);

      const template = await run(minor, ['explain', 'widgets.spec.template']);
      assert.equal(template.code, 0, template.stderr);
      assert.match(template.stdout, /kind\s+<string> -required-/);

      const meta = await run(minor, ['explain', 'wd.metadata.labels']);
      assert.equal(meta.code, 0, meta.stderr);
      assert.match(meta.stdout, /labels\s+<map\[string\]string>/);
    });

    it(`kubectl 1.${minor} explain another version and a cluster-scoped kind`, async () => {
      const beta = await run(minor, ['explain', 'widgets.spec', '--api-version=example.com/v1beta1']);
      assert.equal(beta.code, 0, beta.stderr);
      assert.match(beta.stdout, /VERSION:\s+v1beta1/);
      assert.match(beta.stdout, /size\s+<string>/);

      const gadget = await run(minor, ['explain', 'gadgets']);
      assert.equal(gadget.code, 0, gadget.stderr);
      assert.match(gadget.stdout, /KIND:\s+Gadget/);
    });

    it(`kubectl 1.${minor} explain --output=plaintext-openapiv2 reads the protobuf /openapi/v2`, async () => {
      requests = [];
      const r = await run(minor, ['explain', '--output=plaintext-openapiv2', 'widgets.spec']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /KIND:\s+Widget/);
      assert.match(r.stdout, /VERSION:\s+example\.com\/v1/);
      assert.match(r.stdout, /WidgetSpec says what the widget should look like\./);
      assert.match(r.stdout, /ports\s+<\[\]Object>/);
      assert.match(r.stdout, /size\s+<> -required-/);
      assert.ok(requests.some((q) => q.url.startsWith('/openapi/v2') && q.accept.includes('protobuf')));
    });

    it(`kubectl 1.${minor} create validates a custom resource and sends fieldValidation=Strict`, async () => {
      requests = [];
      const r = await run(minor, ['create', '-f', join(dir, 'widget.yaml')]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /widget\.example\.com\/w1 created/);
      assert.doesNotMatch(r.stderr, /openapi|validat/i);
      const post = requests.find((q) => q.method === 'POST');
      assert.ok(post, 'a POST was sent');
      assert.match(post.url, /fieldValidation=Strict/);
      const urls = requests.map((q) => q.url);
      assert.ok(urls.some((u) => u.startsWith('/openapi/v3/apis/example.com/v1?hash=')), JSON.stringify(urls));
      assert.equal(urls.some((u) => u.startsWith('/openapi/v2')), minor <= 28, JSON.stringify(urls));
    });

    it(`kubectl 1.${minor} apply of a changed custom resource sends a merge patch, without openapi warnings`, async () => {
      requests = [];
      const r = await run(minor, ['apply', '-f', join(dir, 'widget2.yaml')]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      const patch = requests.find((q) => q.method === 'PATCH');
      assert.ok(patch, 'a PATCH was sent');
      assert.equal(patch.contentType, 'application/merge-patch+json');
      assert.match(patch.url, /fieldValidation=Strict/);
      const body = JSON.parse(patch.body) as { spec: Record<string, unknown> };
      assert.deepEqual(body.spec, { ports: [{ name: 'http', port: 8080 }], size: 2 });
    });
  }
});
