// The Metrics API's source for a cluster synced to a host: the host's own
// Metrics API, as vcluster proxies the host's metrics server.
//
// - Pods: the host's PodMetrics in the host namespace, selected by the
//   cluster's marker label (and the virtual namespace's, when the request
//   names one); each virtual pod takes the item of its host pod (the host pod
//   must stand for it: same cluster, namespace, name and uid), under its own
//   name (api.ts writes the virtual name, namespace and labels; containers keep
//   their names, which the syncer does not change).
// - Nodes: a virtual node showing its host node (`spec.host.sync.nodes: real`)
//   takes the host's NodeMetrics of the same name. A made-up ("fake") node hides
//   the host node, and the syncer may have no rights on the host's cluster-wide
//   objects then: it reports what the cluster's own pods on it use, from the
//   same host PodMetrics.
// - The host serving no Metrics API (404), refusing (403) or unreachable, or
//   the cluster not connected yet: MetricsUnavailable, so the virtual cluster
//   answers as an aggregated API whose server is down (503).

import type { KubeObject } from '../api/types.ts';
import type { VirtualCluster } from '../server/cluster.ts';
import {
  MetricsUnavailable, podKey, setMetricsSource, sumQuantities, type MetricsSource, type NodeSample, type PodSample,
} from '../server/metrics/index.ts';
import { isPlainObject } from '../api/types.ts';
import type { SyncContext } from './context.ts';
import { HostError } from './host/errors.ts';
import { HOST_NODE_LABEL } from './translate/node-data.ts';
import { isSyncerNode } from './virtual-nodes.ts';
import { resourcePrefix } from '../registry/generic/keys.ts';
import { LABEL_NAMESPACE, hostName, labelValue, managedSelector, standsFor } from './translate/index.ts';

const hostPodMetrics = { apiVersion: 'metrics.k8s.io/v1beta1', plural: 'pods' } as const;
const hostNodeMetrics = { apiVersion: 'metrics.k8s.io/v1beta1', plural: 'nodes' } as const;

function str(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : fallback;
}

function usageOf(v: unknown): Record<string, string> {
  if (!isPlainObject(v)) return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** A host PodMetrics item as a sample. */
export function podSampleOf(item: KubeObject): PodSample {
  const containers = Array.isArray(item.containers) ? item.containers.filter(isPlainObject) : [];
  return {
    timestamp: str(item.timestamp), window: str(item.window),
    containers: containers.map((c) => ({ name: str(c.name), usage: usageOf(c.usage) })),
  };
}

/** A host NodeMetrics item as a sample. */
export function nodeSampleOf(item: KubeObject): NodeSample {
  return { timestamp: str(item.timestamp), window: str(item.window), usage: usageOf(item.usage) };
}

/**
 * What several pods use together, as one node sample: each resource summed over
 * their containers; the earliest timestamp and its window (as metrics-server
 * reports a pod by its earliest container).
 */
export function sumSamples(samples: readonly PodSample[]): NodeSample {
  const values = new Map<string, string[]>();
  let earliest: PodSample | undefined;
  for (const s of samples) {
    if (!earliest || s.timestamp < earliest.timestamp) earliest = s;
    for (const c of s.containers) {
      for (const [k, v] of Object.entries(c.usage)) {
        let l = values.get(k);
        if (!l) values.set(k, (l = []));
        l.push(v);
      }
    }
  }
  const usage: Record<string, string> = { cpu: '0', memory: '0' };
  for (const [k, vs] of values) usage[k] = sumQuantities(vs);
  return { timestamp: earliest?.timestamp ?? '', window: earliest?.window ?? '', usage };
}

/**
 * The virtual pods' samples from the host's PodMetrics items: each pod takes the
 * item named as its host pod, when that host pod stands for it.
 */
export function matchPods(vcluster: string, pods: readonly KubeObject[], items: readonly KubeObject[],
  hostPod: (hostName: string) => KubeObject | undefined): Map<string, PodSample> {
  const byName = new Map(items.map((i) => [i.metadata.name ?? '', i]));
  const out = new Map<string, PodSample>();
  for (const pod of pods) {
    const hName = hostName(pod.metadata.name ?? '', pod.metadata.namespace ?? '', vcluster);
    const item = byName.get(hName);
    const h = item && hostPod(hName);
    if (!item || !h || !standsFor(h, pod, 'Pod', vcluster)) continue;
    out.set(podKey(pod), podSampleOf(item));
  }
  return out;
}

/** The cluster's pods as the host's metrics server measures them: `pods` (virtual) by key. */
async function podSamples(vc: VirtualCluster, s: SyncContext, pods: readonly KubeObject[]): Promise<Map<string, PodSample>> {
  if (pods.length === 0) return new Map();
  const namespaces = new Set(pods.map((p) => p.metadata.namespace ?? ''));
  let labelSelector = managedSelector(vc.name);
  if (namespaces.size === 1) labelSelector += `,${LABEL_NAMESPACE}=${labelValue([...namespaces][0] as string)}`;
  const list = await s.conn.list(hostPodMetrics, s.hostNamespace, { labelSelector });
  return matchPods(vc.name, pods, list.items ?? [], (n) => s.hosts.pods.get(n));
}

function running(pod: KubeObject): boolean {
  return (pod.status as { phase?: string } | undefined)?.phase === 'Running';
}

/** The Metrics API source of `vc`, asking the host through `current()`, the cluster's sync while it is connected. */
export function hostMetricsSource(vc: VirtualCluster, current: () => SyncContext | undefined): MetricsSource {
  const withHost = async <T>(fn: (s: SyncContext) => Promise<T>): Promise<T> => {
    const s = current();
    if (!s) throw new MetricsUnavailable(`virtual cluster ${vc.name} is not connected to its host`);
    try {
      return await fn(s);
    } catch (e) {
      if (e instanceof HostError) throw new MetricsUnavailable(e.message, { cause: e });
      throw e;
    }
  };
  return {
    pods: (pods) => withHost((s) => podSamples(vc, s, pods)),
    nodes: (nodes) => withHost(async (s) => {
      const out = new Map<string, NodeSample>();
      const real = nodes.filter((n) => n.metadata.labels?.[HOST_NODE_LABEL] === 'true');
      const fake = nodes.filter((n) => isSyncerNode(n) && n.metadata.labels?.[HOST_NODE_LABEL] !== 'true');
      if (real.length > 0) {
        const list = await s.conn.list(hostNodeMetrics, '');
        const byName = new Map((list.items ?? []).map((i) => [i.metadata.name ?? '', i]));
        for (const n of real) {
          const item = byName.get(n.metadata.name ?? '');
          if (item) out.set(n.metadata.name ?? '', nodeSampleOf(item));
        }
      }
      if (fake.length > 0) {
        const names = new Set(fake.map((n) => n.metadata.name ?? ''));
        const pods = [...vc.cache.scan(resourcePrefix(s.defs.pods))].map((c) => c.obj)
          .filter((p) => running(p) && names.has((p.spec as { nodeName?: string } | undefined)?.nodeName ?? ''));
        const samples = await podSamples(vc, s, pods);
        const byNode = new Map<string, PodSample[]>();
        for (const p of pods) {
          const sample = samples.get(podKey(p));
          if (!sample) continue;
          const node = (p.spec as { nodeName: string }).nodeName;
          let l = byNode.get(node);
          if (!l) byNode.set(node, (l = []));
          l.push(sample);
        }
        for (const [node, l] of byNode) out.set(node, sumSamples(l));
      }
      return out;
    }),
  };
}

/** Serve the host's metrics through `vc`'s Metrics API; returns what stops it. */
export function attachHostMetrics(vc: VirtualCluster, current: () => SyncContext | undefined): () => void {
  return setMetricsSource(vc, hostMetricsSource(vc, current));
}
