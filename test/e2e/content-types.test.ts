// Request and response encodings: YAML, protobuf, Tables, partial metadata,
// and discovery's exact content types.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKubevisor, type Kubevisor } from '../support/kubevisor.ts';
import { Client } from '../support/client.ts';
import { decodeProtobufObject, encodeProtobufObject } from '../../src/api/protobuf/codec.ts';

let kv: Kubevisor;
let c: Client;

before(async () => { kv = await startKubevisor(); c = new Client(kv.kubeconfig); });
after(async () => { c?.close(); await kv?.stop(); });

const cms = '/api/v1/namespaces/default/configmaps';

test('YAML request bodies and YAML responses', async () => {
  const r = await c.request('POST', cms, { body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  a: "1"\n', headers: { 'Content-Type': 'application/yaml' } });
  assert.equal(r.status, 201, r.body.toString());
  const y = await c.request('GET', `${cms}/from-yaml`, { headers: { Accept: 'application/yaml' } });
  assert.equal(y.headers['content-type'], 'application/yaml');
  assert.match(y.body.toString(), /^kind: ConfigMap$/m);
  assert.match(y.body.toString(), /^ {2}a: "1"$/m);
});

test('protobuf request bodies and protobuf responses', async () => {
  const body = encodeProtobufObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'from-pb' }, data: { k: 'v' } });
  const r = await c.request('POST', cms, { body: Buffer.from(body), headers: { 'Content-Type': 'application/vnd.kubernetes.protobuf', Accept: 'application/vnd.kubernetes.protobuf' } });
  assert.equal(r.status, 201);
  assert.equal(r.headers['content-type'], 'application/vnd.kubernetes.protobuf');
  const created = decodeProtobufObject(r.body) as any;
  assert.equal(created.metadata.name, 'from-pb');
  assert.equal(created.data.k, 'v');
  const list = await c.request('GET', cms, { headers: { Accept: 'application/vnd.kubernetes.protobuf, application/json' } });
  const decoded = decodeProtobufObject(list.body) as any;
  assert.equal(decoded.kind, 'ConfigMapList');
  assert.ok(decoded.items.some((i: any) => i.metadata.name === 'from-pb'));
});

test('Tables in v1 and v1beta1, with includeObject; partial object metadata', async () => {
  for (const v of ['v1', 'v1beta1']) {
    const t = (await c.request('GET', `${cms}?includeObject=Object`, { headers: { Accept: `application/json;as=Table;v=${v};g=meta.k8s.io, application/json` } })).json();
    assert.equal(t.kind, 'Table');
    assert.equal(t.apiVersion, `meta.k8s.io/${v}`);
    assert.deepEqual(t.columnDefinitions.map((col: any) => col.name), ['Name', 'Data', 'Age']);
    const row = t.rows.find((r: any) => r.cells[0] === 'from-yaml');
    assert.equal(row.cells[1], 1);
    assert.equal(row.object.kind, 'ConfigMap');
  }
  const p = (await c.request('GET', cms, { headers: { Accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io' } })).json();
  assert.equal(p.kind, 'PartialObjectMetadataList');
  assert.ok(p.items.every((i: any) => i.kind === 'PartialObjectMetadata' && i.metadata.name && i.data === undefined));
});

test('aggregated discovery answers with the exact content type per version asked', async () => {
  for (const v of ['v2', 'v2beta1']) {
    const r = await c.request('GET', '/apis', { headers: { Accept: `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList,application/json` } });
    assert.equal(r.headers['content-type'], `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`);
    const body = r.json();
    assert.equal(body.kind, 'APIGroupDiscoveryList');
    const apps = body.items.find((g: any) => g.metadata.name === 'apps');
    const deploy = apps.versions[0].resources.find((res: any) => res.resource === 'deployments');
    assert.deepEqual(deploy.shortNames, ['deploy']);
    assert.deepEqual(deploy.categories, ['all']);
    assert.ok(deploy.subresources.some((s: any) => s.subresource === 'scale' && s.responseKind.kind === 'Scale' && s.responseKind.group === 'autoscaling'));
  }
  const legacy = await c.request('GET', '/apis', { headers: { Accept: 'application/json' } });
  assert.equal(legacy.json().kind, 'APIGroupList');
});

test('watch: sendInitialEvents ends with the initial-events-end bookmark; bad combinations are 422', async () => {
  const r = await c.request('GET', `${cms}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1`);
  const events = r.body.toString().trim().split('\n').map((l) => JSON.parse(l));
  const bookmark = events.findIndex((e) => e.type === 'BOOKMARK');
  assert.ok(bookmark > 0, 'initial ADDED events come first');
  assert.ok(events.slice(0, bookmark).every((e) => e.type === 'ADDED'));
  assert.equal(events[bookmark].object.metadata.annotations['k8s.io/initial-events-end'], 'true');
  const bad = await c.request('GET', `${cms}?watch=true&sendInitialEvents=true`);
  assert.equal(bad.status, 422);
});

test('the cluster is served under /clusters/NAME; the root is the admin API', async () => {
  assert.match(c.server, /\/clusters\/kubevisor$/);
  const admin = new Client(kv.kubeconfig, 'kubevisor-admin');
  try {
    const vc = await admin.request('GET', '/apis/kubevisor.dev/v1alpha1/virtualclusters/kubevisor');
    assert.equal(vc.status, 200);
    assert.equal(vc.json().status.phase, 'Running');
    assert.equal(vc.json().status.endpoint, c.server);
    const d = await admin.request('GET', '/clusters/kubevisor/apis', { headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' } });
    assert.equal(d.status, 401, 'the admin API\'s credentials are not the cluster\'s');
    const missing = await admin.request('GET', '/clusters/nope/api/v1/namespaces');
    assert.equal(missing.status, 404);
    assert.equal(missing.json().reason, 'NotFound');
    // The cluster's own credentials at the root reach the cluster (kubectl get --raw drops the path).
    const root = new URL(c.server).origin;
    const raw = await new Promise<number>((resolve, reject) => {
      const req = (c as unknown as { agent: import('node:https').Agent }).agent;
      import('node:https').then(({ request }) => {
        request(`${root}/api/v1/namespaces/default/configmaps/from-yaml`, { agent: req }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject).end();
      }, reject);
    });
    assert.equal(raw, 200);
  } finally {
    admin.close();
  }
});

test('watch in protobuf: length-prefixed WatchEvent frames', async () => {
  const { decodeProtobufWatchEvent } = await import('../../src/api/protobuf/codec.ts');
  const r = await c.request('GET', `${cms}?watch=true&resourceVersion=0&timeoutSeconds=1`, { headers: { Accept: 'application/vnd.kubernetes.protobuf;stream=watch, application/json' } });
  assert.equal(r.headers['content-type'], 'application/vnd.kubernetes.protobuf;stream=watch');
  const names: string[] = [];
  for (let off = 0; off < r.body.length;) {
    const len = r.body.readUInt32BE(off);
    const ev = decodeProtobufWatchEvent(r.body.subarray(off + 4, off + 4 + len)) as { type: string; object: any };
    assert.equal(ev.type, 'ADDED');
    assert.equal(ev.object.kind, 'ConfigMap');
    names.push(ev.object.metadata.name);
    off += 4 + len;
  }
  assert.ok(names.includes('from-yaml'), names.join(','));
});

test('JSON watch events carry the objects as a read returns them, whatever the order of their fields', async () => {
  const r0 = await c.request('GET', `${cms}?limit=1`);
  const from = JSON.parse(r0.body.toString()).metadata.resourceVersion as string;
  // One written as clients usually lay objects out, one with metadata last.
  assert.equal((await c.request('POST', cms, { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w-usual', labels: { a: 'b' } }, data: { k: 'v' } }), headers: { 'Content-Type': 'application/json' } })).status, 201);
  assert.equal((await c.request('POST', cms, { body: JSON.stringify({ data: { k: 'v' }, kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'w-late' } }), headers: { 'Content-Type': 'application/json' } })).status, 201);
  assert.equal((await c.request('PUT', `${cms}/w-usual`, { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w-usual' }, data: { k: 'v2' } }), headers: { 'Content-Type': 'application/json' } })).status, 200);
  const got = JSON.parse((await c.request('GET', `${cms}/w-usual`)).body.toString());
  assert.equal((await c.request('DELETE', `${cms}/w-late`)).status, 200);
  const w = await c.request('GET', `${cms}?watch=true&resourceVersion=${from}&timeoutSeconds=1`);
  const events = w.body.toString().trim().split('\n').map((l) => JSON.parse(l));
  const mine = events.filter((e) => e.object.metadata.name.startsWith('w-'));
  assert.deepEqual(mine.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED w-usual', 'ADDED w-late', 'MODIFIED w-usual', 'DELETED w-late']);
  assert.deepEqual(mine[2].object, got, 'the MODIFIED event holds what a GET returns');
  for (const e of mine) assert.match(e.object.metadata.resourceVersion, /^\d+$/);
  // The usual layout is sent as stored, its revision put first in metadata; the other is encoded afresh.
  assert.equal(Object.keys(mine[2].object.metadata)[0], 'resourceVersion');
  assert.equal(Object.keys(mine[1].object.metadata).at(-1), 'resourceVersion');
  assert.ok(Number(mine[3].object.metadata.resourceVersion) > Number(mine[1].object.metadata.resourceVersion), 'a delete has its own revision');
});
