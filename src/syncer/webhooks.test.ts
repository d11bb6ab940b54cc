// A synced cluster's webhook Services are called through the host's
// services/proxy: the path, the body and headers sent, the backend's answer
// returned, the host's refusals worded as upstream's transport failures with
// the virtual names.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeObject } from '../api/types.ts';
import type { VirtualCluster } from '../server/cluster.ts';
import { TransportError } from '../server/admission/webhooks/index.ts';
import type { HostConnection } from './host/connection.ts';
import { hostWebhookRoute } from './webhooks.ts';

let host: Server;
let port: number;
const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }> = [];

before(async () => {
  host = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      seen.unshift({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if ((req.url ?? '').includes('/services/https:empty-x-hooks-x-vc:443/')) {
        res.writeHead(503, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 503, reason: 'ServiceUnavailable',
          message: 'no endpoints available for service "https:empty-x-hooks-x-vc:443"' }));
        return;
      }
      if ((req.url ?? '').includes('/services/https:down-x-hooks-x-vc:443/')) {
        res.writeHead(503, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 503, reason: 'ServiceUnavailable',
          message: 'error trying to reach service: dial tcp 10.1.2.3:8443: connect: connection refused' }));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u', allowed: true } }));
    });
  });
  await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
  port = (host.address() as AddressInfo).port;
});

after(() => { host.close(); });

/** The host connection's open(): an authenticated request to a host path (here: plain HTTP to the fake host). */
const conn = {
  async open(method: string, path: string, headers: Record<string, string | string[]>) {
    return httpRequest({ host: '127.0.0.1', port, method, path, headers: { ...headers, Authorization: 'Bearer host-token' } });
  },
} as unknown as HostConnection;

const services = new Set(['webhook', 'empty', 'down', 'not-synced']);
const vc = {
  registry: { find: () => ({ group: '', version: 'v1', plural: 'services' }) },
  store: { peek: (_d: unknown, _ns: string, name: string) => (services.has(name) ? { metadata: { name } } as KubeObject : undefined) },
} as unknown as VirtualCluster;

const route = hostWebhookRoute(vc, (namespace, name) =>
  (name === 'not-synced' ? undefined : { conn, namespace: 'host-ns', name: `${name}-x-${namespace}-x-vc` }));

const post = (body = '{"kind":"AdmissionReview"}') => ({
  path: '/validate?timeout=10s', body: Buffer.from(body), signal: AbortSignal.timeout(5000),
  headers: { 'Content-Type': 'application/json', Accept: 'application/json, */*', 'User-Agent': 'kube-apiserver-admission' },
});

async function transportFailure(name: string): Promise<string> {
  try {
    await route({ namespace: 'hooks', name, path: '/validate', port: 443 }, undefined, post());
  } catch (e) {
    assert.ok(e instanceof TransportError, String(e));
    return e.message;
  }
  assert.fail('no failure');
}

test('the POST goes to the host Service\'s proxy; the backend\'s answer comes back', async () => {
  const a = await route({ namespace: 'hooks', name: 'webhook', path: '/validate', port: 443 }, 'CA', post('{"request":1}'));
  assert.equal(a.status, 200);
  assert.equal(JSON.parse(a.body.toString()).response.allowed, true);
  const s = seen[0]!;
  assert.equal(s.method, 'POST');
  assert.equal(s.url, '/api/v1/namespaces/host-ns/services/https:webhook-x-hooks-x-vc:443/proxy/validate?timeout=10s');
  assert.equal(s.body, '{"request":1}');
  assert.equal(s.headers['content-type'], 'application/json');
  assert.equal(s.headers['user-agent'], 'kube-apiserver-admission');
  assert.equal(s.headers.authorization, 'Bearer host-token');
});

test('the host\'s refusals read as upstream\'s resolver and dialer failures, with virtual names', async () => {
  assert.equal(await transportFailure('empty'), 'no endpoints available for service "empty"');
  assert.equal(await transportFailure('down'), 'dial tcp 10.1.2.3:8443: connect: connection refused');
  assert.equal(await transportFailure('missing'), 'service "missing" not found');
  assert.equal(await transportFailure('not-synced'), 'no endpoints available for service "not-synced"');
});
