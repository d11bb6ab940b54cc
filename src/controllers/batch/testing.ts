// Helpers for the batch controllers' tests: a cluster whose controllers see a
// clock the test can move, and the kubelet's part (pod phases) done by hand.

import type { KubeObject } from '../../api/types.ts';
import { controllerContext, type ControllerContext } from '../context.ts';
import { openTestCluster } from '../../../test/support/cluster.ts';
import type { VirtualCluster } from '../../server/cluster.ts';
import type { ResourceDef } from '../../registry/types.ts';

export interface BatchTestCluster {
  vc: VirtualCluster;
  ctx: ControllerContext;
  /** Milliseconds the controllers' clock runs ahead of the real one. */
  clock: { offsetMs: number };
  jobs: ResourceDef;
  pods: ResourceDef;
  cronJobs: ResourceDef;
  events: ResourceDef;
  close(): Promise<void>;
}

export async function openBatchCluster(): Promise<BatchTestCluster> {
  const tc = await openTestCluster();
  const clock = { offsetMs: 0 };
  const ctx = controllerContext(tc.vc, () => new Date(Date.now() + clock.offsetMs));
  return {
    vc: tc.vc, ctx, clock,
    jobs: ctx.def('batch', 'v1', 'jobs'),
    pods: ctx.def('', 'v1', 'pods'),
    cronJobs: ctx.def('batch', 'v1', 'cronjobs'),
    events: ctx.def('', 'v1', 'events'),
    close: tc.close,
  };
}

export function jobManifest(name: string, spec: Record<string, unknown> = {}, restartPolicy = 'Never'): KubeObject {
  return {
    metadata: { name },
    spec: {
      ...spec,
      template: { spec: { restartPolicy, containers: [{ name: 'main', image: 'busybox', command: ['true'] }] } },
    },
  };
}

export function podsOf(t: BatchTestCluster, job: KubeObject | string, ns = 'default'): KubeObject[] {
  const name = typeof job === 'string' ? job : job.metadata.name;
  return [...t.vc.cache.scan(`/registry/core/pods/${ns}/`)]
    .map((c) => c.obj)
    .filter((p) => p.metadata.labels?.['batch.kubernetes.io/job-name'] === name);
}

export function activePodsOf(t: BatchTestCluster, job: KubeObject | string): KubeObject[] {
  return podsOf(t, job).filter((p) => {
    const phase = (p.status as { phase?: string } | undefined)?.phase;
    return phase !== 'Succeeded' && phase !== 'Failed' && !p.metadata.deletionTimestamp;
  });
}

export function getJob(t: BatchTestCluster, name: string, ns = 'default'): KubeObject | undefined {
  return t.vc.store.peek(t.jobs, ns, name);
}

export function statusOf(obj: KubeObject | undefined): any {
  return (obj?.status ?? {}) as any;
}

export function condition(obj: KubeObject | undefined, type: string): any {
  return statusOf(obj).conditions?.find((c: { type: string }) => c.type === type);
}

/** Set what the kubelet would: the pod's phase and any other status fields. */
export async function setPodStatus(t: BatchTestCluster, pod: KubeObject, phase: string, extra: Record<string, unknown> = {}): Promise<void> {
  await t.vc.store.guaranteedUpdate(t.pods, pod.metadata.namespace, pod.metadata.name as string, (cur) => {
    const p = cur as KubeObject;
    p.status = { ...(p.status as object ?? {}), phase, ...extra };
    return p;
  }, { subresource: 'status' });
}

/**
 * A failed pod whose container exited with `code`, `finishedAgoMs` before the
 * controllers' now (by default long enough ago that no backoff delays its replacement).
 */
export async function failPod(t: BatchTestCluster, pod: KubeObject, code = 1, conditions?: unknown[], finishedAgoMs = 3_600_000): Promise<void> {
  const finished = new Date(t.ctx.now().getTime() - finishedAgoMs).toISOString().replace(/\.\d+Z$/, 'Z');
  const extra: Record<string, unknown> = {
    containerStatuses: [{
      name: 'main', image: 'busybox', imageID: '', ready: false, restartCount: 0,
      state: { terminated: { exitCode: code, reason: 'Error', startedAt: null, finishedAt: finished } },
    }],
  };
  if (conditions) extra.conditions = conditions;
  await setPodStatus(t, pod, 'Failed', extra);
}

export async function eventReasons(t: BatchTestCluster, obj: KubeObject): Promise<string[]> {
  // Events are written off the controllers' path: wait for those recorded so far.
  await t.ctx.events.flush();
  const { items } = await t.vc.store.list(t.events, obj.metadata.namespace, {});
  return items
    .filter((e) => (e.involvedObject as { uid?: string }).uid === obj.metadata.uid)
    .sort((a, b) => String(a.firstTimestamp).localeCompare(String(b.firstTimestamp)))
    .flatMap((e) => Array(e.count as number ?? 1).fill(e.reason as string));
}

export async function eventsOf(t: BatchTestCluster, obj: KubeObject): Promise<{ reason: string; message: string; type: string; count: number }[]> {
  await t.ctx.events.flush();
  const { items } = await t.vc.store.list(t.events, obj.metadata.namespace, {});
  return items
    .filter((e) => (e.involvedObject as { uid?: string }).uid === obj.metadata.uid)
    .map((e) => ({ reason: e.reason as string, message: e.message as string, type: e.type as string, count: e.count as number }));
}

/** Make the controllers look at an object again (as a timer would), by touching an annotation. */
export async function poke(t: BatchTestCluster, def: ResourceDef, obj: KubeObject): Promise<void> {
  await t.vc.store.guaranteedUpdate(def, obj.metadata.namespace, obj.metadata.name as string, (cur) => {
    const o = cur as KubeObject;
    o.metadata.annotations = { ...(o.metadata.annotations ?? {}), 'test/poke': String(Date.now()) + Math.random() };
    return o;
  });
}
