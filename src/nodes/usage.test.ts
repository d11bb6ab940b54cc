// The simulated usage model: deterministic, bounded by requests and limits,
// moving over time, set exactly by annotation; running containers only; the
// Metrics API source over a cluster's simulated nodes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.ts';
import { openTestCluster } from '../../test/support/cluster.ts';
import { resourcePrefix } from '../registry/generic/keys.ts';
import { cpuQuantity, memoryQuantity } from '../server/metrics/quantity.ts';
import { simulatedMetricsSource } from './metrics.ts';
import { simulatedLabel } from './node-object.ts';
import {
  modelUsage, parseUsageAnnotation, podUsage, runningContainers, sampleTime, sampleWindowMs, systemUsage, unitHash,
} from './usage.ts';

const MI = 1024 * 1024;
const T0 = Date.UTC(2025, 0, 1);

function runningPod(containers: Record<string, unknown>[], extra: { annotations?: Record<string, string>; init?: Record<string, unknown>[]; notRunning?: string[] } = {}): KubeObject {
  const status = (c: Record<string, unknown>) => ({ name: c.name, state: extra.notRunning?.includes(c.name as string) ? { waiting: { reason: 'CrashLoopBackOff' } } : { running: { startedAt: '2025-01-01T00:00:00Z' } } });
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'uid-1', annotations: extra.annotations },
    spec: { nodeName: 'n1', containers, initContainers: extra.init },
    status: { phase: 'Running', containerStatuses: containers.map(status), initContainerStatuses: extra.init?.map(status) },
  };
}

test('samples every 15 s', () => {
  assert.equal(sampleTime(T0 + 14_999), T0);
  assert.equal(sampleTime(T0 + 15_000), T0 + 15_000);
  assert.equal(sampleWindowMs, 15_000);
});

test('the hash is deterministic, in [0, 1) and spread', () => {
  assert.equal(unitHash('a', 'b'), unitHash('a', 'b'));
  assert.notEqual(unitHash('a', 'b'), unitHash('ab'));
  const xs = Array.from({ length: 1000 }, (_, i) => unitHash('pod', String(i)));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean > 0.45 && mean < 0.55, String(mean));
});

test('usage is a share of the requests, under the limits, and the same for the same moment', () => {
  const c = { resources: { requests: { cpu: '500m', memory: '256Mi' }, limits: { cpu: '600m', memory: '300Mi' } } };
  for (let i = 0; i < 200; i++) {
    const t = T0 + i * 15_000;
    const u = modelUsage(`seed-${i % 17}`, c, t);
    assert.deepEqual(modelUsage(`seed-${i % 17}`, c, t), u);
    assert.ok(u.cpu >= 0.5e9 * 0.2 * 0.8 * 0.97 && u.cpu <= 0.6e9, `cpu ${u.cpu}`);
    assert.ok(u.memory >= 256 * MI * 0.4 * 0.95 - 4096 && u.memory <= 300 * MI * 0.95 + 4096, `memory ${u.memory}`);
    assert.equal(u.memory % 4096, 0);
  }
});

test('without requests: a share of the limits, or a small idle default', () => {
  const limited = modelUsage('x', { resources: { limits: { cpu: '2', memory: '1Gi' } } }, T0);
  assert.ok(limited.cpu >= 2e9 * 0.05 * 0.77 && limited.cpu <= 2e9 * 0.2 * 1.24, String(limited.cpu));
  assert.ok(limited.memory >= 1024 * MI * 0.2 * 0.94 && limited.memory <= 1024 * MI * 0.5 * 1.06, String(limited.memory));
  const idle = modelUsage('y', {}, T0);
  assert.ok(idle.cpu >= 1e6 * 0.77 && idle.cpu <= 5e6 * 1.24, String(idle.cpu));
  assert.ok(idle.memory >= 8 * MI * 0.94 && idle.memory <= 32 * MI * 1.06, String(idle.memory));
});

test('usage moves over time, and differs between containers', () => {
  const c = { resources: { requests: { cpu: '1', memory: '1Gi' } } };
  const cpus = new Set(Array.from({ length: 40 }, (_, i) => modelUsage('s', c, T0 + i * 15_000).cpu));
  assert.ok(cpus.size > 30, 'CPU changes from sample to sample');
  const a = modelUsage('pod/a', c, T0), b = modelUsage('pod/b', c, T0);
  assert.notDeepEqual(a, b);
});

test('usage annotations: one value for all, NAME=VALUE for named containers, bad entries ignored', () => {
  assert.deepEqual(parseUsageAnnotation('250m'), { all: 0.25, named: new Map() });
  assert.deepEqual(parseUsageAnnotation('5m, app=250m ,side=1'), { all: 0.005, named: new Map([['app', 0.25], ['side', 1]]) });
  assert.deepEqual(parseUsageAnnotation('app=64Mi,junk,x=lots'), { named: new Map([['app', 64 * MI]]) });
  assert.equal(parseUsageAnnotation(''), undefined);
  assert.equal(parseUsageAnnotation(undefined), undefined);

  const pod = runningPod([{ name: 'app', resources: { requests: { cpu: '1' } } }, { name: 'side' }, { name: 'free' }],
    { annotations: { 'kubevisor.dev/usage-cpu': 'app=250m,side=10m', 'kubevisor.dev/usage-memory': '48Mi' } });
  const u = podUsage(pod, T0);
  assert.deepEqual(u.map((c) => c.name), ['app', 'side', 'free']);
  assert.deepEqual(u.slice(0, 2).map((c) => [c.cpu, c.memory]), [[250_000_000, 48 * MI], [10_000_000, 48 * MI]]);
  assert.equal(u[2]!.memory, 48 * MI);
  assert.deepEqual(u[2]!.cpu, modelUsage('uid-1/free', {}, T0).cpu, 'an unnamed container keeps the model');
});

test('only running containers count: app containers, then sidecars, then ephemeral ones', () => {
  const pod = runningPod([{ name: 'app' }, { name: 'crashing' }], {
    init: [{ name: 'setup' }, { name: 'proxy', restartPolicy: 'Always' }],
    notRunning: ['crashing', 'setup'],
  });
  (pod.spec as { ephemeralContainers?: unknown[] }).ephemeralContainers = [{ name: 'debugger' }];
  (pod.status as { ephemeralContainerStatuses?: unknown[] }).ephemeralContainerStatuses = [{ name: 'debugger', state: { running: {} } }];
  assert.deepEqual(runningContainers(pod).map((c) => c.name), ['app', 'proxy', 'debugger']);
  const none = runningPod([{ name: 'app' }], { notRunning: ['app'] });
  assert.deepEqual(podUsage(none, T0), []);
});

test('the system share of a node: 50–150m CPU, 600–900Mi memory, give or take the wobble', () => {
  for (const n of ['a', 'b', 'c', 'kubevisor-node-0']) {
    const s = systemUsage(n, T0);
    assert.ok(s.cpu >= 0.05e9 * 0.77 && s.cpu <= 0.15e9 * 1.24, String(s.cpu));
    assert.ok(s.memory >= 600 * MI * 0.96 && s.memory <= 900 * MI * 1.04, String(s.memory));
  }
});

test('the source: simulated Ready nodes only, each its Running pods plus the system; pods on them only', async () => {
  const tc = await openTestCluster();
  try {
    const { vc } = tc;
    const nodes = vc.registry.find('', 'v1', 'nodes')!, pods = vc.registry.find('', 'v1', 'pods')!;
    const ready = [{ type: 'Ready', status: 'True' }];
    for (const [name, labels, conditions] of [['sim', { [simulatedLabel]: 'true' }, ready], ['down', { [simulatedLabel]: 'true' }, [{ type: 'Ready', status: 'Unknown' }]], ['plain', {}, ready]] as const) {
      await vc.store.create(nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { ...labels } } });
      await vc.store.guaranteedUpdate(nodes, undefined, name, (cur) => ({ ...(cur as KubeObject), status: { conditions } }), { subresource: 'status' });
    }
    const mk = async (name: string, node: string, phase: string, cpu: string) => {
      await vc.store.create(pods, 'default', {
        apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', annotations: { 'kubevisor.dev/usage-cpu': cpu, 'kubevisor.dev/usage-memory': '10Mi' } },
        spec: { nodeName: node, containers: [{ name: 'c', image: 'x' }] },
      });
      await vc.store.guaranteedUpdate(pods, 'default', name, (cur) => ({
        ...(cur as KubeObject),
        status: { phase, containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: 'x', imageID: '', state: phase === 'Running' ? { running: {} } : { waiting: {} } }] },
      }), { subresource: 'status' });
    };
    await mk('a', 'sim', 'Running', '100m');
    await mk('b', 'sim', 'Running', '200m');
    await mk('c', 'sim', 'Pending', '400m');
    await mk('d', 'down', 'Running', '100m');
    await mk('e', 'plain', 'Running', '100m');
    const now = T0 + 7_000;
    const source = simulatedMetricsSource(vc, () => now);
    const all = (def: typeof nodes) => [...vc.cache.scan(resourcePrefix(def))].map((x) => x.obj);
    const nodeSamples = await source.nodes(all(nodes));
    assert.deepEqual([...nodeSamples.keys()], ['sim']);
    const sim = nodeSamples.get('sim')!;
    assert.equal(sim.timestamp, '2025-01-01T00:00:00Z');
    assert.equal(sim.window, '15s');
    const sys = systemUsage('sim', T0);
    assert.deepEqual(sim.usage, { cpu: cpuQuantity(300_000_000 + sys.cpu), memory: memoryQuantity(20 * MI + sys.memory) });
    const podSamples = await source.pods(all(pods));
    assert.deepEqual([...podSamples.keys()].sort(), ['default/a', 'default/b']);
    assert.deepEqual(podSamples.get('default/b')!.containers, [{ name: 'c', usage: { cpu: '200m', memory: '10Mi' } }]);
  } finally {
    await tc.close();
  }
});
