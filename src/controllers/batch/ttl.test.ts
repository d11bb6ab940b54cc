import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../../../test/support/cluster.ts';
import type { KubeObject } from '../../api/types.ts';
import { startJobController } from './job.ts';
import { startTTLAfterFinishedController } from './ttl.ts';
import { startGarbageCollector } from '../core/gc.ts';
import { activePodsOf, condition, getJob, jobManifest, openBatchCluster, podsOf, poke, setPodStatus, type BatchTestCluster } from './testing.ts';

async function withTTL(fn: (t: BatchTestCluster) => Promise<void>): Promise<void> {
  const t = await openBatchCluster();
  const stopJobs = startJobController(t.ctx);
  const stopTTL = startTTLAfterFinishedController(t.ctx);
  // Jobs go with foreground deletion, which the garbage collector completes.
  const gc = startGarbageCollector(t.ctx);
  try {
    await fn(t);
  } finally {
    gc.stop();
    stopTTL();
    stopJobs();
    await t.close();
  }
}

async function runToCompletion(t: BatchTestCluster, name: string, ttl: number): Promise<void> {
  await t.vc.store.create(t.jobs, 'default', jobManifest(name, { ttlSecondsAfterFinished: ttl }));
  await eventually(() => activePodsOf(t, name).length === 1, 2000, 'pod');
  await setPodStatus(t, activePodsOf(t, name)[0] as KubeObject, 'Succeeded');
  await eventually(() => condition(getJob(t, name), 'Complete')?.status === 'True', 2000, 'Complete');
}

/** Deleted, or being deleted in the foreground (the garbage collector removes its pods, then it). */
function deleting(t: BatchTestCluster, name: string): boolean {
  const job = getJob(t, name);
  return !job || (!!job.metadata.deletionTimestamp && (job.metadata.finalizers ?? []).includes('foregroundDeletion'));
}

test('a finished Job is deleted once its TTL has passed', () => withTTL(async (t) => {
  await runToCompletion(t, 'short', 30);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(getJob(t, 'short')?.metadata.deletionTimestamp, undefined, 'kept until the TTL passes');
  t.clock.offsetMs += 31_000;
  await poke(t, t.jobs, getJob(t, 'short') as KubeObject);
  await eventually(() => deleting(t, 'short'), 2000, 'deleted');
  // Foreground deletion: the garbage collector removes the pod, then the Job.
  await eventually(() => podsOf(t, 'short').length === 0 && !getJob(t, 'short'), 3000, 'the pod and then the Job gone');
}));

test('the TTL timer fires by itself', () => withTTL(async (t) => {
  await runToCompletion(t, 'timer', 1);
  await eventually(() => deleting(t, 'timer'), 4000, 'deleted by the timer');
}));

test('a lowered TTL applies to a Job already finished; without pods left it goes at once', () => withTTL(async (t) => {
  await runToCompletion(t, 'lowered', 3600);
  for (const p of podsOf(t, 'lowered')) await t.vc.store.delete(t.pods, 'default', p.metadata.name as string);
  await t.vc.store.guaranteedUpdate(t.jobs, 'default', 'lowered', (cur) => {
    (cur as any).spec.ttlSecondsAfterFinished = 0;
    return cur as KubeObject;
  });
  await eventually(() => getJob(t, 'lowered') === undefined, 2000, 'gone');
}));
