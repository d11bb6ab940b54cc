// pods/NAME/binding and the legacy namespaces/NS/bindings over HTTP against an
// in-process server without a scheduler: what a binding changes on the pod,
// the response, and upstream's errors (409, 404, 400, and the 500 its
// Binding validation gives), preconditions, dry runs and RBAC.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { startInProcessServer, type InProcessServer } from '../../test/support/in-process-server.ts';
import { installRbac } from './rbac/install.ts';

interface Reply { status: number; body: Record<string, unknown> }

let server: InProcessServer;
let call: (method: string, path: string, body?: unknown, token?: string, contentType?: string | null) => Promise<Reply>;

before(async () => {
  server = await startInProcessServer('binding', () => () => {});
  const vc = server.vc;
  vc.authorizer = await installRbac(vc);
  for (const user of ['jane', 'sched']) {
    vc.tokens.push({ authenticateToken: (tok) => (tok === `${user}-token` ? { username: user, groups: ['system:authenticated'] } : undefined) });
  }
  const kc = parse(readFileSync(server.kubeconfig, 'utf8'));
  const cluster = kc.clusters[0].cluster;
  const user = kc.users[0].user;
  const ca = Buffer.from(cluster['certificate-authority-data'], 'base64');
  const cert = Buffer.from(user['client-certificate-data'], 'base64');
  const key = Buffer.from(user['client-key-data'], 'base64');
  call = (method, path, body, token, contentType = 'application/json') => new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (payload !== undefined) headers['Content-Length'] = String(Buffer.byteLength(payload));
    if (payload !== undefined && contentType !== null) headers['Content-Type'] = contentType;
    if (token) headers.Authorization = `Bearer ${token}`;
    const req = request(new URL(cluster.server + path), { method, ca, ...(token ? {} : { cert, key }), agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) as Record<string, unknown> : {} });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
  // Grants: jane edits the namespace (which does not include pods/binding); sched may bind.
  const ok = async (r: Promise<Reply>) => { const x = await r; assert.ok(x.status < 300, JSON.stringify(x.body)); return x.body; };
  await ok(call('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', {
    metadata: { name: 'jane-edit' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
    subjects: [{ kind: 'User', name: 'jane', apiGroup: 'rbac.authorization.k8s.io' }],
  }));
  await ok(call('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles', {
    metadata: { name: 'binder' }, rules: [{ apiGroups: [''], resources: ['pods/binding', 'bindings'], verbs: ['create'] }],
  }));
  await ok(call('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', {
    metadata: { name: 'sched-binder' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'binder' },
    subjects: [{ kind: 'User', name: 'sched', apiGroup: 'rbac.authorization.k8s.io' }],
  }));
  await ok(call('POST', '/api/v1/nodes', {
    metadata: { name: 'node-a', labels: { 'topology.kubernetes.io/zone': 'zone-1', 'topology.kubernetes.io/region': 'region-1', 'rack': 'r7' } },
  }));
});

after(async () => { await server?.close(); });

const pods = '/api/v1/namespaces/default/pods';
const success = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };

async function makePod(name: string, extra: { spec?: Record<string, unknown>; metadata?: Record<string, unknown> } = {}): Promise<Record<string, unknown>> {
  const r = await call('POST', pods, {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, annotations: { keep: 'me', over: 'old' }, labels: { app: 'x' }, ...extra.metadata },
    spec: { schedulerName: 'my-scheduler', containers: [{ name: 'c', image: 'nginx' }], ...extra.spec },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

function binding(name: string | undefined, target: Record<string, unknown>, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Binding', metadata: { ...(name === undefined ? {} : { name }), ...metadata }, target };
}

async function getPod(name: string): Promise<{ metadata: Record<string, any>; spec: Record<string, any>; status: Record<string, any> }> {
  const r = await call('GET', `${pods}/${name}`);
  assert.equal(r.status, 200);
  return r.body as never;
}

test('a binding sets nodeName and PodScheduled, merges annotations and labels, and answers 201 Success', async () => {
  await makePod('p1');
  // A scheduler that failed before left PodScheduled=False and a nominated node.
  const cur = await getPod('p1');
  const put = await call('PUT', `${pods}/p1/status`, {
    ...cur, status: { ...cur.status, nominatedNodeName: 'node-b',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'no nodes', lastTransitionTime: '2020-01-01T00:00:00Z' }] },
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const before = await getPod('p1');

  const r = await call('POST', `${pods}/p1/binding`, binding('p1', { apiVersion: 'v1', kind: 'Node', name: 'node-a' },
    { annotations: { over: 'new', added: 'yes' }, labels: { team: 'blue', app: 'y' } }));
  assert.equal(r.status, 201);
  assert.deepEqual(r.body, success);

  const p = await getPod('p1');
  assert.equal(p.spec.nodeName, 'node-a');
  assert.deepEqual(p.metadata.annotations, { keep: 'me', over: 'new', added: 'yes' });
  // The Binding's labels and, through PodTopologyLabels, the node's zone and region (not its other labels).
  assert.deepEqual(p.metadata.labels, { app: 'y', team: 'blue', 'topology.kubernetes.io/zone': 'zone-1', 'topology.kubernetes.io/region': 'region-1' });
  const conds = p.status.conditions as Record<string, unknown>[];
  assert.equal(conds.length, 1);
  const { lastTransitionTime, ...cond } = conds[0]!;
  assert.deepEqual(cond, { type: 'PodScheduled', status: 'True', lastProbeTime: null });
  assert.notEqual(lastTransitionTime, '2020-01-01T00:00:00Z');
  assert.equal(p.status.nominatedNodeName, undefined);
  assert.notEqual(p.metadata.resourceVersion, before.metadata.resourceVersion);
  // No spec change as far as generation goes, and no field manager recorded for it.
  assert.equal(p.metadata.generation, before.metadata.generation);
  assert.deepEqual(p.metadata.managedFields, before.metadata.managedFields);
});

test('binding a bound pod: 409 on pods/binding, worded as upstream', async () => {
  const r = await call('POST', `${pods}/p1/binding`, binding('p1', { name: 'node-b' }));
  assert.equal(r.status, 409);
  assert.equal(r.body.message, 'Operation cannot be fulfilled on pods/binding "p1": pod p1 is already assigned to node "node-a"');
  assert.equal(r.body.reason, 'Conflict');
  assert.equal((r.body.details as Record<string, unknown>).kind, 'pods/binding');
  assert.equal((r.body.details as Record<string, unknown>).name, 'p1');
});

test('a missing pod: 404', async () => {
  const r = await call('POST', `${pods}/nope/binding`, binding('nope', { name: 'node-a' }));
  assert.equal(r.status, 404);
  assert.equal(r.body.message, 'pods "nope" not found');
  assert.equal(r.body.reason, 'NotFound');
});

test('a bad target: the 500 upstream answers (its validation errors are not converted to a Status), no reason', async () => {
  await makePod('p2');
  const both = await call('POST', `${pods}/p2/binding`, binding('p2', { kind: 'Pod' }));
  assert.equal(both.status, 500);
  assert.deepEqual(both.body, {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 500,
    message: '[target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>", target.name: Required value]',
  });
  const noName = await call('POST', `${pods}/p2/binding`, binding('p2', {}));
  assert.equal(noName.status, 500);
  assert.equal(noName.body.message, 'target.name: Required value');
  assert.equal(noName.body.reason, undefined);
  assert.equal((await getPod('p2')).spec.nodeName, undefined);
});

test('the Binding must name the pod in the URL, in the URL namespace', async () => {
  const other = await call('POST', `${pods}/p2/binding`, binding('p1', { name: 'node-a' }));
  assert.equal(other.status, 400);
  assert.equal(other.body.message, 'name in URL does not match name in Binding object');
  const unnamed = await call('POST', `${pods}/p2/binding`, binding(undefined, { name: 'node-a' }));
  assert.equal(unnamed.status, 400);
  assert.equal(unnamed.body.message, 'name in URL does not match name in Binding object');
  const ns = await call('POST', `${pods}/p2/binding`, binding('p2', { name: 'node-a' }, { namespace: 'kube-system' }));
  assert.equal(ns.status, 400);
  assert.equal(ns.body.message, 'the namespace of the provided object does not match the namespace sent on the request');
  const get = await call('GET', `${pods}/p2/binding`);
  assert.equal(get.status, 405);
});

test('uid and resourceVersion of the Binding are preconditions (409 on pods, storage text)', async () => {
  const p = await getPod('p2');
  const uid = await call('POST', `${pods}/p2/binding`, binding('p2', { name: 'node-a' }, { uid: 'not-the-uid' }));
  assert.equal(uid.status, 409);
  assert.equal(uid.body.message, 'Operation cannot be fulfilled on pods "p2": StorageError: invalid object, Code: 4, Key: /registry/pods/default/p2, '
    + `ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: not-the-uid, UID in object meta: ${p.metadata.uid}`);
  assert.equal((uid.body.details as Record<string, unknown>).kind, 'pods');
  const rv = await call('POST', `${pods}/p2/binding`, binding('p2', { name: 'node-a' }, { resourceVersion: '1' }));
  assert.equal(rv.status, 409);
  assert.match(rv.body.message as string,
    new RegExp(`AdditionalErrorMsg: Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: ${p.metadata.resourceVersion}$`));
  const good = await call('POST', `${pods}/p2/binding`, binding('p2', { kind: '', name: 'node-z' },
    { uid: p.metadata.uid, resourceVersion: p.metadata.resourceVersion }));
  assert.equal(good.status, 201, JSON.stringify(good.body));
  const bound = await getPod('p2');
  assert.equal(bound.spec.nodeName, 'node-z');
  assert.deepEqual(bound.metadata.labels, { app: 'x' }, 'an unknown node adds no labels');
});

test('dry run: every check, no write', async () => {
  await makePod('p3');
  const before = await getPod('p3');
  const r = await call('POST', `${pods}/p3/binding?dryRun=All`, binding('p3', { kind: 'Node', name: 'node-a' }));
  assert.equal(r.status, 201);
  assert.deepEqual(r.body, success);
  assert.deepEqual(await getPod('p3'), before);
  const bad = await call('POST', `${pods}/p3/binding?dryRun=Some`, binding('p3', { name: 'node-a' }));
  assert.equal(bad.status, 400);
  const bound = await call('POST', `${pods}/p1/binding?dryRun=All`, binding('p1', { name: 'node-a' }));
  assert.equal(bound.status, 409);
});

test('pods being deleted or held by scheduling gates are not bound', async () => {
  await makePod('gated', { spec: { schedulingGates: [{ name: 'example.com/wait' }] } });
  const gated = await call('POST', `${pods}/gated/binding`, binding('gated', { name: 'node-a' }));
  assert.equal(gated.status, 409);
  assert.equal(gated.body.message, 'Operation cannot be fulfilled on pods/binding "gated": pod gated has non-empty .spec.schedulingGates');

  await makePod('going', { metadata: { finalizers: ['example.com/hold'] } });
  assert.equal((await call('DELETE', `${pods}/going`)).status, 200);
  const going = await call('POST', `${pods}/going/binding`, binding('going', { name: 'node-a' }));
  assert.equal(going.status, 409);
  assert.equal(going.body.message, 'Operation cannot be fulfilled on pods/binding "going": pod going is being deleted, cannot be assigned to a host');
  const p = await getPod('going');
  await call('PUT', `${pods}/going`, { ...p, metadata: { ...p.metadata, finalizers: [] } });
});

test('the legacy bindings resource binds the pod the Binding names (its uid is not a precondition; no topology labels)', async () => {
  const created = await makePod('p4');
  const r = await call('POST', '/api/v1/namespaces/default/bindings', binding('p4', { kind: 'Node', name: 'node-a' },
    { uid: 'ignored-here', annotations: { via: 'legacy' }, labels: { legacy: 'yes' } }));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.deepEqual(r.body, success);
  const p = await getPod('p4');
  assert.equal(p.metadata.uid, (created.metadata as Record<string, unknown>).uid);
  assert.equal(p.spec.nodeName, 'node-a');
  assert.equal(p.metadata.annotations.via, 'legacy');
  assert.deepEqual(p.metadata.labels, { app: 'x', legacy: 'yes' });
  assert.equal((p.status.conditions as { type: string; status: string }[]).find((c) => c.type === 'PodScheduled')?.status, 'True');

  const again = await call('POST', '/api/v1/namespaces/default/bindings', binding('p4', { name: 'node-b' }));
  assert.equal(again.status, 409);
  assert.equal(again.body.message, 'Operation cannot be fulfilled on pods/binding "p4": pod p4 is already assigned to node "node-a"');
  const unnamed = await call('POST', '/api/v1/namespaces/default/bindings', binding(undefined, { name: 'node-a' }));
  assert.equal(unnamed.status, 400);
  assert.equal(unnamed.body.message, 'Name parameter required.');
  const missing = await call('POST', '/api/v1/namespaces/default/bindings', binding('ghost', { name: 'node-a' }));
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'pods "ghost" not found');
  const invalid = await call('POST', '/api/v1/namespaces/default/bindings', binding('p4', { kind: 'Service', name: 'x' }));
  assert.equal(invalid.status, 500);
  assert.equal(invalid.body.message, 'target.kind: Unsupported value: "Service": supported values: "Node", "<empty>"');
});

test('a body without Content-Type is JSON (kubectl create --raw sends none); a patch type is refused', async () => {
  await makePod('p6');
  const patch = await call('POST', `${pods}/p6/binding`, binding('p6', { name: 'node-a' }), undefined, 'application/merge-patch+json');
  assert.equal(patch.status, 415);
  const r = await call('POST', `${pods}/p6/binding`, binding('p6', { name: 'node-a' }), undefined, null);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal((await getPod('p6')).spec.nodeName, 'node-a');
});

test('RBAC: binding is create on pods/binding (or bindings), which edit does not grant', async () => {
  await makePod('p5');
  const jane = await call('POST', `${pods}/p5/binding`, binding('p5', { name: 'node-a' }), 'jane-token');
  assert.equal(jane.status, 403);
  assert.equal(jane.body.message, 'pods "p5" is forbidden: User "jane" cannot create resource "pods/binding" in API group "" in the namespace "default"');
  const legacy = await call('POST', '/api/v1/namespaces/default/bindings', binding('p5', { name: 'node-a' }), 'jane-token');
  assert.equal(legacy.status, 403);
  assert.equal(legacy.body.message, 'bindings is forbidden: User "jane" cannot create resource "bindings" in API group "" in the namespace "default"');
  assert.equal((await getPod('p5')).spec.nodeName, undefined);
  const sched = await call('POST', `${pods}/p5/binding`, binding('p5', { name: 'node-a' }), 'sched-token');
  assert.equal(sched.status, 201, JSON.stringify(sched.body));
  assert.equal((await getPod('p5')).spec.nodeName, 'node-a');
});
