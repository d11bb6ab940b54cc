// The TTL-after-finished controller: deletes a finished Job (foreground, so its
// pods go first) once spec.ttlSecondsAfterFinished have passed since it
// finished. One timer per Job that is waiting for its TTL.

import { ApiError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import type { ControllerContext } from '../context.ts';
import { Controller } from '../runtime.ts';
import { Deadlines } from './deadlines.ts';
import { fieldManager, finishedCondition, isJobFinished, jobSpec, splitKey } from './job-api.ts';

function needsCleanup(job: KubeObject): boolean {
  const ttl = jobSpec(job).ttlSecondsAfterFinished;
  return ttl !== undefined && ttl !== null && isJobFinished(job) && !job.metadata.deletionTimestamp;
}

/** When the Job expires (epoch ms); throws when the finish time is unknown. */
function expiresAt(job: KubeObject): number {
  const cond = finishedCondition(job);
  const t = cond?.lastTransitionTime ? Date.parse(cond.lastTransitionTime) : Number.NaN;
  if (Number.isNaN(t)) throw new Error(`unable to find the time when the Job ${job.metadata.namespace}/${job.metadata.name} finished`);
  return t + (jobSpec(job).ttlSecondsAfterFinished ?? 0) * 1000;
}

/** Start the TTL-after-finished controller; returns a function that stops it. */
export function startTTLAfterFinishedController(ctx: ControllerContext): () => void {
  const { vc } = ctx;
  const jobDef = ctx.def('batch', 'v1', 'jobs');
  const prefix = resourcePrefix(jobDef);

  const controller = new Controller('ttl-after-finished', async (key) => {
    const [namespace, name] = splitKey(key);
    const job = vc.store.peek(jobDef, namespace, name);
    if (!job || !needsCleanup(job)) {
      deadlines.clear(key);
      return;
    }
    const now = ctx.now().getTime();
    const at = expiresAt(job);
    if (now < at) {
      deadlines.after(key, at - now);
      return;
    }
    // The cached Job may be stale: look again at the current one before deleting it.
    const fresh = await vc.store.get(jobDef, namespace, name).catch((e: unknown) => {
      if (e instanceof ApiError && e.code === 404) return undefined;
      throw e;
    });
    if (!fresh || !needsCleanup(fresh)) return;
    const freshAt = expiresAt(fresh);
    if (now < freshAt) {
      deadlines.after(key, freshAt - now);
      return;
    }
    try {
      await vc.store.delete(jobDef, namespace, name, {
        propagationPolicy: 'Foreground',
        preconditions: { uid: fresh.metadata.uid, resourceVersion: fresh.metadata.resourceVersion },
        fieldManager,
      });
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
  });
  const deadlines = new Deadlines((key) => controller.enqueue(key));

  const keyOf = (job: KubeObject) => `${job.metadata.namespace}/${job.metadata.name}`;
  const unwatch = vc.cache.subscribe({
    prefix,
    onEvent: (ev) => {
      if (ev.type === 'DELETED') { deadlines.clear(keyOf(ev.obj)); return; }
      if (needsCleanup(ev.obj)) controller.enqueue(keyOf(ev.obj));
      else deadlines.clear(keyOf(ev.obj));
    },
  });
  for (const c of vc.cache.scan(prefix)) if (needsCleanup(c.obj)) controller.enqueue(keyOf(c.obj));

  return () => {
    unwatch();
    deadlines.stop();
    controller.stop();
  };
}
