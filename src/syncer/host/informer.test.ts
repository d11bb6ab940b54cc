// Shared host informers against a real kubevisor server in this process, some
// of them reaching it through a relay the tests cut to play an outage.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { HostConnection, type HostResource } from './connection.ts';
import { HostInformer, HostInformers } from './informer.ts';
import { startTestHost, type TestHost } from './testing.ts';
import { eventually } from '../../../test/support/cluster.ts';

const CM: HostResource = { apiVersion: 'v1', plural: 'configmaps' };
const FAST = { initialMs: 50, maxMs: 300 };
const VC_LABEL = 'kubevisor.dev/vcluster';

let host: TestHost;
/** Straight to the host, for the test's own writes. */
let direct: HostConnection;
/** Through the relay. */
let relayed: HostConnection;

before(async () => {
  host = await startTestHost();
  direct = await HostConnection.connect({ text: host.kubeconfig });
  relayed = await HostConnection.connect({ text: host.relayedKubeconfig }, { requestTimeoutMs: 3000 });
});
/** Stopped after the tests, whatever happened. */
const started: { stop(): void }[] = [];
function track<T extends { stop(): void }>(x: T): T {
  started.push(x);
  return x;
}

after(async () => {
  for (const x of started) x.stop();
  relayed?.close();
  direct?.close();
  await host?.close();
});


function cm(name: string, vc: string, data: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { [VC_LABEL]: vc } }, data };
}

/** What a subscriber saw, as "add a", "update a", "delete a". */
function recorder() {
  const seen: string[] = [];
  return {
    seen,
    handlers: {
      onAdd: (o: KubeObject) => seen.push(`add ${o.metadata.name}`),
      onUpdate: (o: KubeObject, old: KubeObject) => seen.push(`update ${o.metadata.name} ${JSON.stringify(old.data)}->${JSON.stringify(o.data)}`),
      onDelete: (o: KubeObject) => seen.push(`delete ${o.metadata.name}`),
    },
  };
}

test('two subscribers share one informer and one host watch; adds, updates and deletes reach both', async () => {
  const ns = 'share';
  await direct.ensureNamespace(ns);
  await direct.create(CM, ns, cm('before', 'one'));
  const watchesBefore = host.vc().watches;
  const informers = track({ x: new HostInformers(direct, { backoff: FAST }), stop() { this.x.stopAll(); } }).x;
  const a = informers.acquire(ns, CM);
  const b = informers.acquire(ns, CM);
  assert.equal(a.informer, b.informer);
  const ra = recorder();
  const rb = recorder();
  a.informer.subscribe(ra.handlers);
  await a.informer.synced;
  b.informer.subscribe(rb.handlers); // late: the cache is replayed to it
  assert.deepEqual(ra.seen, ['add before']);
  assert.deepEqual(rb.seen, ['add before']);
  await waitFor('the watch', () => a.informer.health.state === 'connected' && host.vc().watches === watchesBefore + 1);

  await direct.create(CM, ns, cm('x', 'one', { v: '1' }));
  await direct.create(CM, ns, cm('y', 'two'));
  await direct.patch(CM, ns, 'x', 'merge', { data: { v: '2' } });
  await direct.delete(CM, ns, 'before');
  const expected = ['add before', 'add x', 'add y', 'update x {"v":"1"}->{"v":"2"}', 'delete before'];
  await waitFor('all events', () => ra.seen.length >= expected.length && rb.seen.length >= expected.length);
  assert.deepEqual(ra.seen, expected);
  assert.deepEqual(rb.seen, expected);

  // One list, one watch, for both subscribers; the host had one watch open.
  assert.deepEqual(a.informer.requests, { lists: 1, watches: 1 });
  assert.equal(host.vc().watches, watchesBefore + 1);
  // The cache and its label index.
  assert.deepEqual(a.informer.list().map((o) => o.metadata.name).sort(), ['x', 'y']);
  assert.deepEqual(a.informer.byLabel(VC_LABEL, 'one').map((o) => o.metadata.name), ['x']);
  await direct.patch(CM, ns, 'y', 'merge', { metadata: { labels: { [VC_LABEL]: 'one' } } });
  await waitFor('the relabel', () => a.informer.byLabel(VC_LABEL, 'one').length === 2);
  assert.deepEqual(a.informer.byLabel(VC_LABEL, 'two'), []);

  // Another selector is another informer; releasing the last holder stops the watch.
  const other = informers.acquire(ns, CM, `${VC_LABEL}=two`);
  assert.notEqual(other.informer, a.informer);
  await other.informer.synced;
  assert.deepEqual(other.informer.list(), []);
  other.release();
  a.release();
  assert.equal(a.informer.health.state, 'connected');
  b.release();
  assert.equal(a.informer.health.state, 'stopped');
  await waitFor('the host watch to close', () => host.vc().watches === watchesBefore);
  informers.stopAll();
});

test('an outage: the informer reports it, retries with backoff, and gets every change made meanwhile', async () => {
  const ns = 'outage';
  await direct.ensureNamespace(ns);
  await direct.create(CM, ns, cm('stays', 'one', { v: '1' }));
  await direct.create(CM, ns, cm('goes', 'one'));
  const informer = track(new HostInformer(relayed, ns, CM, { backoff: FAST }).start());
  const r = recorder();
  informer.subscribe(r.handlers);
  const states: string[] = [];
  informer.onHealth((h) => states.push(h.state));
  await informer.synced;
  await waitFor('connected', () => informer.health.state === 'connected');

  host.relay.cut();
  await waitFor('the failure to show', () => informer.health.state === 'retrying');
  const h = informer.health;
  assert.ok(h.state === 'retrying' && h.error.code === 0 && h.error.transient, JSON.stringify(h));
  assert.ok(informer.retryInMs !== undefined && informer.retryInMs <= FAST.maxMs);
  // Changes while the host is out of reach.
  await direct.create(CM, ns, cm('new', 'two'));
  await direct.patch(CM, ns, 'stays', 'merge', { data: { v: '2' } });
  await direct.delete(CM, ns, 'goes');
  // Failures pile up and the delay grows, within the cap.
  await waitFor('a few retries', () => informer.health.state === 'retrying' && informer.health.failures >= 3);

  host.relay.restore();
  await waitFor('every change', () => r.seen.length >= 5);
  assert.deepEqual(r.seen.slice(0, 2).sort(), ['add goes', 'add stays']);
  assert.deepEqual(r.seen.slice(2).sort(), ['add new', 'delete goes', 'update stays {"v":"1"}->{"v":"2"}']);
  await waitFor('connected again', () => informer.health.state === 'connected');
  assert.deepEqual(informer.list().map((o) => o.metadata.name).sort(), ['new', 'stays']);
  // Resumed from its resourceVersion: no second list.
  assert.equal(informer.requests.lists, 1);
  assert.ok(states.includes('retrying') && states.at(-1) === 'connected', states.join(','));
  informer.stop();
});

test('a host restart: 503s while it is down, then a 410 for the old resourceVersion, a relist, and nothing lost', async () => {
  const ns = 'restart';
  await direct.ensureNamespace(ns);
  await direct.create(CM, ns, cm('old', 'one'));
  const informer = track(new HostInformer(relayed, ns, CM, { backoff: FAST }).start());
  const r = recorder();
  informer.subscribe(r.handlers);
  await informer.synced;
  await waitFor('connected', () => informer.health.state === 'connected');

  // The informer cannot hear these; then the host restarts, forgetting the
  // history the informer's resourceVersion points into.
  host.relay.cut();
  await direct.create(CM, ns, cm('made-while-away', 'one'));
  await direct.delete(CM, ns, 'old');
  await host.pause();
  host.relay.restore();
  await waitFor('the 503', () => informer.health.state === 'retrying' && informer.health.error.code === 503);
  const h = informer.health;
  assert.ok(h.state === 'retrying' && h.error.reason === 'ServiceUnavailable' && h.error.transient);
  await host.resume();
  await direct.create(CM, ns, cm('made-after', 'one'));

  await waitFor('convergence', () => r.seen.includes('add made-after') && r.seen.includes('delete old'));
  assert.deepEqual(r.seen.sort(), ['add made-after', 'add made-while-away', 'add old', 'delete old']);
  assert.deepEqual(informer.list().map((o) => o.metadata.name).sort(), ['made-after', 'made-while-away']);
  assert.ok(informer.requests.lists >= 2, JSON.stringify(informer.requests));
  await waitFor('connected', () => informer.health.state === 'connected' && host.vc().watches >= 1);
  informer.stop();
});

test('watches the host ends (timeoutSeconds) are reopened from the last resourceVersion, without duplicates', async () => {
  const ns = 'timeouts';
  await direct.ensureNamespace(ns);
  const informer = track(new HostInformer(direct, ns, CM, { backoff: FAST, watchTimeoutSeconds: 1 }).start());
  const r = recorder();
  informer.subscribe(r.handlers);
  await informer.synced;
  await direct.create(CM, ns, cm('a', 'one'));
  await waitFor('a second watch', () => informer.requests.watches >= 2, 6000);
  await direct.create(CM, ns, cm('b', 'one'));
  await waitFor('b', () => r.seen.includes('add b'));
  await new Promise((res) => setTimeout(res, 100));
  assert.deepEqual(r.seen, ['add a', 'add b']);
  assert.equal(informer.requests.lists, 1);
  informer.stop();
});

test('a subscriber that throws does not stop the others; stop before sync rejects synced', async () => {
  const ns = 'throws';
  await direct.ensureNamespace(ns);
  const errors: unknown[] = [];
  const informer = track(new HostInformer(direct, ns, CM, { backoff: FAST, onHandlerError: (e) => errors.push(e) }).start());
  informer.subscribe({ onAdd: () => { throw new Error('boom'); } });
  const r = recorder();
  informer.subscribe(r.handlers);
  await informer.synced;
  await direct.create(CM, ns, cm('a', 'one'));
  await waitFor('a', () => r.seen.includes('add a'));
  assert.equal(errors.length, 1);
  informer.stop();

  host.relay.cut();
  try {
    const never = new HostInformer(relayed, ns, CM, { backoff: FAST }).start();
    never.stop();
    await assert.rejects(never.synced, /stopped before it synced/);
  } finally {
    host.relay.restore();
  }
});

const waitFor = (what: string, cond: () => boolean, timeoutMs = 8000): Promise<void> => eventually(cond, timeoutMs, what);

test('an object this process wrote is seen before its watch event, and the watch\'s newer one after', async () => {
  const ns = 'observe';
  await direct.ensureNamespace(ns);
  const inf = track(new HostInformer(direct, ns, CM)).start();
  await inf.synced;
  const created = await direct.create(CM, ns, cm('mine', 'a', { v: '1' }));
  inf.observe(created);
  // Read right away: the write, whether or not the watch has brought it.
  assert.equal(inf.get('mine')?.metadata.resourceVersion, created.metadata.resourceVersion);
  // A newer version from the watch wins over the remembered write.
  const updated = await direct.update(CM, ns, { ...created, data: { v: '2' } });
  await eventually(() => inf.get('mine')?.metadata.resourceVersion === updated.metadata.resourceVersion, 5000, 'the watch brings the update');
  assert.deepEqual(inf.get('mine')?.data, { v: '2' });
  // A remembered write older than what the watch has is not returned.
  inf.observe(created);
  assert.deepEqual(inf.get('mine')?.data, { v: '2' });
  // Deleted on the host: the watch's delete also forgets the write.
  inf.observe(updated);
  await direct.delete(CM, ns, 'mine');
  await eventually(() => inf.get('mine') === undefined, 5000, 'the delete reaches the informer');
});

test('an identity-only informer hands subscribers whole objects but keeps only their identities', async () => {
  const ns = 'identity';
  await direct.ensureNamespace(ns);
  await direct.create(CM, ns, cm('old', 'one', { v: '1' }));
  const informers = track({ x: new HostInformers(direct, { backoff: FAST }), stop() { this.x.stopAll(); } }).x;
  const full = informers.acquire(ns, CM);
  const slim = informers.acquire(ns, CM, undefined, undefined, 'identity');
  assert.notEqual(slim.informer, full.informer, 'what is kept is part of what is shared');
  const r = recorder();
  const datas: unknown[] = [];
  slim.informer.subscribe({ ...r.handlers, onAdd: (o) => { r.handlers.onAdd(o); datas.push(o.data); } });
  await slim.informer.synced;
  // Subscribed before the first list, it got the listed objects whole; a late subscriber gets the cache's identities.
  const late: KubeObject[] = [];
  slim.informer.subscribe({ onAdd: (o) => late.push(o) });
  assert.equal(late.length, 1);
  assert.equal(late[0]!.data, undefined);
  const [kept] = slim.informer.list();
  assert.deepEqual(Object.keys(kept!.metadata).sort(), ['name', 'namespace', 'resourceVersion', 'uid']);
  assert.equal(kept!.data, undefined);
  assert.equal((await full.informer.synced, full.informer.get('old') as KubeObject & { data?: Record<string, string> } | undefined)?.data?.v, '1');

  await direct.create(CM, ns, cm('new', 'one', { v: '1' }));
  await direct.patch(CM, ns, 'new', 'merge', { data: { v: '2' } });
  await direct.delete(CM, ns, 'old');
  await waitFor('every change', () => r.seen.length >= 4);
  // Updates come whole; the "old" side is what the cache kept.
  assert.deepEqual(r.seen, ['add old', 'add new', 'update new undefined->{"v":"2"}', 'delete old']);
  assert.deepEqual(datas, [{ v: '1' }, { v: '1' }]);
  assert.equal(slim.informer.get('new')?.data, undefined);
  assert.equal(slim.informer.get('new')?.metadata.resourceVersion, (await direct.get(CM, ns, 'new'))?.metadata.resourceVersion);
  full.release();
  slim.release();
});
