import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../../../test/support/cluster.ts';
import type { KubeObject } from '../../api/types.ts';
import { admitQuota, quotaSettings, startResourceQuotaController } from './quota.ts';
import { admitAndCreate, createNamespace, createPod, openPolicyCluster, podObject, rejection, setPodState } from './testing.ts';

function quotaStatus(vc: { store: { peek: (...a: any[]) => KubeObject | undefined } }, def: unknown, ns: string, name: string) {
  return vc.store.peek(def, ns, name)?.status as { hard?: Record<string, string>; used?: Record<string, string> } | undefined;
}

test('the controller keeps status.hard and status.used current', async () => {
  const { vc, ctx, close } = await openPolicyCluster();
  const stop = startResourceQuotaController(ctx);
  try {
    await createNamespace(ctx, 'q1');
    const podDef = ctx.def('', 'v1', 'pods');
    await createPod(ctx, 'q1', 'a', { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } });
    await createPod(ctx, 'q1', 'b', { requests: { cpu: '750m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } });
    await createPod(ctx, 'q1', 'done', { requests: { cpu: '4' } });
    await setPodState(ctx, 'q1', 'done', 'Succeeded');
    await vc.store.create(ctx.def('', 'v1', 'configmaps'), 'q1', { metadata: { name: 'c1' } });
    await vc.store.create(ctx.def('', 'v1', 'secrets'), 'q1', { metadata: { name: 's1' } });
    await vc.store.create(ctx.def('', 'v1', 'services'), 'q1', { metadata: { name: 'svc' }, spec: { type: 'NodePort', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81 }] } });
    await vc.store.create(ctx.def('', 'v1', 'persistentvolumeclaims'), 'q1', {
      metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'gold', resources: { requests: { storage: '1Gi' } } },
    });
    await vc.store.create(ctx.def('apps', 'v1', 'deployments'), 'q1', {
      metadata: { name: 'd' },
      spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    const rqDef = ctx.def('', 'v1', 'resourcequotas');
    await vc.store.create(rqDef, 'q1', {
      metadata: { name: 'all' },
      spec: {
        hard: {
          pods: '10', 'count/pods': '10', 'count/deployments.apps': '2', configmaps: '5', secrets: '5', services: '3',
          'services.nodeports': '4', persistentvolumeclaims: '2', 'requests.storage': '10Gi',
          'gold.storageclass.storage.k8s.io/requests.storage': '5Gi', 'requests.cpu': '4', 'requests.memory': '1Gi',
          'limits.cpu': '8', 'limits.memory': '2Gi', cpu: '4', memory: '1Gi', 'count/widgets.example.com': '1',
        },
      },
    });
    await eventually(() => quotaStatus(vc, rqDef, 'q1', 'all')?.used?.pods === '2', 3000, 'quota status');
    const st = quotaStatus(vc, rqDef, 'q1', 'all')!;
    assert.equal(st.hard?.['count/deployments.apps'], '2');
    assert.deepEqual(st.used, {
      configmaps: '1', 'count/deployments.apps': '1', 'count/pods': '3', cpu: '1', 'gold.storageclass.storage.k8s.io/requests.storage': '1Gi',
      'limits.cpu': '1500m', 'limits.memory': '256Mi', memory: '128Mi', persistentvolumeclaims: '1', pods: '2', 'requests.cpu': '1',
      'requests.memory': '128Mi', 'requests.storage': '1Gi', secrets: '1', services: '1', 'services.nodeports': '2',
    });
    // Deleting replenishes.
    await vc.store.delete(podDef, 'q1', 'a');
    await eventually(() => quotaStatus(vc, rqDef, 'q1', 'all')?.used?.pods === '1', 3000, 'replenish');
    assert.equal(quotaStatus(vc, rqDef, 'q1', 'all')?.used?.['requests.cpu'], '750m');
    // Changing the spec changes status.hard.
    await vc.store.guaranteedUpdate(rqDef, 'q1', 'all', (cur) => {
      const q = cur as KubeObject;
      (q.spec as { hard: Record<string, string> }).hard = { pods: '1' };
      return q;
    });
    await eventually(() => JSON.stringify(quotaStatus(vc, rqDef, 'q1', 'all')) === JSON.stringify({ hard: { pods: '1' }, used: { pods: '1' } }), 3000, 'new hard');
  } finally {
    stop();
    await close();
  }
});

test('admission refuses what exceeds a quota with upstream text, and charges what it admits', async () => {
  const { vc, ctx, close } = await openPolicyCluster();
  try {
    await createNamespace(ctx, 'q2');
    const podDef = ctx.def('', 'v1', 'pods');
    const rqDef = ctx.def('', 'v1', 'resourcequotas');
    // No controller runs: admission counts a quota it finds without status.
    await vc.store.create(rqDef, 'q2', { metadata: { name: 'compute-resources' }, spec: { hard: { pods: '2' } } });
    await admitAndCreate(ctx, podDef, 'q2', podObject('p1'));
    await admitAndCreate(ctx, podDef, 'q2', podObject('p2'));
    assert.deepEqual(quotaStatus(vc, rqDef, 'q2', 'compute-resources'), { hard: { pods: '2' }, used: { pods: '2' } });
    const err = await rejection(admitAndCreate(ctx, podDef, 'q2', podObject('p3')));
    assert.equal(err.code, 403);
    assert.equal(err.reason, 'Forbidden');
    assert.equal(err.message, 'pods "p3" is forbidden: exceeded quota: compute-resources, requested: pods=1, used: pods=2, limited: pods=2');
    assert.deepEqual(err.details, { name: 'p3', group: '', kind: 'pods' });
    // Names are generated before quota admission runs, as upstream's validating admission sees them.
    const gen = await rejection(admitAndCreate(ctx, podDef, 'q2', podObject('web-', { generateName: true })));
    assert.match(gen.message, /^pods "web-[a-z0-9]{5}" is forbidden: exceeded quota: compute-resources/);
    // A dry run is checked but not charged.
    await vc.store.guaranteedUpdate(rqDef, 'q2', 'compute-resources', (cur) => {
      const q = cur as KubeObject; (q.spec as { hard: Record<string, string> }).hard = { pods: '3' }; return q;
    });
    await admitQuota(ctx, podDef, 'q2', podObject('p3'), undefined, { dryRun: true });
    assert.equal(quotaStatus(vc, rqDef, 'q2', 'compute-resources')?.used?.pods, '2');
  } finally {
    await close();
  }
});

test('a quota on compute resources requires containers to declare them', async () => {
  const { vc, ctx, close } = await openPolicyCluster();
  try {
    await createNamespace(ctx, 'q3');
    const podDef = ctx.def('', 'v1', 'pods');
    const rqDef = ctx.def('', 'v1', 'resourcequotas');
    await vc.store.create(rqDef, 'q3', { metadata: { name: 'compute-resources' }, spec: { hard: { 'limits.cpu': '2', 'requests.memory': '1Gi', pods: '5' } } });
    const pod = podObject('p', { requests: { cpu: '100m' } });
    (pod.spec as { containers: unknown[] }).containers.push({ name: 'side', image: 'busybox', resources: { limits: { cpu: '100m' } } });
    const err = await rejection(admitAndCreate(ctx, podDef, 'q3', pod));
    assert.equal(err.code, 403);
    assert.equal(err.message, 'pods "p" is forbidden: failed quota: compute-resources: must specify limits.cpu for: app; requests.memory for: app,side');
    // Limits alone also set the requests (pod defaulting), so this passes.
    await admitAndCreate(ctx, podDef, 'q3', podObject('ok', { limits: { cpu: '500m', memory: '256Mi' } }));
    const st = quotaStatus(vc, rqDef, 'q3', 'compute-resources');
    assert.deepEqual(st?.used, { 'limits.cpu': '500m', pods: '1', 'requests.memory': '256Mi' });
    const over = await rejection(admitAndCreate(ctx, podDef, 'q3', podObject('big', { limits: { cpu: '1600m', memory: '800Mi' } })));
    assert.equal(over.message, 'pods "big" is forbidden: exceeded quota: compute-resources, requested: limits.cpu=1600m,requests.memory=800Mi, ' +
      'used: limits.cpu=500m,requests.memory=256Mi, limited: limits.cpu=2,requests.memory=1Gi');
  } finally {
    await close();
  }
});

test('concurrent creates never exceed a quota', async () => {
  const { vc, ctx, close } = await openPolicyCluster();
  const stop = startResourceQuotaController(ctx);
  try {
    await createNamespace(ctx, 'q4');
    const podDef = ctx.def('', 'v1', 'pods');
    const cmDef = ctx.def('', 'v1', 'configmaps');
    const rqDef = ctx.def('', 'v1', 'resourcequotas');
    await vc.store.create(rqDef, 'q4', { metadata: { name: 'q' }, spec: { hard: { pods: '3', 'count/configmaps': '4' } } });
    await eventually(() => quotaStatus(vc, rqDef, 'q4', 'q')?.used?.pods === '0', 3000, 'initial status');
    const results = await Promise.allSettled([
      ...Array.from({ length: 10 }, (_, i) => admitAndCreate(ctx, podDef, 'q4', podObject(`p${i}`))),
      ...Array.from({ length: 10 }, () => admitAndCreate(ctx, podDef, 'q4', podObject('gen-', { generateName: true }))),
      ...Array.from({ length: 10 }, (_, i) => admitAndCreate(ctx, cmDef, 'q4', { metadata: { name: `c${i}` } })),
    ]);
    const okPods = results.slice(0, 20).filter((r) => r.status === 'fulfilled').length;
    const okMaps = results.slice(20).filter((r) => r.status === 'fulfilled').length;
    assert.equal(okPods, 3);
    assert.equal(okMaps, 4);
    for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as { code: number }).code, 403);
    assert.equal((await vc.store.list(podDef, 'q4')).items.length, 3);
    await eventually(() => quotaStatus(vc, rqDef, 'q4', 'q')?.used?.pods === '3', 3000, 'used pods');
    assert.equal(quotaStatus(vc, rqDef, 'q4', 'q')?.used?.['count/configmaps'], '4');
  } finally {
    stop();
    await close();
  }
});

test('a charge whose create failed lapses and is recounted', async () => {
  const { vc, ctx, close } = await openPolicyCluster();
  const stop = startResourceQuotaController(ctx);
  const ttl = quotaSettings.reservationTtlMs;
  quotaSettings.reservationTtlMs = 200;
  try {
    await createNamespace(ctx, 'q5');
    const podDef = ctx.def('', 'v1', 'pods');
    const rqDef = ctx.def('', 'v1', 'resourcequotas');
    await vc.store.create(rqDef, 'q5', { metadata: { name: 'q' }, spec: { hard: { pods: '2' } } });
    // Validation refuses before quota charges (quota validates last, as upstream).
    const bad: KubeObject = { metadata: { name: 'bad' }, spec: { containers: [] } };
    await assert.rejects(admitAndCreate(ctx, podDef, 'q5', bad), (e: { code: number }) => e.code === 422);
    assert.equal(quotaStatus(vc, rqDef, 'q5', 'q')?.used?.pods ?? '0', '0');
    // Charged, then refused by storage (the name is taken): the charge is given back.
    await admitAndCreate(ctx, podDef, 'q5', podObject('dup'));
    await eventually(() => quotaStatus(vc, rqDef, 'q5', 'q')?.used?.pods === '1', 3000, 'one pod');
    await assert.rejects(admitAndCreate(ctx, podDef, 'q5', podObject('dup')), (e: { code: number }) => e.code === 409);
    assert.equal(quotaStatus(vc, rqDef, 'q5', 'q')?.used?.pods, '2');
    await eventually(() => quotaStatus(vc, rqDef, 'q5', 'q')?.used?.pods === '1', 3000, 'aborted charge');
    await vc.store.delete(podDef, 'q5', 'dup');
    await eventually(() => quotaStatus(vc, rqDef, 'q5', 'q')?.used?.pods === '0', 3000, 'deleted pod');
    // Admitted and never written at all: the reservation lapses.
    await admitQuota(ctx, podDef, 'q5', podObject('never'));
    assert.equal(quotaStatus(vc, rqDef, 'q5', 'q')?.used?.pods, '1');
    await eventually(() => quotaStatus(vc, rqDef, 'q5', 'q')?.used?.pods === '0', 3000, 'lapsed charge');
    await admitAndCreate(ctx, podDef, 'q5', podObject('good'));
    assert.equal(quotaStatus(vc, rqDef, 'q5', 'q')?.used?.pods, '1');
  } finally {
    quotaSettings.reservationTtlMs = ttl;
    stop();
    await close();
  }
});

test('scopes: BestEffort, NotBestEffort, Terminating and PriorityClass', async () => {
  const { vc, ctx, close } = await openPolicyCluster();
  const stop = startResourceQuotaController(ctx);
  try {
    await createNamespace(ctx, 'q6');
    const podDef = ctx.def('', 'v1', 'pods');
    const rqDef = ctx.def('', 'v1', 'resourcequotas');
    await vc.store.create(rqDef, 'q6', { metadata: { name: 'besteffort' }, spec: { hard: { pods: '1' }, scopes: ['BestEffort'] } });
    await vc.store.create(rqDef, 'q6', { metadata: { name: 'burstable' }, spec: { hard: { pods: '5', 'requests.cpu': '1' }, scopes: ['NotBestEffort', 'NotTerminating'] } });
    await vc.store.create(rqDef, 'q6', { metadata: { name: 'terminating' }, spec: { hard: { pods: '1' }, scopes: ['Terminating'] } });
    await vc.store.create(rqDef, 'q6', {
      metadata: { name: 'high' },
      spec: { hard: { pods: '1' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } },
    });
    await admitAndCreate(ctx, podDef, 'q6', podObject('be1'));
    const be2 = await rejection(admitAndCreate(ctx, podDef, 'q6', podObject('be2')));
    assert.equal(be2.message, 'pods "be2" is forbidden: exceeded quota: besteffort, requested: pods=1, used: pods=1, limited: pods=1');
    await admitAndCreate(ctx, podDef, 'q6', podObject('bu1', { requests: { cpu: '600m' } }));
    const bu2 = await rejection(admitAndCreate(ctx, podDef, 'q6', podObject('bu2', { requests: { cpu: '600m' } })));
    assert.equal(bu2.message, 'pods "bu2" is forbidden: exceeded quota: burstable, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1');
    await admitAndCreate(ctx, podDef, 'q6', podObject('job1', { requests: { cpu: '100m' }, spec: { activeDeadlineSeconds: 60 } }));
    const t2 = await rejection(admitAndCreate(ctx, podDef, 'q6', podObject('job2', { requests: { cpu: '100m' }, spec: { activeDeadlineSeconds: 60 } })));
    assert.match(t2.message, /exceeded quota: terminating/);
    await vc.store.create(ctx.def('scheduling.k8s.io', 'v1', 'priorityclasses'), undefined, { metadata: { name: 'high' }, value: 1000 });
    await admitAndCreate(ctx, podDef, 'q6', podObject('h1', { requests: { cpu: '100m' }, spec: { priorityClassName: 'high' } }));
    const h2 = await rejection(admitAndCreate(ctx, podDef, 'q6', podObject('h2', { requests: { cpu: '100m' }, spec: { priorityClassName: 'high' } })));
    assert.match(h2.message, /exceeded quota: high/);
    await eventually(() => quotaStatus(vc, rqDef, 'q6', 'burstable')?.used?.pods === '2', 3000, 'burstable used');
    assert.equal(quotaStatus(vc, rqDef, 'q6', 'burstable')?.used?.['requests.cpu'], '700m');
    assert.equal(quotaStatus(vc, rqDef, 'q6', 'besteffort')?.used?.pods, '1');
    assert.equal(quotaStatus(vc, rqDef, 'q6', 'high')?.used?.pods, '1');
  } finally {
    stop();
    await close();
  }
});

test('services are charged on update when their type changes', async () => {
  const { vc, ctx, close } = await openPolicyCluster();
  try {
    await createNamespace(ctx, 'q7');
    const svcDef = ctx.def('', 'v1', 'services');
    const rqDef = ctx.def('', 'v1', 'resourcequotas');
    await vc.store.create(rqDef, 'q7', { metadata: { name: 'svc' }, spec: { hard: { services: '2', 'services.nodeports': '1', 'services.loadbalancers': '0' } } });
    const svc = await admitAndCreate(ctx, svcDef, 'q7', { metadata: { name: 's' }, spec: { ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81 }] } });
    const changed = { ...svc, spec: { ...(svc.spec as object), type: 'NodePort' } };
    const err = await rejection(admitQuota(ctx, svcDef, 'q7', changed, svc));
    assert.equal(err.message, 'services "s" is forbidden: exceeded quota: svc, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1');
    const lb = await rejection(admitAndCreate(ctx, svcDef, 'q7', { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } }));
    assert.equal(lb.message, 'services "lb" is forbidden: exceeded quota: svc, requested: services.loadbalancers=1, used: services.loadbalancers=0, limited: services.loadbalancers=0');
    // Through the store: the update is charged by admission.
    await assert.rejects(vc.store.update(svcDef, 'q7', 's', changed), (e: { message: string }) => /exceeded quota: svc, requested: services.nodeports=2/.test(e.message));
    const np = { ...svc, spec: { ...(svc.spec as object), type: 'NodePort', ports: [{ name: 'a', port: 80 }] } };
    await vc.store.update(svcDef, 'q7', 's', np);
    assert.equal(quotaStatus(vc, rqDef, 'q7', 'svc')?.used?.['services.nodeports'], '1');
  } finally {
    await close();
  }
});
