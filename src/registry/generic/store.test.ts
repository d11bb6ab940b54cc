import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { openStore } from '../../storage/open.ts';
import type { KVStore } from '../../storage/types.ts';
import { builtinRegistry } from '../builtin.ts';
import { strategyFor } from '../strategies/index.ts';
import type { ResourceDef } from '../types.ts';
import { GenericStore, type WatchEventType } from './store.ts';
import { WatchCache } from './watch-cache.ts';

let dir: string;
let kv: KVStore;
let cache: WatchCache;
let store: GenericStore;
const reg = builtinRegistry();
const cm = reg.find('', 'v1', 'configmaps') as ResourceDef;
const deploy = reg.find('apps', 'v1', 'deployments') as ResourceDef;
const ns = reg.find('', 'v1', 'namespaces') as ResourceDef;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kv-store-'));
  kv = await openStore({ backend: 'sqlite', path: join(dir, 'state.db') });
  cache = await WatchCache.start(kv, '/registry/', 50);
  store = new GenericStore(kv, cache);
});

after(async () => {
  cache.stop();
  await kv.close();
  rmSync(dir, { recursive: true, force: true });
});

async function rejects(p: Promise<unknown>, code: number, reason?: string): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.code, code, e.message);
    if (reason) assert.equal(e.reason, reason);
    return e;
  }
  assert.fail('expected a rejection');
}

test('create sets server metadata and get returns it', async () => {
  const out = await store.create(cm, 'default', { metadata: { name: 'a', labels: { x: '1' } }, data: { k: 'v' } });
  assert.equal(out.apiVersion, 'v1');
  assert.equal(out.kind, 'ConfigMap');
  assert.match(out.metadata.uid ?? '', /^[0-9a-f-]{36}$/);
  assert.match(out.metadata.creationTimestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(out.metadata.generation, undefined, 'configmaps have no generation');
  const got = await store.get(cm, 'default', 'a');
  assert.deepEqual(got, out);
  const e = await rejects(store.create(cm, 'default', { metadata: { name: 'a' } }), 409, 'AlreadyExists');
  assert.equal(e.message, 'configmaps "a" already exists');
  await rejects(store.get(cm, 'default', 'missing'), 404, 'NotFound');
});

test('generateName makes a unique name with a 5-character suffix', async () => {
  const out = await store.create(cm, 'default', { metadata: { generateName: 'gen-' } });
  assert.match(out.metadata.name ?? '', /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
});

test('update: optimistic concurrency, generation counts spec changes only', async () => {
  const d = await store.create(deploy, 'default', {
    metadata: { name: 'web' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  });
  assert.equal(d.metadata.generation, 1);
  const stale = structuredClone(d);
  const next = structuredClone(d);
  (next.spec as { replicas: number }).replicas = 2;
  const u = await store.update(deploy, 'default', 'web', next);
  assert.equal(u.obj.metadata.generation, 2);
  assert.ok(Number(u.obj.metadata.resourceVersion) > Number(d.metadata.resourceVersion));
  (stale.spec as { replicas: number }).replicas = 5;
  const e = await rejects(store.update(deploy, 'default', 'web', stale), 409, 'Conflict');
  assert.match(e.message, /the object has been modified/);
  const labelled = structuredClone(u.obj);
  labelled.metadata.labels = { tier: 'front' };
  const l = await store.update(deploy, 'default', 'web', labelled);
  assert.equal(l.obj.metadata.generation, 2, 'metadata changes do not bump generation');
  // The main resource cannot write status; the status subresource writes only status.
  const withStatus = structuredClone(l.obj);
  withStatus.status = { replicas: 7 };
  (withStatus.spec as { replicas: number }).replicas = 3;
  const s = await store.update(deploy, 'default', 'web', withStatus, { subresource: 'status' });
  assert.deepEqual(s.obj.status, { replicas: 7 });
  assert.equal((s.obj.spec as { replicas: number }).replicas, 2);
  const m = structuredClone(s.obj);
  m.status = { replicas: 0 };
  const r = await store.update(deploy, 'default', 'web', m);
  assert.deepEqual(r.obj.status, { replicas: 7 });
});

test('no-op update keeps the resourceVersion', async () => {
  const a = await store.get(cm, 'default', 'a');
  const r = await store.update(cm, 'default', 'a', structuredClone(a));
  assert.equal(r.obj.metadata.resourceVersion, a.metadata.resourceVersion);
});

test('list: chunking with continue tokens and remainingItemCount', async () => {
  for (let i = 0; i < 7; i++) await store.create(cm, 'chunk', { metadata: { name: `c${i}` } });
  const names: string[] = [];
  let token: string | undefined;
  let rv: string | undefined;
  let pages = 0;
  do {
    const page = await store.list(cm, 'chunk', { limit: 3, continueToken: token });
    pages++;
    if (pages === 1) { assert.equal(page.remainingItemCount, 4); rv = page.resourceVersion; }
    else assert.equal(page.resourceVersion, rv, 'every page is read at the first page\'s revision');
    names.push(...page.items.map((o) => o.metadata.name as string));
    token = page.continueToken;
    if (pages === 1) await store.create(cm, 'chunk', { metadata: { name: 'c9-late' } });
  } while (token);
  assert.equal(pages, 3);
  assert.deepEqual(names, ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
  const all = await store.list(cm, 'chunk', {});
  assert.equal(all.items.length, 8);
  const pred = (o: KubeObject) => (o.metadata.name ?? '').endsWith('late');
  assert.deepEqual((await store.list(cm, undefined, { predicate: pred })).items.map((o) => o.metadata.name), ['c9-late']);
  await rejects(store.list(cm, 'chunk', { continueToken: 'garbage' }), 400);
});

test('delete: finalizers hold the object until removed', async () => {
  await store.create(cm, 'default', { metadata: { name: 'fin', finalizers: ['example.com/hold'] } });
  const d = await store.delete(cm, 'default', 'fin');
  assert.equal(d.deleted, false);
  assert.ok(d.obj.metadata.deletionTimestamp);
  const cur = await store.get(cm, 'default', 'fin');
  const released = structuredClone(cur);
  released.metadata.finalizers = [];
  const adding = structuredClone(cur);
  adding.metadata.finalizers = ['example.com/hold', 'example.com/new'];
  await rejects(store.update(cm, 'default', 'fin', adding), 422, 'Invalid');
  await store.update(cm, 'default', 'fin', released);
  await rejects(store.get(cm, 'default', 'fin'), 404);
});

test('delete: preconditions', async () => {
  const o = await store.create(cm, 'default', { metadata: { name: 'pre' } });
  await rejects(store.delete(cm, 'default', 'pre', { preconditions: { uid: 'nope' } }), 409, 'Conflict');
  await rejects(store.delete(cm, 'default', 'pre', { preconditions: { resourceVersion: '1' } }), 409, 'Conflict');
  const r = await store.delete(cm, 'default', 'pre', { preconditions: { uid: o.metadata.uid } });
  assert.equal(r.deleted, true);
});

interface Seen { type: WatchEventType; name?: string; rv?: string; annotations?: Record<string, string> }

function collector() {
  const seen: Seen[] = [];
  return { seen, sink: { send: (type: WatchEventType, obj: KubeObject) => { seen.push({ type, name: obj.metadata.name, rv: obj.metadata.resourceVersion, annotations: obj.metadata.annotations }); } } };
}

test('watch: from a list revision sees only later changes, filtered by predicate', async () => {
  const base = await store.list(cm, 'w', {});
  const c = collector();
  const stop = await store.watch(cm, 'w', { resourceVersion: base.resourceVersion, predicate: (o) => o.metadata.labels?.watch === 'yes' }, c.sink);
  await store.create(cm, 'w', { metadata: { name: 'x', labels: { watch: 'yes' } } });
  await store.create(cm, 'w', { metadata: { name: 'y' } });
  const x = await store.get(cm, 'w', 'x');
  await store.update(cm, 'w', 'x', { ...x, metadata: { ...x.metadata, labels: { watch: 'no' } } });
  await store.create(cm, 'other', { metadata: { name: 'z', labels: { watch: 'yes' } } });
  stop();
  assert.deepEqual(c.seen.map((s) => `${s.type}:${s.name}`), ['ADDED:x', 'DELETED:x']);
});

test('watch: resourceVersion 0 replays state; sendInitialEvents ends with a bookmark', async () => {
  await store.create(cm, 'w2', { metadata: { name: 'one' } });
  const c = collector();
  const stop = await store.watch(cm, 'w2', { resourceVersion: '0' }, c.sink);
  stop();
  assert.deepEqual(c.seen.map((s) => `${s.type}:${s.name}`), ['ADDED:one']);
  const c2 = collector();
  const stop2 = await store.watch(cm, 'w2', { resourceVersion: '', sendInitialEvents: true }, c2.sink);
  await store.create(cm, 'w2', { metadata: { name: 'two' } });
  stop2();
  assert.deepEqual(c2.seen.map((s) => s.type), ['ADDED', 'BOOKMARK', 'ADDED']);
  assert.equal(c2.seen[1].annotations?.['k8s.io/initial-events-end'], 'true');
});

test('watch: a revision older than the history is 410 Gone', async () => {
  for (let i = 0; i < 60; i++) await store.create(cm, 'flood', { metadata: { name: `f${i}` } });
  const e = await rejects(store.watch(cm, 'default', { resourceVersion: '2' }, collector().sink), 410);
  assert.match(e.message, /too old resource version/);
});

test('cluster-scoped keys ignore namespaces', async () => {
  const n = await store.create(ns, 'ignored', { metadata: { name: 'team-a' } });
  assert.equal(n.metadata.namespace, undefined);
  assert.equal((await store.get(ns, undefined, 'team-a')).metadata.name, 'team-a');
});

test('versions sharing storage convert: an HPA written as v1 reads as v2, events in both groups', async () => {
  const v1 = reg.find('autoscaling', 'v1', 'horizontalpodautoscalers') as ResourceDef;
  const v2 = reg.find('autoscaling', 'v2', 'horizontalpodautoscalers') as ResourceDef;
  await store.create(v1, 'default', { metadata: { name: 'h' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' }, maxReplicas: 4, targetCPUUtilizationPercentage: 50 } });
  const asV2 = await store.get(v2, 'default', 'h');
  assert.equal(asV2.apiVersion, 'autoscaling/v2');
  assert.deepEqual((asV2.spec as any).metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }]);
  const listed = await store.list(v1, 'default', {});
  assert.equal((listed.items[0].spec as any).targetCPUUtilizationPercentage, 50);
  const coreEv = reg.find('', 'v1', 'events') as ResourceDef;
  const newEv = reg.find('events.k8s.io', 'v1', 'events') as ResourceDef;
  await store.create(newEv, 'default', { metadata: { name: 'ev1' }, eventTime: '2026-01-01T00:00:00.000000Z', reportingController: 'example.com/c', reportingInstance: 'i', action: 'Do', reason: 'Done', type: 'Normal', regarding: { kind: 'Pod', name: 'p', namespace: 'default' }, note: 'hello' });
  const asCore = await store.get(coreEv, 'default', 'ev1');
  assert.equal(asCore.message, 'hello');
  assert.deepEqual(asCore.involvedObject, { kind: 'Pod', name: 'p', namespace: 'default' });
});

test('a pod in its grace period keeps taking status writes; it goes when deleted with grace 0', async () => {
  const pods = reg.find('', 'v1', 'pods') as ResourceDef;
  await store.create(pods, 'default', { metadata: { name: 'graceful' }, spec: { nodeName: 'n1', terminationGracePeriodSeconds: 30, containers: [{ name: 'c', image: 'i' }] } });
  const d = await store.delete(pods, 'default', 'graceful');
  assert.equal(d.deleted, false);
  assert.equal(d.obj.metadata.deletionGracePeriodSeconds, 30);
  const cur = await store.get(pods, 'default', 'graceful');
  await store.update(pods, 'default', 'graceful', { ...structuredClone(cur), status: { phase: 'Succeeded' } }, { subresource: 'status' });
  assert.equal(((await store.get(pods, 'default', 'graceful')).status as any).phase, 'Succeeded', 'the status write landed and the pod stayed');
  const gone = await store.delete(pods, 'default', 'graceful', { gracePeriodSeconds: 0 });
  assert.equal(gone.deleted, true);
});

test('a pod status write checks the status it brings, and leaves the stored object as it was on refusal', async () => {
  // The registry alone carries no behaviour (the server installs it): the pod's strategy is given here.
  const pods = { ...reg.find('', 'v1', 'pods') as ResourceDef, strategy: strategyFor('', 'v1', 'Pod') };
  await store.create(pods, 'default', { metadata: { name: 'st' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
  const cur = await store.get(pods, 'default', 'st');
  const write = (status: Record<string, unknown>) => store.update(pods, 'default', 'st', { ...structuredClone(cur), status }, { subresource: 'status' });
  const bad = await rejects(write({ phase: 'Running', podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.2' }] }), 422, 'Invalid');
  assert.match(bad.message, /status\.podIPs\[0\]\.ip: Invalid value: "10\.0\.0\.2": must match status\.podIP/);
  const dup = await rejects(write({ hostIP: '10.1.0.1', hostIPs: [{ ip: '10.1.0.1' }, { ip: '10.1.0.1' }] }), 422, 'Invalid');
  assert.match(dup.message, /status\.hostIPs\[1\]\.ip: Duplicate value/);
  await rejects(write({ conditions: [{ type: 'not a name!', status: 'True' }] }), 422, 'Invalid');
  await rejects(write({ podIP: '10.0.0.01' }), 422, 'Invalid');
  assert.equal((await store.get(pods, 'default', 'st')).metadata.resourceVersion, cur.metadata.resourceVersion, 'refused writes changed nothing');
  const ok = await write({ phase: 'Running', podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }], conditions: [{ type: 'example.com/ready', status: 'True' }] });
  assert.equal((ok.obj.status as any).podIPs.length, 2);
});

test('a subresource the strategy declares writes only its part; an undeclared one is refused', async () => {
  const pods = { ...reg.find('', 'v1', 'pods') as ResourceDef, strategy: strategyFor('', 'v1', 'Pod') };
  const created = await store.create(pods, 'default', { metadata: { name: 'eph' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
  const next = structuredClone(created);
  next.metadata.labels = { dropped: 'yes' };
  (next.spec as any).ephemeralContainers = [{ name: 'dbg', image: 'busybox', terminationMessagePolicy: 'File' }];
  (next.spec as any).activeDeadlineSeconds = 10;
  const r = await store.update(pods, 'default', 'eph', next, { subresource: 'ephemeralcontainers', fieldManager: 'kubectl' });
  assert.equal(r.obj.metadata.labels, undefined);
  assert.equal((r.obj.spec as any).activeDeadlineSeconds, undefined);
  assert.equal((r.obj.spec as any).ephemeralContainers[0].imagePullPolicy, 'Always', 'defaulted');
  assert.equal(r.obj.metadata.generation, (created.metadata.generation ?? 1) + 1, 'a spec change counts');
  const entry = r.obj.metadata.managedFields?.find((m) => m.manager === 'kubectl');
  assert.equal(entry?.subresource, 'ephemeralcontainers');
  const again = { ...next, metadata: { ...next.metadata, resourceVersion: r.obj.metadata.resourceVersion } };
  const err = await rejects(store.update(pods, 'default', 'eph', again, { subresource: 'resize' }), 500, 'InternalError');
  assert.match(err.message, /the resize subresource of pods is not served by the store/);
});

test('a subresource write keeps the field ownership server-side apply worked out', async () => {
  const pods = { ...reg.find('', 'v1', 'pods') as ResourceDef, strategy: strategyFor('', 'v1', 'Pod') };
  const created = await store.create(pods, 'default', { metadata: { name: 'owned' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
  const given = [...(created.metadata.managedFields ?? []),
    { manager: 'applier', operation: 'Apply', apiVersion: 'v1', time: '2024-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { 'f:phase': {} } }, subresource: 'status' }];
  const obj = { ...structuredClone(created), status: { phase: 'Running' } };
  obj.metadata.managedFields = given as any;
  const r = await store.update(pods, 'default', 'owned', obj, { subresource: 'status', managedFields: 'given' });
  assert.deepEqual(r.obj.metadata.managedFields?.map((m) => m.manager), given.map((m) => m.manager));
});
