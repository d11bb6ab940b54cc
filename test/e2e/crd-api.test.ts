// Custom resources at the API level: patch types, content types, list shape,
// and CRD naming conflicts reported in conditions.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKubevisor, type Kubevisor } from '../support/kubevisor.ts';
import { Client } from '../support/client.ts';

let kv: Kubevisor;
let c: Client;
const json = { 'Content-Type': 'application/json' };

function crd(name: string, plural: string, kind: string, shortNames: string[] = []) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name },
    spec: {
      group: 'api.example.com', scope: 'Namespaced',
      names: { plural, singular: kind.toLowerCase(), kind, shortNames },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { n: { type: 'integer' } } } } } } }],
    },
  };
}

async function conditions(name: string): Promise<Record<string, { status: string; reason: string }>> {
  for (let i = 0; i < 50; i++) {
    const r = (await c.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`)).json();
    const conds = Object.fromEntries((r.status?.conditions ?? []).map((x: any) => [x.type, x]));
    if (conds.NamesAccepted) return conds;
    await new Promise((res) => setTimeout(res, 20));
  }
  assert.fail(`no conditions on ${name}`);
}

before(async () => {
  kv = await startKubevisor();
  c = new Client(kv.kubeconfig);
  const r = await c.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: JSON.stringify(crd('things.api.example.com', 'things', 'Thing', ['th'])), headers: json });
  assert.equal(r.status, 201, r.body.toString());
  const conds = await conditions('things.api.example.com');
  assert.equal(conds.Established.status, 'True');
});
after(async () => { c?.close(); await kv?.stop(); });

const things = '/apis/api.example.com/v1/namespaces/default/things';

test('custom resources: merge and JSON patch work; strategic merge patch and protobuf bodies are 415', async () => {
  assert.equal((await c.request('POST', things, { body: JSON.stringify({ apiVersion: 'api.example.com/v1', kind: 'Thing', metadata: { name: 't1' }, spec: { n: 1 } }), headers: json })).status, 201);
  const merged = await c.request('PATCH', `${things}/t1`, { body: '{"spec":{"n":2}}', headers: { 'Content-Type': 'application/merge-patch+json' } });
  assert.equal(merged.status, 200);
  assert.equal(merged.json().spec.n, 2);
  const jp = await c.request('PATCH', `${things}/t1`, { body: '[{"op":"replace","path":"/spec/n","value":3}]', headers: { 'Content-Type': 'application/json-patch+json' } });
  assert.equal(jp.json().spec.n, 3);
  const smp = await c.request('PATCH', `${things}/t1`, { body: '{"spec":{"n":4}}', headers: { 'Content-Type': 'application/strategic-merge-patch+json' } });
  assert.equal(smp.status, 415);
  assert.equal(smp.json().reason, 'UnsupportedMediaType');
  const pb = await c.request('POST', things, { body: Buffer.from([0x6b, 0x38, 0x73, 0x00]), headers: { 'Content-Type': 'application/vnd.kubernetes.protobuf' } });
  assert.equal(pb.status, 415);
  assert.equal((await c.request('GET', `${things}/t1`)).json().spec.n, 3, 'the refused patches changed nothing');
});

test('custom resource lists carry apiVersion and kind on every item', async () => {
  const list = (await c.request('GET', things)).json();
  assert.equal(list.kind, 'ThingList');
  assert.equal(list.apiVersion, 'api.example.com/v1');
  assert.ok(list.items.length > 0);
  for (const item of list.items) {
    assert.equal(item.apiVersion, 'api.example.com/v1');
    assert.equal(item.kind, 'Thing');
  }
});

test('a CRD whose names clash with an established one is not accepted, and reports why', async () => {
  const r = await c.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: JSON.stringify(crd('others.api.example.com', 'others', 'Other', ['th'])), headers: json });
  assert.equal(r.status, 201, r.body.toString());
  const conds = await conditions('others.api.example.com');
  assert.equal(conds.NamesAccepted.status, 'False');
  assert.equal(conds.Established.status, 'False');
  assert.match((conds.NamesAccepted as any).message, /"th" is already in use/);
  assert.equal((await c.request('GET', '/apis/api.example.com/v1/namespaces/default/others')).status, 404, 'not served');
});

test('a default added to the schema later shows on objects stored before it', async () => {
  await c.request('POST', things, { body: JSON.stringify({ apiVersion: 'api.example.com/v1', kind: 'Thing', metadata: { name: 'old' }, spec: {} }), headers: json });
  assert.equal((await c.request('GET', `${things}/old`)).json().spec.n, undefined);
  const cur = (await c.request('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/things.api.example.com')).json();
  cur.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.n.default = 7;
  const u = await c.request('PUT', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/things.api.example.com', { body: JSON.stringify(cur), headers: json });
  assert.equal(u.status, 200, u.body.toString());
  for (let i = 0; i < 50 && (await c.request('GET', `${things}/old`)).json().spec.n === undefined; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal((await c.request('GET', `${things}/old`)).json().spec.n, 7);
  const listed = (await c.request('GET', things)).json().items.find((o: any) => o.metadata.name === 'old');
  assert.equal(listed.spec.n, 7);
});
