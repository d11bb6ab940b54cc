// Test helpers for the workload controllers: a stand-in kubelet that marks pods
// Running and Ready, lookups, and kubectl's rollout-status rules.

import { ApiError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { nowTimestamp } from '../../registry/generic/metadata.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import type { VirtualCluster } from '../../server/cluster.ts';
import type { Pod } from './util.ts';

export function podDef(vc: VirtualCluster) {
  return vc.registry.find('', 'v1', 'pods')!;
}

export function pods(vc: VirtualCluster, ns: string, pred: (p: Pod) => boolean = () => true): Pod[] {
  const out: Pod[] = [];
  for (const c of vc.cache.scan(`${resourcePrefix(podDef(vc))}${ns}/`)) if (pred(c.obj as Pod)) out.push(c.obj as Pod);
  return out.sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
}

export function podNames(vc: VirtualCluster, ns: string, pred?: (p: Pod) => boolean): string[] {
  return pods(vc, ns, pred).map((p) => p.metadata.name as string);
}

/** Write a pod's status the way a kubelet would: phase, and Ready true/false. */
export async function setPodStatus(vc: VirtualCluster, ns: string, name: string, phase: string, ready: boolean, at = new Date()): Promise<void> {
  try {
    await vc.store.guaranteedUpdate(podDef(vc), ns, name, (cur) => {
      const p = cur as Pod;
      const ts = nowTimestamp(at);
      p.status = {
        ...(p.status ?? {}), phase,
        conditions: [
          { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: ts },
          { type: 'Ready', status: ready ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: ts },
          { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: ts },
        ],
      };
      return p;
    }, { subresource: 'status', fieldManager: 'kubelet' });
  } catch (e) {
    if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
  }
}

export function markReady(vc: VirtualCluster, ns: string, name: string, at?: Date): Promise<void> {
  return setPodStatus(vc, ns, name, 'Running', true, at);
}

/** A stand-in kubelet: every new pending pod in `ns` (that `pred` accepts) becomes Running and Ready. */
export function autoReady(vc: VirtualCluster, ns: string, pred: (p: Pod) => boolean = () => true): () => void {
  const seen = new Set<string>();
  let stopped = false;
  const consider = (p: Pod) => {
    if (p.metadata.namespace !== ns || p.metadata.deletionTimestamp || p.status?.phase !== 'Pending') return;
    const uid = p.metadata.uid as string;
    if (seen.has(uid) || !pred(p)) return;
    seen.add(uid);
    setTimeout(() => {
      if (!stopped) markReady(vc, ns, p.metadata.name as string).catch(() => {});
    }, 1);
  };
  for (const p of pods(vc, ns)) consider(p);
  const unsub = vc.cache.subscribe({ prefix: `${resourcePrefix(podDef(vc))}${ns}/`, onEvent: (ev) => { if (ev.type !== 'DELETED') consider(ev.obj as Pod); } });
  return () => { stopped = true; unsub(); };
}

type Rollout = { done: boolean; message: string };

/** kubectl rollout status statefulset: the rules of StatefulSetStatusViewer. */
export function statefulSetRollout(sts: KubeObject): Rollout {
  const spec = sts.spec as { replicas?: number; updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } } };
  const st = (sts.status ?? {}) as Record<string, number | string | undefined>;
  if (spec.updateStrategy?.type !== 'RollingUpdate') throw new Error('rollout status is only available for RollingUpdate strategy type');
  if (!st.observedGeneration || (sts.metadata.generation ?? 0) > (st.observedGeneration as number)) return { done: false, message: 'Waiting for statefulset spec update to be observed...' };
  const replicas = spec.replicas ?? 1;
  if (((st.readyReplicas as number) ?? 0) < replicas) return { done: false, message: `Waiting for ${replicas - ((st.readyReplicas as number) ?? 0)} pods to be ready...` };
  const ru = spec.updateStrategy.rollingUpdate;
  if (ru) {
    if (ru.partition !== undefined && ((st.updatedReplicas as number) ?? 0) < replicas - ru.partition) return { done: false, message: 'Waiting for partitioned roll out to finish' };
    return { done: true, message: `partitioned roll out complete: ${st.updatedReplicas ?? 0} new pods have been updated...` };
  }
  if (st.updateRevision !== st.currentRevision) return { done: false, message: 'waiting for statefulset rolling update to complete' };
  return { done: true, message: `statefulset rolling update complete ${st.currentReplicas ?? 0} pods at revision ${st.currentRevision}...` };
}

/** kubectl rollout status daemonset: the rules of DaemonSetStatusViewer. */
export function daemonSetRollout(ds: KubeObject): Rollout {
  const spec = ds.spec as { updateStrategy?: { type?: string } };
  const st = (ds.status ?? {}) as Record<string, number | undefined>;
  if (spec.updateStrategy?.type !== 'RollingUpdate') throw new Error('rollout status is only available for RollingUpdate strategy type');
  if ((ds.metadata.generation ?? 0) <= (st.observedGeneration ?? 0)) {
    if ((st.updatedNumberScheduled ?? 0) < (st.desiredNumberScheduled ?? 0)) return { done: false, message: 'Waiting for daemon set rollout to finish: some pods updated' };
    if ((st.numberAvailable ?? 0) < (st.desiredNumberScheduled ?? 0)) return { done: false, message: 'Waiting for daemon set rollout to finish: some pods available' };
    return { done: true, message: `daemon set "${ds.metadata.name}" successfully rolled out` };
  }
  return { done: false, message: 'Waiting for daemon set spec update to be observed...' };
}
