// Leader election through a Lease on a real kubevisor host in this process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { HostConnection } from './connection.ts';
import { LEASES, LeaderElector, type LeaderElectionOptions } from './leader.ts';
import { startTestHost, type TestHost } from './testing.ts';
import { eventually } from '../../../test/support/cluster.ts';

const NS = 'kubevisor-system';
/** Short timings so the tests take seconds: lease 2 s, renew deadline 1 s, retry 0.2 s. */
const TIMING = { leaseDurationSeconds: 2, renewDeadlineSeconds: 1, retryPeriodSeconds: 0.2 };

let host: TestHost;
let direct: HostConnection;
let relayed: HostConnection;
const electors: LeaderElector[] = [];

before(async () => {
  host = await startTestHost();
  direct = await HostConnection.connect({ text: host.kubeconfig });
  relayed = await HostConnection.connect({ text: host.relayedKubeconfig }, { requestTimeoutMs: 3000 });
  await direct.ensureNamespace(NS);
});
after(async () => {
  host.relay.restore();
  for (const e of electors) await e.stop();
  relayed?.close();
  direct?.close();
  await host?.close();
});


/** An elector recording its callbacks as "start"/"stop" with the time. */
function elector(conn: HostConnection, identity: string, lease: string, timing: Partial<LeaderElectionOptions> = TIMING) {
  const log: { what: 'start' | 'stop'; at: number }[] = [];
  const e = new LeaderElector(conn, {
    namespace: NS, name: lease, identity, ...timing,
    onStartedLeading: () => log.push({ what: 'start', at: Date.now() }),
    onStoppedLeading: () => { log.push({ what: 'stop', at: Date.now() }); },
  });
  electors.push(e);
  return { e, log };
}

async function holder(lease: string): Promise<string | undefined> {
  const l = await direct.get(LEASES, NS, lease);
  return (l.spec as { holderIdentity?: string }).holderIdentity;
}

test('two electors: one leads; stopping it releases the lease and the other takes over at once', async () => {
  const a = elector(direct, 'replica-a', 'syncer');
  const b = elector(direct, 'replica-b', 'syncer');
  a.e.start();
  await waitFor('a to lead', () => a.e.isLeader, 3000).catch((e: Error) => { throw new Error(`${e.message}: ${a.e.lastError?.message}`); });
  b.e.start();
  await new Promise((r) => setTimeout(r, 600)); // several of b's retries
  assert.equal(b.e.isLeader, false);
  assert.equal(b.e.leader, 'replica-a');
  assert.equal(await holder('syncer'), 'replica-a');
  assert.deepEqual(a.log.map((x) => x.what), ['start']);
  assert.deepEqual(b.log, []);
  const lease = await direct.get(LEASES, NS, 'syncer');
  assert.equal((lease.spec as { leaseDurationSeconds: number }).leaseDurationSeconds, 2);
  assert.match((lease.spec as { renewTime: string }).renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

  const stoppedAt = Date.now();
  await a.e.stop();
  assert.equal(a.e.lastError, undefined, String(a.e.lastError));
  assert.deepEqual(a.log.map((x) => x.what), ['start', 'stop']);
  assert.equal(a.e.isLeader, false);
  await waitFor('b to lead', () => b.e.isLeader);
  // Released, so no waiting for the lease to expire: about one retry period.
  assert.ok(Date.now() - stoppedAt < 1500, `handover took ${Date.now() - stoppedAt} ms`);
  assert.equal(await holder('syncer'), 'replica-b');
  assert.equal(((await direct.get(LEASES, NS, 'syncer')).spec as { leaseTransitions: number }).leaseTransitions, 1);
  await b.e.stop();
  assert.equal(await holder('syncer'), '');
});

test('a leader cut off from the host stops leading after the renew deadline; the other takes over once the lease expires', async () => {
  const a = elector(relayed, 'replica-a', 'cutoff');
  const b = elector(direct, 'replica-b', 'cutoff');
  a.e.start();
  await waitFor('a to lead', () => a.e.isLeader);
  b.e.start();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(b.e.isLeader, false);

  const cutAt = Date.now();
  host.relay.cut();
  await waitFor('b to lead', () => b.e.isLeader, 6000);
  // b waited for the lease to expire by its own clock (2 s from its last sight of a renewal).
  assert.ok(Date.now() - cutAt >= 1700, `b took over ${Date.now() - cutAt} ms after the cut`);
  const stopA = a.log.find((x) => x.what === 'stop');
  const startB = b.log.find((x) => x.what === 'start');
  assert.ok(stopA && startB, JSON.stringify({ a: a.log, b: b.log }));
  // Never two leaders: a gave up before b took over.
  assert.ok(stopA.at <= startB.at, `a stopped at +${stopA.at - cutAt} ms, b started at +${startB.at - cutAt} ms`);
  assert.ok(stopA.at - cutAt <= 1000 + 400, `a stopped ${stopA.at - cutAt} ms after the cut`);
  assert.equal(a.e.lastError?.code, 0);

  // Back on the host, a finds b leading and stays a candidate.
  host.relay.restore();
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(a.e.isLeader, false);
  assert.equal(a.e.leader, 'replica-b');
  assert.equal(await holder('cutoff'), 'replica-b');
  await a.e.stop();
  await b.e.stop();
});

test('the timings must nest, the lease in whole seconds', () => {
  const cbs = { namespace: NS, name: 'x', identity: 'i', onStartedLeading: () => {}, onStoppedLeading: () => {} };
  assert.throws(() => new LeaderElector(direct, { ...cbs, leaseDurationSeconds: 10, renewDeadlineSeconds: 10 }), /leaseDuration > renewDeadline > retryPeriod/);
  assert.throws(() => new LeaderElector(direct, { ...cbs, leaseDurationSeconds: 1.5, renewDeadlineSeconds: 1, retryPeriodSeconds: 0.5 }), /whole number of seconds/);
  assert.doesNotThrow(() => new LeaderElector(direct, cbs)); // upstream's 15, 10, 2
});

const waitFor = (what: string, cond: () => boolean, timeoutMs = 8000): Promise<void> => eventually(cond, timeoutMs, what);
