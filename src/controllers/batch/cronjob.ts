// The CronJob controller: creates a Job named <cronjob>-<minutes since epoch>
// for each scheduled time, honours suspend, startingDeadlineSeconds and the
// concurrency policy, keeps status.active / lastScheduleTime /
// lastSuccessfulTime, and prunes finished Jobs beyond the history limits, as
// kube-controller-manager's cronjob controller (v2) does. Each CronJob holds
// at most one timer: for its next scheduled time.

import { ApiError } from '../../api/errors.ts';
import type { KubeObject, OwnerReference } from '../../api/types.ts';
import { isKnownTimeZone } from '../../api/validation/cron.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import { cloneObject, nowTimestamp } from '../../registry/generic/metadata.ts';
import type { ControllerContext } from '../context.ts';
import { Controller } from '../runtime.ts';
import { formatRFC1123Z, formatRFC3339In, parseSchedule, type Schedule } from './cron.ts';
import { Deadlines } from './deadlines.ts';
import { fieldManager, finishedCondition, jobStatus, splitKey, type JobSpec } from './job-api.ts';
import { controllerRef, ms } from './pods.ts';
import { compareUtf8 } from '../../api/decode/go-text.ts';

export const scheduledTimestampAnnotation = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
const component = 'cronjob-controller';
/** Wake a little after the scheduled time, against clock skew. */
const nextScheduleDeltaMs = 100;

interface ObjectReference { kind?: string; namespace?: string; name?: string; uid?: string; apiVersion?: string; resourceVersion?: string }

interface CronJobSpec {
  schedule?: string;
  timeZone?: string | null;
  startingDeadlineSeconds?: number | null;
  concurrencyPolicy?: string;
  suspend?: boolean;
  jobTemplate?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: JobSpec };
  successfulJobsHistoryLimit?: number | null;
  failedJobsHistoryLimit?: number | null;
}

interface CronJobStatus { active?: ObjectReference[]; lastScheduleTime?: string; lastSuccessfulTime?: string }

type Missed = 'none' | 'few' | 'many';

function cjSpec(cj: KubeObject): CronJobSpec {
  return (cj.spec ?? {}) as CronJobSpec;
}

function cjStatus(cj: KubeObject): CronJobStatus {
  return (cj.status ?? (cj.status = {})) as CronJobStatus;
}

function inActiveList(cj: KubeObject, uid: string | undefined): boolean {
  return (cjStatus(cj).active ?? []).some((r) => r.uid === uid);
}

function deleteFromActiveList(cj: KubeObject, uid: string | undefined): void {
  const st = cjStatus(cj);
  st.active = (st.active ?? []).filter((r) => r.uid !== uid);
}

/** "<cronjob>-<scheduled time in minutes since the epoch>". */
export function jobNameFor(cronJobName: string, scheduledMs: number): string {
  return `${cronJobName}-${Math.floor(Math.floor(scheduledMs / 1000) / 60)}`;
}

/**
 * The last scheduled time (or the CronJob's creation) the search starts from,
 * the most recent scheduled time not after `now` (if any), and how many were
 * missed (roughly, for schedules with uneven gaps).
 */
export function mostRecentScheduleTime(cj: KubeObject, now: number, sched: Schedule, withStartingDeadline: boolean):
  { earliest: number; mostRecent: number | undefined; missed: Missed; err?: string } {
  const spec = cjSpec(cj);
  let earliest = ms(cj.metadata.creationTimestamp) ?? now;
  const last = ms(cjStatus(cj).lastScheduleTime);
  if (last !== undefined) earliest = last;
  if (withStartingDeadline && spec.startingDeadlineSeconds !== undefined && spec.startingDeadlineSeconds !== null) {
    const deadline = now - spec.startingDeadlineSeconds * 1000;
    if (deadline > earliest) earliest = deadline;
  }
  const t1 = sched.next(earliest);
  const t2 = t1 === undefined ? undefined : sched.next(t1);
  if (t1 !== undefined && now < t1) return { earliest, mostRecent: undefined, missed: 'none' };
  if (t1 !== undefined && t2 !== undefined && now < t2) return { earliest, mostRecent: t1, missed: 'none' };
  const between = t1 === undefined || t2 === undefined ? 0 : Math.round((t2 - t1) / 1000);
  if (between < 1) return { earliest, mostRecent: undefined, missed: 'none', err: 'time difference between two schedules is less than 1 second' };
  const first = t1 as number;
  const elapsed = Math.trunc((now - first) / 1000);
  const missedCount = Math.trunc(elapsed / between) + 1;
  let mostRecent: number | undefined;
  const potentialEarliest = first + (missedCount - 2) * between * 1000;
  for (let t = sched.next(potentialEarliest); t !== undefined && t <= now; t = sched.next(t)) mostRecent = t;
  const missed: Missed = missedCount > 100 ? 'many' : missedCount > 0 ? 'few' : 'none';
  return { earliest, mostRecent, missed };
}

/** How long until the next scheduled time (plus a small margin). */
export function nextScheduleDelay(cj: KubeObject, now: number, sched: Schedule): number | undefined {
  const r = mostRecentScheduleTime(cj, now, sched, false);
  let from: number;
  if (r.err) from = now;
  else if (r.mostRecent === undefined) from = r.missed === 'none' ? r.earliest : now;
  else from = r.mostRecent;
  const next = sched.next(from);
  return next === undefined ? undefined : next + nextScheduleDeltaMs - now;
}

/** Start the CronJob controller; returns a function that stops it. */
export function startCronJobController(ctx: ControllerContext): () => void {
  const { vc } = ctx;
  const store = vc.store;
  const cjDef = ctx.def('batch', 'v1', 'cronjobs');
  const jobDef = ctx.def('batch', 'v1', 'jobs');
  const cjPrefix = resourcePrefix(cjDef);
  const jobsPrefix = resourcePrefix(jobDef);

  const controller = new Controller('cronjob', (key) => sync(key));
  const deadlines = new Deadlines((key) => controller.enqueue(key));

  const record = (cj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string) =>
    ctx.events.record(cj, type, reason, message, component);

  const keyOf = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;

  /** The schedule as the controller reads it: a TZ in the schedule wins (and is warned about), else spec.timeZone. */
  async function scheduleOf(cj: KubeObject, warn: boolean): Promise<Schedule> {
    const spec = cjSpec(cj);
    const schedule = spec.schedule ?? '';
    if (schedule.includes('TZ')) {
      if (warn) await record(cj, 'Warning', 'UnsupportedSchedule', `CRON_TZ or TZ used in schedule ${JSON.stringify(schedule)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`);
      return parseSchedule(schedule);
    }
    const tz = spec.timeZone ?? undefined;
    return parseSchedule(schedule, tz !== undefined && isKnownTimeZone(tz) ? tz : undefined);
  }

  /** Jobs this CronJob controls (by the name in their controller reference). */
  function jobsOf(cj: KubeObject): KubeObject[] {
    const out: KubeObject[] = [];
    for (const c of vc.cache.scan(`${jobsPrefix}${cj.metadata.namespace}/`)) {
      const ref = controllerRef(c.obj);
      if (ref && ref.kind === 'CronJob' && ref.name === cj.metadata.name) out.push(c.obj);
    }
    return out;
  }

  function resolve(namespace: string, ref: OwnerReference | undefined): KubeObject | undefined {
    if (!ref || ref.kind !== 'CronJob') return undefined;
    const cj = store.peek(cjDef, namespace, ref.name);
    return cj && cj.metadata.uid === ref.uid ? cj : undefined;
  }

  function jobFromTemplate(cj: KubeObject, scheduled: number): KubeObject {
    const spec = cjSpec(cj);
    const tmeta = spec.jobTemplate?.metadata ?? {};
    const annotations: Record<string, string> = { ...(tmeta.annotations ?? {}) };
    annotations[scheduledTimestampAnnotation] = formatRFC3339In(scheduled, spec.timeZone ?? undefined);
    const owner: OwnerReference = { apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata.name as string, uid: cj.metadata.uid as string, controller: true, blockOwnerDeletion: true };
    return {
      metadata: {
        name: jobNameFor(cj.metadata.name as string, scheduled),
        labels: { ...(tmeta.labels ?? {}) },
        annotations,
        ownerReferences: [owner],
      },
      spec: cloneObject(spec.jobTemplate?.spec ?? {}),
    };
  }

  /** Delete a Job (its pods go in the background) and drop it from the active list. */
  async function deleteJob(cj: KubeObject, job: KubeObject): Promise<boolean> {
    try {
      await store.delete(jobDef, job.metadata.namespace, job.metadata.name as string, { propagationPolicy: 'Background', fieldManager });
    } catch (e) {
      await record(cj, 'Warning', 'FailedDelete', `Deleted job: ${(e as Error).message}`);
      return false;
    }
    deleteFromActiveList(cj, job.metadata.uid);
    await record(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
    return true;
  }

  /** Oldest started first; Jobs that never started last; names break ties. */
  function byStartTime(a: KubeObject, b: KubeObject): number {
    const sa = ms(jobStatus(a).startTime), sb = ms(jobStatus(b).startTime);
    if (sa === undefined && sb !== undefined) return 1;
    if (sa !== undefined && sb === undefined) return -1;
    if (sa === sb) return compareUtf8(String(a.metadata.name), String(b.metadata.name));
    return (sa as number) - (sb as number);
  }

  async function removeOldest(cj: KubeObject, jobs: KubeObject[], keep: number): Promise<boolean> {
    const n = jobs.length - keep;
    if (n <= 0) return false;
    let changed = false;
    const sorted = [...jobs].sort(byStartTime);
    for (let i = 0; i < n; i++) if (await deleteJob(cj, sorted[i] as KubeObject)) changed = true;
    return changed;
  }

  async function cleanupFinishedJobs(cj: KubeObject, jobs: KubeObject[]): Promise<boolean> {
    const spec = cjSpec(cj);
    const succeededLimit = spec.successfulJobsHistoryLimit;
    const failedLimit = spec.failedJobsHistoryLimit;
    if ((succeededLimit === undefined || succeededLimit === null) && (failedLimit === undefined || failedLimit === null)) return false;
    const succeeded: KubeObject[] = [];
    const failed: KubeObject[] = [];
    for (const j of jobs) {
      const c = finishedCondition(j);
      if (c?.type === 'Complete') succeeded.push(j);
      else if (c?.type === 'Failed') failed.push(j);
    }
    let changed = false;
    if (succeededLimit !== undefined && succeededLimit !== null && await removeOldest(cj, succeeded, succeededLimit)) changed = true;
    if (failedLimit !== undefined && failedLimit !== null && await removeOldest(cj, failed, failedLimit)) changed = true;
    return changed;
  }

  interface SyncResult { cj: KubeObject; requeueMs?: number; update: boolean; err?: Error }

  async function syncCronJob(cjIn: KubeObject, jobs: KubeObject[]): Promise<SyncResult> {
    let cj = cjIn;
    const now = ctx.now().getTime();
    let update = false;
    const children = new Set<string>();
    for (const j of jobs) {
      children.add(j.metadata.uid as string);
      const found = inActiveList(cj, j.metadata.uid);
      const finished = finishedCondition(j);
      if (!found && !finished) {
        const fresh = await store.get(cjDef, cj.metadata.namespace, cj.metadata.name as string);
        if (inActiveList(fresh, j.metadata.uid)) {
          cj = cloneObject(fresh);
          continue;
        }
        await record(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata.name}`);
      } else if (found && finished) {
        deleteFromActiveList(cj, j.metadata.uid);
        await record(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata.name}, status: ${finished.type}`);
        update = true;
      } else if (finished?.type === 'Complete') {
        const st = cjStatus(cj);
        const done = jobStatus(j).completionTime;
        if (!st.lastSuccessfulTime && done) {
          st.lastSuccessfulTime = done;
          update = true;
        }
        if (done && st.lastSuccessfulTime && Date.parse(done) > Date.parse(st.lastSuccessfulTime)) {
          st.lastSuccessfulTime = done;
          update = true;
        }
      }
    }
    // Active Jobs that no longer exist.
    for (const ref of [...(cjStatus(cj).active ?? [])]) {
      if (children.has(ref.uid as string)) continue;
      if (!store.peek(jobDef, ref.namespace, ref.name as string)) {
        await record(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
        deleteFromActiveList(cj, ref.uid);
        update = true;
      }
    }
    if (cj.metadata.deletionTimestamp) return { cj, update };

    const spec = cjSpec(cj);
    if (spec.timeZone !== undefined && spec.timeZone !== null && !isKnownTimeZone(spec.timeZone)) {
      await record(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: ${JSON.stringify(spec.timeZone)}: unknown time zone ${spec.timeZone}`);
      return { cj, update };
    }
    if (spec.suspend === true) return { cj, update };
    let sched: Schedule;
    try {
      sched = await scheduleOf(cj, true);
    } catch (e) {
      await record(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(spec.schedule ?? '')} : ${(e as Error).message}`);
      return { cj, update };
    }
    const recent = mostRecentScheduleTime(cj, now, sched, true);
    if (recent.err && recent.mostRecent === undefined) {
      await record(cj, 'Warning', 'InvalidSchedule', `invalid schedule: ${spec.schedule ?? ''} : ${recent.err}`);
      return { cj, update };
    }
    const scheduled = recent.mostRecent;
    if (scheduled === undefined || scheduled > now) {
      return { cj, update, requeueMs: nextScheduleDelay(cj, now, sched) };
    }
    if (recent.missed === 'many') {
      await record(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
    }
    const requeue = () => nextScheduleDelay(cj, now, sched);
    const sds = spec.startingDeadlineSeconds;
    if (sds !== undefined && sds !== null && scheduled + sds * 1000 < now) {
      await record(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${formatRFC1123Z(scheduled)}`);
      return { cj, update, requeueMs: requeue() };
    }
    const name = jobNameFor(cj.metadata.name as string, scheduled);
    const st = cjStatus(cj);
    const lastSchedule = ms(st.lastScheduleTime);
    if ((st.active ?? []).some((r) => r.name === name && r.namespace === cj.metadata.namespace) || lastSchedule === scheduled) {
      return { cj, update, requeueMs: requeue() };
    }
    if (spec.concurrencyPolicy === 'Forbid' && (st.active ?? []).length > 0) {
      await record(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return { cj, update, requeueMs: requeue() };
    }
    if (spec.concurrencyPolicy === 'Replace') {
      for (const ref of [...(st.active ?? [])]) {
        const job = store.peek(jobDef, ref.namespace, ref.name as string);
        if (!job) {
          const err = new ApiError(404, 'NotFound', `jobs.batch "${ref.name}" not found`);
          await record(cj, 'Warning', 'FailedGet', `Get job: ${err.message}`);
          return { cj, update, err };
        }
        if (!await deleteJob(cj, job)) return { cj, update, err: new Error(`could not replace job ${job.metadata.namespace}/${job.metadata.name}`) };
        update = true;
      }
    }
    let created: KubeObject;
    let existed = false;
    try {
      created = await store.create(jobDef, cj.metadata.namespace, jobFromTemplate(cj, scheduled), { fieldManager });
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 409 && e.reason === 'AlreadyExists')) {
        await record(cj, 'Warning', 'FailedCreate', `Error creating job: ${(e as Error).message}`);
        return { cj, update, err: e as Error };
      }
      // Created before, but the status never recorded it (or someone else made it).
      existed = true;
      const job = store.peek(jobDef, cj.metadata.namespace, name);
      if (!job) return { cj, update, err: e as Error };
      if (controllerRef(job)?.uid !== cj.metadata.uid) return { cj, update };
      if (inActiveList(cj, job.metadata.uid)) return { cj, update };
      created = job;
    }
    if (!existed) await record(cj, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata.name}`);
    st.active = [...(st.active ?? []), {
      kind: 'Job', namespace: created.metadata.namespace, name: created.metadata.name, uid: created.metadata.uid,
      apiVersion: 'batch/v1', resourceVersion: created.metadata.resourceVersion,
    }];
    st.lastScheduleTime = nowTimestamp(new Date(scheduled));
    update = true;
    return { cj, update: true, requeueMs: requeue() };
  }

  function serializeStatus(st: CronJobStatus): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (st.active && st.active.length > 0) out.active = st.active;
    if (st.lastScheduleTime) out.lastScheduleTime = st.lastScheduleTime;
    if (st.lastSuccessfulTime) out.lastSuccessfulTime = st.lastSuccessfulTime;
    return out;
  }

  async function sync(key: string): Promise<void> {
    const [namespace, name] = splitKey(key);
    const shared = store.peek(cjDef, namespace, name);
    if (!shared) {
      deadlines.clear(key);
      return;
    }
    const jobs = jobsOf(shared);
    const copy = cloneObject(shared);
    cjStatus(copy);
    const cleaned = await cleanupFinishedJobs(copy, jobs);
    const r = await syncCronJob(copy, jobs);
    if (cleaned || r.update) {
      const next: KubeObject = { ...r.cj, status: serializeStatus(cjStatus(r.cj)) };
      await store.update(cjDef, namespace, name, next, { subresource: 'status', fieldManager });
    }
    if (r.requeueMs !== undefined) {
      deadlines.after(key, r.requeueMs);
      return;
    }
    if (r.err) throw r.err;
  }

  // ---- wiring ----

  async function onScheduleChange(cj: KubeObject): Promise<void> {
    let sched: Schedule;
    try {
      sched = await scheduleOf(cj, false);
    } catch {
      await record(cj, 'Warning', 'UnParseableCronJobSchedule', `unparseable schedule for cronjob: ${cjSpec(cj).schedule ?? ''}`);
      return;
    }
    const delay = nextScheduleDelay(cj, ctx.now().getTime(), sched);
    if (delay !== undefined) deadlines.after(keyOf(cj), delay);
  }

  const unwatchCronJobs = vc.cache.subscribe({
    prefix: cjPrefix,
    onEvent: (ev) => {
      const key = keyOf(ev.obj);
      if (ev.type === 'MODIFIED' && ev.prev) {
        const a = cjSpec(ev.prev), b = cjSpec(ev.obj);
        if (a.schedule !== b.schedule || (a.timeZone ?? null) !== (b.timeZone ?? null)) {
          void onScheduleChange(ev.obj);
          return;
        }
      }
      if (ev.type === 'DELETED') deadlines.clear(key);
      controller.enqueue(key);
    },
  });

  const unwatchJobs = vc.cache.subscribe({
    prefix: jobsPrefix,
    onEvent: (ev) => {
      const ns = ev.obj.metadata.namespace ?? '';
      const ref = controllerRef(ev.obj);
      if (ev.type === 'MODIFIED' && ev.prev) {
        const oldRef = controllerRef(ev.prev);
        if (oldRef && oldRef.uid !== ref?.uid) {
          const old = resolve(ns, oldRef);
          if (old) controller.enqueue(keyOf(old));
        }
      }
      const cj = resolve(ns, ref);
      if (cj) controller.enqueue(keyOf(cj));
    },
  });

  for (const c of vc.cache.scan(cjPrefix)) controller.enqueue(keyOf(c.obj));

  return () => {
    unwatchCronJobs();
    unwatchJobs();
    deadlines.stop();
    controller.stop();
  };
}

