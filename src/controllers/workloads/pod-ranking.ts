// Which pods a shrinking ReplicaSet deletes first, in upstream's order
// (ActivePodsWithRanks): unscheduled before scheduled, Pending before Unknown
// before Running, not ready before ready, lower pod-deletion-cost first, pods
// doubled up on a node first, recently ready first (log-scale buckets), more
// restarts first, newer first (log-scale buckets).

import type { KubeObject } from '../../api/types.ts';
import { isPodActive, isPodReady, nodeNameOf, parseTime, podReadyCondition, podStatus } from './util.ts';

const phaseOrdinal: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

export const deletionCostAnnotation = 'controller.kubernetes.io/pod-deletion-cost';

function deletionCost(pod: KubeObject): number {
  const v = pod.metadata.annotations?.[deletionCostAnnotation];
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return 0;
  const n = Number(v);
  return n >= -2147483648 && n <= 2147483647 ? n : 0;
}

/** Highest restart count of regular containers and of restartable init (sidecar) containers. */
function restarts(pod: KubeObject): [number, number] {
  const st = podStatus(pod);
  let regular = 0, sidecar = 0;
  for (const c of st.containerStatuses ?? []) regular = Math.max(regular, c.restartCount ?? 0);
  const spec = pod.spec as { initContainers?: { name?: string; restartPolicy?: string }[] } | undefined;
  const sidecars = new Set((spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  for (const c of st.initContainerStatuses ?? []) if (sidecars.has(c.name)) sidecar = Math.max(sidecar, c.restartCount ?? 0);
  return [regular, sidecar];
}

/** floor(log2(age in ns)), or -1 for no age: upstream's logarithmic bucketing. */
function logRank(t: number, now: number): number {
  const d = (now - t) * 1e6;
  return d > 0 ? Math.floor(Math.log2(d)) : -1;
}

interface Ranked {
  pod: KubeObject;
  rank: number;
  node: string;
  phase: number;
  ready: boolean;
  cost: number;
  readyAt: number | undefined;
  created: number | undefined;
  restarts: [number, number];
}

function less(a: Ranked, b: Ranked, now: number): boolean | undefined {
  if (a.node !== b.node && (a.node === '' || b.node === '')) return a.node === '';
  if (a.phase !== b.phase) return a.phase < b.phase;
  if (a.ready !== b.ready) return !a.ready;
  if (a.cost !== b.cost) return a.cost < b.cost;
  if (a.rank !== b.rank) return a.rank > b.rank;
  if (a.ready && b.ready && a.readyAt !== b.readyAt) {
    if (a.readyAt === undefined || b.readyAt === undefined) return a.readyAt === undefined;
    const diff = logRank(a.readyAt, now) - logRank(b.readyAt, now);
    if (diff === 0) return (a.pod.metadata.uid ?? '') < (b.pod.metadata.uid ?? '');
    return diff < 0;
  }
  if (a.restarts[0] !== b.restarts[0]) return a.restarts[0] > b.restarts[0];
  if (a.restarts[1] !== b.restarts[1]) return a.restarts[1] > b.restarts[1];
  if (a.created !== b.created) {
    if (a.created === undefined || b.created === undefined) return a.created === undefined;
    const diff = logRank(a.created, now) - logRank(b.created, now);
    if (diff === 0) return (a.pod.metadata.uid ?? '') < (b.pod.metadata.uid ?? '');
    return diff < 0;
  }
  return undefined;
}

/**
 * The `count` pods of `pods` to delete first. `related` are the active pods of
 * every ReplicaSet under the same owner: pods sharing a node with more of them
 * go first.
 */
export function podsToDelete(pods: readonly KubeObject[], related: readonly KubeObject[], count: number, now: Date): KubeObject[] {
  if (count >= pods.length) return pods.slice(0, count);
  const perNode = new Map<string, number>();
  for (const p of related) if (isPodActive(p)) perNode.set(nodeNameOf(p), (perNode.get(nodeNameOf(p)) ?? 0) + 1);
  const ranked: Ranked[] = pods.map((pod) => {
    const ready = isPodReady(pod);
    return {
      pod,
      rank: perNode.get(nodeNameOf(pod)) ?? 0,
      node: nodeNameOf(pod),
      phase: phaseOrdinal[podStatus(pod).phase ?? ''] ?? 0,
      ready,
      cost: deletionCost(pod),
      readyAt: ready ? parseTime(podReadyCondition(pod)?.lastTransitionTime) : undefined,
      created: parseTime(pod.metadata.creationTimestamp),
      restarts: restarts(pod),
    };
  });
  const t = now.getTime();
  ranked.sort((a, b) => (less(a, b, t) ? -1 : less(b, a, t) ? 1 : 0));
  return ranked.slice(0, count).map((r) => r.pod);
}
