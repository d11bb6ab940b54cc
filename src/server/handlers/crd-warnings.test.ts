// Warning headers: what a deprecated version of a custom resource sends on
// every request it serves (errors included), and how warnings are written.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'node:https';
import { Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { startInProcessServer, type InProcessServer } from '../../../test/support/in-process-server.ts';
import { startCrdControllers } from '../../controllers/crd.ts';
import { addWarnings } from './warnings.ts';

/** A custom deprecationWarning with a quote, a backslash and non-ASCII text. */
const CUSTOM = 'Gadget v1beta1 is "retired" \\ use v1 — bientôt supprimé';
const DEFAULT = 'warn.example.com/v1alpha1 Gadget is deprecated; use warn.example.com/v1 Gadget';

const schema = {
  openAPIV3Schema: {
    type: 'object',
    properties: {
      spec: { type: 'object', properties: { size: { type: 'integer' } } },
      status: { type: 'object', properties: { phase: { type: 'string' } } },
    },
  },
};

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.warn.example.com' },
  spec: {
    group: 'warn.example.com',
    scope: 'Namespaced',
    names: { kind: 'Gadget', listKind: 'GadgetList', plural: 'gadgets', singular: 'gadget' },
    versions: [
      // The default text names the best newer version that is served and not
      // deprecated: v1 (GA ranks before v2alpha1; v1beta1 is deprecated).
      { name: 'v1alpha1', served: true, storage: false, deprecated: true, schema, subresources: { status: {} } },
      { name: 'v1beta1', served: true, storage: false, deprecated: true, deprecationWarning: CUSTOM, schema },
      { name: 'v1', served: true, storage: true, schema },
      { name: 'v2alpha1', served: true, storage: false, schema },
    ],
  },
};

interface Reply { status: number; body: string; warnings: string[] }

let server: InProcessServer;
let call: (method: string, path: string, body?: unknown, contentType?: string) => Promise<Reply>;

before(async () => {
  server = await startInProcessServer('crd-warnings', (vc) => startCrdControllers(vc));
  const kc = parse(readFileSync(server.kubeconfig, 'utf8'));
  const cluster = kc.clusters[0].cluster;
  const user = kc.users[0].user;
  const tls = {
    ca: Buffer.from(cluster['certificate-authority-data'], 'base64'),
    cert: Buffer.from(user['client-certificate-data'], 'base64'),
    key: Buffer.from(user['client-key-data'], 'base64'),
  };
  // Raw header lines, so that separate Warning fields stay separate; their bytes are UTF-8.
  call = (method, path, body, contentType = 'application/json') => new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(new URL(cluster.server + path), {
      method, ...tls, agent: false,
      headers: payload === undefined ? {} : { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(payload)) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const warnings: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          if (res.rawHeaders[i]!.toLowerCase() === 'warning') warnings.push(Buffer.from(res.rawHeaders[i + 1]!, 'latin1').toString('utf8'));
        }
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), warnings });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
  const created = await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  assert.equal(created.status, 201, created.body);
  assert.deepEqual(created.warnings, []);
  const end = Date.now() + 10_000;
  while ((await call('GET', '/apis/warn.example.com/v1/namespaces/default/gadgets')).status !== 200) {
    if (Date.now() > end) throw new Error('the CRD was not served in 10s');
    await new Promise((r) => setTimeout(r, 20));
  }
  const g1 = await call('POST', '/apis/warn.example.com/v1/namespaces/default/gadgets', { apiVersion: 'warn.example.com/v1', kind: 'Gadget', metadata: { name: 'g1' }, spec: { size: 1 } });
  assert.equal(g1.status, 201, g1.body);
});

after(async () => { await server?.close(); });

const ns = (v: string) => `/apis/warn.example.com/${v}/namespaces/default/gadgets`;

test('a deprecated version without deprecationWarning: the default text, naming the newest served version', async () => {
  const r = await call('GET', `${ns('v1alpha1')}/g1`);
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(r.warnings, [`299 - "${DEFAULT}"`]);
});

test('a custom deprecationWarning is sent as written: only " and \\ escaped, UTF-8', async () => {
  const r = await call('GET', `${ns('v1beta1')}/g1`);
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(r.warnings, ['299 - "Gadget v1beta1 is \\"retired\\" \\\\ use v1 — bientôt supprimé"']);
});

test('versions that are not deprecated send no Warning', async () => {
  for (const v of ['v1', 'v2alpha1']) {
    const get = await call('GET', `${ns(v)}/g1`);
    assert.equal(get.status, 200, get.body);
    assert.deepEqual(get.warnings, [], v);
    const list = await call('GET', ns(v));
    assert.deepEqual(list.warnings, [], `${v} list`);
  }
});

test('list and watch of a deprecated version warn', async () => {
  const list = await call('GET', ns('v1alpha1'));
  assert.equal(list.status, 200, list.body);
  assert.deepEqual(list.warnings, [`299 - "${DEFAULT}"`]);
  const all = await call('GET', '/apis/warn.example.com/v1beta1/gadgets');
  assert.equal(all.status, 200, all.body);
  assert.equal(all.warnings.length, 1, 'a list across namespaces');
  const watch = await call('GET', `${ns('v1alpha1')}?watch=true&timeoutSeconds=1`);
  assert.equal(watch.status, 200, watch.body);
  assert.deepEqual(watch.warnings, [`299 - "${DEFAULT}"`]);
  assert.match(watch.body, /"type":"ADDED"/);
});

test('writes, subresources and errors on a deprecated version warn too', async () => {
  const warned = [`299 - "${DEFAULT}"`];
  // fieldValidation=Warn adds a header field of its own, after the version's.
  const create = await call('POST', `${ns('v1alpha1')}?fieldValidation=Warn`,
    { apiVersion: 'warn.example.com/v1alpha1', kind: 'Gadget', metadata: { name: 'g2' }, spec: { size: 2, bogus: true } });
  assert.equal(create.status, 201, create.body);
  assert.deepEqual(create.warnings, [...warned, '299 - "unknown field \\"spec.bogus\\""']);
  const patch = await call('PATCH', `${ns('v1alpha1')}/g2/status`, { status: { phase: 'Ready' } }, 'application/merge-patch+json');
  assert.equal(patch.status, 200, patch.body);
  assert.deepEqual(patch.warnings, warned);
  const missing = await call('GET', `${ns('v1alpha1')}/nope`);
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.warnings, warned, 'a 404 for a missing object');
  const noScale = await call('GET', `${ns('v1alpha1')}/g2/scale`);
  assert.equal(noScale.status, 404);
  assert.deepEqual(noScale.warnings, warned, 'a subresource the version does not have');
  const invalid = await call('PUT', `${ns('v1alpha1')}/g2`, { apiVersion: 'warn.example.com/v1alpha1', kind: 'Gadget', metadata: { name: 'g2' }, spec: { size: 'big' } });
  assert.equal(invalid.status, 422, invalid.body);
  assert.deepEqual(invalid.warnings, warned);
  const del = await call('DELETE', `${ns('v1alpha1')}/g2`);
  assert.equal(del.status, 200, del.body);
  assert.deepEqual(del.warnings, warned);
  const delAll = await call('DELETE', ns('v1beta1'));
  assert.equal(delAll.status, 200, delAll.body);
  assert.equal(delAll.warnings.length, 1, 'deletecollection');
  // The path of a cluster-scoped request to a namespaced kind is not the version's: no warning, as upstream.
  const wrongScope = await call('GET', '/apis/warn.example.com/v1alpha1/gadgets/g1');
  assert.equal(wrongScope.status, 404);
  assert.deepEqual(wrongScope.warnings, []);
});

test('addWarnings: deduplicated, texts with control characters and empty texts left out', () => {
  const res = new ServerResponse(new IncomingMessage(new Socket()));
  addWarnings(res, ['a', '', 'b\u0007c', 'a']);
  addWarnings(res, ['b', 'a']);
  assert.deepEqual(res.getHeader('Warning'), ['299 - "a"', '299 - "b"']);
  const none = new ServerResponse(new IncomingMessage(new Socket()));
  addWarnings(none, []);
  assert.equal(none.hasHeader('Warning'), false);
});

test('addWarnings: past 4096 characters every text is cut to 256 and later texts are dropped', () => {
  const res = new ServerResponse(new IncomingMessage(new Socket()));
  const texts = Array.from({ length: 20 }, (_, i) => String.fromCharCode(97 + i).repeat(300));
  addWarnings(res, texts.slice(0, 13)); // 13 × 300 = 3900 characters: all whole
  assert.deepEqual(res.getHeader('Warning'), texts.slice(0, 13).map((t) => `299 - "${t}"`));
  addWarnings(res, texts.slice(13));
  // The 14th passes the limit: the 14 so far are written again cut (14 × 256 = 3584), then the
  // 15th and 16th fit while under the limit (4096 is reached at the 16th), and the rest are dropped.
  assert.deepEqual(res.getHeader('Warning'), texts.slice(0, 16).map((t) => `299 - "${t.slice(0, 256)}"`));
});
