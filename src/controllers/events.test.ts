import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.ts';
import { openTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { EventRecorder, type EventRecorderOptions } from './events.ts';

/** A cluster, a config map to talk about, and a recorder on a clock the test moves. */
async function setup(opts: EventRecorderOptions = {}) {
  const tc = await openTestCluster();
  let now = Date.parse('2025-01-01T00:00:00Z');
  const clock = {
    advance(ms: number) { now += ms; },
  };
  const rec = new EventRecorder(tc.vc, () => new Date(now), opts);
  const cm = await tc.vc.store.create(tc.ctx.def('', 'v1', 'configmaps'), 'default', { metadata: { name: 'c' } });
  return { tc, rec, cm, clock };
}

async function events(tc: TestCluster): Promise<KubeObject[]> {
  const { items } = await tc.vc.store.list(tc.ctx.def('', 'v1', 'events'), 'default', {});
  return items;
}

test('events are recorded once and then counted', async () => {
  const { vc, ctx, close } = await openTestCluster();
  try {
    const cmDef = ctx.def('', 'v1', 'configmaps');
    const cm = await vc.store.create(cmDef, 'default', { metadata: { name: 'c' } });
    await ctx.events.record(cm, 'Normal', 'Tested', 'it works', 'tester');
    await ctx.events.record(cm, 'Normal', 'Tested', 'it works', 'tester');
    const evDef = ctx.def('', 'v1', 'events');
    const { items } = await vc.store.list(evDef, 'default', {});
    assert.equal(items.length, 1);
    assert.equal(items[0].count, 2);
    assert.equal(items[0].reason, 'Tested');
    assert.deepEqual((items[0].involvedObject as any).name, 'c');
  } finally {
    await close();
  }
});

test('a repeat bumps count and lastTimestamp, keeps firstTimestamp, and names the event after the object', async () => {
  const { tc, rec, cm, clock } = await setup();
  try {
    await rec.record(cm, 'Warning', 'Broken', 'it broke', 'tester', 'node-1');
    clock.advance(60_000);
    await rec.record(cm, 'Warning', 'Broken', 'it broke', 'tester', 'node-1');
    // Same words from another host are another event.
    await rec.record(cm, 'Warning', 'Broken', 'it broke', 'tester', 'node-2');
    const list = await events(tc);
    assert.equal(list.length, 2);
    const e = list.find((x) => (x.source as any).host === 'node-1') as any;
    assert.match(e.metadata.name, /^c\.[0-9a-f]{16}$/);
    assert.equal(e.count, 2);
    assert.equal(e.firstTimestamp, '2025-01-01T00:00:00Z');
    assert.equal(e.lastTimestamp, '2025-01-01T00:01:00Z');
    assert.deepEqual(e.source, { component: 'tester', host: 'node-1' });
    assert.equal(e.reportingComponent, 'tester');
    assert.equal(e.reportingInstance, 'node-1');
    assert.equal(e.involvedObject.uid, cm.metadata.uid);
  } finally {
    await tc.close();
  }
});

test('record() returns before the write; flush() waits for everything queued', async () => {
  const { tc, rec, cm } = await setup();
  try {
    for (let i = 0; i < 5; i++) void rec.record(cm, 'Normal', `Step${i}`, 'done', 'tester');
    assert.equal((await events(tc)).length, 0, 'nothing is written while the caller runs');
    await rec.flush();
    assert.deepEqual((await events(tc)).map((e) => e.reason).sort(), ['Step0', 'Step1', 'Step2', 'Step3', 'Step4']);
    await rec.flush(); // nothing queued: settles at once
  } finally {
    await tc.close();
  }
});

test('repeats queued in one go are written as one event with the whole count', async () => {
  const { tc, rec, cm } = await setup();
  try {
    const all = [];
    for (let i = 0; i < 7; i++) all.push(rec.record(cm, 'Normal', 'Same', 'again', 'tester'));
    await Promise.all(all);
    const list = await events(tc);
    assert.equal(list.length, 1);
    assert.equal(list[0].count, 7);
  } finally {
    await tc.close();
  }
});

test('spam filter: a source gets 25 events about an object, then one per 5 minutes', async () => {
  const { tc, rec, cm, clock } = await setup();
  try {
    for (let i = 0; i < 30; i++) void rec.record(cm, 'Normal', `Reason${i}`, 'm', 'tester');
    await rec.flush();
    const names = (await events(tc)).map((e) => e.reason as string);
    assert.equal(names.length, 25);
    assert.ok(!names.includes('Reason25'), 'the 26th is dropped');
    // Warnings have a budget of their own; so does another source.
    await rec.record(cm, 'Warning', 'Bad', 'm', 'tester');
    await rec.record(cm, 'Normal', 'Other', 'm', 'someone-else');
    assert.equal((await events(tc)).length, 27);
    clock.advance(299_000);
    await rec.record(cm, 'Normal', 'TooSoon', 'm', 'tester');
    clock.advance(1_000);
    await rec.record(cm, 'Normal', 'Refilled', 'm', 'tester');
    await rec.record(cm, 'Normal', 'Again', 'm', 'tester');
    const reasons = (await events(tc)).map((e) => e.reason);
    assert.ok(reasons.includes('Refilled'));
    assert.ok(!reasons.includes('TooSoon') && !reasons.includes('Again'));
  } finally {
    await tc.close();
  }
});

test('spam filter: dropped repeats still count, as upstream counts them', async () => {
  const { tc, rec, cm, clock } = await setup();
  try {
    for (let i = 0; i < 30; i++) void rec.record(cm, 'Warning', 'BackOff', 'Back-off restarting', 'kubelet', 'n1');
    await rec.flush();
    assert.equal((await events(tc))[0].count, 25);
    clock.advance(300_000);
    await rec.record(cm, 'Warning', 'BackOff', 'Back-off restarting', 'kubelet', 'n1');
    const [e] = await events(tc);
    assert.equal(e.count, 31);
    assert.equal(e.lastTimestamp, '2025-01-01T00:05:00Z');
  } finally {
    await tc.close();
  }
});

test('aggregation: from the 10th distinct message on, similar events fold into one combined event', async () => {
  const { tc, rec, cm, clock } = await setup();
  try {
    for (let i = 1; i <= 12; i++) await rec.record(cm, 'Normal', 'SuccessfulCreate', `Created pod: p${i}`, 'replicaset-controller');
    let list = await events(tc);
    const own = list.filter((e) => !(e.message as string).startsWith('('));
    assert.deepEqual(own.map((e) => e.message).sort(), [1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `Created pod: p${i}`).sort());
    let agg = list.find((e) => (e.message as string).startsWith('(')) as any;
    assert.equal(agg.message, '(combined from similar events): Created pod: p12');
    assert.equal(agg.count, 3);
    assert.equal(agg.reason, 'SuccessfulCreate');
    assert.equal(agg.reportingComponent, '', 'upstream leaves the reporter off the combined event');
    assert.equal(list.length, 10);

    clock.advance(1_000);
    await rec.record(cm, 'Normal', 'SuccessfulCreate', 'Created pod: p13', 'replicaset-controller');
    // One of the first nine again is a plain repeat of its own event.
    await rec.record(cm, 'Normal', 'SuccessfulCreate', 'Created pod: p1', 'replicaset-controller');
    list = await events(tc);
    assert.equal(list.length, 10);
    agg = list.find((e) => (e.message as string).startsWith('(')) as any;
    assert.equal(agg.message, '(combined from similar events): Created pod: p13');
    assert.equal(agg.count, 4);
    assert.equal(agg.firstTimestamp, '2025-01-01T00:00:00Z');
    assert.equal(agg.lastTimestamp, '2025-01-01T00:00:01Z');
    assert.equal(list.find((e) => e.message === 'Created pod: p1')?.count, 2);

    // Another reason is not similar.
    await rec.record(cm, 'Normal', 'SuccessfulDelete', 'Deleted pod: p14', 'replicaset-controller');
    assert.ok((await events(tc)).some((e) => e.message === 'Deleted pod: p14'));
  } finally {
    await tc.close();
  }
});

test('aggregation: after 10 quiet minutes similar events start afresh', async () => {
  const { tc, rec, cm, clock } = await setup();
  try {
    for (let i = 1; i <= 9; i++) await rec.record(cm, 'Warning', 'FailedMount', `volume v${i}`, 'kubelet', 'n1');
    clock.advance(600_001);
    await rec.record(cm, 'Warning', 'FailedMount', 'volume v10', 'kubelet', 'n1');
    const list = await events(tc);
    assert.equal(list.length, 10);
    assert.ok(list.every((e) => !(e.message as string).startsWith('(')));
  } finally {
    await tc.close();
  }
});

test('the queue is bounded: beyond it events are dropped and the drop is logged once', async (t) => {
  const { tc, rec } = await setup({ maxQueued: 5, concurrency: 1 });
  const logged = t.mock.method(console, 'error', () => {});
  try {
    const cmDef = tc.ctx.def('', 'v1', 'configmaps');
    const objs: KubeObject[] = [];
    for (let i = 0; i < 20; i++) objs.push(await tc.vc.store.create(cmDef, 'default', { metadata: { name: `o${i}` } }));
    const settled = objs.map((o) => rec.record(o, 'Normal', 'Made', 'made', 'tester'));
    // One write in flight, five waiting, the other fourteen dropped.
    assert.equal(rec.queued, 5);
    await Promise.all(settled); // dropped ones settle too
    await rec.flush();
    assert.equal((await events(tc)).length, 6);
    const drops = logged.mock.calls.filter((c) => /dropped 14 events/.test(String(c.arguments[0])));
    assert.equal(drops.length, 1);
    // Room again: events are taken.
    await rec.record(objs[19], 'Normal', 'Later', 'later', 'tester');
    assert.equal((await events(tc)).length, 7);
  } finally {
    await tc.close();
  }
});

test('events about one object are written in the order recorded', async () => {
  const { tc, rec } = await setup({ concurrency: 16 });
  try {
    const cmDef = tc.ctx.def('', 'v1', 'configmaps');
    const o = await tc.vc.store.create(cmDef, 'default', { metadata: { name: 'ordered' } });
    const reasons = ['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started'];
    for (const r of reasons) void rec.record(o, 'Normal', r, r, 'kubelet', 'n1');
    await rec.flush();
    // The order of writes shows in the order of resourceVersions.
    const byRevision = (await events(tc)).sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
    assert.deepEqual(byRevision.map((e) => e.reason), reasons);
  } finally {
    await tc.close();
  }
});

test('a fresh recorder counts on from an event written before it; a deleted event comes back with its count', async () => {
  const { tc, rec, cm } = await setup();
  try {
    await rec.record(cm, 'Normal', 'Tested', 'same', 'tester');
    await rec.record(cm, 'Normal', 'Tested', 'same', 'tester');
    const again = new EventRecorder(tc.vc, () => new Date());
    await again.record(cm, 'Normal', 'Tested', 'same', 'tester');
    let list = await events(tc);
    assert.equal(list.length, 1);
    assert.equal(list[0].count, 3);

    await tc.vc.store.delete(tc.ctx.def('', 'v1', 'events'), 'default', list[0].metadata.name as string);
    await rec.record(cm, 'Normal', 'Tested', 'same', 'tester');
    list = await events(tc);
    assert.equal(list.length, 1);
    assert.equal(list[0].count, 3, 'this recorder had seen it 3 times');
  } finally {
    await tc.close();
  }
});

test('after the cluster closes, record() settles without writing', async () => {
  const { tc, rec, cm } = await setup();
  const pending = rec.record(cm, 'Normal', 'Late', 'late', 'tester');
  await tc.close();
  await pending;
  await rec.record(cm, 'Normal', 'Later', 'later', 'tester');
  await rec.flush();
});
