// The real kubectl against a minimal server that has legacy discovery for
// core/v1 and apps/v1, one Deployment, and /openapi/* from src/server/openapi.ts.
// kubectl 1.27 and 1.28 read /openapi/v2 (protobuf) for apply validation and for
// `explain --output=plaintext-openapiv2`; all versions use /openapi/v3 otherwise.
// Skipped when the kubectl binaries are not installed.

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

const BIN_DIR = '/usr/lib/google-cloud-sdk/bin';
const kubectl = (minor: number): string => join(BIN_DIR, `kubectl.1.${minor}`);
const available = existsSync(kubectl(27)) && existsSync(kubectl(33));

const SERVED = ['v1', 'apps/v1'];

interface Recorded { method: string; url: string; accept: string; contentType: string; body: string }

let server: Server;
let dir: string;
let kubeconfig: string;
let requests: Recorded[] = [];

const lastApplied = {
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] },
    },
  },
};

const live = {
  ...lastApplied,
  metadata: {
    name: 'web', namespace: 'default', uid: '0b6c3a4e-0000-4000-8000-000000000001', resourceVersion: '7', generation: 1,
    creationTimestamp: '2026-01-01T00:00:00Z',
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(lastApplied) },
  },
};

const manifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.26
        ports:
        - containerPort: 80
      - name: sidecar
        image: busybox
`;

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function resource(name: string, singularName: string, kind: string, shortNames: string[]): object {
  return {
    name, singularName, namespaced: true, kind, shortNames,
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  };
}

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = new URL(req.url ?? '/', 'http://x');
  requests.push({
    method: req.method ?? '', url: req.url ?? '', accept: String(req.headers.accept ?? ''),
    contentType: String(req.headers['content-type'] ?? ''), body,
  });
  if (serveOpenAPI(url.pathname, url.searchParams, req, res, SERVED)) return;
  const port = (server.address() as AddressInfo).port;
  switch (url.pathname) {
    case '/version':
      return json(res, 200, { major: '1', minor: '36', gitVersion: 'v1.36.0', platform: 'linux/amd64' });
    case '/api':
      return json(res, 200, {
        kind: 'APIVersions', versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${port}` }],
      });
    case '/apis':
      return json(res, 200, {
        kind: 'APIGroupList', apiVersion: 'v1',
        groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } }],
      });
    case '/api/v1':
      return json(res, 200, {
        kind: 'APIResourceList', groupVersion: 'v1',
        resources: [resource('pods', 'pod', 'Pod', ['po']), resource('configmaps', 'configmap', 'ConfigMap', ['cm'])],
      });
    case '/apis/apps/v1':
      return json(res, 200, {
        kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'apps/v1',
        resources: [resource('deployments', 'deployment', 'Deployment', ['deploy'])],
      });
    case '/apis/apps/v1/namespaces/default/deployments/web':
      return json(res, 200, live);
    default:
      return json(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' });
  }
}

function run(minor: number, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // A fresh HOME each time: cold discovery and HTTP caches, as in a first run.
    const home = mkdtempSync(join(dir, 'home-'));
    execFile(kubectl(minor), [...args, '--kubeconfig', kubeconfig], {
      env: { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeout: 60_000,
    }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('real kubectl against /openapi', { skip: available ? false : 'kubectl binaries not installed' }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubevisor-openapi-'));
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
    writeFileSync(join(dir, 'deploy.yaml'), manifest);
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  for (const minor of [27, 28]) {
    it(`kubectl 1.${minor} explain --output=plaintext-openapiv2 reads the protobuf /openapi/v2`, async () => {
      requests = [];
      const r = await run(minor, ['explain', '--output=plaintext-openapiv2', 'deployment.spec.template.spec.containers.ports']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /KIND:\s+Deployment/);
      assert.match(r.stdout, /RESOURCE:\s+ports <\[\]Object>/);
      assert.match(r.stdout, /containerPort\s+<integer> -required-/);
      assert.ok(requests.some((q) => q.url.startsWith('/openapi/v2') && q.accept.includes('protobuf')));
    });
  }

  it('kubectl 1.27 apply validates with /openapi/v2 and sends a strategic merge patch with fieldValidation', async () => {
    requests = [];
    const r = await run(27, ['apply', '-f', join(dir, 'deploy.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /openapi/i);
    assert.ok(requests.some((q) => q.url.startsWith('/openapi/v2') && q.accept.includes('protobuf')));
    const patch = requests.find((q) => q.method === 'PATCH');
    assert.ok(patch, 'a PATCH was sent');
    assert.match(patch.url, /fieldValidation=Strict/);
    assert.equal(patch.contentType, 'application/strategic-merge-patch+json');
    const body = JSON.parse(patch.body) as { spec: { template: { spec: Record<string, unknown> } } };
    assert.deepEqual(body.spec.template.spec['$setElementOrder/containers'], [{ name: 'web' }, { name: 'sidecar' }]);
  });

  for (const minor of [29, 33]) {
    it(`kubectl 1.${minor} explain reads /openapi/v3`, async () => {
      if (!existsSync(kubectl(minor))) return;
      requests = [];
      const r = await run(minor, ['explain', 'deployment.spec.template.spec.containers.ports']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /containerPort\s+<integer>\s+-required-/);
      assert.ok(requests.some((q) => /^\/openapi\/v3\/apis\/apps\/v1\?hash=/.test(q.url)), JSON.stringify(requests.map((q) => q.url)));
      assert.ok(!requests.some((q) => q.url.startsWith('/openapi/v2')));
    });
  }

  it('kubectl 1.33 apply computes the strategic merge patch from /openapi/v3 (no v2 fallback)', async () => {
    requests = [];
    const r = await run(33, ['apply', '-f', join(dir, 'deploy.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /error calculating patch|openapi/i);
    assert.ok(!requests.some((q) => q.url.startsWith('/openapi/v2')), 'v2 is not needed');
    const patch = requests.find((q) => q.method === 'PATCH');
    assert.ok(patch, 'a PATCH was sent');
    assert.match(patch.url, /fieldValidation=Strict/);
    assert.equal(patch.contentType, 'application/strategic-merge-patch+json');
    const body = JSON.parse(patch.body) as { spec: { replicas: number; template: { spec: Record<string, unknown> } } };
    assert.equal(body.spec.replicas, 3);
    assert.deepEqual(body.spec.template.spec['$setElementOrder/containers'], [{ name: 'web' }, { name: 'sidecar' }]);
  });
});
