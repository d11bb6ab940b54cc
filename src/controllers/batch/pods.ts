// What the batch controllers read from pods and owner references: phases,
// readiness, finish times, the order in which surplus pods are removed.

import type { KubeObject, OwnerReference } from '../../api/types.ts';

export interface ContainerStatus {
  name?: string;
  restartCount?: number;
  state?: { terminated?: { exitCode?: number; finishedAt?: string } };
}

export interface PodCondition { type?: string; status?: string; lastTransitionTime?: string | null }

export interface PodStatus {
  phase?: string;
  conditions?: PodCondition[];
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
}

export function podStatus(pod: KubeObject): PodStatus {
  return (pod.status ?? {}) as PodStatus;
}

export function podPhase(pod: KubeObject): string {
  return podStatus(pod).phase ?? '';
}

export function nodeName(pod: KubeObject): string {
  return ((pod.spec ?? {}) as { nodeName?: string }).nodeName ?? '';
}

function terminal(pod: KubeObject): boolean {
  const p = podPhase(pod);
  return p === 'Succeeded' || p === 'Failed';
}

/** Running or about to run: not finished and not being deleted. */
export function isActive(pod: KubeObject): boolean {
  return !terminal(pod) && !pod.metadata.deletionTimestamp;
}

/** Being deleted but not finished yet. */
export function isTerminating(pod: KubeObject): boolean {
  return !terminal(pod) && !!pod.metadata.deletionTimestamp;
}

export function readyCondition(pod: KubeObject): PodCondition | undefined {
  return podStatus(pod).conditions?.find((c) => c.type === 'Ready');
}

export function isReady(pod: KubeObject): boolean {
  return readyCondition(pod)?.status === 'True';
}

export function controllerRef(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

export function ms(ts: string | null | undefined): number | undefined {
  if (!ts) return undefined;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * When a pod finished: the latest container finish when every container has
 * one, else when it stopped being ready, else its deletion time less the grace
 * period, else its creation.
 */
export function finishedAt(pod: KubeObject): number {
  const st = podStatus(pod);
  let latest: number | undefined;
  let all = (st.containerStatuses?.length ?? 0) > 0;
  for (const c of st.containerStatuses ?? []) {
    const t = ms(c.state?.terminated?.finishedAt);
    if (t === undefined) { all = false; break; }
    if (latest === undefined || t > latest) latest = t;
  }
  if (all && latest !== undefined) return latest;
  const ready = readyCondition(pod);
  const rt = ready?.status === 'False' ? ms(ready.lastTransitionTime) : undefined;
  if (rt !== undefined) return rt;
  const del = ms(pod.metadata.deletionTimestamp);
  if (del !== undefined) return del - (pod.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
  return ms(pod.metadata.creationTimestamp) ?? 0;
}

const phaseOrder: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function maxRestarts(pod: KubeObject): number {
  let n = 0;
  for (const c of podStatus(pod).containerStatuses ?? []) n = Math.max(n, c.restartCount ?? 0);
  return n;
}

/** Later first, unknown (undefined) before everything. */
function afterOrUnknown(a: number | undefined, b: number | undefined): boolean {
  if (a === undefined || b === undefined) return a === undefined;
  return a > b;
}

/**
 * Which of two active pods to remove first: unscheduled before scheduled,
 * Pending before Unknown before Running, not ready before ready, ready for
 * less time first, more restarts first, newer first.
 */
export function removalOrder(a: KubeObject, b: KubeObject): number {
  const less = (x: KubeObject, y: KubeObject): boolean => {
    const nx = nodeName(x), ny = nodeName(y);
    if (nx !== ny && (nx === '' || ny === '')) return nx === '';
    const px = phaseOrder[podPhase(x)] ?? 0, py = phaseOrder[podPhase(y)] ?? 0;
    if (px !== py) return px < py;
    const rx = isReady(x), ry = isReady(y);
    if (rx !== ry) return !rx;
    if (rx && ry) {
      const tx = ms(readyCondition(x)?.lastTransitionTime), ty = ms(readyCondition(y)?.lastTransitionTime);
      if (tx !== ty) return afterOrUnknown(tx, ty);
    }
    const cx = maxRestarts(x), cy = maxRestarts(y);
    if (cx !== cy) return cx > cy;
    const kx = ms(x.metadata.creationTimestamp), ky = ms(y.metadata.creationTimestamp);
    if (kx !== ky) return afterOrUnknown(kx, ky);
    return false;
  };
  return less(a, b) ? -1 : less(b, a) ? 1 : 0;
}
