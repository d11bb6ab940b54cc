// Test helpers for the workload controllers: a stand-in kubelet that marks
// pods Running and Ready through the status subresource, and small readers.

import type { KubeObject } from '../../api/types.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import { nowTimestamp } from '../../registry/generic/metadata.ts';
import type { VirtualCluster } from '../../server/cluster.ts';
import { controllerOf, isNotFound } from './util.ts';

function defOf(vc: VirtualCluster, group: string, plural: string) {
  const d = vc.registry.find(group, 'v1', plural);
  if (!d) throw new Error(`no ${plural}`);
  return d;
}

/** Mark one pod Running and Ready (as the kubelet would). */
export async function markReady(vc: VirtualCluster, pod: KubeObject): Promise<void> {
  const podDef = defOf(vc, '', 'pods');
  try {
    await vc.store.guaranteedUpdate(podDef, pod.metadata.namespace, pod.metadata.name as string, (cur) => {
      if (!cur || cur.metadata.uid !== pod.metadata.uid) throw Object.assign(new Error('gone'), { gone: true });
      const now = nowTimestamp();
      cur.status = {
        phase: 'Running',
        conditions: [
          { type: 'Initialized', status: 'True', lastTransitionTime: now },
          { type: 'Ready', status: 'True', lastTransitionTime: now },
          { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
          { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
        ],
        startTime: now,
      };
      return cur;
    }, { subresource: 'status', fieldManager: 'kubelet' });
  } catch (e) {
    if (!isNotFound(e) && !(e as { gone?: boolean }).gone) throw e;
  }
}

export interface Kubelet {
  /** Wait for the status writes started so far. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Mark every new pod (that `accept` accepts) Ready, after `delayMs`.
 * Pods that exist already are marked too.
 */
export function fakeKubelet(vc: VirtualCluster, opts: { accept?: (pod: KubeObject) => boolean; delayMs?: number | (() => number) } = {}): Kubelet {
  const podDef = defOf(vc, '', 'pods');
  const pending = new Set<Promise<void>>();
  let stopped = false;
  const handle = (pod: KubeObject) => {
    if (stopped || pod.metadata.deletionTimestamp) return;
    if (opts.accept && !opts.accept(pod)) return;
    const p = (async () => {
      const delay = typeof opts.delayMs === 'function' ? opts.delayMs() : opts.delayMs;
      if (delay) await new Promise((r) => setTimeout(r, delay));
      if (!stopped) await markReady(vc, pod);
    })().catch((e) => { if (!stopped) console.error('fake kubelet:', e); });
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  const unsub = vc.cache.subscribe({
    prefix: resourcePrefix(podDef),
    onEvent: (ev) => { if (ev.type === 'ADDED') handle(ev.obj); },
  });
  for (const c of vc.cache.scan(resourcePrefix(podDef))) handle(c.obj);
  return {
    async settle() { while (pending.size > 0) await Promise.all([...pending]); },
    async stop() { stopped = true; unsub(); await Promise.all([...pending]); },
  };
}

/** Objects of a resource in a namespace (cache order). */
export function listIn(vc: VirtualCluster, group: string, plural: string, ns = 'default'): KubeObject[] {
  const def = defOf(vc, group, plural);
  return [...vc.cache.scan(`${resourcePrefix(def)}${ns}/`)].map((c) => c.obj);
}

/** The objects controlled by `owner`. */
export function ownedBy(list: KubeObject[], owner: KubeObject): KubeObject[] {
  return list.filter((o) => controllerOf(o)?.uid === owner.metadata.uid);
}

export function get(vc: VirtualCluster, group: string, plural: string, name: string, ns = 'default'): KubeObject | undefined {
  return vc.store.peek(defOf(vc, group, plural), ns, name);
}

/** Events about the named object, in the order they were written (repeats are rare in tests). */
export function eventsFor(vc: VirtualCluster, name: string, ns = 'default'): { reason: string; message: string; type: string; source: string }[] {
  return listIn(vc, '', 'events', ns)
    .filter((e) => (e.involvedObject as { name?: string }).name === name)
    .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion))
    .map((e) => ({
      reason: e.reason as string, message: e.message as string, type: e.type as string,
      source: (e.source as { component?: string }).component ?? '',
    }));
}

export function deploymentManifest(name: string, opts: {
  replicas?: number; image?: string; strategy?: Record<string, unknown>; minReadySeconds?: number;
  revisionHistoryLimit?: number; progressDeadlineSeconds?: number; paused?: boolean; annotations?: Record<string, string>;
} = {}): KubeObject {
  const spec: Record<string, unknown> = {
    replicas: opts.replicas ?? 3,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'main', image: opts.image ?? 'nginx:1.25' }] },
    },
  };
  if (opts.strategy) spec.strategy = opts.strategy;
  if (opts.minReadySeconds !== undefined) spec.minReadySeconds = opts.minReadySeconds;
  if (opts.revisionHistoryLimit !== undefined) spec.revisionHistoryLimit = opts.revisionHistoryLimit;
  if (opts.progressDeadlineSeconds !== undefined) spec.progressDeadlineSeconds = opts.progressDeadlineSeconds;
  if (opts.paused !== undefined) spec.paused = opts.paused;
  const metadata: KubeObject['metadata'] = { name };
  if (opts.annotations) metadata.annotations = opts.annotations;
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata, spec };
}
