// The host connection against a real kubevisor server in this process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { HostConnection, type HostResource } from './connection.ts';
import { HostError } from './errors.ts';
import { startTestHost, type TestHost } from './testing.ts';

const CM: HostResource = { apiVersion: 'v1', plural: 'configmaps' };
const PODS: HostResource = { apiVersion: 'v1', kind: 'Pod' };
const NS = 'tenants';

let host: TestHost;
let conn: HostConnection;

before(async () => {
  host = await startTestHost();
  conn = await HostConnection.connect({ text: host.kubeconfig });
});
after(async () => {
  conn?.close();
  await host?.close();
});

function hostError(code: number, reason: string) {
  return (e: unknown) => e instanceof HostError && e.code === code && e.reason === reason;
}

test('ensureNamespace creates the namespace once and adds missing labels', async () => {
  const ns = await conn.ensureNamespace(NS, { 'kubevisor.dev/managed': 'true' });
  assert.equal(ns.metadata.name, NS);
  assert.equal(ns.metadata.labels?.['kubevisor.dev/managed'], 'true');
  const again = await conn.ensureNamespace(NS, { 'kubevisor.dev/managed': 'true', team: 'a' });
  assert.equal(again.metadata.uid, ns.metadata.uid);
  assert.deepEqual({ ...again.metadata.labels, 'kubernetes.io/metadata.name': undefined },
    { 'kubevisor.dev/managed': 'true', team: 'a', 'kubernetes.io/metadata.name': undefined });
});

test('configmaps: create, get, list by label, update with a resourceVersion precondition, patch, delete', async () => {
  await conn.ensureNamespace(NS);
  const created = await conn.create(CM, NS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', labels: { vc: 'one' } }, data: { k: 'v' } });
  assert.ok(created.metadata.uid);
  await conn.create(CM, NS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', labels: { vc: 'two' } } });
  await assert.rejects(conn.create(CM, NS, { metadata: { name: 'a' } }), hostError(409, 'AlreadyExists'));

  assert.deepEqual((await conn.get(CM, NS, 'a')).data, { k: 'v' });
  await assert.rejects(conn.get(CM, NS, 'absent'), (e: unknown) => e instanceof HostError && e.notFound && e.reason === 'NotFound');
  const listed = await conn.list(CM, NS, { labelSelector: 'vc=one' });
  assert.deepEqual(listed.items.map((o) => o.metadata.name), ['a']);
  assert.ok(listed.metadata.resourceVersion);

  const updated = await conn.update(CM, NS, { ...created, data: { k: 'v2' } });
  assert.deepEqual(updated.data, { k: 'v2' });
  // The old resourceVersion no longer holds.
  await assert.rejects(conn.update(CM, NS, { ...created, data: { k: 'stale' } }), (e: unknown) => e instanceof HostError && e.conflict && e.code === 409);

  const merged = await conn.patch(CM, NS, 'a', 'merge', { metadata: { labels: { extra: 'x' } }, data: { k: null, n: '1' } });
  assert.deepEqual(merged.data, { n: '1' });
  assert.equal(merged.metadata.labels?.extra, 'x');
  const strategic = await conn.patch(CM, NS, 'a', 'strategic', { data: { m: '2' } });
  assert.deepEqual(strategic.data, { n: '1', m: '2' });

  // Preconditions: a wrong uid or resourceVersion refuses the delete.
  await assert.rejects(conn.delete(CM, NS, 'a', { uid: 'not-the-uid' }), hostError(409, 'Conflict'));
  await assert.rejects(conn.delete(CM, NS, 'a', { resourceVersion: created.metadata.resourceVersion }), hostError(409, 'Conflict'));
  assert.equal(await conn.delete(CM, NS, 'a', { uid: created.metadata.uid, resourceVersion: strategic.metadata.resourceVersion }), undefined);
  await assert.rejects(conn.get(CM, NS, 'a'), hostError(404, 'NotFound'));
  await assert.rejects(conn.delete(CM, NS, 'a'), hostError(404, 'NotFound'));
});

test('pods (kind resolved by discovery): create, read back, delete with a grace period', async () => {
  await conn.ensureNamespace(NS);
  const pod = await conn.create(PODS, NS, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' },
    spec: { containers: [{ name: 'c', image: 'nginx' }], automountServiceAccountToken: false },
  });
  assert.equal(pod.metadata.namespace, NS);
  const read = await conn.get(PODS, NS, 'web');
  assert.equal((read.spec as { containers: { image: string }[] }).containers[0].image, 'nginx');
  const invalid = await conn.create(PODS, NS, { metadata: { name: 'bad' }, spec: { containers: [] } }).catch((e: unknown) => e);
  assert.ok(invalid instanceof HostError && invalid.code === 422 && invalid.reason === 'Invalid', String(invalid));
  await conn.delete(PODS, NS, 'web', { gracePeriodSeconds: 0, uid: pod.metadata.uid });
  await assert.rejects(conn.get(PODS, NS, 'web'), hostError(404, 'NotFound'));
  await assert.rejects(conn.get({ apiVersion: 'v1', kind: 'NoSuchKind' }, NS, 'x'), hostError(404, 'NotFound'));
});

test('a kubeconfig file with a chosen context; a missing context or unreachable host is reported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubevisor-hostconn-'));
  try {
    const file = join(dir, 'config');
    writeFileSync(file, host.kubeconfig);
    const byFile = await HostConnection.connect({ file }, { context: host.name });
    assert.equal(byFile.context, host.name);
    assert.match(byFile.server, /\/clusters\/host$/);
    assert.equal((await byFile.list(CM, 'default')).kind, 'ConfigMapList');
    byFile.close();
    await assert.rejects(HostConnection.connect({ file }, { context: 'nope' }), /no context "nope"/);
    await assert.rejects(HostConnection.connect({ file: join(dir, 'absent') }), /cannot load the host kubeconfig/);

    host.relay.cut();
    const down = await HostConnection.connect({ text: host.relayedKubeconfig }, { requestTimeoutMs: 2000 });
    const err = await down.list(CM, 'default').catch((e: unknown) => e);
    assert.ok(err instanceof HostError && err.code === 0 && err.transient, String(err));
    down.close();
  } finally {
    host.relay.restore();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('credentials the host rejects are a 401 HostError', async () => {
  const forged = host.kubeconfig.replace(/client-certificate-data: .*\n/, '').replace(/client-key-data: .*\n/, '') + '';
  const withToken = forged.replace(/(users:\n- name: [^\n]+\n  user:)/, '$1\n    token: not-a-valid-token');
  const bad = await HostConnection.connect({ text: withToken });
  const err = await bad.list(CM, 'default').catch((e: unknown) => e);
  assert.ok(err instanceof HostError && err.code === 401 && err.credentials, String(err));
  bad.close();
});

test('pod streams: a log through an authenticated request, exec through an upgraded socket', async () => {
  await conn.ensureNamespace(NS);
  await conn.create(PODS, NS, { metadata: { name: 'logger' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  const err = await conn.stream('GET', conn.podStreamPath(NS, 'absent', 'log')).catch((e: unknown) => e);
  assert.ok(err instanceof HostError && err.code === 404 && err.reason === 'NotFound', String(err));

  const res = await conn.stream('GET', conn.podStreamPath(NS, 'logger', 'log'), { query: { container: 'c' } });
  let log = '';
  for await (const chunk of res) log += String(chunk);
  assert.match(log, /simulated/);

  // A WebSocket exec: the host answers 101 with the negotiated protocol, then
  // (host access being off) an error frame naming the annotation to set.
  const up = await conn.upgrade(conn.podStreamPath(NS, 'logger', 'exec'), {
    query: new URLSearchParams([['command', 'ls'], ['stdout', 'true'], ['container', 'c']]),
    headers: {
      Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      'Sec-WebSocket-Protocol': 'v5.channel.k8s.io, v4.channel.k8s.io',
    },
  });
  assert.equal(up.response.statusCode, 101);
  assert.equal(up.response.headers['sec-websocket-protocol'], 'v5.channel.k8s.io');
  let frames = up.head.toString('latin1');
  await new Promise<void>((resolve) => {
    up.socket.on('data', (b: Buffer) => { frames += b.toString('latin1'); if (frames.includes('runs no processes')) resolve(); });
    up.socket.on('close', () => resolve());
  });
  up.socket.destroy();
  assert.match(frames, /exec is disabled on this kubevisor server: .*runs no processes/);

  const refused = await conn.upgrade(conn.podStreamPath(NS, 'absent', 'exec'), {
    query: { command: 'ls', stdout: true },
    headers: { Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), 'Sec-WebSocket-Protocol': 'v5.channel.k8s.io' },
  }).catch((e: unknown) => e);
  assert.ok(refused instanceof HostError && refused.code === 404, String(refused));
  await conn.delete(PODS, NS, 'logger', { gracePeriodSeconds: 0 });
});

test('past the host\'s limit of requests in flight, requests wait their turn or are tried again after the 429', async () => {
  await host.server.ensureCluster(host.name, { limits: { maxRequestsInFlight: 2 } });
  const eager = await HostConnection.connect({ text: host.kubeconfig }, { maxInFlight: 16 });
  try {
    await conn.ensureNamespace('limited');
    const cm = (i: number) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` } });
    // 16 at a time against a limit of 2: the host answers 429 to most; each is tried again.
    const made = await Promise.all(Array.from({ length: 24 }, (_, i) => eager.create(CM, 'limited', cm(i))));
    assert.equal(new Set(made.map((o) => o.metadata.name)).size, 24);
    // One at a time (maxInFlight 1): never past the limit.
    const polite = await HostConnection.connect({ text: host.kubeconfig }, { maxInFlight: 1 });
    try {
      await Promise.all(Array.from({ length: 12 }, (_, i) => polite.create(CM, 'limited', cm(100 + i))));
    } finally {
      polite.close();
    }
    assert.equal((await conn.list(CM, 'limited')).items.length, 36);
  } finally {
    eager.close();
    await host.server.ensureCluster(host.name, { limits: { maxRequestsInFlight: 64 } });
  }
});

test('a watch delivers events larger than one chunk of the stream whole, and several small ones in order', async () => {
  await conn.ensureNamespace(NS);
  const start = await conn.list(CM, NS);
  const seen: { name: string; size: number }[] = [];
  const w = await conn.watch(CM, NS, { resourceVersion: start.metadata.resourceVersion }, (ev) => {
    if (ev.type === 'ADDED') seen.push({ name: ev.object.metadata.name as string, size: String((ev.object as { data?: { big?: string } }).data?.big ?? '').length });
  });
  const big = randomBytes(300_000).toString('hex');
  await conn.create(CM, NS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big-1' }, data: { big } });
  for (const n of ['small-1', 'small-2']) await conn.create(CM, NS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: n } });
  await conn.create(CM, NS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big-2' }, data: { big } });
  for (let i = 0; i < 100 && seen.length < 4; i++) await new Promise((r) => setTimeout(r, 50));
  w.stop();
  assert.deepEqual(seen, [{ name: 'big-1', size: big.length }, { name: 'small-1', size: 0 }, { name: 'small-2', size: 0 }, { name: 'big-2', size: big.length }]);
});
