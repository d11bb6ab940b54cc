// The Job controller: runs a Job's pods from its template until enough of them
// succeed or the Job fails (backoff limits, deadline, pod failure policy), as
// kube-controller-manager's job controller does. Finished pods are counted
// through the batch.kubernetes.io/job-tracking finalizer and
// status.uncountedTerminatedPods, so a pod that goes away is counted once.
// Terminal conditions come in two steps: FailureTarget then Failed,
// SuccessCriteriaMet then Complete, the second once no pod is terminating.

import { ApiError } from '../../api/errors.ts';
import type { KubeObject, OwnerReference } from '../../api/types.ts';
import { selectorMatches } from '../../api/validation/labelselector.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import { cloneObject, nowTimestamp } from '../../registry/generic/metadata.ts';
import type { ControllerContext } from '../context.ts';
import { Controller } from '../runtime.ts';
import { Deadlines } from './deadlines.ts';
import { Indexes } from './intervals.ts';
import {
  fieldManager, findCondition, isJobFinished, jobSpec, managedByOther, splitKey,
  type JobCondition, type JobSpec, type JobStatus, type PodFailurePolicyRule, type PodTemplate,
} from './job-api.ts';
import { controllerRef, finishedAt, isActive, isReady, isTerminating, podPhase, podStatus, removalOrder, type ContainerStatus } from './pods.ts';

export const jobTrackingFinalizer = 'batch.kubernetes.io/job-tracking';
export const completionIndexKey = 'batch.kubernetes.io/job-completion-index';
export const indexFailureCountAnnotation = 'batch.kubernetes.io/job-index-failure-count';
export const indexIgnoredFailureCountAnnotation = 'batch.kubernetes.io/job-index-ignored-failure-count';
const completionIndexEnv = 'JOB_COMPLETION_INDEX';
const component = 'job-controller';

/** Backoff before re-creating failed pods: 10s, doubling, at most 10 minutes. */
export const podFailureBackoffMs = 10_000;
export const maxPodFailureBackoffMs = 600_000;
/** At most this many pods are created or deleted, or counted, in one sync. */
const maxPodChangesPerSync = 500;
const maxUncountedPods = 500;
/** Syncs caused by pod changes wait at least this long (upstream's batching period). */
const minRequeueMs = 1000;

interface BackoffRecord { failuresAfterLastSuccess: number; lastFailureTime: number | undefined }

interface SyncCtx {
  key: string;
  job: KubeObject;
  spec: JobSpec;
  status: JobStatus;
  now: number;
  pods: KubeObject[];
  activePods: KubeObject[];
  finished: JobCondition | undefined;
  succeeded: number;
  failed: number;
  prevSucceededIndexes: Indexes;
  succeededIndexes: Indexes;
  failedIndexes: Indexes | undefined;
  newBackoff: BackoffRecord;
  uncounted: { succeeded: Set<string>; failed: Set<string> };
  delayedDeletion: Map<number, KubeObject>;
  terminating: number;
  ready: number;
}

// ---- small questions about jobs and pods -----------------------------------

function isIndexed(spec: JobSpec): boolean {
  return spec.completionMode === 'Indexed';
}

function hasBackoffLimitPerIndex(spec: JobSpec): boolean {
  return spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null;
}

function suspended(spec: JobSpec): boolean {
  return spec.suspend === true;
}

function completionsOf(spec: JobSpec): number {
  return spec.completions ?? 0;
}

/** Replacement pods wait until the old ones are Failed (not merely terminating). */
function onlyReplaceFailedPods(spec: JobSpec): boolean {
  return spec.podReplacementPolicy === 'Failed' || (spec.podFailurePolicy !== undefined && spec.podFailurePolicy !== null);
}

function hasFinalizer(pod: KubeObject): boolean {
  return pod.metadata.finalizers?.includes(jobTrackingFinalizer) ?? false;
}

/** Failed, or (unless only failed pods count) deleted before it succeeded. */
function isPodFailed(pod: KubeObject, spec: JobSpec): boolean {
  const phase = podPhase(pod);
  if (phase === 'Failed') return true;
  if (onlyReplaceFailedPods(spec)) return false;
  return !!pod.metadata.deletionTimestamp && phase !== 'Succeeded';
}

/** The pod's completion index, or -1. */
export function completionIndex(pod: KubeObject): number {
  const v = pod.metadata.annotations?.[completionIndexKey];
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return -1;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : -1;
}

function validIndex(pod: KubeObject, spec: JobSpec): boolean {
  const ix = completionIndex(pod);
  return ix >= 0 && ix < completionsOf(spec);
}

function annotationInt(pod: KubeObject, key: string): number {
  const v = pod.metadata.annotations?.[key];
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return 0;
  const n = Number(v);
  return n >= 0 && n <= 2147483647 ? n : 0;
}

function absoluteIndexFailures(pod: KubeObject): number {
  return annotationInt(pod, indexFailureCountAnnotation) + annotationInt(pod, indexIgnoredFailureCountAnnotation);
}

function indexesOf(pods: KubeObject[]): Set<number> {
  const out = new Set<number>();
  for (const p of pods) {
    const ix = completionIndex(p);
    if (ix >= 0) out.add(ix);
  }
  return out;
}

function newCondition(type: string, status: string, reason: string, message: string, now: number): JobCondition {
  const t = nowTimestamp(new Date(now));
  const c: JobCondition = { type, status, lastProbeTime: t, lastTransitionTime: t };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

/** Set a condition's status, reason and message (a new False condition is not added). Returns whether anything changed. */
function ensureCondition(status: JobStatus, type: string, value: string, reason: string, message: string, now: number): boolean {
  const list = status.conditions ?? [];
  const i = list.findIndex((c) => c.type === type);
  if (i >= 0) {
    const c = list[i] as JobCondition;
    if (c.status === value && (c.reason ?? '') === reason && (c.message ?? '') === message) return false;
    list[i] = newCondition(type, value, reason, message, now);
    status.conditions = list;
    return true;
  }
  if (value === 'False') return false;
  status.conditions = [...list, newCondition(type, value, reason, message, now)];
  return true;
}

function successCriteriaMet(status: JobStatus): JobCondition | undefined {
  const c = findCondition(status.conditions, 'SuccessCriteriaMet');
  return c?.status === 'True' ? c : undefined;
}

// ---- pod failure policy -----------------------------------------------------

interface PolicyMatch { message?: string; countFailed: boolean; action?: string }

function terminatedMatching(list: ContainerStatus[] | undefined, req: NonNullable<PodFailurePolicyRule['onExitCodes']>): ContainerStatus | undefined {
  for (const cs of list ?? []) {
    const term = cs.state?.terminated;
    if (!term) continue;
    if (req.containerName !== undefined && req.containerName !== null && req.containerName !== cs.name) continue;
    const code = term.exitCode ?? 0;
    if (code === 0) continue;
    const listed = (req.values ?? []).includes(code);
    if ((req.operator === 'In' && listed) || (req.operator === 'NotIn' && !listed)) return cs;
  }
  return undefined;
}

/** What the Job's pod failure policy says about a failed pod. */
export function matchPodFailurePolicy(spec: JobSpec, pod: KubeObject): PolicyMatch {
  const rules = spec.podFailurePolicy?.rules;
  if (!spec.podFailurePolicy) return { countFailed: true };
  const st = podStatus(pod);
  const ns = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  for (const [i, rule] of (rules ?? []).entries()) {
    let failJobMessage: (() => string) | undefined;
    if (rule.onExitCodes) {
      const cs = terminatedMatching(st.containerStatuses, rule.onExitCodes) ?? terminatedMatching(st.initContainerStatuses, rule.onExitCodes);
      if (!cs) continue;
      failJobMessage = () => `Container ${cs.name ?? ''} for pod ${ns}/${name} failed with exit code ${cs.state?.terminated?.exitCode ?? 0} matching FailJob rule at index ${i}`;
    } else if (rule.onPodConditions) {
      const cond = (st.conditions ?? []).find((c) => rule.onPodConditions?.some((p) => p.type === c.type && (p.status ?? 'True') === c.status));
      if (!cond) continue;
      failJobMessage = () => `Pod ${ns}/${name} has condition ${cond.type ?? ''} matching FailJob rule at index ${i}`;
    } else {
      continue;
    }
    switch (rule.action) {
      case 'Ignore': return { countFailed: false, action: 'Ignore' };
      case 'FailIndex': return { countFailed: true, action: 'FailIndex' };
      case 'Count': return { countFailed: true, action: 'Count' };
      case 'FailJob': return { message: failJobMessage(), countFailed: true, action: 'FailJob' };
      default: continue;
    }
  }
  return { countFailed: true };
}

// ---- backoff ----------------------------------------------------------------

function remainingBackoff(failures: number, lastFailure: number | undefined, now: number): number {
  if (failures === 0 || lastFailure === undefined) return 0;
  let d = podFailureBackoffMs;
  for (let i = 1; i < failures; i++) {
    d *= 2;
    if (d >= maxPodFailureBackoffMs) { d = maxPodFailureBackoffMs; break; }
  }
  const elapsed = now - lastFailure;
  return d < elapsed ? 0 : d - elapsed;
}

function nextBackoffRecord(old: BackoffRecord | undefined, succeeded: KubeObject[], failed: KubeObject[]): BackoffRecord {
  const rec: BackoffRecord = old ? { ...old } : { failuresAfterLastSuccess: 0, lastFailureTime: undefined };
  const byFinish = (a: KubeObject, b: KubeObject) => finishedAt(a) - finishedAt(b);
  const s = [...succeeded].sort(byFinish);
  const f = [...failed].sort(byFinish);
  if (s.length === 0) {
    if (f.length === 0) return rec;
    rec.failuresAfterLastSuccess += f.length;
    rec.lastFailureTime = finishedAt(f[f.length - 1] as KubeObject);
    return rec;
  }
  rec.failuresAfterLastSuccess = 0;
  rec.lastFailureTime = undefined;
  const lastSuccess = finishedAt(s[s.length - 1] as KubeObject);
  for (let i = f.length - 1; i >= 0; i--) {
    const t = finishedAt(f[i] as KubeObject);
    if (t <= lastSuccess) break;
    if (rec.lastFailureTime === undefined) rec.lastFailureTime = t;
    rec.failuresAfterLastSuccess++;
  }
  return rec;
}

// ---- status as stored ---------------------------------------------------------

function readStatus(job: KubeObject): JobStatus {
  const s = cloneObject((job.status ?? {}) as JobStatus);
  s.uncountedTerminatedPods ??= {};
  return s;
}

/** The status the way the API serializes it (Go's omitempty rules). */
function serializeStatus(s: JobStatus): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.conditions && s.conditions.length > 0) {
    out.conditions = s.conditions.map((c) => {
      const o: Record<string, unknown> = { type: c.type, status: c.status, lastProbeTime: c.lastProbeTime ?? null, lastTransitionTime: c.lastTransitionTime ?? null };
      if (c.reason) o.reason = c.reason;
      if (c.message) o.message = c.message;
      return o;
    });
  }
  if (s.startTime) out.startTime = s.startTime;
  if (s.completionTime) out.completionTime = s.completionTime;
  if (s.active) out.active = s.active;
  if (s.succeeded) out.succeeded = s.succeeded;
  if (s.failed) out.failed = s.failed;
  if (s.terminating !== undefined && s.terminating !== null) out.terminating = s.terminating;
  if (s.completedIndexes) out.completedIndexes = s.completedIndexes;
  if (s.failedIndexes !== undefined && s.failedIndexes !== null) out.failedIndexes = s.failedIndexes;
  const u: Record<string, string[]> = {};
  const un = s.uncountedTerminatedPods ?? {};
  if (un.succeeded && un.succeeded.length > 0) u.succeeded = un.succeeded;
  if (un.failed && un.failed.length > 0) u.failed = un.failed;
  out.uncountedTerminatedPods = u;
  if (s.ready !== undefined && s.ready !== null) out.ready = s.ready;
  return out;
}

/** Count the pods of `uncounted` whose finalizer is gone; returns whether the status changed. */
function cleanUncounted(status: JobStatus, withFinalizer: Set<string>): boolean {
  const u = status.uncountedTerminatedPods ?? (status.uncountedTerminatedPods = {});
  let changed = false;
  const keepS = (u.succeeded ?? []).filter((id) => withFinalizer.has(id));
  if (keepS.length !== (u.succeeded ?? []).length) {
    status.succeeded = (status.succeeded ?? 0) + (u.succeeded ?? []).length - keepS.length;
    u.succeeded = keepS;
    changed = true;
  }
  const keepF = (u.failed ?? []).filter((id) => withFinalizer.has(id));
  if (keepF.length !== (u.failed ?? []).length) {
    status.failed = (status.failed ?? 0) + (u.failed ?? []).length - keepF.length;
    u.failed = keepF;
    changed = true;
  }
  return changed;
}

// ---- success policy -----------------------------------------------------------

function matchSuccessPolicy(spec: JobSpec, succeeded: Indexes): string | undefined {
  const rules = spec.successPolicy?.rules;
  if (!rules || succeeded.size === 0) return undefined;
  const completions = completionsOf(spec);
  for (const [i, rule] of rules.entries()) {
    if (rule.succeededIndexes !== undefined && rule.succeededIndexes !== null) {
      const want = Indexes.parse(rule.succeededIndexes, completions);
      if (want.size === 0) continue;
      let contains = 0;
      for (const r of want.ranges) for (let x = r.first; x <= r.last; x++) if (succeeded.has(x)) contains++;
      if (contains === want.total || (rule.succeededCount !== undefined && rule.succeededCount !== null && contains >= rule.succeededCount)) {
        return `Matched rules at index ${i}`;
      }
    } else if (rule.succeededCount !== undefined && rule.succeededCount !== null && succeeded.total >= rule.succeededCount) {
      return `Matched rules at index ${i}`;
    }
  }
  return undefined;
}

// ---- the controller -------------------------------------------------------------

/** Start the Job controller; returns a function that stops it. */
export function startJobController(ctx: ControllerContext): () => void {
  const { vc } = ctx;
  const store = vc.store;
  const jobDef = ctx.def('batch', 'v1', 'jobs');
  const podDef = ctx.def('', 'v1', 'pods');
  const jobsPrefix = resourcePrefix(jobDef);
  const podsPrefix = resourcePrefix(podDef);
  const backoffs = new Map<string, BackoffRecord>();

  const controller = new Controller('job', (key) => syncJob(key));
  const orphans = new Controller('job-orphan-pod', (key) => syncOrphanPod(key));
  const deadlines = new Deadlines((key) => controller.enqueue(key));

  const record = (job: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string) =>
    ctx.events.record(job, type, reason, message, component);

  /** Pods the Job controls, and pods without a controller it may adopt. */
  function claimablePods(job: KubeObject): KubeObject[] {
    return vc.cache.claimable(`${podsPrefix}${job.metadata.namespace ?? ''}/`, job.metadata.uid as string).map((c) => c.obj);
  }

  /** The Job a controller reference names, if it still is that Job. */
  function resolveJob(namespace: string, ref: OwnerReference): KubeObject | undefined {
    if (ref.kind !== 'Job') return undefined;
    const job = store.peek(jobDef, namespace, ref.name);
    return job && job.metadata.uid === ref.uid ? job : undefined;
  }

  function isJobRef(ref: OwnerReference | undefined): ref is OwnerReference {
    return ref !== undefined && ref.kind === 'Job' && ref.apiVersion === 'batch/v1';
  }

  /** Pods that still carry the tracking finalizer of a Job that no longer counts them. */
  function cleanupPodFinalizers(job: KubeObject): void {
    for (const pod of claimablePods(job)) {
      if (hasFinalizer(pod) && controllerRef(pod)?.uid === job.metadata.uid) orphans.enqueue(podKey(pod));
    }
  }

  function podKey(pod: KubeObject): string {
    return `${pod.metadata.namespace}/${pod.metadata.name}`;
  }

  function jobKey(job: KubeObject): string {
    return `${job.metadata.namespace}/${job.metadata.name}`;
  }

  // ---- writes ----

  async function removeFinalizer(pod: KubeObject): Promise<void> {
    if (!hasFinalizer(pod)) return;
    try {
      await store.guaranteedUpdate(podDef, pod.metadata.namespace, pod.metadata.name as string, (cur) => {
        const obj = cur as KubeObject;
        if (obj.metadata.uid !== pod.metadata.uid) throw new ApiError(404, 'NotFound', 'pod was replaced');
        obj.metadata.finalizers = (obj.metadata.finalizers ?? []).filter((f) => f !== jobTrackingFinalizer);
        return obj;
      }, { fieldManager });
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
  }

  /** DELETE a pod; a pod already gone counts as deleted. Records the event. */
  async function deletePod(job: KubeObject, pod: KubeObject): Promise<void> {
    try {
      await store.delete(podDef, pod.metadata.namespace, pod.metadata.name as string, { preconditions: { uid: pod.metadata.uid }, fieldManager });
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return;
      await record(job, 'Warning', 'FailedDelete', `Error deleting: ${(e as Error).message}`);
      throw e;
    }
    await record(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
  }

  /** Delete pods, first releasing their finalizers (they are not counted as failures). */
  async function deleteJobPods(job: KubeObject, pods: KubeObject[]): Promise<{ deleted: number; deletedReady: number; err?: Error }> {
    let deleted = pods.length, deletedReady = 0;
    let err: Error | undefined;
    await Promise.all(pods.map(async (pod) => {
      try {
        await removeFinalizer(pod);
        await deletePod(job, pod);
      } catch (e) {
        deleted--;
        err ??= e as Error;
      }
      if (isReady(pod)) deletedReady++;
    }));
    return { deleted, deletedReady, err };
  }

  /** Delete pods keeping their finalizers, so that they are counted once they are gone. */
  async function deleteActivePods(job: KubeObject, pods: KubeObject[]): Promise<{ deleted: number; deletedReady: number; err?: Error }> {
    let deleted = pods.length, deletedReady = 0;
    let err: Error | undefined;
    await Promise.all(pods.map(async (pod) => {
      try {
        await deletePod(job, pod);
      } catch (e) {
        deleted--;
        err ??= e as Error;
      }
      if (isReady(pod)) deletedReady++;
    }));
    return { deleted, deletedReady, err };
  }

  async function writeStatus(c: SyncCtx): Promise<void> {
    const next: KubeObject = { ...c.job, status: serializeStatus(c.status) };
    const { obj } = await store.update(jobDef, c.job.metadata.namespace, c.job.metadata.name as string, next, { subresource: 'status', fieldManager });
    c.job = obj;
    c.status = readStatus(obj);
  }

  // ---- claiming pods ----

  async function adopt(job: KubeObject, pod: KubeObject): Promise<KubeObject | undefined> {
    const fresh = await store.get(jobDef, job.metadata.namespace, job.metadata.name as string).catch(() => undefined);
    if (!fresh || fresh.metadata.uid !== job.metadata.uid || fresh.metadata.deletionTimestamp) return undefined;
    try {
      const { obj } = await store.guaranteedUpdate(podDef, pod.metadata.namespace, pod.metadata.name as string, (cur) => {
        const p = cur as KubeObject;
        if (p.metadata.uid !== pod.metadata.uid || controllerRef(p) || p.metadata.deletionTimestamp) throw new ApiError(409, 'Conflict', 'pod changed');
        p.metadata.ownerReferences = [...(p.metadata.ownerReferences ?? []), ownerRefTo(job)];
        if (!hasFinalizer(p)) p.metadata.finalizers = [...(p.metadata.finalizers ?? []), jobTrackingFinalizer];
        return p;
      }, { fieldManager });
      return obj;
    } catch (e) {
      if (e instanceof ApiError && (e.code === 404 || e.code === 409)) return undefined;
      throw e;
    }
  }

  async function release(job: KubeObject, pod: KubeObject): Promise<void> {
    try {
      await store.guaranteedUpdate(podDef, pod.metadata.namespace, pod.metadata.name as string, (cur) => {
        const p = cur as KubeObject;
        p.metadata.ownerReferences = (p.metadata.ownerReferences ?? []).filter((r) => r.uid !== job.metadata.uid);
        return p;
      }, { fieldManager });
    } catch (e) {
      if (!(e instanceof ApiError && (e.code === 404 || e.code === 422))) throw e;
    }
  }

  /** The Job's pods: those it controls and still selects, plus orphans it adopts. */
  async function claimPods(job: KubeObject, spec: JobSpec): Promise<KubeObject[]> {
    const out: KubeObject[] = [];
    const deleting = !!job.metadata.deletionTimestamp;
    for (const pod of claimablePods(job)) {
      const ref = controllerRef(pod);
      const selected = selectorMatches(spec.selector, pod.metadata.labels);
      if (ref) {
        if (ref.uid !== job.metadata.uid) continue;
        if (selected) out.push(pod);
        else if (!deleting) await release(job, pod);
        continue;
      }
      if (!selected || deleting || pod.metadata.deletionTimestamp) continue;
      const adopted = await adopt(job, pod);
      if (adopted) out.push(adopted);
    }
    return out;
  }

  // ---- creating pods ----

  function ownerRefTo(job: KubeObject): OwnerReference {
    return { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name as string, uid: job.metadata.uid as string, controller: true, blockOwnerDeletion: true };
  }

  function podTemplate(spec: JobSpec): PodTemplate {
    const t = cloneObject(spec.template ?? {});
    t.metadata ??= {};
    const fins = t.metadata.finalizers ?? [];
    if (!fins.includes(jobTrackingFinalizer)) t.metadata.finalizers = [...fins, jobTrackingFinalizer];
    if (isIndexed(spec)) {
      const s = t.spec ?? (t.spec = {});
      for (const k of ['initContainers', 'containers']) {
        const list = s[k];
        if (!Array.isArray(list)) continue;
        for (const c of list as { env?: { name?: string }[] }[]) {
          const env = c.env ?? [];
          if (env.some((e) => e.name === completionIndexEnv)) continue;
          c.env = [...env, { name: completionIndexEnv, valueFrom: { fieldRef: { fieldPath: `metadata.labels['${completionIndexKey}']` } } } as { name: string }];
        }
      }
    }
    return t;
  }

  function generateNameWithIndex(jobName: string, ix: number): string {
    const suffix = `-${ix}-`;
    const prefix = jobName + suffix;
    return prefix.length > 58 ? prefix.slice(0, 58 - suffix.length) + suffix : prefix;
  }

  async function createPod(job: KubeObject, template: PodTemplate, generateName: string): Promise<void> {
    const meta = template.metadata ?? {};
    const pod: KubeObject = {
      metadata: {
        generateName,
        namespace: job.metadata.namespace,
        labels: { ...(meta.labels ?? {}) },
        annotations: { ...(meta.annotations ?? {}) },
        finalizers: [...(meta.finalizers ?? [])],
        ownerReferences: [ownerRefTo(job)],
      },
      spec: cloneObject(template.spec ?? {}),
    };
    let created: KubeObject;
    try {
      created = await store.create(podDef, job.metadata.namespace, pod, { fieldManager });
    } catch (e) {
      await record(job, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
      throw e;
    }
    await record(job, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
  }

  // ---- deciding ----

  function activePodsForRemoval(c: SyncCtx, pods: KubeObject[], rmAtLeast: number): KubeObject[] {
    let rm: KubeObject[] = [];
    let left: KubeObject[];
    if (isIndexed(c.spec)) {
      left = [];
      const completions = completionsOf(c.spec);
      const sorted = [...pods].sort((a, b) => completionIndex(a) - completionIndex(b));
      const groups = new Map<number, KubeObject[]>();
      for (const p of sorted) {
        const ix = completionIndex(p);
        if (ix >= completions) { rm.push(p); continue; }
        const g = groups.get(ix);
        if (g) g.push(p); else groups.set(ix, [p]);
      }
      for (const [ix, g] of groups) {
        if (ix < 0) { rm.push(...g); continue; }
        if (g.length === 1) { left.push(g[0] as KubeObject); continue; }
        g.sort(removalOrder);
        rm.push(...g.slice(0, -1));
        left.push(g[g.length - 1] as KubeObject);
      }
    } else {
      left = [...pods];
    }
    if (rm.length < rmAtLeast) {
      left.sort(removalOrder);
      rm = [...rm, ...left.slice(0, rmAtLeast - rm.length)];
    }
    return rm;
  }

  function firstPendingIndexes(c: SyncCtx, count: number, completions: number): number[] {
    if (count <= 0) return [];
    let nonPending = c.succeededIndexes.with(indexesOf(c.activePods));
    if (onlyReplaceFailedPods(c.spec)) nonPending = nonPending.with(indexesOf(c.pods.filter(isTerminating)));
    if (c.failedIndexes) nonPending = nonPending.merge(c.failedIndexes);
    const out: number[] = [];
    let candidate = 0;
    for (const r of nonPending.ranges) {
      for (; candidate < completions && out.length < count && candidate < r.first; candidate++) out.push(candidate);
      if (candidate < r.last + 1) candidate = r.last + 1;
    }
    for (; candidate < completions && out.length < count; candidate++) out.push(candidate);
    return out;
  }

  function isIndexFailed(spec: JobSpec, pod: KubeObject): boolean {
    let counted = false;
    if (isPodFailed(pod, spec)) {
      if (spec.podFailurePolicy) {
        const m = matchPodFailurePolicy(spec, pod);
        if (m.action === 'FailIndex') return true;
        counted = m.countFailed;
      } else {
        counted = true;
      }
    }
    return counted && annotationInt(pod, indexFailureCountAnnotation) >= (spec.backoffLimitPerIndex ?? 0);
  }

  /** Per index, the last failed pod whose removal waits for its replacement (which inherits its failure count). */
  function podsWithDelayedDeletion(c: SyncCtx): Map<number, KubeObject> {
    const activeIx = indexesOf(c.activePods);
    const out = new Map<number, KubeObject>();
    for (const p of c.pods) {
      if (!hasFinalizer(p) || !validIndex(p, c.spec) || !isPodFailed(p, c.spec)) continue;
      const ix = completionIndex(p);
      if (c.succeededIndexes.has(ix) || c.failedIndexes?.has(ix) || activeIx.has(ix)) continue;
      const last = out.get(ix);
      if (!last || (absoluteIndexFailures(last) <= absoluteIndexFailures(p) && !(finishedAt(p) < finishedAt(last)))) out.set(ix, p);
    }
    return out;
  }

  function canRemoveFinalizer(c: SyncCtx, pod: KubeObject, consideredFailed: boolean): boolean {
    if (c.job.metadata.deletionTimestamp || c.finished || podPhase(pod) === 'Succeeded') return true;
    if (!consideredFailed) return false;
    if (hasBackoffLimitPerIndex(c.spec)) {
      const ix = completionIndex(pod);
      if (ix >= 0 && c.delayedDeletion.get(ix)?.metadata.uid === pod.metadata.uid) return false;
    }
    return true;
  }

  function failJobMessage(spec: JobSpec, pods: KubeObject[]): string | undefined {
    if (!spec.podFailurePolicy) return undefined;
    for (const p of pods) {
      if (!isPodFailed(p, spec)) continue;
      const m = matchPodFailurePolicy(spec, p).message;
      if (m !== undefined) return m;
    }
    return undefined;
  }

  function pastBackoffLimitOnFailure(spec: JobSpec, pods: KubeObject[]): boolean {
    if (spec.template?.spec?.restartPolicy !== 'OnFailure') return false;
    let restarts = 0;
    for (const p of pods) {
      const phase = podPhase(p);
      if (phase !== 'Running' && phase !== 'Pending') continue;
      const st = podStatus(p);
      for (const cs of [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])]) restarts += cs.restartCount ?? 0;
    }
    const limit = spec.backoffLimit ?? 6;
    return limit === 0 ? restarts > 0 : restarts >= limit;
  }

  function failureCondition(reason: string, message: string, now: number): JobCondition {
    return newCondition('FailureTarget', 'True', reason, message, now);
  }

  /** Create or delete pods so that the right number runs. Returns the new active count. */
  async function manageJob(c: SyncCtx): Promise<{ active: number; err?: Error }> {
    const { job, spec } = c;
    let active = c.activePods.length;
    const parallelism = spec.parallelism ?? 1;
    if (suspended(spec)) {
      const r = await deleteJobPods(job, activePodsForRemoval(c, c.activePods, active));
      c.terminating += r.deleted;
      c.ready -= r.deletedReady;
      return { active: active - r.deleted, err: r.err };
    }
    let wantActive: number;
    if (spec.completions === undefined || spec.completions === null) {
      wantActive = c.succeeded > 0 ? active : parallelism;
    } else {
      wantActive = Math.max(0, Math.min(spec.completions - c.succeeded, parallelism));
    }
    const rmAtLeast = Math.max(0, active - wantActive);
    const toDelete = activePodsForRemoval(c, c.activePods, rmAtLeast).slice(0, maxPodChangesPerSync);
    if (toDelete.length > 0) {
      const r = await deleteJobPods(job, toDelete);
      c.terminating += r.deleted;
      c.ready -= r.deletedReady;
      return { active: active - r.deleted, err: r.err };
    }
    const terminating = onlyReplaceFailedPods(spec) ? c.terminating : 0;
    let diff = wantActive - terminating - active;
    if (diff <= 0) return { active };
    if (!hasBackoffLimitPerIndex(spec)) {
      const wait = remainingBackoff(c.newBackoff.failuresAfterLastSuccess, c.newBackoff.lastFailureTime, c.now);
      if (wait > 0) {
        deadlines.after(c.key, Math.max(wait, minRequeueMs));
        return { active };
      }
    }
    diff = Math.min(diff, maxPodChangesPerSync);
    let indexes: number[] = [];
    if (isIndexed(spec)) {
      indexes = firstPendingIndexes(c, diff, completionsOf(spec));
      if (hasBackoffLimitPerIndex(spec)) {
        const ready: number[] = [];
        let minWait: number | undefined;
        for (const ix of indexes) {
          const last = c.delayedDeletion.get(ix);
          const wait = last ? remainingBackoff(absoluteIndexFailures(last) + 1, finishedAt(last), c.now) : 0;
          if (wait === 0) ready.push(ix);
          else if (minWait === undefined || wait < minWait) minWait = wait;
        }
        if (ready.length === 0 && minWait !== undefined) {
          deadlines.after(c.key, Math.max(minWait, minRequeueMs));
          return { active };
        }
        indexes = ready;
      }
      diff = indexes.length;
    }
    const template = podTemplate(spec);
    const jobName = job.metadata.name as string;
    active += diff;
    let err: Error | undefined;
    for (let batch = Math.min(diff, 1); diff > 0; batch = Math.min(2 * batch, diff)) {
      let failedNow = 0;
      const batchIndexes = isIndexed(spec) ? indexes.splice(0, batch) : [];
      await Promise.all(Array.from({ length: batch }, async (_, i) => {
        let t = template;
        let generateName = `${jobName}-`;
        const ix = batchIndexes[i];
        if (ix !== undefined) {
          t = cloneObject(template);
          const meta = t.metadata ?? (t.metadata = {});
          meta.annotations = { ...(meta.annotations ?? {}), [completionIndexKey]: String(ix) };
          meta.labels = { ...(meta.labels ?? {}), [completionIndexKey]: String(ix) };
          (t.spec ?? (t.spec = {})).hostname = `${jobName}-${ix}`;
          generateName = generateNameWithIndex(jobName, ix);
          if (hasBackoffLimitPerIndex(spec)) {
            let failures = 0, ignored = 0;
            const replaced = c.delayedDeletion.get(ix);
            if (replaced) {
              failures = annotationInt(replaced, indexFailureCountAnnotation);
              ignored = annotationInt(replaced, indexIgnoredFailureCountAnnotation);
              if (spec.podFailurePolicy && !matchPodFailurePolicy(spec, replaced).countFailed) ignored++;
              else failures++;
            }
            meta.annotations[indexFailureCountAnnotation] = String(failures);
            if (ignored > 0) meta.annotations[indexIgnoredFailureCountAnnotation] = String(ignored);
          }
        }
        try {
          await createPod(job, t, generateName);
        } catch (e) {
          active--;
          failedNow++;
          err ??= e as Error;
        }
      }));
      const skipped = diff - batch;
      if (failedNow > 0 && skipped > 0) {
        active -= skipped;
        break;
      }
      diff -= batch;
    }
    return { active, err };
  }

  // ---- counting ----

  /**
   * Record newly finished pods in status.uncountedTerminatedPods, release
   * their finalizers, move them into the counters, and finish the Job when it
   * may be.
   */
  async function trackStatusAndRemoveFinalizers(c: SyncCtx, needsFlushIn: boolean): Promise<void> {
    let needsFlush = needsFlushIn;
    const indexed = isIndexed(c.spec);
    const completions = completionsOf(c.spec);
    const pods = indexed ? [...c.pods].sort((a, b) => completionIndex(a) - completionIndex(b)) : c.pods;
    const withFinalizer = new Set<string>();
    for (const p of pods) if (hasFinalizer(p)) withFinalizer.add(p.metadata.uid as string);
    if (cleanUncounted(c.status, withFinalizer)) needsFlush = true;
    const uncounted = c.status.uncountedTerminatedPods ?? (c.status.uncountedTerminatedPods = {});
    uncounted.succeeded ??= [];
    uncounted.failed ??= [];
    const toRelease: KubeObject[] = [];
    const newSucceededIndexes: number[] = [];
    let reachedMax = false;
    for (const pod of pods) {
      if (!hasFinalizer(pod)) continue;
      const uid = pod.metadata.uid as string;
      const failed = isPodFailed(pod, c.spec);
      if (!canRemoveFinalizer(c, pod, failed)) continue;
      toRelease.push(pod);
      if (podPhase(pod) === 'Succeeded' && !c.uncounted.failed.has(uid)) {
        if (indexed) {
          const ix = completionIndex(pod);
          if (ix >= 0 && ix < completions && !c.prevSucceededIndexes.has(ix)) {
            newSucceededIndexes.push(ix);
            needsFlush = true;
          }
        } else if (!c.uncounted.succeeded.has(uid)) {
          uncounted.succeeded.push(uid);
          needsFlush = true;
        }
      } else if (failed || (c.finished && c.finished.type !== 'SuccessCriteriaMet')) {
        // Once the Job is finishing (not successfully), every pod not yet finished counts as failed.
        if (!c.uncounted.failed.has(uid) && (!indexed || validIndex(pod, c.spec))) {
          if (!c.spec.podFailurePolicy || matchPodFailurePolicy(c.spec, pod).countFailed) {
            uncounted.failed.push(uid);
            needsFlush = true;
          }
        }
      }
      if (newSucceededIndexes.length + uncounted.succeeded.length + uncounted.failed.length >= maxUncountedPods) {
        reachedMax = true;
        break;
      }
    }
    if (indexed) {
      c.succeededIndexes = c.succeededIndexes.with(newSucceededIndexes);
      const text = c.succeededIndexes.toString();
      if (text !== (c.status.completedIndexes ?? '')) needsFlush = true;
      c.status.succeeded = c.succeededIndexes.total;
      c.status.completedIndexes = text;
      const failedText = c.failedIndexes?.toString();
      if (failedText !== c.status.failedIndexes) {
        if (failedText === undefined) delete c.status.failedIndexes; else c.status.failedIndexes = failedText;
        needsFlush = true;
      }
    }
    if (c.finished?.type === 'FailureTarget') {
      // The interim condition records why the Job fails before the pods are released.
      c.status.conditions = [...(c.status.conditions ?? []), c.finished];
      needsFlush = true;
      c.finished = newCondition('Failed', 'True', c.finished.reason ?? '', c.finished.message ?? '', c.now);
    }
    if (c.finished?.type === 'SuccessCriteriaMet' && c.finished.status === 'True') {
      if (!successCriteriaMet(c.status)) {
        c.status.conditions = [...(c.status.conditions ?? []), c.finished];
        needsFlush = true;
      }
      c.finished = newCondition('Complete', 'True', c.finished.reason ?? '', c.finished.message ?? '', c.now);
    }

    // Flush what is uncounted before releasing finalizers: a pod without one is no longer seen.
    if (needsFlush) {
      await writeStatus(c);
      backoffs.set(c.key, c.newBackoff);
      needsFlush = false;
    }
    let releaseErr: Error | undefined;
    if (toRelease.length > 0) {
      await Promise.all(toRelease.map(async (pod) => {
        try {
          await removeFinalizer(pod);
          withFinalizer.delete(pod.metadata.uid as string);
        } catch (e) {
          releaseErr ??= e as Error;
        }
      }));
    }
    if (cleanUncounted(c.status, withFinalizer)) needsFlush = true;
    if (releaseErr) {
      if (needsFlush) await writeStatus(c);
      throw releaseErr;
    }
    const finished = !reachedMax && enactJobFinished(c);
    if (finished) needsFlush = true;
    if (needsFlush) {
      await writeStatus(c);
      if (finished && c.finished) await recordFinished(c.job, c.status, c.finished);
    }
  }

  /** Add the Complete or Failed condition, once nothing is uncounted or terminating. */
  function enactJobFinished(c: SyncCtx): boolean {
    const cond = c.finished;
    if (!cond) return false;
    const u = c.status.uncountedTerminatedPods;
    if ((u?.succeeded?.length ?? 0) + (u?.failed?.length ?? 0) > 0) return false;
    if (c.terminating > 0) return false;
    ensureCondition(c.status, cond.type, cond.status, cond.reason ?? '', cond.message ?? '', c.now);
    if (cond.type === 'Complete') c.status.completionTime = cond.lastTransitionTime ?? nowTimestamp(new Date(c.now));
    return true;
  }

  async function recordFinished(job: KubeObject, status: JobStatus, cond: JobCondition): Promise<void> {
    const spec = jobSpec(job);
    if (cond.type === 'Complete') {
      if (spec.completions !== undefined && spec.completions !== null && (status.succeeded ?? 0) > spec.completions) {
        await record(job, 'Warning', 'TooManySucceededPods', 'Too many succeeded pods running after completion count reached');
      }
      await record(job, 'Normal', 'Completed', 'Job completed');
    } else {
      await record(job, 'Warning', cond.reason ?? '', cond.message ?? '');
    }
  }

  // ---- sync ----

  async function syncJob(key: string): Promise<void> {
    const [namespace, name] = splitKey(key);
    const shared = store.peek(jobDef, namespace, name);
    if (!shared) {
      backoffs.delete(key);
      deadlines.clear(key);
      return;
    }
    if (managedByOther(shared)) return;
    if (isJobFinished(shared)) {
      backoffs.delete(key);
      deadlines.clear(key);
      return;
    }
    const job = cloneObject(shared);
    const spec = jobSpec(job);
    if (spec.completionMode !== undefined && spec.completionMode !== 'NonIndexed' && spec.completionMode !== 'Indexed') {
      await record(job, 'Warning', 'UnknownCompletionMode', 'Skipped Job sync because completion mode is unknown');
      return;
    }
    const now = ctx.now().getTime();
    const status = readStatus(job);
    const pods = await claimPods(job, spec);
    const activePods = pods.filter(isActive);
    const un = status.uncountedTerminatedPods ?? {};
    const c: SyncCtx = {
      key, job, spec, status, now, pods, activePods,
      finished: undefined, succeeded: 0, failed: 0,
      prevSucceededIndexes: new Indexes(), succeededIndexes: new Indexes(), failedIndexes: undefined,
      newBackoff: { failuresAfterLastSuccess: 0, lastFailureTime: undefined },
      uncounted: { succeeded: new Set(un.succeeded ?? []), failed: new Set(un.failed ?? []) },
      delayedDeletion: new Map(),
      terminating: pods.filter(isTerminating).length,
      ready: activePods.filter(isReady).length,
    };
    let active = activePods.length;
    const indexed = isIndexed(spec);
    const newlyFinished = (uncountedSet: Set<string>, pred: (p: KubeObject) => boolean) => pods.filter((p) =>
      hasFinalizer(p) && !uncountedSet.has(p.metadata.uid as string) && (!indexed || validIndex(p, spec)) && pred(p));
    const newSucceeded = newlyFinished(c.uncounted.succeeded, (p) => podPhase(p) === 'Succeeded');
    const newFailed = newlyFinished(c.uncounted.failed, (p) => isPodFailed(p, spec));
    const countedNewFailed = spec.podFailurePolicy ? newFailed.filter((p) => matchPodFailurePolicy(spec, p).countFailed).length : newFailed.length;
    c.succeeded = (status.succeeded ?? 0) + newSucceeded.length + c.uncounted.succeeded.size;
    c.failed = (status.failed ?? 0) + countedNewFailed + c.uncounted.failed.size;

    if (!status.startTime && !suspended(spec)) status.startTime = nowTimestamp(new Date(now));
    c.newBackoff = nextBackoffRecord(backoffs.get(key), newSucceeded, newFailed);

    const backoffLimit = spec.backoffLimit ?? 6;
    c.finished = successCriteriaMet(status);
    if (!c.finished) {
      const target = findCondition(status.conditions, 'FailureTarget');
      if (target?.status === 'True') {
        c.finished = newCondition('Failed', 'True', target.reason ?? '', target.message ?? '', now);
      } else {
        const msg = failJobMessage(spec, pods);
        if (msg !== undefined) c.finished = failureCondition('PodFailurePolicy', msg, now);
      }
    }
    if (!c.finished) {
      const started = status.startTime ? Date.parse(status.startTime) : now;
      const ads = spec.activeDeadlineSeconds;
      if (c.failed > backoffLimit || pastBackoffLimitOnFailure(spec, pods)) {
        c.finished = failureCondition('BackoffLimitExceeded', 'Job has reached the specified backoff limit', now);
      } else if (ads !== undefined && ads !== null && status.startTime && !suspended(spec) && now - started >= ads * 1000) {
        c.finished = failureCondition('DeadlineExceeded', 'Job was active longer than specified deadline', now);
      } else if (ads !== undefined && ads !== null && !suspended(spec)) {
        deadlines.after(key, ads * 1000 - (now - started));
      }
    }
    if (indexed) {
      const completions = completionsOf(spec);
      c.prevSucceededIndexes = Indexes.parse(status.completedIndexes, completions);
      c.succeededIndexes = c.prevSucceededIndexes.with(pods.filter((p) => podPhase(p) === 'Succeeded' && validIndex(p, spec) && hasFinalizer(p)).map(completionIndex));
      c.succeeded = c.succeededIndexes.total;
      if (hasBackoffLimitPerIndex(spec)) {
        const prev = status.failedIndexes !== undefined && status.failedIndexes !== null ? Indexes.parse(status.failedIndexes, completions) : new Indexes();
        c.failedIndexes = prev.with(pods.filter((p) => validIndex(p, spec) && hasFinalizer(p) && isIndexFailed(spec, p)).map(completionIndex));
        if (!c.finished) {
          if (spec.maxFailedIndexes !== undefined && spec.maxFailedIndexes !== null && c.failedIndexes.total > spec.maxFailedIndexes) {
            c.finished = failureCondition('MaxFailedIndexesExceeded', 'Job has exceeded the specified maximal number of failed indexes', now);
          } else if (c.failedIndexes.total > 0 && c.failedIndexes.total + c.succeededIndexes.total >= completions) {
            c.finished = failureCondition('FailedIndexes', 'Job has failed indexes', now);
          }
        }
        c.delayedDeletion = podsWithDelayedDeletion(c);
      }
      if (!c.finished) {
        const msg = matchSuccessPolicy(spec, c.succeededIndexes);
        if (msg !== undefined) c.finished = newCondition('SuccessCriteriaMet', 'True', 'SuccessPolicy', msg, now);
      }
    }

    let manageErr: Error | undefined;
    let suspendChanged = false;
    if (c.finished) {
      // Stop what still runs; the Job finishes once those pods are gone and counted.
      const r = await deleteActivePods(job, activePods);
      if (r.deleted !== active) c.finished = undefined;
      active -= r.deleted;
      c.terminating += r.deleted;
      c.ready -= r.deletedReady;
      manageErr = r.err;
    } else {
      let managed = false;
      if (!job.metadata.deletionTimestamp) {
        const r = await manageJob(c);
        active = r.active;
        manageErr = r.err;
        managed = true;
      }
      const complete = spec.completions === undefined || spec.completions === null
        ? c.succeeded > 0 && active === 0
        : c.succeeded >= spec.completions && active === 0;
      if (complete) {
        c.finished = newCondition('SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', now);
      } else if (managed) {
        if (suspended(spec)) {
          if (ensureCondition(status, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now)) {
            suspendChanged = true;
            await record(job, 'Normal', 'Suspended', 'Job suspended');
          }
        } else if (ensureCondition(status, 'Suspended', 'False', 'JobResumed', 'Job resumed', now)) {
          suspendChanged = true;
          await record(job, 'Normal', 'Resumed', 'Job resumed');
          // The deadline counts from the resumption.
          status.startTime = nowTimestamp(new Date(now));
          const ads = spec.activeDeadlineSeconds;
          if (ads !== undefined && ads !== null) deadlines.after(key, ads * 1000);
        }
      }
    }

    const needsUpdate = suspendChanged || active !== (status.active ?? 0) || c.ready !== status.ready || c.terminating !== status.terminating;
    status.active = active;
    status.ready = c.ready;
    status.terminating = c.terminating;
    await trackStatusAndRemoveFinalizers(c, needsUpdate);
    if (isJobFinished({ ...c.job, status: c.status })) deadlines.clear(key);
    if (manageErr) throw manageErr;
  }

  // ---- orphans ----

  /** Release the tracking finalizer of a pod no unfinished Job counts. */
  async function syncOrphanPod(key: string): Promise<void> {
    const [namespace, name] = splitKey(key);
    const pod = store.peek(podDef, namespace, name);
    if (!pod || !hasFinalizer(pod)) return;
    const ref = controllerRef(pod);
    if (ref) {
      if (!isJobRef(ref)) return;
      const job = resolveJob(namespace, ref);
      if (job && managedByOther(job)) return;
      if (job && !isJobFinished(job)) return;
    }
    await removeFinalizer(pod);
  }

  // ---- wiring ----

  function onPodEvent(pod: KubeObject, prev: KubeObject | undefined, deleted: boolean): void {
    const ns = pod.metadata.namespace ?? '';
    const ref = controllerRef(pod);
    const prevRef = prev ? controllerRef(prev) : undefined;
    if (prevRef && prevRef.uid !== ref?.uid && isJobRef(prevRef)) {
      const old = resolveJob(ns, prevRef);
      if (old) controller.enqueue(jobKey(old));
    }
    if (ref) {
      if (!isJobRef(ref)) return;
      const job = resolveJob(ns, ref);
      if (!job || isJobFinished(job)) {
        if (hasFinalizer(pod) && !deleted) orphans.enqueue(podKey(pod));
        return;
      }
      if (!managedByOther(job)) controller.enqueue(jobKey(job));
      return;
    }
    if (deleted) return;
    if (hasFinalizer(pod)) orphans.enqueue(podKey(pod));
    // An orphan whose labels a Job selects may be adopted.
    const labelsChanged = !prev || JSON.stringify(prev.metadata.labels ?? {}) !== JSON.stringify(pod.metadata.labels ?? {}) || prevRef !== undefined;
    if (!labelsChanged) return;
    for (const c of vc.cache.scan(`${jobsPrefix}${ns}/`)) {
      const spec = jobSpec(c.obj);
      if (!isJobFinished(c.obj) && selectorMatches(spec.selector, pod.metadata.labels)) controller.enqueue(jobKey(c.obj));
    }
  }

  function onJobEvent(job: KubeObject, prev: KubeObject | undefined, deleted: boolean): void {
    const key = jobKey(job);
    if (deleted) {
      controller.enqueue(key);
      cleanupPodFinalizers(job);
      return;
    }
    if (managedByOther(job)) return;
    controller.enqueue(key);
    if (isJobFinished(job) && (!prev || !isJobFinished(prev))) cleanupPodFinalizers(job);
    // A changed deadline of a started Job takes effect now.
    const ads = jobSpec(job).activeDeadlineSeconds;
    const start = (job.status as JobStatus | undefined)?.startTime;
    if (prev && start && ads !== undefined && ads !== null && ads !== jobSpec(prev).activeDeadlineSeconds) {
      deadlines.after(key, ads * 1000 - (ctx.now().getTime() - Date.parse(start)));
    }
  }

  const unwatchPods = vc.cache.subscribe({
    prefix: podsPrefix,
    onEvent: (ev) => onPodEvent(ev.obj, ev.prev, ev.type === 'DELETED'),
  });
  const unwatchJobs = vc.cache.subscribe({
    prefix: jobsPrefix,
    onEvent: (ev) => onJobEvent(ev.obj, ev.prev, ev.type === 'DELETED'),
  });

  // What the cluster holds already: unfinished Jobs, and pods whose finalizer nobody will release.
  for (const c of vc.cache.scan(jobsPrefix)) {
    if (!isJobFinished(c.obj) && !managedByOther(c.obj)) controller.enqueue(jobKey(c.obj));
  }
  for (const c of vc.cache.scan(podsPrefix)) {
    const pod = c.obj;
    if (!hasFinalizer(pod)) continue;
    const ref = controllerRef(pod);
    if (!ref || (isJobRef(ref) && (!resolveJob(pod.metadata.namespace ?? '', ref) || isJobFinished(resolveJob(pod.metadata.namespace ?? '', ref) as KubeObject)))) {
      orphans.enqueue(podKey(pod));
    }
  }

  return () => {
    unwatchPods();
    unwatchJobs();
    deadlines.stop();
    controller.stop();
    orphans.stop();
  };
}
