// The HPA controller against an in-process cluster: simulated nodes run the
// pods and report their usage (set exactly by the kubevisor.dev/usage-cpu
// annotation on the pod template), the workload controllers and scheduler run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, openTestCluster, type TestCluster } from '../../../test/support/cluster.ts';
import type { KubeObject } from '../../api/types.ts';
import { startSimulatedMetrics, startSimulatedNodes, usageCpuAnnotation } from '../../nodes/index.ts';
import { startScheduler } from '../scheduler/index.ts';
import { startDeploymentController } from '../workloads/deployment.ts';
import { startReplicaSetController } from '../workloads/replicaset.ts';
import { eventsFor, get } from '../workloads/testing.ts';
import { startHorizontalPodAutoscalerController, type HorizontalOptions } from './horizontal.ts';

const fast = { startupMs: 20, initContainerMs: 20, jobDurationMs: 100, failAfterMs: 60, terminationMs: 20, backoffBaseMs: 100, backoffMaxMs: 400 };

interface Env extends TestCluster {
  stop(): Promise<void>;
}

async function env(opts: HorizontalOptions = {}, metrics = true): Promise<Env> {
  const tc = await openTestCluster();
  const nodes = startSimulatedNodes(tc.ctx, { count: 2, timing: fast });
  await nodes.ready;
  const stops = [
    startScheduler(tc.ctx), startReplicaSetController(tc.ctx), startDeploymentController(tc.ctx),
    ...(metrics ? [startSimulatedMetrics(tc.ctx)] : []),
    startHorizontalPodAutoscalerController(tc.ctx, { syncPeriodMs: 50, cpuInitializationPeriodMs: 0, downscaleStabilizationMs: 300, ...opts }),
  ];
  return {
    ...tc,
    async stop() {
      for (const s of stops.reverse()) s();
      nodes();
      await new Promise((r) => setTimeout(r, 50));
      await tc.close();
    },
  };
}

function deployment(name: string, o: { replicas?: number; cpu?: string; request?: string | null } = {}): KubeObject {
  const resources = o.request === null ? {} : { requests: { cpu: o.request ?? '100m' } };
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
    spec: {
      replicas: o.replicas ?? 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: { [usageCpuAnnotation]: o.cpu ?? '180m' } },
        spec: { containers: [{ name: 'main', image: 'nginx', resources }] },
      },
    },
  };
}

function hpa(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: 1, maxReplicas: 4,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
      ...spec,
    },
  };
}

const create = (e: TestCluster, group: string, version: string, plural: string, obj: KubeObject) =>
  e.vc.store.create(e.ctx.def(group, version, plural), 'default', obj);

const hpaOf = (e: TestCluster, name: string) => get(e.vc, 'autoscaling', 'horizontalpodautoscalers', name) as KubeObject;
const statusOf = (e: TestCluster, name: string) => (hpaOf(e, name).status ?? {}) as Record<string, any>;
const condition = (e: TestCluster, name: string, type: string) =>
  (statusOf(e, name).conditions as any[] | undefined)?.find((c) => c.type === type);
const replicasOf = (e: TestCluster, name: string) => (get(e.vc, 'apps', 'deployments', name)?.spec as { replicas: number }).replicas;

async function setUsage(e: TestCluster, name: string, cpu: string): Promise<void> {
  await e.vc.store.guaranteedUpdate(e.ctx.def('apps', 'v1', 'deployments'), 'default', name, (cur) => {
    const d = cur as KubeObject;
    ((d.spec as any).template.metadata.annotations as Record<string, string>)[usageCpuAnnotation] = cpu;
    return d;
  }, { fieldManager: 'kubectl' });
}

test('scales a Deployment up on CPU utilization, then down after the stabilization window', { timeout: 30_000 }, async () => {
  const e = await env();
  try {
    await create(e, 'apps', 'v1', 'deployments', deployment('web'));
    await create(e, 'autoscaling', 'v2', 'horizontalpodautoscalers', hpa('web'));
    // 180m of 100m: 180% against 50% → ceil(3.6 × 1) = 4.
    await eventually(() => replicasOf(e, 'web') === 4, 10_000, 'scale up to 4');
    await eventually(() => statusOf(e, 'web').currentReplicas === 4, 10_000, 'status with 4 replicas');
    const st = statusOf(e, 'web');
    assert.equal(st.desiredReplicas, 4);
    assert.match(st.lastScaleTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(st.currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 180, averageValue: '180m' } } }]);
    assert.equal(condition(e, 'web', 'ScalingActive').reason, 'ValidMetricFound');
    assert.equal(condition(e, 'web', 'ScalingActive').message, 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)');
    // 4 pods at 180% ask for 15: the maximum holds it at 4.
    await eventually(() => condition(e, 'web', 'ScalingLimited')?.status === 'True', 5000, 'ScalingLimited');
    assert.equal(condition(e, 'web', 'ScalingLimited').reason, 'TooManyReplicas');
    assert.equal(condition(e, 'web', 'ScalingLimited').message, 'the desired replica count is more than the maximum replica count');
    assert.deepEqual([condition(e, 'web', 'AbleToScale').status, condition(e, 'web', 'AbleToScale').reason], ['True', 'ReadyForNewScale']);
    await e.ctx.events.flush();
    const up = eventsFor(e.vc, 'web').filter((ev) => ev.reason === 'SuccessfulRescale');
    assert.deepEqual(up[0], {
      reason: 'SuccessfulRescale', type: 'Normal', source: 'horizontal-pod-autoscaler',
      message: 'New size: 4; reason: cpu resource utilization (percentage of request) above target',
    });

    // 10m of 100m: 10% → ceil(0.2 × 4) = 1, once the window (300 ms here) has passed.
    await setUsage(e, 'web', '10m');
    await eventually(() => condition(e, 'web', 'AbleToScale')?.reason === 'ScaleDownStabilized' || replicasOf(e, 'web') === 1, 10_000, 'stabilizing');
    await eventually(() => replicasOf(e, 'web') === 1, 10_000, 'scale down to 1');
    await e.ctx.events.flush();
    assert.ok(eventsFor(e.vc, 'web').some((ev) => ev.reason === 'SuccessfulRescale' && ev.message === 'New size: 1; reason: All metrics below target'));
  } finally {
    await e.stop();
  }
});

test('behavior: scale-up policies limit the rate, a scale-down window holds the count', { timeout: 30_000 }, async () => {
  const e = await env();
  try {
    await create(e, 'apps', 'v1', 'deployments', deployment('api', { cpu: '400m' }));
    await create(e, 'autoscaling', 'v2', 'horizontalpodautoscalers', hpa('api', {
      maxReplicas: 10,
      behavior: {
        scaleUp: { policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
        scaleDown: { stabilizationWindowSeconds: 3600 },
      },
    }));
    // 400% against 50% asks for 8; one pod per minute allows 2.
    await eventually(() => replicasOf(e, 'api') === 2, 10_000, 'scale up by one');
    await eventually(() => condition(e, 'api', 'ScalingLimited')?.reason === 'ScaleUpLimit', 5000, 'ScaleUpLimit');
    assert.equal(condition(e, 'api', 'ScalingLimited').status, 'True');
    assert.equal(condition(e, 'api', 'ScalingLimited').message, 'the desired replica count is increasing faster than the maximum scale rate');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(replicasOf(e, 'api'), 2);

    // Low usage, but the hour-long scale-down window keeps the earlier, higher recommendations.
    await setUsage(e, 'api', '5m');
    await eventually(() => condition(e, 'api', 'AbleToScale')?.reason === 'ScaleDownStabilized', 10_000, 'ScaleDownStabilized');
    assert.equal(condition(e, 'api', 'AbleToScale').message, 'recent recommendations were higher than current one, applying the highest recent recommendation');
    assert.equal(replicasOf(e, 'api'), 2);
  } finally {
    await e.stop();
  }
});

test('bounds: a target above maxReplicas is scaled down to it, one at zero is left alone', { timeout: 30_000 }, async () => {
  const e = await env();
  try {
    await create(e, 'apps', 'v1', 'deployments', deployment('big', { replicas: 6, cpu: '50m' }));
    await create(e, 'autoscaling', 'v2', 'horizontalpodautoscalers', hpa('big', { maxReplicas: 3 }));
    await eventually(() => replicasOf(e, 'big') === 3, 10_000, 'scale down to max');
    await e.ctx.events.flush();
    assert.ok(eventsFor(e.vc, 'big').some((ev) => ev.message === 'New size: 3; reason: Current number of replicas above Spec.MaxReplicas'));

    await create(e, 'apps', 'v1', 'deployments', deployment('off', { replicas: 0 }));
    await create(e, 'autoscaling', 'v2', 'horizontalpodautoscalers', hpa('off'));
    await eventually(() => condition(e, 'off', 'ScalingActive') !== undefined, 5000, 'ScalingActive');
    assert.deepEqual(
      [condition(e, 'off', 'ScalingActive').status, condition(e, 'off', 'ScalingActive').reason, condition(e, 'off', 'ScalingActive').message],
      ['False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero']);
    assert.equal(statusOf(e, 'off').desiredReplicas, 0);
    assert.equal(replicasOf(e, 'off'), 0);
  } finally {
    await e.stop();
  }
});

test('targets it cannot scale: AbleToScale False with upstream texts', { timeout: 30_000 }, async () => {
  const e = await env();
  try {
    await create(e, 'autoscaling', 'v2', 'horizontalpodautoscalers', hpa('ghost'));
    await create(e, 'autoscaling', 'v2', 'horizontalpodautoscalers', hpa('ds', { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds' } }));
    await create(e, 'autoscaling', 'v2', 'horizontalpodautoscalers', hpa('odd', { scaleTargetRef: { apiVersion: 'example.com/v1', kind: 'Widget', name: 'w' } }));
    await eventually(() => ['ghost', 'ds', 'odd'].every((n) => condition(e, n, 'AbleToScale')), 5000, 'conditions');
    const able = (n: string) => { const c = condition(e, n, 'AbleToScale'); return [c.status, c.reason, c.message]; };
    assert.deepEqual(able('ghost'), ['False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: deployments/scale.apps "ghost" not found`]);
    assert.deepEqual(able('ds'), ['False', 'FailedGetScale', "the HPA controller was unable to get the target's current scale: the server could not find the requested resource (get daemonsets.apps ds)"]);
    assert.deepEqual(able('odd'), ['False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: no matches for kind "Widget" in group "example.com"`]);
    await e.ctx.events.flush();
    assert.deepEqual(eventsFor(e.vc, 'ghost')[0], { reason: 'FailedGetScale', type: 'Warning', source: 'horizontal-pod-autoscaler', message: 'deployments/scale.apps "ghost" not found' });
  } finally {
    await e.stop();
  }
});

test('metrics it cannot read: ScalingActive False with upstream reasons and messages', { timeout: 30_000 }, async () => {
  const e = await env();
  try {
    await create(e, 'apps', 'v1', 'deployments', deployment('noreq', { request: null }));
    await create(e, 'autoscaling', 'v2', 'horizontalpodautoscalers', hpa('noreq'));
    await create(e, 'apps', 'v1', 'deployments', deployment('custom', { replicas: 2 }));
    await create(e, 'autoscaling', 'v2', 'horizontalpodautoscalers', hpa('custom', {
      metrics: [
        { type: 'Pods', pods: { metric: { name: 'requests-per-second' }, target: { type: 'AverageValue', averageValue: '10' } } },
        { type: 'External', external: { metric: { name: 'queue', selector: { matchLabels: { q: 'jobs' } } }, target: { type: 'AverageValue', averageValue: '30' } } },
      ],
    }));
    const active = (n: string) => condition(e, n, 'ScalingActive');
    await eventually(() => /missing request/.test(active('noreq')?.message ?? '') && active('custom')?.status === 'False', 10_000, 'ScalingActive False');
    const pod = /Pod (noreq-\S+)/.exec(active('noreq').message)?.[1] ?? '';
    assert.equal(active('noreq').reason, 'FailedGetResourceMetric');
    assert.equal(active('noreq').message, `the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container main of Pod ${pod}`);
    assert.equal(active('custom').reason, 'FailedGetPodsMetric');
    assert.equal(active('custom').message, 'the HPA was unable to compute the replica count: unable to get metric requests-per-second: unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered');
    // Unread metrics stay in the status as empty entries, so `kubectl get hpa` shows <unknown>.
    await eventually(() => (statusOf(e, 'custom').currentMetrics ?? []).length === 2, 5000, 'currentMetrics');
    assert.deepEqual(statusOf(e, 'custom').currentMetrics, [{ type: '' }, { type: '' }]);
    assert.equal(statusOf(e, 'custom').currentReplicas, 2);
    await e.ctx.events.flush();
    const events = eventsFor(e.vc, 'custom').map((ev) => `${ev.reason}: ${ev.message}`);
    assert.ok(events.includes('FailedGetExternalMetric: unable to get external metric default/queue/&LabelSelector{MatchLabels:map[string]string{q: jobs,},MatchExpressions:[]LabelSelectorRequirement{},}: unable to fetch metrics from external metrics API: the server could not find the requested resource (get queue.external.metrics.k8s.io)'), events.join('\n'));
    assert.ok(events.includes('FailedComputeMetricsReplicas: invalid metrics (2 invalid out of 2), first error is: failed to get pods metric value: unable to get metric requests-per-second: unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered'), events.join('\n'));
    assert.ok(eventsFor(e.vc, 'noreq').some((ev) => ev.reason === 'FailedComputeMetricsReplicas' &&
      ev.message === `invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: failed to get cpu utilization: missing request for cpu in container main of Pod ${pod}`));
    assert.equal(replicasOf(e, 'custom'), 2);
  } finally {
    await e.stop();
  }
});

test('without a Metrics API source the resource metric is unavailable', { timeout: 30_000 }, async () => {
  const e = await env({}, false);
  try {
    await create(e, 'apps', 'v1', 'deployments', deployment('web'));
    await create(e, 'autoscaling', 'v2', 'horizontalpodautoscalers', hpa('web'));
    await eventually(() => condition(e, 'web', 'ScalingActive')?.status === 'False', 10_000, 'ScalingActive False');
    assert.equal(condition(e, 'web', 'ScalingActive').message,
      'the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server is currently unable to handle the request (get pods.metrics.k8s.io)');
  } finally {
    await e.stop();
  }
});

test('memory average value and a container resource metric', { timeout: 30_000 }, async () => {
  const e = await env();
  try {
    const d = deployment('mem', { replicas: 2 });
    const tmpl = (d.spec as any).template;
    tmpl.metadata.annotations['kubevisor.dev/usage-memory'] = '300Mi';
    tmpl.spec.containers[0].resources.requests.memory = '100Mi';
    await create(e, 'apps', 'v1', 'deployments', d);
    await create(e, 'autoscaling', 'v2', 'horizontalpodautoscalers', hpa('mem', {
      maxReplicas: 3,
      metrics: [
        { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '200Mi' } } },
        { type: 'ContainerResource', containerResource: { name: 'cpu', container: 'main', target: { type: 'Utilization', averageUtilization: 200 } } },
      ],
    }));
    // Memory: 300Mi average against 200Mi → ceil(1.5 × 2) = 3; cpu 180% of 200% is within tolerance.
    await eventually(() => replicasOf(e, 'mem') === 3, 10_000, 'scale to 3');
    await eventually(() => statusOf(e, 'mem').currentReplicas === 3, 10_000, 'status');
    assert.deepEqual(statusOf(e, 'mem').currentMetrics, [
      { type: 'Resource', resource: { name: 'memory', current: { averageValue: '300Mi' } } },
      { type: 'ContainerResource', containerResource: { name: 'cpu', container: 'main', current: { averageUtilization: 180, averageValue: '180m' } } },
    ]);
    await e.ctx.events.flush();
    assert.ok(eventsFor(e.vc, 'mem').some((ev) => ev.message === 'New size: 3; reason: memory resource above target'));
  } finally {
    await e.stop();
  }
});
