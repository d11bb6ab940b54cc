import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../../../test/support/cluster.ts';
import type { KubeObject } from '../../api/types.ts';
import { startCronJobController } from './cronjob.ts';
import { startJobController } from './job.ts';
import { activePodsOf, condition, eventsOf, openBatchCluster, poke, setPodStatus, statusOf, type BatchTestCluster } from './testing.ts';

interface Run { t: BatchTestCluster; cj: KubeObject; minute: number }

async function withCronJobs(fn: (t: BatchTestCluster) => Promise<void>): Promise<void> {
  const t = await openBatchCluster();
  const stopJobs = startJobController(t.ctx);
  const stopCron = startCronJobController(t.ctx);
  try {
    await fn(t);
  } finally {
    stopCron();
    stopJobs();
    await t.close();
  }
}

function cronJob(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name },
    spec: {
      schedule: '* * * * *',
      ...spec,
      jobTemplate: {
        metadata: { labels: { app: name }, annotations: { note: 'from template' } },
        spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } } },
      },
    },
  };
}

/** Create a CronJob; returns it and the first whole minute after its creation. */
async function create(t: BatchTestCluster, obj: KubeObject): Promise<Run> {
  t.clock.offsetMs = 0;
  const cj = await t.vc.store.create(t.cronJobs, 'default', obj);
  const created = Date.parse(cj.metadata.creationTimestamp as string);
  return { t, cj, minute: Math.floor(created / 60_000) * 60_000 + 60_000 };
}

/** Move the controllers' clock to `ms` and let the CronJob controller look again. */
async function advanceTo(r: Run, ms: number): Promise<void> {
  r.t.clock.offsetMs = ms - Date.now();
  await poke(r.t, r.t.cronJobs, r.t.vc.store.peek(r.t.cronJobs, 'default', r.cj.metadata.name as string) as KubeObject);
}

function jobsOf(t: BatchTestCluster, cj: string): KubeObject[] {
  return [...t.vc.cache.scan('/registry/batch/jobs/default/')].map((c) => c.obj)
    .filter((j) => j.metadata.ownerReferences?.some((o) => o.kind === 'CronJob' && o.name === cj));
}

function cj(t: BatchTestCluster, name: string): KubeObject {
  return t.vc.store.peek(t.cronJobs, 'default', name) as KubeObject;
}

async function finishJob(t: BatchTestCluster, job: KubeObject, phase: 'Succeeded' | 'Failed'): Promise<void> {
  await eventually(() => activePodsOf(t, job.metadata.name as string).length === 1, 2000, `pod of ${job.metadata.name}`);
  await setPodStatus(t, activePodsOf(t, job.metadata.name as string)[0] as KubeObject, phase);
  const type = phase === 'Succeeded' ? 'Complete' : 'Failed';
  await eventually(() => condition(t.vc.store.peek(t.jobs, 'default', job.metadata.name as string), type)?.status === 'True', 2000, `${type} ${job.metadata.name}`);
}

test('a CronJob creates a Job for its scheduled time and records it', () => withCronJobs(async (t) => {
  const r = await create(t, cronJob('tick', { successfulJobsHistoryLimit: 3 }));
  // Half a minute before the first scheduled time (even if the real clock passes it meanwhile).
  t.clock.offsetMs = r.minute - 30_000 - Date.now();
  await poke(t, t.cronJobs, r.cj);
  await new Promise((res) => setTimeout(res, 50));
  assert.equal(jobsOf(t, 'tick').length, 0, 'nothing before the first scheduled time');
  await advanceTo(r, r.minute + 5_000);
  await eventually(() => jobsOf(t, 'tick').length === 1, 2000, 'job');
  const job = jobsOf(t, 'tick')[0] as KubeObject;
  assert.equal(job.metadata.name, `tick-${r.minute / 60_000}`);
  assert.equal(job.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'], new Date(r.minute).toISOString().replace('.000Z', 'Z'));
  assert.equal(job.metadata.annotations?.note, 'from template');
  assert.equal(job.metadata.labels?.app, 'tick');
  assert.deepEqual(job.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'tick', uid: r.cj.metadata.uid, controller: true, blockOwnerDeletion: true }]);
  await eventually(() => statusOf(cj(t, 'tick')).active?.length === 1, 2000, 'active');
  const st = statusOf(cj(t, 'tick'));
  assert.equal(st.lastScheduleTime, new Date(r.minute).toISOString().replace('.000Z', 'Z'));
  assert.deepEqual(Object.keys(st.active[0]), ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion']);
  assert.equal(st.active[0].name, job.metadata.name);

  await finishJob(t, job, 'Succeeded');
  await eventually(() => statusOf(cj(t, 'tick')).lastSuccessfulTime !== undefined && !statusOf(cj(t, 'tick')).active, 2000, 'lastSuccessfulTime');
  const events = await eventsOf(t, cj(t, 'tick'));
  assert.deepEqual(events.find((e) => e.reason === 'SuccessfulCreate')?.message, `Created job ${job.metadata.name}`);
  assert.deepEqual(events.find((e) => e.reason === 'SawCompletedJob')?.message, `Saw completed job: ${job.metadata.name}, status: Complete`);
}));

test('the schedule timer fires without any event', () => withCronJobs(async (t) => {
  await create(t, cronJob('every', { schedule: '@every 1s' }));
  await eventually(() => jobsOf(t, 'every').length >= 1, 4000, 'a job from the timer');
}));

test('Forbid skips a run while a Job is active; Replace deletes it', () => withCronJobs(async (t) => {
  const f = await create(t, cronJob('forbid', { concurrencyPolicy: 'Forbid' }));
  await advanceTo(f, f.minute + 1_000);
  await eventually(() => statusOf(cj(t, 'forbid')).active?.length === 1, 5000, 'first run');
  await advanceTo(f, f.minute + 61_000);
  await eventually(async () => (await eventsOf(t, cj(t, 'forbid'))).some((e) => e.reason === 'JobAlreadyActive'), 5000, 'JobAlreadyActive');
  assert.equal(jobsOf(t, 'forbid').length, 1);

  const rp = await create(t, cronJob('replace', { concurrencyPolicy: 'Replace' }));
  await advanceTo(rp, rp.minute + 1_000);
  await eventually(() => statusOf(cj(t, 'replace')).active?.length === 1, 5000, 'first run');
  const first = jobsOf(t, 'replace')[0] as KubeObject;
  await advanceTo(rp, rp.minute + 61_000);
  await eventually(() => jobsOf(t, 'replace').length === 1 && jobsOf(t, 'replace')[0]?.metadata.uid !== first.metadata.uid, 5000, 'replaced');
  assert.equal(jobsOf(t, 'replace')[0]?.metadata.name, `replace-${rp.minute / 60_000 + 1}`);
  assert.equal(statusOf(cj(t, 'replace')).active.length, 1);
  const events = await eventsOf(t, cj(t, 'replace'));
  assert.equal(events.find((e) => e.reason === 'SuccessfulDelete')?.message, `Deleted job ${first.metadata.name}`);

  const allow = await create(t, cronJob('allow'));
  await advanceTo(allow, allow.minute + 1_000);
  // As above: the first run is recorded in status before the clock moves on.
  await eventually(() => jobsOf(t, 'allow').length === 1 && statusOf(cj(t, 'allow')).active?.length === 1, 5000, 'first');
  await advanceTo(allow, allow.minute + 61_000);
  await eventually(() => jobsOf(t, 'allow').length === 2 && statusOf(cj(t, 'allow')).active?.length === 2, 5000, 'both run');
}));

test('history limits keep the newest finished Jobs', () => withCronJobs(async (t) => {
  const r = await create(t, cronJob('hist', { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 }));
  const names: string[] = [];
  for (let i = 0; i < 4; i++) {
    await advanceTo(r, r.minute + i * 60_000 + 1_000);
    const name = `hist-${r.minute / 60_000 + i}`;
    names.push(name);
    await eventually(() => !!t.vc.store.peek(t.jobs, 'default', name), 2000, name);
    await finishJob(t, t.vc.store.peek(t.jobs, 'default', name) as KubeObject, i % 2 === 0 ? 'Succeeded' : 'Failed');
    await poke(t, t.cronJobs, cj(t, 'hist'));
  }
  await eventually(() => jobsOf(t, 'hist').length === 2, 2000, 'two kept');
  assert.deepEqual(jobsOf(t, 'hist').map((j) => j.metadata.name).sort(), [names[2], names[3]].sort());
  const deletes = (await eventsOf(t, cj(t, 'hist'))).filter((e) => e.reason === 'SuccessfulDelete').map((e) => e.message).sort();
  assert.deepEqual(deletes, [`Deleted job ${names[0]}`, `Deleted job ${names[1]}`]);
}));

test('suspend stops new runs', () => withCronJobs(async (t) => {
  const r = await create(t, cronJob('paused', { suspend: true }));
  await advanceTo(r, r.minute + 1_000);
  await new Promise((res) => setTimeout(res, 100));
  assert.equal(jobsOf(t, 'paused').length, 0);
}));

test('missed schedules: past the starting deadline, and too many', () => withCronJobs(async (t) => {
  const late = await create(t, cronJob('late', { startingDeadlineSeconds: 10 }));
  await advanceTo(late, late.minute + 30_000);
  // The most recent scheduled time is beyond the deadline: nothing runs.
  await new Promise((res) => setTimeout(res, 100));
  assert.equal(jobsOf(t, 'late').length, 0);
  // The next one is caught in time.
  await advanceTo(late, late.minute + 65_000);
  await eventually(() => jobsOf(t, 'late').length === 1, 2000, 'next run');

  const many = await create(t, cronJob('many'));
  await advanceTo(many, many.minute + 200 * 60_000 + 5_000);
  await eventually(() => jobsOf(t, 'many').length === 1, 2000, 'one job for the latest time');
  assert.equal(jobsOf(t, 'many')[0]?.metadata.name, `many-${many.minute / 60_000 + 200}`);
  const ev = (await eventsOf(t, cj(t, 'many'))).find((e) => e.reason === 'TooManyMissedTimes');
  assert.equal(ev?.message, 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
  assert.equal(ev?.type, 'Warning');

  const missed = await create(t, cronJob('missed', { startingDeadlineSeconds: 5 }));
  await advanceTo(missed, missed.minute + 20_000);
  await new Promise((res) => setTimeout(res, 100));
  assert.equal(jobsOf(t, 'missed').length, 0);
}));

test('a time zone shifts the schedule and the scheduled-timestamp annotation', () => withCronJobs(async (t) => {
  const r = await create(t, cronJob('tz', { schedule: '* * * * *', timeZone: 'Asia/Kolkata' }));
  await advanceTo(r, r.minute + 1_000);
  await eventually(() => jobsOf(t, 'tz').length === 1, 2000, 'job');
  const ann = jobsOf(t, 'tz')[0]?.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'] as string;
  assert.match(ann, /\+05:30$/);
  assert.equal(Date.parse(ann), r.minute);
}));
