// /openapi/v2 and /openapi/v3 over a real HTTP server (src/server/openapi.ts).

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { serveOpenAPI } from '../../server/openapi.ts';
import { makeV3Document } from './index.ts';
import type { V3Document } from './index.ts';
import { readFields } from './proto-reader.ts';

const SERVED = ['v1', 'apps/v1', 'batch/v1'];
const O2 = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

let server: Server;
let base: string;
const extraV3 = new Map<string, V3Document>();
let served = [...SERVED];

before(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!serveOpenAPI(url.pathname, url.searchParams, req, res, served, { extraV3 })) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not openapi');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(base + path, { headers, redirect: 'manual' });
}

async function root(): Promise<Record<string, { serverRelativeURL: string }>> {
  const r = await get('/openapi/v3?timeout=32s', { Accept: 'application/json, */*' });
  assert.equal(r.status, 200);
  return ((await r.json()) as { paths: Record<string, { serverRelativeURL: string }> }).paths;
}

describe('/openapi/v3', () => {
  it('root lists the served documents with hashes; ETag and 304', async () => {
    const r = await get('/openapi/v3');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.equal(r.headers.get('cache-control'), 'no-cache, private');
    const etag = r.headers.get('etag')!;
    assert.match(etag, /^"[0-9A-F]{128}"$/);
    const body = (await r.json()) as { paths: Record<string, { serverRelativeURL: string }> };
    assert.deepEqual(Object.keys(body.paths), ['api', 'api/v1', 'apis', 'apis/apps', 'apis/apps/v1', 'apis/batch', 'apis/batch/v1', 'version']);
    assert.match(body.paths['apis/apps/v1']!.serverRelativeURL, /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
    const again = await get('/openapi/v3', { 'If-None-Match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('etag'), etag);
    assert.equal((await again.arrayBuffer()).byteLength, 0);
  });

  it('serves a document at its serverRelativeURL as immutable; 304 on If-None-Match', async () => {
    const url = (await root())['apis/apps/v1']!.serverRelativeURL;
    const hash = url.slice(url.indexOf('hash=') + 5);
    const r = await get(`${url}&timeout=32s`, { Accept: 'application/json' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.equal(r.headers.get('cache-control'), 'public, immutable');
    assert.equal(r.headers.get('etag'), `"${hash}"`);
    assert.equal(r.headers.get('vary'), 'Accept');
    const expires = Date.parse(r.headers.get('expires')!);
    assert.ok(expires > Date.now() + 300 * 24 * 3600 * 1000, 'expires about a year ahead');
    const doc = (await r.json()) as { openapi: string; paths: Record<string, Record<string, { 'x-kubernetes-group-version-kind'?: unknown }>> };
    assert.equal(doc.openapi, '3.0.0');
    assert.deepEqual(doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']!.patch!['x-kubernetes-group-version-kind'],
      { group: 'apps', kind: 'Deployment', version: 'v1' });
    const cached = await get(url, { Accept: 'application/json', 'If-None-Match': `"${hash}"` });
    assert.equal(cached.status, 304);
    assert.equal(cached.headers.get('cache-control'), 'public, immutable');
  });

  it('redirects a stale hash to the current URL, and serves without a hash as no-cache', async () => {
    const url = (await root())['api/v1']!.serverRelativeURL;
    const stale = await get('/openapi/v3/api/v1?hash=0123ABCD');
    assert.equal(stale.status, 301);
    assert.equal(stale.headers.get('location'), url);
    const plain = await get('/openapi/v3/api/v1');
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get('cache-control'), 'no-cache, private');
    assert.equal(plain.headers.get('etag'), `"${url.slice(url.indexOf('hash=') + 5)}"`);
    const head = await fetch(`${base}${url}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal((await head.arrayBuffer()).byteLength, 0);
  });

  it('404s documents that are not served or do not exist; 406 without JSON in Accept', async () => {
    assert.equal((await get('/openapi/v3/apis/networking.k8s.io/v1')).status, 404);
    assert.equal((await get('/openapi/v3/apis/nope/v1')).status, 404);
    assert.equal((await get('/openapi/v3/api/v1', { Accept: 'text/html' })).status, 406);
    assert.equal((await get('/openapi/v4')).status, 404);
    const other = await get('/swagger-2.0.0.pb-v1');
    assert.equal(other.status, 404);
    assert.equal(await other.text(), 'not openapi');
  });

  it('root hashes change when a document changes', async () => {
    served = [...SERVED, 'example.com/v1'];
    try {
      extraV3.set('apis/example.com/v1', makeV3Document({ openapi: '3.0.0', paths: { '/apis/example.com/v1/widgets': {} } }));
      const first = (await root())['apis/example.com/v1']!.serverRelativeURL;
      const r = await get(first);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('cache-control'), 'public, immutable');
      extraV3.set('apis/example.com/v1', makeV3Document({ openapi: '3.0.0', paths: { '/apis/example.com/v1/gadgets': {} } }));
      const second = (await root())['apis/example.com/v1']!.serverRelativeURL;
      assert.notEqual(second, first);
      const old = await get(first);
      assert.equal(old.status, 301);
      assert.equal(old.headers.get('location'), second);
      const apps = (await root())['apis/apps/v1']!.serverRelativeURL;
      assert.equal(apps, (await root())['apis/apps/v1']!.serverRelativeURL);
    } finally {
      extraV3.clear();
      served = [...SERVED];
    }
  });
});

describe('/openapi/v2', () => {
  it('serves protobuf for the proto-openapi Accept (both spellings), with ETag and 304', async () => {
    for (const accept of [O2, 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf']) {
      const r = await get('/openapi/v2?timeout=32s', { Accept: accept });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
      assert.equal(r.headers.get('vary'), 'Accept');
      const etag = r.headers.get('etag')!;
      assert.match(etag, /^"[0-9A-F]{128}"$/);
      const body = new Uint8Array(await r.arrayBuffer());
      const fields = readFields(body);
      assert.equal(Buffer.from(fields.find((f) => f.field === 1)!.bytes!).toString(), '2.0');
      assert.ok(fields.some((f) => f.field === 9), 'definitions present');
      const again = await get('/openapi/v2', { Accept: accept, 'If-None-Match': etag });
      assert.equal(again.status, 304);
    }
  });

  it('serves JSON for application/json and */*, 406 otherwise, and honours q-values', async () => {
    const j = await get('/openapi/v2', { Accept: 'application/json' });
    assert.equal(j.status, 200);
    assert.equal(j.headers.get('content-type'), 'application/json');
    const doc = (await j.json()) as { swagger: string; paths: Record<string, unknown> };
    assert.equal(doc.swagger, '2.0');
    assert.ok(doc.paths['/apis/batch/v1/namespaces/{namespace}/jobs']);
    assert.equal(doc.paths['/apis/networking.k8s.io/v1/ingressclasses'], undefined);
    assert.equal((await get('/openapi/v2')).headers.get('content-type'), 'application/json');
    assert.equal((await get('/openapi/v2', { Accept: 'text/html' })).status, 406);
    const q = await get('/openapi/v2', { Accept: `application/json;q=0.5, ${O2}` });
    assert.equal(q.headers.get('content-type'), 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    const etag = j.headers.get('etag')!;
    assert.equal((await get('/openapi/v2', { Accept: 'application/json', 'If-None-Match': `W/${etag}, "x"` })).status, 304);
  });

  it('rejects methods other than GET and HEAD', async () => {
    const r = await fetch(`${base}/openapi/v2`, { method: 'POST', body: '{}' });
    assert.equal(r.status, 405);
  });
});
