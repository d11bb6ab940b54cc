import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import {
  CalculationError, calculateRequests, groupPods, plainMetricReplicas, resourceReplicas, resourceUtilizationRatio,
  withinTolerance, type CalculatorInput, type PodMetrics,
} from './replicas.ts';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const readiness = { cpuInitializationPeriodMs: 300_000, initialReadinessDelayMs: 30_000 };
const tol = { scaleUp: 0.1, scaleDown: 0.1 };

interface PodOpts {
  phase?: string;
  ready?: 'True' | 'False' | null;
  /** Seconds since the pod started. */
  started?: number;
  /** Seconds since Ready last changed. */
  transition?: number;
  cpu?: string;
  memory?: string;
  deleting?: boolean;
  containers?: { name: string; cpu?: string }[];
}

function pod(name: string, o: PodOpts = {}): KubeObject {
  const containers = o.containers ?? [{ name: 'app', cpu: o.cpu ?? '1' }];
  return {
    metadata: { name, namespace: 'default', ...(o.deleting ? { deletionTimestamp: ago(1) } : {}) },
    spec: {
      containers: containers.map((c) => ({
        name: c.name,
        resources: { requests: { ...(c.cpu ? { cpu: c.cpu } : {}), ...(o.memory ? { memory: o.memory } : {}) } },
      })),
    },
    status: {
      phase: o.phase ?? 'Running',
      startTime: ago(o.started ?? 600),
      conditions: o.ready === null ? [] : [{ type: 'Ready', status: o.ready ?? 'True', lastTransitionTime: ago(o.transition ?? 590) }],
    },
  };
}

/** Metrics in milli-units, sampled 10 s ago over 15 s. */
function metrics(values: Record<string, number>, sampledAgo = 10): PodMetrics {
  return new Map(Object.entries(values).map(([k, v]) => [k, { value: v, timestampMs: NOW - sampledAgo * 1000, windowMs: 15_000 }]));
}

function input(pods: KubeObject[], m: PodMetrics, currentReplicas = pods.length, resource = 'cpu'): CalculatorInput {
  return { currentReplicas, pods, metrics: m, resource, tolerances: tol, readiness, nowMs: NOW };
}

test('the tolerance keeps the count when the ratio is within 10% either way', () => {
  assert.equal(withinTolerance(tol, 1.1), true);
  assert.equal(withinTolerance(tol, 0.9), true);
  assert.equal(withinTolerance(tol, 1.11), false);
  assert.equal(withinTolerance(tol, 0.89), false);
  assert.equal(withinTolerance({ scaleUp: 0, scaleDown: 0.5 }, 1.01), false);
  assert.equal(withinTolerance({ scaleUp: 0, scaleDown: 0.5 }, 0.6), true);

  const pods = [pod('a'), pod('b'), pod('c')];
  // 550m of 1000m each: 55% against 50% is within tolerance.
  const r = resourceReplicas(input(pods, metrics({ a: 550, b: 550, c: 550 })), 50);
  assert.deepEqual(r, { replicas: 3, utilization: 55, rawUtilization: 550 });
});

test('scale up and down from utilization of requests', () => {
  const pods = [pod('a'), pod('b'), pod('c')];
  // 900+1000+1100 of 3000: 100% against 30% → ceil(3.33 × 3) = 10.
  assert.deepEqual(resourceReplicas(input(pods, metrics({ a: 900, b: 1000, c: 1100 })), 30), { replicas: 10, utilization: 100, rawUtilization: 1000 });
  // 100+200+300 of 3000: 20% against 50% → ceil(0.4 × 3) = 2.
  assert.deepEqual(resourceReplicas(input(pods, metrics({ a: 100, b: 200, c: 300 })), 50), { replicas: 2, utilization: 20, rawUtilization: 200 });
  // Utilization is a whole percent (truncated), the raw value an integer average.
  assert.deepEqual(resourceReplicas(input([pod('a', { cpu: '300m' })], metrics({ a: 101 })), 10), { replicas: 4, utilization: 33, rawUtilization: 101 });
});

test('pods not yet ready count as 0% on a scale-up, and are left out otherwise', () => {
  // c is Pending, d is not ready: scaling up from a and b's 200% counts them as using nothing.
  const pods = [pod('a'), pod('b'), pod('c', { phase: 'Pending' }), pod('d', { ready: 'False', started: 20, transition: 20 })];
  const m = metrics({ a: 2000, b: 2000, d: 100 });
  // a, b: 200% vs 100% → ratio 2; with c, d at 0: 4000/4000 = 100% → within tolerance → stays 4.
  assert.equal(resourceReplicas(input(pods, m, 4), 100).replicas, 4);
  // Against 50%: ratio 4 → filled: 100%/50% = 2 → ceil(2 × 4) = 8.
  assert.deepEqual(resourceReplicas(input(pods, m, 4), 50), { replicas: 8, utilization: 200, rawUtilization: 2000 });
  // Scaling down, unready pods are simply not counted: a, b at 20% of 50% → ceil(0.4 × 2) = 1.
  assert.equal(resourceReplicas(input(pods, metrics({ a: 200, b: 200, d: 100 }), 4), 50).replicas, 1);
});

test('cpu samples taken before a window passed since the pod became ready do not count', () => {
  // Started 60 s ago (inside the 5 min initialization), ready 20 s ago; the sample is from 10 s ago (window 15 s).
  const fresh = pod('b', { started: 60, transition: 20 });
  const g = groupPods([pod('a'), fresh], metrics({ a: 500, b: 500 }), 'cpu', readiness, NOW);
  assert.deepEqual([...g.unready], ['b']);
  assert.equal(g.readyPodCount, 1);
  // Ready 30 s ago: the sample covers a whole window after it.
  assert.equal(groupPods([pod('b', { started: 60, transition: 30 })], metrics({ b: 500 }), 'cpu', readiness, NOW).readyPodCount, 1);
  // Memory ignores readiness.
  assert.equal(groupPods([fresh], metrics({ b: 500 }), 'memory', readiness, NOW).readyPodCount, 1);
  // Past initialization, a pod not ready is left out only when it has never been ready since its start.
  const never = pod('c', { ready: 'False', started: 600, transition: 590 });
  const wasReady = pod('d', { ready: 'False', started: 600, transition: 100 });
  const g2 = groupPods([never, wasReady], metrics({ c: 1, d: 1 }), 'cpu', readiness, NOW);
  assert.deepEqual([...g2.unready], ['c']);
  assert.equal(g2.readyPodCount, 1);
  // Without a Ready condition or a start time a pod is unready.
  assert.deepEqual([...groupPods([pod('e', { ready: null })], metrics({ e: 1 }), 'cpu', readiness, NOW).unready], ['e']);
  // Deleted and finished pods are ignored.
  const g3 = groupPods([pod('f', { deleting: true }), pod('g', { phase: 'Succeeded' }), pod('h', { phase: 'Failed' })], metrics({}), 'cpu', readiness, NOW);
  assert.deepEqual([...g3.ignored].sort(), ['f', 'g', 'h']);
});

test('missing metrics count as 100% of the request on a scale-down and 0% on a scale-up', () => {
  const pods = [pod('a'), pod('b'), pod('c')];
  // Scale-down: a, b at 10% of 50%; c missing counts as 100%: (100+100+1000)/3000 = 40% → 0.8 → ceil(0.8 × 3) = 3 → stays 3.
  assert.equal(resourceReplicas(input(pods, metrics({ a: 100, b: 100 })), 50).replicas, 3);
  // Against 20%: 40%/20% = 2 → the direction would reverse: stays 3.
  assert.equal(resourceReplicas(input(pods, metrics({ a: 100, b: 100 })), 20).replicas, 3);
  // Four pods, two missing, 10% of 100%: (100+100+1000+1000)/4000 = 55% → ceil(0.55 × 4) = 3.
  const four = [...pods, pod('d')];
  assert.deepEqual(resourceReplicas(input(four, metrics({ a: 100, b: 100 })), 100), { replicas: 3, utilization: 10, rawUtilization: 100 });
  // A target above 100%: missing pods count at the target (200%): (100+100+2000+2000)/4000 = 105% of 200% → ceil(0.525 × 4) = 3.
  assert.equal(resourceReplicas(input(four, metrics({ a: 100, b: 100 })), 200).replicas, 3);
  // Scale-up: a, b at 300% of 100%, c, d missing count as 0: 150% → ceil(1.5 × 4) = 6.
  assert.equal(resourceReplicas(input(four, metrics({ a: 3000, b: 3000 })), 100).replicas, 6);
});

test('errors as upstream words them', () => {
  assert.throws(() => resourceReplicas(input([], metrics({ a: 1 })), 50),
    (e: Error) => e instanceof CalculationError && e.message === 'no pods returned by selector while calculating replica count');
  assert.throws(() => resourceReplicas(input([pod('a', { phase: 'Pending' })], metrics({})), 50),
    { message: 'did not receive metrics for targeted pods (pods might be unready)' });
  assert.throws(() => resourceReplicas(input([pod('a', { containers: [{ name: 'app' }] })], metrics({ a: 5 })), 50),
    { message: 'missing request for cpu in container app of Pod a' });
  assert.throws(() => resourceUtilizationRatio(metrics({ x: 1 }), new Map([['a', 10]]), 50), { message: 'no metrics returned matched known pods' });
  assert.throws(() => calculateRequests([pod('a')], 'sidecar', 'cpu'), { message: 'container sidecar not found in Pod a' });
});

test('requests: one container, sidecars, pod-level requests', () => {
  const p = pod('a', { containers: [{ name: 'app', cpu: '500m' }, { name: 'log', cpu: '100m' }] });
  assert.equal(calculateRequests([p], '', 'cpu').get('a'), 600);
  assert.equal(calculateRequests([p], 'log', 'cpu').get('a'), 100);
  const withSidecar = pod('b');
  (withSidecar.spec as any).initContainers = [
    { name: 'proxy', restartPolicy: 'Always', resources: { requests: { cpu: '250m' } } },
    { name: 'init', resources: { requests: { cpu: '2' } } },
  ];
  assert.equal(calculateRequests([withSidecar], '', 'cpu').get('b'), 1250);
  const podLevel = pod('c');
  (podLevel.spec as any).resources = { requests: { cpu: '3' } };
  assert.equal(calculateRequests([podLevel], '', 'cpu').get('c'), 3000);
  assert.equal(calculateRequests([podLevel], 'app', 'cpu').get('c'), 1000);
  assert.equal(calculateRequests([pod('d', { memory: '64Mi' })], '', 'memory').get('d'), 64 * 1024 * 1024 * 1000);
});

test('average values: missing pods count as the target on a scale-down', () => {
  const pods = [pod('a'), pod('b'), pod('c')];
  // 600m average against 200m → ratio 3 → 9.
  assert.deepEqual(plainMetricReplicas(input(pods, metrics({ a: 600, b: 600, c: 600 })), 200), { replicas: 9, usage: 600 });
  // Within tolerance.
  assert.deepEqual(plainMetricReplicas(input(pods, metrics({ a: 210, b: 200, c: 190 })), 200), { replicas: 3, usage: 200 });
  // a, b at 50m of 200m; c missing counts as 200m: 100m average → ceil(0.5 × 3) = 2.
  assert.deepEqual(plainMetricReplicas(input(pods, metrics({ a: 50, b: 50 })), 200), { replicas: 2, usage: 50 });
});
