import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../../../test/support/cluster.ts';
import { startJobController } from './job.ts';
import {
  activePodsOf, condition, eventReasons, eventsOf, failPod, getJob, jobManifest, openBatchCluster, podsOf, poke, setPodStatus, statusOf,
  type BatchTestCluster,
} from './testing.ts';
import type { KubeObject } from '../../api/types.ts';

async function withJobs(fn: (t: BatchTestCluster) => Promise<void>): Promise<void> {
  const t = await openBatchCluster();
  const stop = startJobController(t.ctx);
  try {
    await fn(t);
  } finally {
    stop();
    await t.close();
  }
}

async function createJob(t: BatchTestCluster, job: KubeObject): Promise<KubeObject> {
  return t.vc.store.create(t.jobs, 'default', job);
}

async function succeedAll(t: BatchTestCluster, pods: KubeObject[]): Promise<void> {
  for (const p of pods) await setPodStatus(t, p, 'Succeeded');
}

test('a Job with completions=3 and parallelism=2 runs its pods and completes', () => withJobs(async (t) => {
  const job = await createJob(t, jobManifest('pi', { completions: 3, parallelism: 2 }));
  await eventually(() => activePodsOf(t, 'pi').length === 2, 2000, 'two pods');
  const pods = activePodsOf(t, 'pi');
  for (const p of pods) {
    assert.match(p.metadata.name as string, /^pi-[a-z0-9]{5}$/);
    assert.deepEqual(p.metadata.finalizers, ['batch.kubernetes.io/job-tracking']);
    assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: job.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(p.metadata.labels?.['batch.kubernetes.io/job-name'], 'pi');
    assert.equal(p.metadata.labels?.['job-name'], 'pi');
    assert.equal(p.metadata.labels?.['batch.kubernetes.io/controller-uid'], job.metadata.uid);
  }
  await eventually(() => statusOf(getJob(t, 'pi')).active === 2, 2000, 'active=2');
  const s0 = statusOf(getJob(t, 'pi'));
  assert.equal(s0.ready, 0);
  assert.equal(s0.terminating, 0);
  assert.ok(s0.startTime);
  assert.deepEqual(s0.uncountedTerminatedPods, {});

  await succeedAll(t, pods);
  await eventually(() => activePodsOf(t, 'pi').length === 1 && statusOf(getJob(t, 'pi')).succeeded === 2, 2000, 'a third pod');
  // Counted pods lose their finalizer.
  for (const p of pods) assert.deepEqual(t.vc.store.peek(t.pods, 'default', p.metadata.name as string)?.metadata.finalizers, undefined);
  await succeedAll(t, activePodsOf(t, 'pi'));
  await eventually(() => condition(getJob(t, 'pi'), 'Complete')?.status === 'True', 2000, 'Complete');
  const s = statusOf(getJob(t, 'pi'));
  assert.equal(s.succeeded, 3);
  assert.equal(s.active, undefined);
  assert.equal(s.failed, undefined);
  assert.ok(s.completionTime);
  assert.deepEqual(s.conditions.map((c: any) => [c.type, c.status, c.reason, c.message]), [
    ['SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
    ['Complete', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
  ]);
  assert.equal(s.completionTime, s.conditions[1].lastTransitionTime);
  await eventually(async () => (await eventReasons(t, job)).includes('Completed'), 2000, 'Completed event');
  const events = await eventsOf(t, job);
  assert.equal(events.filter((e) => e.reason === 'SuccessfulCreate').length, 3);
  assert.match(events.find((e) => e.reason === 'SuccessfulCreate')?.message ?? '', /^Created pod: pi-/);
  assert.deepEqual(events.find((e) => e.reason === 'Completed'), { reason: 'Completed', message: 'Job completed', type: 'Normal', count: 1 });
}));

test('a Job fails when its pods fail more often than backoffLimit allows', () => withJobs(async (t) => {
  const job = await createJob(t, jobManifest('flaky', { backoffLimit: 1 }));
  await eventually(() => activePodsOf(t, 'flaky').length === 1, 2000, 'pod 1');
  await failPod(t, activePodsOf(t, 'flaky')[0] as KubeObject);
  await eventually(() => activePodsOf(t, 'flaky').length === 1 && statusOf(getJob(t, 'flaky')).failed === 1, 2000, 'pod 2');
  await failPod(t, activePodsOf(t, 'flaky')[0] as KubeObject);
  await eventually(() => condition(getJob(t, 'flaky'), 'Failed')?.status === 'True', 2000, 'Failed');
  const s = statusOf(getJob(t, 'flaky'));
  assert.equal(s.failed, 2);
  assert.equal(s.completionTime, undefined);
  assert.deepEqual(s.conditions.map((c: any) => [c.type, c.reason, c.message]), [
    ['FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
    ['Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
  ]);
  assert.equal(activePodsOf(t, 'flaky').length, 0);
  await eventually(async () => (await eventReasons(t, job)).includes('BackoffLimitExceeded'), 2000, 'event');
  const ev = (await eventsOf(t, job)).find((e) => e.reason === 'BackoffLimitExceeded');
  assert.equal(ev?.type, 'Warning');
}));

test('replacement pods wait for the failure backoff', () => withJobs(async (t) => {
  await createJob(t, jobManifest('slow', { backoffLimit: 3 }));
  await eventually(() => activePodsOf(t, 'slow').length === 1, 2000, 'pod 1');
  await failPod(t, activePodsOf(t, 'slow')[0] as KubeObject, 1, undefined, 0);
  await eventually(() => statusOf(getJob(t, 'slow')).failed === 1, 2000, 'failure counted');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(activePodsOf(t, 'slow').length, 0, 'no replacement during the backoff');
  t.clock.offsetMs += 11_000;
  await poke(t, t.jobs, getJob(t, 'slow') as KubeObject);
  await eventually(() => activePodsOf(t, 'slow').length === 1, 2000, 'replacement after the backoff');
}));

test('activeDeadlineSeconds fails a running Job when its timer fires', () => withJobs(async (t) => {
  const job = await createJob(t, jobManifest('late', { activeDeadlineSeconds: 1, backoffLimit: 6 }));
  await eventually(() => activePodsOf(t, 'late').length === 1, 2000, 'pod');
  await eventually(() => condition(getJob(t, 'late'), 'Failed')?.status === 'True', 4000, 'Failed');
  const s = statusOf(getJob(t, 'late'));
  assert.deepEqual(s.conditions.map((c: any) => [c.type, c.reason, c.message]), [
    ['FailureTarget', 'DeadlineExceeded', 'Job was active longer than specified deadline'],
    ['Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline'],
  ]);
  // The pod it stopped counts as failed, and is gone.
  assert.equal(s.failed, 1);
  assert.equal(s.active, undefined);
  assert.equal(s.terminating, 0);
  await eventually(() => podsOf(t, 'late').length === 0, 2000, 'the pod gone');
  // Events are recorded after the writes they describe.
  await eventually(async () => {
    const reasons = await eventReasons(t, job);
    return reasons.includes('SuccessfulDelete') && reasons.includes('DeadlineExceeded');
  }, 2000, 'SuccessfulDelete and DeadlineExceeded events');
}));

test('pod failure policy: FailJob on an exit code', () => withJobs(async (t) => {
  await createJob(t, jobManifest('pfp', {
    backoffLimit: 6,
    podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] },
  }));
  await eventually(() => activePodsOf(t, 'pfp').length === 1, 2000, 'pod');
  const pod = activePodsOf(t, 'pfp')[0] as KubeObject;
  await failPod(t, pod, 42);
  await eventually(() => condition(getJob(t, 'pfp'), 'Failed')?.status === 'True', 2000, 'Failed');
  const msg = `Container main for pod default/${pod.metadata.name} failed with exit code 42 matching FailJob rule at index 0`;
  assert.deepEqual(statusOf(getJob(t, 'pfp')).conditions.map((c: any) => [c.type, c.reason, c.message]), [
    ['FailureTarget', 'PodFailurePolicy', msg],
    ['Failed', 'PodFailurePolicy', msg],
  ]);
  assert.equal(statusOf(getJob(t, 'pfp')).failed, 1);
}));

test('pod failure policy: Ignore does not count, Count does', () => withJobs(async (t) => {
  await createJob(t, jobManifest('pfp2', {
    backoffLimit: 0,
    podFailurePolicy: {
      rules: [
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
        { action: 'Ignore', onExitCodes: { operator: 'In', values: [3] } },
        { action: 'Count', onExitCodes: { operator: 'NotIn', values: [3] } },
      ],
    },
  }));
  await eventually(() => activePodsOf(t, 'pfp2').length === 1, 2000, 'pod 1');
  const first = activePodsOf(t, 'pfp2')[0] as KubeObject;
  await failPod(t, first, 137, [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler' }]);
  await eventually(() => activePodsOf(t, 'pfp2').length === 1 && activePodsOf(t, 'pfp2')[0]?.metadata.uid !== first.metadata.uid, 2000, 'pod 2');
  const second = activePodsOf(t, 'pfp2')[0] as KubeObject;
  await failPod(t, second, 3);
  await eventually(() => activePodsOf(t, 'pfp2').length === 1 && activePodsOf(t, 'pfp2')[0]?.metadata.uid !== second.metadata.uid, 2000, 'pod 3');
  assert.equal(statusOf(getJob(t, 'pfp2')).failed, undefined);
  assert.equal(condition(getJob(t, 'pfp2'), 'Failed'), undefined);
  await failPod(t, activePodsOf(t, 'pfp2')[0] as KubeObject, 1);
  await eventually(() => condition(getJob(t, 'pfp2'), 'Failed')?.reason === 'BackoffLimitExceeded', 2000, 'Failed');
  assert.equal(statusOf(getJob(t, 'pfp2')).failed, 1);
}));

test('an Indexed Job runs one pod per index and completes them all', () => withJobs(async (t) => {
  await createJob(t, jobManifest('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }));
  await eventually(() => activePodsOf(t, 'idx').length === 3, 2000, 'three pods');
  const byIndex = new Map<string, KubeObject>();
  for (const p of activePodsOf(t, 'idx')) {
    const ix = p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] as string;
    assert.equal(p.metadata.labels?.['batch.kubernetes.io/job-completion-index'], ix);
    assert.match(p.metadata.name as string, new RegExp(`^idx-${ix}-[a-z0-9]{5}$`));
    const spec = p.spec as any;
    assert.equal(spec.hostname, `idx-${ix}`);
    assert.deepEqual(spec.containers[0].env.find((e: any) => e.name === 'JOB_COMPLETION_INDEX')?.valueFrom?.fieldRef?.fieldPath,
      "metadata.labels['batch.kubernetes.io/job-completion-index']");
    byIndex.set(ix, p);
  }
  assert.deepEqual([...byIndex.keys()].sort(), ['0', '1', '2']);
  await setPodStatus(t, byIndex.get('0') as KubeObject, 'Succeeded');
  await setPodStatus(t, byIndex.get('2') as KubeObject, 'Succeeded');
  await eventually(() => statusOf(getJob(t, 'idx')).completedIndexes === '0,2', 2000, 'completedIndexes 0,2');
  assert.equal(statusOf(getJob(t, 'idx')).succeeded, 2);
  // A failed index is retried under the same index.
  await failPod(t, byIndex.get('1') as KubeObject);
  await eventually(() => activePodsOf(t, 'idx').length === 1, 2000, 'index 1 again');
  const again = activePodsOf(t, 'idx')[0] as KubeObject;
  assert.equal(again.metadata.annotations?.['batch.kubernetes.io/job-completion-index'], '1');
  await setPodStatus(t, again, 'Succeeded');
  await eventually(() => condition(getJob(t, 'idx'), 'Complete')?.status === 'True', 2000, 'Complete');
  const s = statusOf(getJob(t, 'idx'));
  assert.equal(s.completedIndexes, '0-2');
  assert.equal(s.succeeded, 3);
  assert.equal(s.failed, 1);
}));

test('backoffLimitPerIndex fails an index, and the Job once every index is done', () => withJobs(async (t) => {
  await createJob(t, jobManifest('per', {
    completions: 2, parallelism: 2, completionMode: 'Indexed', backoffLimitPerIndex: 1,
    podFailurePolicy: { rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [7] } }] },
  }));
  await eventually(() => activePodsOf(t, 'per').length === 2, 2000, 'two pods');
  const ix = (p: KubeObject) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'];
  for (const p of activePodsOf(t, 'per')) assert.equal(p.metadata.annotations?.['batch.kubernetes.io/job-index-failure-count'], '0');
  const zero = activePodsOf(t, 'per').find((p) => ix(p) === '0') as KubeObject;
  const one = activePodsOf(t, 'per').find((p) => ix(p) === '1') as KubeObject;
  // Index 0 fails once (within its limit) and is retried with the failure counted on the new pod.
  await failPod(t, zero, 1);
  await eventually(() => activePodsOf(t, 'per').some((p) => ix(p) === '0'), 2000, 'index 0 retried');
  const zero2 = activePodsOf(t, 'per').find((p) => ix(p) === '0') as KubeObject;
  assert.equal(zero2.metadata.annotations?.['batch.kubernetes.io/job-index-failure-count'], '1');
  // Index 1 fails by the FailIndex rule.
  await failPod(t, one, 7);
  await eventually(() => statusOf(getJob(t, 'per')).failedIndexes === '1', 2000, 'failedIndexes');
  assert.equal(activePodsOf(t, 'per').filter((p) => ix(p) === '1').length, 0, 'a failed index is not retried');
  await setPodStatus(t, zero2, 'Succeeded');
  await eventually(() => condition(getJob(t, 'per'), 'Failed')?.status === 'True', 2000, 'Failed');
  const s = statusOf(getJob(t, 'per'));
  assert.equal(condition(getJob(t, 'per'), 'Failed').reason, 'FailedIndexes');
  assert.equal(condition(getJob(t, 'per'), 'Failed').message, 'Job has failed indexes');
  assert.equal(s.completedIndexes, '0');
  assert.equal(s.failedIndexes, '1');
  assert.equal(s.failed, 2);
}));

test('suspend deletes the active pods without counting them, resume starts again', () => withJobs(async (t) => {
  const job = await createJob(t, jobManifest('sus', { suspend: true, parallelism: 2, completions: 4 }));
  await eventually(() => condition(getJob(t, 'sus'), 'Suspended')?.status === 'True', 2000, 'Suspended');
  assert.equal(podsOf(t, 'sus').length, 0);
  assert.equal(statusOf(getJob(t, 'sus')).startTime, undefined);
  assert.deepEqual([condition(getJob(t, 'sus'), 'Suspended').reason, condition(getJob(t, 'sus'), 'Suspended').message], ['JobSuspended', 'Job suspended']);

  const setSuspend = (v: boolean) => t.vc.store.guaranteedUpdate(t.jobs, 'default', 'sus', (cur) => {
    (cur as any).spec.suspend = v;
    return cur as KubeObject;
  });
  await setSuspend(false);
  await eventually(() => activePodsOf(t, 'sus').length === 2 && condition(getJob(t, 'sus'), 'Suspended')?.status === 'False', 2000, 'resumed');
  assert.equal(condition(getJob(t, 'sus'), 'Suspended').reason, 'JobResumed');
  assert.ok(statusOf(getJob(t, 'sus')).startTime);

  await setSuspend(true);
  await eventually(() => podsOf(t, 'sus').length === 0 && condition(getJob(t, 'sus'), 'Suspended')?.status === 'True', 2000, 'suspended again');
  const s = statusOf(getJob(t, 'sus'));
  assert.equal(s.failed, undefined);
  assert.equal(s.active, undefined);
  const reasons = await eventReasons(t, job);
  assert.ok(reasons.includes('Suspended') && reasons.includes('Resumed') && reasons.includes('SuccessfulDelete'));
}));

test('a pod deleted while running counts as failed and is replaced', () => withJobs(async (t) => {
  await createJob(t, jobManifest('del', { backoffLimit: 6 }));
  await eventually(() => activePodsOf(t, 'del').length === 1, 2000, 'pod');
  const pod = activePodsOf(t, 'del')[0] as KubeObject;
  await setPodStatus(t, pod, 'Running');
  await t.vc.store.delete(t.pods, 'default', pod.metadata.name as string);
  await eventually(() => statusOf(getJob(t, 'del')).failed === 1, 2000, 'counted');
  assert.equal(t.vc.store.peek(t.pods, 'default', pod.metadata.name as string), undefined, 'the deleted pod is gone');
  // Its replacement waits for the failure backoff.
  t.clock.offsetMs += 11_000;
  await poke(t, t.jobs, getJob(t, 'del') as KubeObject);
  await eventually(() => activePodsOf(t, 'del').length === 1, 2000, 'replaced');
}));

test('pods of a deleted Job lose their tracking finalizer', () => withJobs(async (t) => {
  await createJob(t, jobManifest('gone', { parallelism: 2, completions: 2 }));
  await eventually(() => activePodsOf(t, 'gone').length === 2, 2000, 'pods');
  await t.vc.store.delete(t.jobs, 'default', 'gone', { propagationPolicy: 'Background' });
  await eventually(() => podsOf(t, 'gone').every((p) => !p.metadata.finalizers?.length), 2000, 'finalizers removed');
}));

test('a Job whose pods are all ready reports ready', () => withJobs(async (t) => {
  await createJob(t, jobManifest('rdy', { parallelism: 2, completions: 2 }));
  await eventually(() => activePodsOf(t, 'rdy').length === 2, 2000, 'pods');
  for (const p of activePodsOf(t, 'rdy')) {
    await setPodStatus(t, p, 'Running', { conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }] });
  }
  await eventually(() => statusOf(getJob(t, 'rdy')).ready === 2, 2000, 'ready=2');
}));

test('a failed reconcile is logged and retried', () => withJobs(async (t) => {
  const origCreate = t.vc.store.create.bind(t.vc.store);
  let failures = 0;
  t.vc.store.create = async (def, ns, obj, opts) => {
    if (def.plural === 'pods' && failures === 0) {
      failures++;
      throw new Error('injected failure');
    }
    return origCreate(def, ns, obj, opts);
  };
  const logged: string[] = [];
  const origError = console.error;
  console.error = (...args: unknown[]) => { logged.push(args.join(' ')); };
  try {
    const job = await createJob(t, jobManifest('retry'));
    await eventually(() => activePodsOf(t, 'retry').length === 1, 3000, 'pod after retry');
    assert.equal(failures, 1);
    assert.ok(logged.some((l) => l.includes('controller job') && l.includes('default/retry') && l.includes('injected failure')), logged.join('\n'));
    const ev = (await eventsOf(t, job)).find((e) => e.reason === 'FailedCreate');
    assert.equal(ev?.message, 'Error creating: injected failure');
    assert.equal(ev?.type, 'Warning');
  } finally {
    console.error = origError;
    t.vc.store.create = origCreate;
  }
}));

test('a finished Job leaves the controller idle', () => withJobs(async (t) => {
  await createJob(t, jobManifest('idle'));
  await eventually(() => activePodsOf(t, 'idle').length === 1, 2000, 'pod');
  await succeedAll(t, activePodsOf(t, 'idle'));
  await eventually(() => condition(getJob(t, 'idle'), 'Complete')?.status === 'True', 2000, 'Complete');
  await new Promise((r) => setTimeout(r, 100));
  const rev = t.vc.cache.revision;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(t.vc.cache.revision, rev, 'no writes once the Job is finished');
}));

test('a work-queue Job (no completions) finishes when a pod succeeded and none runs', () => withJobs(async (t) => {
  await createJob(t, jobManifest('queue', { parallelism: 2, completions: null }));
  await eventually(() => activePodsOf(t, 'queue').length === 2, 2000, 'two pods');
  const [a, b] = activePodsOf(t, 'queue') as [KubeObject, KubeObject];
  await setPodStatus(t, a, 'Succeeded');
  await eventually(() => statusOf(getJob(t, 'queue')).succeeded === 1, 2000, 'one succeeded');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(activePodsOf(t, 'queue').length, 1, 'no new pod after a success');
  assert.equal(condition(getJob(t, 'queue'), 'Complete'), undefined);
  await setPodStatus(t, b, 'Succeeded');
  await eventually(() => condition(getJob(t, 'queue'), 'Complete')?.status === 'True', 2000, 'Complete');
  assert.equal(statusOf(getJob(t, 'queue')).succeeded, 2);
}));

test('pods that finish while the controller is down are counted once after a restart', async () => {
  const t = await openBatchCluster();
  let stop = startJobController(t.ctx);
  try {
    await createJob(t, jobManifest('restart', { completions: 2, parallelism: 2 }));
    await eventually(() => activePodsOf(t, 'restart').length === 2, 2000, 'pods');
    stop();
    await succeedAll(t, activePodsOf(t, 'restart'));
    stop = startJobController(t.ctx);
    await eventually(() => condition(getJob(t, 'restart'), 'Complete')?.status === 'True', 2000, 'Complete');
    assert.equal(statusOf(getJob(t, 'restart')).succeeded, 2);
    assert.equal(podsOf(t, 'restart').length, 2);
    assert.ok(podsOf(t, 'restart').every((p) => !p.metadata.finalizers));
  } finally {
    stop();
    await t.close();
  }
});

test('restartPolicy OnFailure: container restarts count against backoffLimit', () => withJobs(async (t) => {
  await createJob(t, jobManifest('restarts', { backoffLimit: 2 }, 'OnFailure'));
  await eventually(() => activePodsOf(t, 'restarts').length === 1, 2000, 'pod');
  await setPodStatus(t, activePodsOf(t, 'restarts')[0] as KubeObject, 'Running', {
    containerStatuses: [{ name: 'main', image: 'busybox', imageID: '', ready: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }],
  });
  await eventually(() => condition(getJob(t, 'restarts'), 'Failed')?.reason === 'BackoffLimitExceeded', 2000, 'Failed');
  assert.equal(podsOf(t, 'restarts').length, 0, 'the running pod was stopped');
}));

test('a success policy completes an Indexed Job early and stops the rest', () => withJobs(async (t) => {
  await createJob(t, jobManifest('leader', {
    completions: 3, parallelism: 3, completionMode: 'Indexed', successPolicy: { rules: [{ succeededIndexes: '0' }] },
  }));
  await eventually(() => activePodsOf(t, 'leader').length === 3, 2000, 'pods');
  const zero = activePodsOf(t, 'leader').find((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] === '0') as KubeObject;
  await setPodStatus(t, zero, 'Succeeded');
  await eventually(() => condition(getJob(t, 'leader'), 'Complete')?.status === 'True', 2000, 'Complete');
  assert.deepEqual(statusOf(getJob(t, 'leader')).conditions.map((c: any) => [c.type, c.reason, c.message]), [
    ['SuccessCriteriaMet', 'SuccessPolicy', 'Matched rules at index 0'],
    ['Complete', 'SuccessPolicy', 'Matched rules at index 0'],
  ]);
  const s = statusOf(getJob(t, 'leader'));
  assert.equal(s.succeeded, 1);
  assert.equal(s.failed, undefined, 'pods stopped after success are not failures');
  assert.equal(activePodsOf(t, 'leader').length, 0);
}));
