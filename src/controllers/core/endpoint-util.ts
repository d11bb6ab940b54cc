// What the Endpoints and EndpointSlice controllers share: which pods a Service
// selects and which of them count, target port resolution (named ports
// included), hostnames, the last-change trigger time, and the event wiring that
// re-syncs a Service when it or one of its pods changes.

import type { KubeObject } from '../../api/types.ts';
import { listPrefix, resourcePrefix } from '../../registry/generic/keys.ts';
import type { CacheEvent } from '../../registry/generic/watch-cache.ts';
import type { ControllerContext } from '../context.ts';
import type { Controller } from '../runtime.ts';
import { arr, nsKey, podIPs, podTerminal, rec, selectorMatches, serviceSelector, str, timeOf, type Obj } from './util.ts';

export const headlessLabel = 'service.kubernetes.io/headless';
export const triggerTimeAnnotation = 'endpoints.kubernetes.io/last-change-trigger-time';

/** Terminal pods and pods without an address never count; terminating ones only when asked for. */
export function shouldPodBeInEndpoints(pod: KubeObject, includeTerminating: boolean): boolean {
  if (podTerminal(pod)) return false;
  if (podIPs(pod).length === 0) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

/** clusterIP is neither empty nor None. */
export function serviceIPSet(svc: KubeObject): boolean {
  const ip = str(rec(svc.spec).clusterIP);
  return ip !== '' && ip !== 'None';
}

/**
 * The container port a service port targets on a pod: a number as is, a name
 * looked up among the containers' (and restartable init containers') named ports
 * of the same protocol. Undefined when the pod has no such port.
 */
export function findPort(pod: KubeObject, svcPort: Obj): number | undefined {
  const target = svcPort.targetPort ?? svcPort.port;
  if (typeof target === 'number') return target;
  if (typeof target !== 'string') return undefined;
  const proto = str(svcPort.protocol) || 'TCP';
  const spec = rec(pod.spec);
  const containers = [
    ...arr(spec.containers),
    ...arr(spec.initContainers).filter((c) => rec(c).restartPolicy === 'Always'),
  ];
  for (const c of containers) {
    for (const p of arr(rec(c).ports)) {
      const port = rec(p);
      if (port.name === target && (str(port.protocol) || 'TCP') === proto && typeof port.containerPort === 'number') return port.containerPort;
    }
  }
  return undefined;
}

/** A pod's hostname is published when its subdomain names the service (in the same namespace). */
export function shouldSetHostname(pod: KubeObject, svc: KubeObject): boolean {
  const spec = rec(pod.spec);
  return str(spec.hostname) !== '' && str(spec.subdomain) === svc.metadata.name && pod.metadata.namespace === svc.metadata.namespace;
}

/** RFC 3339 with sub-second digits only when there are any, as Go's RFC3339Nano prints. */
export function formatTriggerTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}

/**
 * upstream's TriggerTimeTracker: the time of the earliest change (a pod's Ready
 * transition, or the service's creation) since the previous sync of a service;
 * 0 when nothing it can date changed.
 */
export class TriggerTimeTracker {
  private readonly states = new Map<string, { service: number; pods: Map<string, number> }>();

  compute(svc: KubeObject, pods: readonly KubeObject[]): number {
    const key = nsKey(svc.metadata.namespace, svc.metadata.name ?? '');
    const state = this.states.get(key);
    let min = 0;
    const podTimes = new Map<string, number>();
    for (const pod of pods) {
      const ready = arr(rec(pod.status).conditions).map(rec).find((c) => c.type === 'Ready');
      const t = ready ? timeOf(ready.lastTransitionTime) : 0;
      if (t === 0) continue;
      podTimes.set(pod.metadata.name ?? '', t);
      if (t > (state?.pods.get(pod.metadata.name ?? '') ?? 0) && (min === 0 || t < min)) min = t;
    }
    const svcTime = timeOf(svc.metadata.creationTimestamp);
    if (svcTime > (state?.service ?? 0) && (min === 0 || svcTime < min)) min = svcTime;
    this.states.set(key, { service: svcTime, pods: podTimes });
    return state ? min : svcTime;
  }

  delete(namespace: string, name: string): void {
    this.states.delete(nsKey(namespace, name));
  }
}

/** The pods of a Service's namespace its selector selects. */
export function selectedPods(ctx: ControllerContext, svc: KubeObject, selector: Record<string, string>): KubeObject[] {
  const podDef = ctx.def('', 'v1', 'pods');
  const out: KubeObject[] = [];
  for (const c of ctx.vc.cache.scan(listPrefix(podDef, svc.metadata.namespace))) {
    if (selectorMatches(selector, c.obj.metadata.labels)) out.push(c.obj);
  }
  return out;
}

/** Keys of the Services in the pod's namespace whose selector selects the pod (now or before the event). */
function servicesOfPod(ctx: ControllerContext, ev: CacheEvent): string[] {
  const svcDef = ctx.def('', 'v1', 'services');
  const ns = ev.obj.metadata.namespace;
  const keys: string[] = [];
  for (const c of ctx.vc.cache.scan(listPrefix(svcDef, ns))) {
    const sel = serviceSelector(c.obj);
    if (!sel) continue;
    if (selectorMatches(sel, ev.obj.metadata.labels) || (ev.prev && selectorMatches(sel, ev.prev.metadata.labels))) {
      keys.push(nsKey(ns, c.obj.metadata.name ?? ''));
    }
  }
  return keys;
}

/** Feed `c` with Service keys: on Service events, and on events of the pods they select. */
export function watchServicesAndPods(ctx: ControllerContext, c: Controller): (() => void)[] {
  const svcDef = ctx.def('', 'v1', 'services');
  const podDef = ctx.def('', 'v1', 'pods');
  const unsubs = [
    c.watch(ctx.vc.cache, resourcePrefix(svcDef), (ev) => nsKey(ev.obj.metadata.namespace, ev.obj.metadata.name ?? '')),
    ctx.vc.cache.subscribe({
      prefix: resourcePrefix(podDef),
      onEvent: (ev) => { for (const k of servicesOfPod(ctx, ev)) c.enqueue(k); },
    }),
  ];
  for (const s of ctx.vc.cache.scan(resourcePrefix(svcDef))) c.enqueue(nsKey(s.obj.metadata.namespace, s.obj.metadata.name ?? ''));
  return unsubs;
}

/** The address the API server is reached at, for the endpoints of default/kubernetes. */
export interface APIServerEndpoint {
  ip: string;
  port: number;
}

/** Retry delays for a service that waits on something (a node that is not there yet): 15 tries, then none. */
export class Backoff {
  private readonly n = new Map<string, number>();
  next(key: string): number | undefined {
    const k = (this.n.get(key) ?? 0) + 1;
    if (k > 15) return undefined;
    this.n.set(key, k);
    return Math.min(5 * 2 ** k, 60_000);
  }
  reset(key: string): void {
    this.n.delete(key);
  }
}
