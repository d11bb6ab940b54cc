// The host's metrics translated for a virtual cluster: host PodMetrics items
// matched to virtual pods by their host names and markers, fake nodes summed
// from their pods, and a host without a Metrics API (or no host yet) making
// the API unavailable.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.ts';
import type { VirtualCluster } from '../server/cluster.ts';
import { MetricsUnavailable } from '../server/metrics/index.ts';
import type { SyncContext } from './context.ts';
import { HostError } from './host/errors.ts';
import { hostMetricsSource, matchPods, nodeSampleOf, podSampleOf, sumSamples } from './metrics.ts';
import { hostName, markerAnnotations, markerLabels } from './translate/index.ts';

const VC = 'a';

function virtualPod(name: string, namespace: string, uid: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, uid, labels: { app: 'web' } }, status: { phase: 'Running' } };
}

function hostPodOf(v: KubeObject, vcluster = VC): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: hostName(v.metadata.name!, v.metadata.namespace!, vcluster), namespace: 'tenants',
      labels: markerLabels(vcluster, v.metadata.namespace), annotations: markerAnnotations(v, 'Pod', vcluster),
    },
  };
}

function hostMetrics(hostPodName: string, cpu: string): KubeObject {
  return {
    metadata: { name: hostPodName, namespace: 'tenants', labels: { 'kubevisor.dev/vcluster': VC } },
    timestamp: '2025-01-01T00:00:15Z', window: '15s',
    containers: [{ name: 'app', usage: { cpu, memory: '10Mi' } }, { name: 'side', usage: { cpu: '1m', memory: '2Mi' } }],
  };
}

test('a virtual pod takes the metrics of its host pod, under its own name', () => {
  const web = virtualPod('web-1', 'default', 'u1');
  const api = virtualPod('api', 'prod', 'u2');
  const hosts = new Map([web, api].map((p) => [hostName(p.metadata.name!, p.metadata.namespace!, VC), hostPodOf(p)]));
  const items = [hostMetrics('web-1-x-default-x-a', '5m'), hostMetrics('api-x-prod-x-a', '7m')];
  const got = matchPods(VC, [web, api], items, (n) => hosts.get(n));
  assert.deepEqual([...got.keys()], ['default/web-1', 'prod/api']);
  assert.deepEqual(got.get('default/web-1'), {
    timestamp: '2025-01-01T00:00:15Z', window: '15s',
    containers: [{ name: 'app', usage: { cpu: '5m', memory: '10Mi' } }, { name: 'side', usage: { cpu: '1m', memory: '2Mi' } }],
  });
});

test('no metrics for a pod whose host pod is missing, stands for another pod (uid), or another cluster', () => {
  const web = virtualPod('web', 'default', 'u1');
  const item = [hostMetrics('web-x-default-x-a', '5m')];
  assert.equal(matchPods(VC, [web], item, () => undefined).size, 0, 'host pod not known');
  const recreated = hostPodOf(virtualPod('web', 'default', 'old-uid'));
  assert.equal(matchPods(VC, [web], item, () => recreated).size, 0, 'a host pod of an earlier namesake');
  const otherCluster = hostPodOf(web, 'b');
  assert.equal(matchPods(VC, [web], item, () => otherCluster).size, 0, 'another cluster\'s');
  assert.equal(matchPods(VC, [web], [], () => hostPodOf(web)).size, 0, 'no metrics item');
});

test('long names are matched through the same truncated host name', () => {
  const long = virtualPod(`${'x'.repeat(60)}-abc`, 'default', 'u9');
  const h = hostPodOf(long);
  assert.ok(h.metadata.name!.length <= 63);
  const got = matchPods(VC, [long], [hostMetrics(h.metadata.name!, '3m')], () => h);
  assert.equal(got.size, 1);
});

test('samples from host items; a fake node sums its pods (earliest timestamp)', () => {
  assert.deepEqual(nodeSampleOf({ metadata: { name: 'n' }, timestamp: 't', window: '20.5s', usage: { cpu: '1', memory: '1Gi', junk: 3 } }),
    { timestamp: 't', window: '20.5s', usage: { cpu: '1', memory: '1Gi' } });
  assert.deepEqual(podSampleOf({ metadata: { name: 'p' } }), { timestamp: '', window: '', containers: [] });
  const a = podSampleOf(hostMetrics('a', '5m'));
  const b = { ...podSampleOf(hostMetrics('b', '500000n')), timestamp: '2025-01-01T00:00:00Z', window: '14s' };
  assert.deepEqual(sumSamples([a, b]), { timestamp: '2025-01-01T00:00:00Z', window: '14s', usage: { cpu: '7500u', memory: '24Mi' } });
});

function fakeSync(list: (resource: { plural: string }, namespace: string, opts: { labelSelector?: string }) => Promise<unknown>, pods: KubeObject[] = []): SyncContext {
  const hosts = new Map(pods.map((p) => [hostName(p.metadata.name!, p.metadata.namespace!, VC), hostPodOf(p)]));
  return { hostNamespace: 'tenants', conn: { list }, hosts: { pods: { get: (n: string) => hosts.get(n) } } } as unknown as SyncContext;
}

const vc = { name: VC } as VirtualCluster;

test('the source asks the host for the cluster\'s pods in one namespace by label; unavailable without a host or a Metrics API', async () => {
  const web = virtualPod('web', 'default', 'u1');
  const asked: string[] = [];
  const source = hostMetricsSource(vc, () => fakeSync(async (r, ns, o) => {
    asked.push(`${r.plural} ${ns} ${o.labelSelector}`);
    return { items: [hostMetrics('web-x-default-x-a', '5m')] };
  }, [web]));
  const got = await source.pods([web]);
  assert.deepEqual([...got.keys()], ['default/web']);
  assert.deepEqual(asked, ['pods tenants kubevisor.dev/vcluster=a,kubevisor.dev/namespace=default']);

  await assert.rejects(Promise.resolve(hostMetricsSource(vc, () => undefined).pods([web])), MetricsUnavailable);
  const noApi = hostMetricsSource(vc, () => fakeSync(async () => { throw new HostError(404, 'NotFound', 'the server could not find the requested resource'); }));
  await assert.rejects(Promise.resolve(noApi.pods([web])), MetricsUnavailable);
  await assert.rejects(Promise.resolve(noApi.nodes([{ metadata: { name: 'n', labels: { 'kubevisor.dev/host-node': 'true' } } }])), MetricsUnavailable);
  const broken = hostMetricsSource(vc, () => fakeSync(async () => { throw new TypeError('a bug'); }));
  await assert.rejects(Promise.resolve(broken.pods([web])), TypeError, 'other failures are not hidden');
});
