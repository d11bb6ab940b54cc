// The Endpoints controller: for every Service with a selector, an Endpoints
// object of the same name listing the selected pods' addresses, ready ones in
// `addresses` and the others in `notReadyAddresses`, grouped into subsets by the
// ports they serve (target ports resolved per pod, named ports included).
// Services without a selector (and ExternalName services) are left alone; the
// Endpoints of a deleted Service are deleted. With `apiServer` given, the
// Endpoints of default/kubernetes point at the API server, as kube-apiserver
// keeps them.

import type { KubeObject } from '../../api/types.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import { jsonEqual } from '../../registry/generic/metadata.ts';
import type { ControllerContext } from '../context.ts';
import { Controller, type Result } from '../runtime.ts';
import {
  findPort, formatTriggerTime, headlessLabel, selectedPods, serviceIPSet, shouldPodBeInEndpoints, shouldSetHostname,
  triggerTimeAnnotation, TriggerTimeTracker, watchServicesAndPods, type APIServerEndpoint,
} from './endpoint-util.ts';
import {
  arr, controllerManager, ignoreExists, ignoreNotFound, isIPv6, nsKey, podIPs, podReady, rec, serviceSelector, splitKey, str, type Obj,
} from './util.ts';

export const overCapacityAnnotation = 'endpoints.kubernetes.io/over-capacity';
export const skipMirrorLabel = 'endpointslice.kubernetes.io/skip-mirror';
const leaderAnnotation = 'control-plane.alpha.kubernetes.io/leader';
const maxCapacity = 1000;

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: { kind: string; namespace?: string; name: string; uid?: string };
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

export interface EndpointsControllerOptions {
  /** Keep default/kubernetes pointing at the API server. */
  apiServer?: APIServerEndpoint;
}

/** The pod address of the service's (first) IP family, as upstream picks it. */
function addressFor(svc: KubeObject, pod: KubeObject): EndpointAddress | undefined {
  const spec = rec(svc.spec);
  const families = arr(spec.ipFamilies);
  let v6: boolean;
  if (families.length > 0) v6 = families[0] === 'IPv6';
  else if (serviceIPSet(svc)) v6 = isIPv6(str(spec.clusterIP));
  else v6 = isIPv6(str(rec(pod.status).podIP));
  const ip = podIPs(pod).find((x) => isIPv6(x) === v6);
  if (!ip) return undefined;
  const addr: EndpointAddress = { ip };
  const nodeName = str(rec(pod.spec).nodeName);
  if (nodeName) addr.nodeName = nodeName;
  addr.targetRef = { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name ?? '', uid: pod.metadata.uid };
  return addr;
}

function endpointPort(svcPort: Obj, port: number): EndpointPort {
  const p: EndpointPort = { port, protocol: str(svcPort.protocol) || 'TCP' };
  const name = str(svcPort.name);
  const out: EndpointPort = name ? { name, ...p } : p;
  if (typeof svcPort.appProtocol === 'string') out.appProtocol = svcPort.appProtocol;
  return out;
}

function addrKey(a: EndpointAddress): string {
  return `${a.ip}\x00${a.targetRef?.uid ?? ''}`;
}

function lessAddress(a: EndpointAddress, b: EndpointAddress): number {
  if (a.ip !== b.ip) return a.ip < b.ip ? -1 : 1;
  const ua = a.targetRef?.uid ?? '', ub = b.targetRef?.uid ?? '';
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

/**
 * Regroup single-address subsets into the N-to-M form the API wants: every
 * distinct set of addresses with the ports they all serve (ready wins when an
 * address is both), addresses sorted.
 */
export function repackSubsets(subsets: readonly EndpointSubset[]): EndpointSubset[] {
  const byPort = new Map<string, { port: EndpointPort | undefined; addrs: Map<string, boolean> }>();
  const all = new Map<string, EndpointAddress>();
  for (const s of subsets) {
    const ports: (EndpointPort | undefined)[] = s.ports && s.ports.length > 0 ? s.ports : [undefined];
    for (const p of ports) {
      const pk = p ? JSON.stringify([p.name ?? '', p.port, p.protocol, p.appProtocol ?? null]) : '';
      let e = byPort.get(pk);
      if (!e) byPort.set(pk, (e = { port: p, addrs: new Map() }));
      for (const a of s.addresses ?? []) {
        const k = addrKey(a);
        if (!all.has(k)) all.set(k, a);
        e.addrs.set(k, true);
      }
      for (const a of s.notReadyAddresses ?? []) {
        const k = addrKey(a);
        if (!all.has(k)) all.set(k, a);
        if (!e.addrs.has(k)) e.addrs.set(k, false);
      }
    }
  }
  const groups = new Map<string, { addrs: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const e of byPort.values()) {
    const gk = [...e.addrs].map(([k, r]) => `${k}${r ? '+' : '-'}`).sort().join('\x01');
    let g = groups.get(gk);
    if (!g) groups.set(gk, (g = { addrs: e.addrs, ports: [] }));
    if (e.port) g.ports.push(e.port);
  }
  const out: EndpointSubset[] = [];
  for (const g of groups.values()) {
    const ready: EndpointAddress[] = [], notReady: EndpointAddress[] = [];
    for (const [k, r] of g.addrs) (r ? ready : notReady).push(all.get(k) as EndpointAddress);
    const s: EndpointSubset = {};
    if (ready.length > 0) s.addresses = ready.sort(lessAddress);
    if (notReady.length > 0) s.notReadyAddresses = notReady.sort(lessAddress);
    if (g.ports.length > 0) s.ports = g.ports;
    out.push(s);
  }
  const first = (s: EndpointSubset) => (s.addresses ?? s.notReadyAddresses ?? [])[0]?.ip ?? '';
  return out.sort((a, b) => (first(a) < first(b) ? -1 : first(a) > first(b) ? 1 : 0) ||
    (JSON.stringify(a.ports ?? []) < JSON.stringify(b.ports ?? []) ? -1 : JSON.stringify(a.ports ?? []) > JSON.stringify(b.ports ?? []) ? 1 : 0));
}

function countAddresses(subsets: readonly EndpointSubset[]): [number, number] {
  let ready = 0, notReady = 0;
  for (const s of subsets) {
    ready += s.addresses?.length ?? 0;
    notReady += s.notReadyAddresses?.length ?? 0;
  }
  return [ready, notReady];
}

/** Cut the subsets down to 1000 addresses, ready ones first, each subset keeping its share. */
export function truncateSubsets(subsets: EndpointSubset[]): boolean {
  const [totalReady, totalNotReady] = countAddresses(subsets);
  if (totalReady + totalNotReady <= maxCapacity) return false;
  const truncateReady = totalReady > maxCapacity;
  const max = truncateReady ? maxCapacity : maxCapacity - totalReady;
  const numTotal = truncateReady ? totalReady : totalNotReady;
  let canBeAdded = max;
  for (const s of subsets) {
    const inSubset = truncateReady ? (s.addresses?.length ?? 0) : (s.notReadyAddresses?.length ?? 0);
    const toBeAdded = Math.min(Math.ceil((inSubset / numTotal) * max), canBeAdded);
    if (truncateReady) {
      s.addresses = (s.addresses ?? []).slice(0, toBeAdded);
      delete s.notReadyAddresses;
      canBeAdded -= s.addresses.length;
    } else {
      s.notReadyAddresses = (s.notReadyAddresses ?? []).slice(0, toBeAdded);
      canBeAdded -= s.notReadyAddresses.length;
    }
  }
  return true;
}

function withoutKey(labels: Record<string, string> | undefined, key: string): Record<string, string> {
  const out = { ...(labels ?? {}) };
  delete out[key];
  return out;
}

/** The subsets the selected pods make for a service. */
export function desiredSubsets(svc: KubeObject, pods: readonly KubeObject[]): EndpointSubset[] {
  const spec = rec(svc.spec);
  const publishNotReady = spec.publishNotReadyAddresses === true;
  const svcPorts = arr(spec.ports).map(rec);
  const subsets: EndpointSubset[] = [];
  const add = (pod: KubeObject, addr: EndpointAddress, port: EndpointPort | undefined) => {
    const ports = port ? [port] : [];
    if (publishNotReady || podReady(pod)) subsets.push({ addresses: [addr], ports });
    else subsets.push({ notReadyAddresses: [addr], ports });
  };
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const addr = addressFor(svc, pod);
    if (!addr) continue;
    if (shouldSetHostname(pod, svc)) addr.hostname = str(rec(pod.spec).hostname);
    if (svcPorts.length === 0) {
      // Headless services may have no ports: the addresses alone.
      if (spec.clusterIP === 'None') add(pod, addr, undefined);
      continue;
    }
    for (const sp of svcPorts) {
      const n = findPort(pod, sp);
      if (n === undefined) continue;
      add(pod, addr, endpointPort(sp, n));
    }
  }
  return repackSubsets(subsets);
}

export function startEndpointsController(ctx: ControllerContext, opts: EndpointsControllerOptions = {}): () => void {
  const { vc } = ctx;
  const svcDef = ctx.def('', 'v1', 'services');
  const epDef = ctx.def('', 'v1', 'endpoints');
  const tracker = new TriggerTimeTracker();

  async function syncKubernetes(api: APIServerEndpoint): Promise<void> {
    const subsets: EndpointSubset[] = [{ addresses: [{ ip: api.ip }], ports: [{ name: 'https', port: api.port, protocol: 'TCP' }] }];
    const labels = { [skipMirrorLabel]: 'true' };
    const current = vc.store.peek(epDef, 'default', 'kubernetes');
    if (!current) {
      await ignoreExists(vc.store.create(epDef, 'default', { metadata: { name: 'kubernetes', namespace: 'default', labels }, subsets }, { fieldManager: 'kube-apiserver' }));
      return;
    }
    if (jsonEqual(current.subsets ?? [], subsets) && jsonEqual(current.metadata.labels ?? {}, labels)) return;
    await ignoreNotFound(vc.store.guaranteedUpdate(epDef, 'default', 'kubernetes', (cur) => {
      const o = cur as KubeObject;
      o.metadata.labels = { ...labels };
      o.subsets = subsets;
      return o;
    }, { fieldManager: 'kube-apiserver' }));
  }

  async function sync(key: string): Promise<Result | void> {
    const [ns, name] = splitKey(key);
    if (opts.apiServer && key === 'default/kubernetes') return syncKubernetes(opts.apiServer);
    const svc = vc.store.peek(svcDef, ns, name);
    if (!svc) {
      tracker.delete(ns, name);
      if (vc.store.peek(epDef, ns, name)) await ignoreNotFound(vc.store.delete(epDef, ns, name, { fieldManager: controllerManager }));
      return;
    }
    const spec = rec(svc.spec);
    if (spec.type === 'ExternalName') return;
    const selector = serviceSelector(svc);
    if (!selector) return;
    const pods = selectedPods(ctx, svc, selector);
    const triggerTime = tracker.compute(svc, pods);
    const subsets = desiredSubsets(svc, pods);

    const current = vc.store.peek(epDef, ns, name);
    const svcLabels = svc.metadata.labels ?? {};
    if (current) {
      const [r, nr] = countAddresses((current.subsets ?? []) as EndpointSubset[]);
      const capacityOK = r + nr <= maxCapacity && !current.metadata.annotations?.[overCapacityAnnotation];
      if (jsonEqual(current.subsets ?? [], subsets) && jsonEqual(withoutKey(current.metadata.labels, headlessLabel), svcLabels) && capacityOK) return;
    }
    const apply = (o: KubeObject) => {
      const next = subsets.map((s) => structuredClone(s));
      const annotations = { ...(o.metadata.annotations ?? {}) };
      if (triggerTime) annotations[triggerTimeAnnotation] = formatTriggerTime(triggerTime);
      else delete annotations[triggerTimeAnnotation];
      if (truncateSubsets(next)) annotations[overCapacityAnnotation] = 'truncated';
      else delete annotations[overCapacityAnnotation];
      o.metadata.annotations = annotations;
      const labels = { ...svcLabels };
      if (!serviceIPSet(svc)) labels[headlessLabel] = '';
      else delete labels[headlessLabel];
      o.metadata.labels = labels;
      if (next.length > 0) o.subsets = next;
      else delete o.subsets;
      return o;
    };
    try {
      if (!current) {
        await vc.store.create(epDef, ns, apply({ metadata: { name, namespace: ns } }), { fieldManager: controllerManager });
      } else {
        await vc.store.guaranteedUpdate(epDef, ns, name, (cur) => apply(cur as KubeObject), { fieldManager: controllerManager });
      }
    } catch (e) {
      const involved: KubeObject = current ?? { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: ns } };
      if (!current) {
        void ctx.events.record(involved, 'Warning', 'FailedToCreateEndpoint', `Failed to create endpoint for service ${ns}/${name}: ${(e as Error).message}`, 'endpoint-controller');
      } else {
        void ctx.events.record(involved, 'Warning', 'FailedToUpdateEndpoint', `Failed to update endpoint ${ns}/${name}: ${(e as Error).message}`, 'endpoint-controller');
      }
      throw e;
    }
  }

  const c = new Controller('endpoint', sync);
  const unsubs = watchServicesAndPods(ctx, c);
  unsubs.push(c.watch(vc.cache, resourcePrefix(epDef), (ev) => {
    const key = nsKey(ev.obj.metadata.namespace, ev.obj.metadata.name ?? '');
    if (ev.type === 'DELETED') return key;
    return opts.apiServer && key === 'default/kubernetes' ? key : undefined;
  }));
  // Endpoints left behind by services deleted while the controller was not running.
  for (const e of vc.cache.scan(resourcePrefix(epDef))) {
    if (e.obj.metadata.annotations?.[leaderAnnotation] !== undefined) continue;
    c.enqueue(nsKey(e.obj.metadata.namespace, e.obj.metadata.name ?? ''));
  }
  if (opts.apiServer) c.enqueue('default/kubernetes');
  return () => { for (const u of unsubs) u(); c.stop(); };
}
