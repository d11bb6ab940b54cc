// The Metrics API's source for a standalone cluster: what the simulated
// kubelets would report to metrics-server (usage.ts). Only nodes that a
// simulated kubelet keeps (label kubevisor.dev/simulated, Ready) have metrics,
// and only the pods running on them; others are left out, as metrics-server
// leaves out nodes it cannot scrape.

import type { KubeObject } from '../api/types.ts';
import { resourcePrefix } from '../registry/generic/keys.ts';
import type { ControllerContext } from '../controllers/context.ts';
import type { VirtualCluster } from '../server/cluster.ts';
import {
  cpuQuantity, memoryQuantity, podKey, setMetricsSource, type MetricsSource, type NodeSample, type PodSample,
} from '../server/metrics/index.ts';
import type { NodeCondition } from './api.ts';
import { simulatedLabel } from './node-object.ts';
import { podUsage, sampleTime, sampleWindow, systemUsage } from './usage.ts';

function kubeletRuns(node: KubeObject | undefined): boolean {
  if (node?.metadata.labels?.[simulatedLabel] !== 'true') return false;
  const conds = (node.status as { conditions?: NodeCondition[] } | undefined)?.conditions;
  return conds?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

function running(pod: KubeObject): boolean {
  return (pod.status as { phase?: string } | undefined)?.phase === 'Running';
}

function nodeNameOf(pod: KubeObject): string | undefined {
  return (pod.spec as { nodeName?: string } | undefined)?.nodeName;
}

/** The usage of the simulated nodes and pods of `vc`, at the latest sample before `now()` (ms). */
export function simulatedMetricsSource(vc: VirtualCluster, now: () => number = Date.now): MetricsSource {
  const nodesDef = vc.registry.find('', 'v1', 'nodes');
  const podsDef = vc.registry.find('', 'v1', 'pods');
  const timestampOf = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    nodes(nodes) {
      const t = sampleTime(now());
      const out = new Map<string, NodeSample>();
      const kept = new Map(nodes.filter(kubeletRuns).map((n) => [n.metadata.name ?? '', { cpu: 0, memory: 0 }]));
      if (kept.size === 0 || !podsDef) return out;
      for (const { obj: pod } of vc.cache.scan(resourcePrefix(podsDef))) {
        const sum = kept.get(nodeNameOf(pod) ?? '');
        if (!sum || !running(pod)) continue;
        for (const c of podUsage(pod, t)) { sum.cpu += c.cpu; sum.memory += c.memory; }
      }
      for (const [name, pods] of kept) {
        const sys = systemUsage(name, t);
        out.set(name, {
          timestamp: timestampOf(t), window: sampleWindow,
          usage: { cpu: cpuQuantity(pods.cpu + sys.cpu), memory: memoryQuantity(pods.memory + sys.memory) },
        });
      }
      return out;
    },
    pods(pods) {
      const t = sampleTime(now());
      const out = new Map<string, PodSample>();
      for (const pod of pods) {
        const node = nodeNameOf(pod);
        if (!running(pod) || !node || !nodesDef || !kubeletRuns(vc.store.peek(nodesDef, undefined, node))) continue;
        const containers = podUsage(pod, t);
        if (containers.length === 0) continue;
        out.set(podKey(pod), {
          timestamp: timestampOf(t), window: sampleWindow,
          containers: containers.map((c) => ({ name: c.name, usage: { cpu: cpuQuantity(c.cpu), memory: memoryQuantity(c.memory) } })),
        });
      }
      return out;
    },
  };
}

/** Serve the simulated kubelets' usage through the cluster's Metrics API; returns what stops it. */
export function startSimulatedMetrics(ctx: ControllerContext): () => void {
  return setMetricsSource(ctx.vc, simulatedMetricsSource(ctx.vc, () => ctx.now().getTime()));
}
