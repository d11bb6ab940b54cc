// Pod garbage collection, as kube-controller-manager's podgc does it:
// - terminated pods (phase neither Pending, Running nor Unknown) beyond a
//   threshold (12500) are deleted, evicted ones first, then oldest first;
// - pods bound to a node that no longer exists are marked Failed (condition
//   DisruptionTarget, reason DeletionByPodGC) and force-deleted once the node
//   has been missing for the quarantine time (40s);
// - terminating pods never scheduled to a node, and terminating pods on a
//   not-ready node tainted node.kubernetes.io/out-of-service, are force-deleted.
// Work comes from pod and node events; nothing polls.

import type { KubeObject } from '../../api/types.ts';
import { nowTimestamp } from '../../registry/generic/metadata.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import type { CacheEvent } from '../../registry/generic/watch-cache.ts';
import type { ControllerContext } from '../context.ts';
import { Controller, type Result } from '../runtime.ts';
import { arr, controllerManager, ignoreNotFound, nsKey, podPhase, rec, splitKey, str, timeOf } from './util.ts';

export interface PodGCOptions {
  /** Terminated pods kept before the oldest are deleted; 0 keeps them all. Default 12500. */
  terminatedPodThreshold?: number;
  /** How long a node must be missing before its pods are deleted. Default 40s. */
  quarantineMs?: number;
}

const outOfServiceTaint = 'node.kubernetes.io/out-of-service';

function terminated(pod: KubeObject): boolean {
  const p = podPhase(pod);
  return p !== 'Pending' && p !== 'Running' && p !== 'Unknown';
}

function evicted(pod: KubeObject): boolean {
  const st = rec(pod.status);
  return st.phase === 'Failed' && st.reason === 'Evicted';
}

function nodeNameOf(pod: KubeObject): string {
  return str(rec(pod.spec).nodeName);
}

function nodeReady(node: KubeObject): boolean {
  return arr(rec(node.status).conditions).some((c) => rec(c).type === 'Ready' && rec(c).status === 'True');
}

function outOfService(node: KubeObject): boolean {
  return !nodeReady(node) && arr(rec(node.spec).taints).some((t) => rec(t).key === outOfServiceTaint);
}

export function startPodGC(ctx: ControllerContext, opts: PodGCOptions = {}): () => void {
  const { vc } = ctx;
  const podDef = ctx.def('', 'v1', 'pods');
  const nodeDef = ctx.def('', 'v1', 'nodes');
  const threshold = opts.terminatedPodThreshold ?? 12500;
  const quarantineMs = opts.quarantineMs ?? 40_000;
  const terminatedPods = new Set<string>();
  const podsByNode = new Map<string, Set<string>>();
  const missingSince = new Map<string, number>();

  function peekPod(key: string): KubeObject | undefined {
    const [ns, name] = splitKey(key);
    return vc.store.peek(podDef, ns, name);
  }

  /** Move the pod to Failed (with `condition`) unless it already finished, then delete it now. */
  async function markFailedAndDelete(pod: KubeObject, condition?: Record<string, unknown>): Promise<void> {
    const ns = pod.metadata.namespace;
    const name = pod.metadata.name ?? '';
    const uid = pod.metadata.uid;
    const phase = podPhase(pod);
    if (phase !== 'Succeeded' && phase !== 'Failed') {
      const gone = new Error('gone');
      try {
        await ignoreNotFound(vc.store.guaranteedUpdate(podDef, ns, name, (cur) => {
          const o = cur as KubeObject;
          if (o.metadata.uid !== uid) throw gone;
          const status = { ...rec(o.status) };
          status.phase = 'Failed';
          if (condition) {
            const conds = arr(status.conditions).map(rec);
            const i = conds.findIndex((c) => c.type === condition.type);
            const { type, status: cs, lastProbeTime, ...rest } = condition;
            const next: Record<string, unknown> = { type, status: cs, lastProbeTime, lastTransitionTime: nowTimestamp(ctx.now()), ...rest };
            if (i < 0) conds.push(next);
            else {
              if (conds[i].status === condition.status) next.lastTransitionTime = conds[i].lastTransitionTime;
              conds[i] = next;
            }
            status.conditions = conds;
          }
          o.status = status;
          return o;
        }, { subresource: 'status', fieldManager: controllerManager }));
      } catch (e) {
        if (e === gone) return;
        throw e;
      }
    }
    await ignoreNotFound(vc.store.delete(podDef, ns, name, { gracePeriodSeconds: 0, preconditions: uid ? { uid } : undefined, fieldManager: controllerManager }));
  }

  async function gcTerminated(): Promise<void> {
    if (threshold <= 0 || terminatedPods.size <= threshold) return;
    const pods = [...terminatedPods].map(peekPod).filter((p): p is KubeObject => !!p);
    const excess = pods.length - threshold;
    if (excess <= 0) return;
    pods.sort((a, b) => (evicted(a) === evicted(b) ? 0 : evicted(a) ? -1 : 1) ||
      timeOf(a.metadata.creationTimestamp) - timeOf(b.metadata.creationTimestamp) ||
      ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0));
    for (const pod of pods.slice(0, excess)) await markFailedAndDelete(pod);
  }

  async function gcNode(nodeName: string): Promise<Result | void> {
    const node = vc.store.peek(nodeDef, undefined, nodeName);
    const pods = [...podsByNode.get(nodeName) ?? []].map(peekPod).filter((p): p is KubeObject => !!p);
    if (node) {
      missingSince.delete(nodeName);
      // Terminating pods on a node taken out of service are not waited for.
      if (outOfService(node)) {
        for (const pod of pods) if (pod.metadata.deletionTimestamp) await markFailedAndDelete(pod);
      }
      return;
    }
    if (pods.length === 0) { missingSince.delete(nodeName); return; }
    const now = ctx.now().getTime();
    const since = missingSince.get(nodeName) ?? now;
    missingSince.set(nodeName, since);
    if (now - since < quarantineMs) return { requeueAfterMs: quarantineMs - (now - since) };
    missingSince.delete(nodeName);
    for (const pod of pods) {
      await markFailedAndDelete(pod, { type: 'DisruptionTarget', status: 'True', lastProbeTime: null, reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' });
    }
  }

  const c = new Controller('pod-garbage-collector', async (key) => {
    if (key === 'terminated') return gcTerminated();
    if (key.startsWith('node:')) return gcNode(key.slice(5));
    if (key.startsWith('unscheduled:')) {
      const pod = peekPod(key.slice(12));
      if (pod && pod.metadata.deletionTimestamp && !nodeNameOf(pod)) await markFailedAndDelete(pod);
    }
  });

  function observePod(ev: CacheEvent): void {
    const pod = ev.obj;
    const key = nsKey(pod.metadata.namespace, pod.metadata.name ?? '');
    const prevNode = ev.prev ? nodeNameOf(ev.prev) : '';
    if (prevNode) {
      const s = podsByNode.get(prevNode);
      s?.delete(key);
      if (s && s.size === 0) podsByNode.delete(prevNode);
    }
    if (ev.type === 'DELETED') {
      terminatedPods.delete(key);
      return;
    }
    if (terminated(pod)) {
      terminatedPods.add(key);
      if (threshold > 0 && terminatedPods.size > threshold) c.enqueue('terminated');
    } else {
      terminatedPods.delete(key);
    }
    const node = nodeNameOf(pod);
    if (node) {
      let s = podsByNode.get(node);
      if (!s) podsByNode.set(node, (s = new Set()));
      s.add(key);
      const n = vc.store.peek(nodeDef, undefined, node);
      if (!n || (pod.metadata.deletionTimestamp && outOfService(n))) c.enqueue(`node:${node}`);
    } else if (pod.metadata.deletionTimestamp) {
      c.enqueue(`unscheduled:${key}`);
    }
  }

  const unsubs = [
    vc.cache.subscribe({ prefix: resourcePrefix(podDef), onEvent: observePod }),
    c.watch(vc.cache, resourcePrefix(nodeDef), (ev) => {
      const name = ev.obj.metadata.name ?? '';
      if (ev.type === 'ADDED') missingSince.delete(name);
      if (!podsByNode.has(name)) return undefined;
      if (ev.type === 'DELETED') return `node:${name}`;
      return outOfService(ev.obj) ? `node:${name}` : undefined;
    }),
  ];
  for (const p of vc.cache.scan(resourcePrefix(podDef))) {
    observePod({ type: 'ADDED', key: p.key, revision: p.modRevision, obj: p.obj, prev: undefined });
  }
  return () => { for (const u of unsubs) u(); c.stop(); };
}
