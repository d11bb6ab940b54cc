// The EndpointSlice controller: for every Service with a selector, slices named
// `<service>-<5 chars>` (labels kubernetes.io/service-name and
// endpointslice.kubernetes.io/managed-by, owned by the Service) holding up to
// 100 endpoints each, one group of slices per address type and distinct set of
// resolved ports. Endpoints carry the ready/serving/terminating conditions,
// nodeName, zone, hostname and a targetRef to their pod. Existing slices are
// reused the way upstream's reconciler does (keep what is still wanted, fill
// slices that change anyway, then create); an empty service keeps one
// placeholder slice. Pods on nodes that do not exist are left out (unless the
// Service publishes not-ready addresses) and the Service is retried. With
// `apiServer` given, the `kubernetes` slice of default/kubernetes points at the
// API server, as kube-apiserver keeps it.

import type { KubeObject, OwnerReference } from '../../api/types.ts';
import { listPrefix, resourcePrefix } from '../../registry/generic/keys.ts';
import { jsonEqual } from '../../registry/generic/metadata.ts';
import type { ControllerContext } from '../context.ts';
import { Controller, type Result } from '../runtime.ts';
import {
  Backoff, findPort, formatTriggerTime, headlessLabel, selectedPods, serviceIPSet, shouldPodBeInEndpoints, shouldSetHostname,
  triggerTimeAnnotation, TriggerTimeTracker, watchServicesAndPods, type APIServerEndpoint,
} from './endpoint-util.ts';
import {
  arr, controllerManager, ignoreExists, ignoreNotFound, isIPv6, nsKey, podIPs, podReady, rec, selectorMatches, serviceSelector, splitKey, str,
} from './util.ts';

export const serviceNameLabel = 'kubernetes.io/service-name';
export const managedByLabel = 'endpointslice.kubernetes.io/managed-by';
export const endpointSliceControllerName = 'endpointslice-controller.k8s.io';
export const zoneLabel = 'topology.kubernetes.io/zone';
const maxEndpointsPerSlice = 100;

export interface SlicePort {
  name: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface SliceEndpoint {
  addresses: string[];
  conditions: { ready?: boolean; serving?: boolean; terminating?: boolean };
  hostname?: string;
  targetRef?: { kind: string; namespace?: string; name: string; uid?: string };
  nodeName?: string;
  zone?: string;
}

type AddressType = 'IPv4' | 'IPv6';

export interface EndpointSliceControllerOptions {
  /** Keep the `kubernetes` slice of default/kubernetes pointing at the API server. */
  apiServer?: APIServerEndpoint;
}

function endpointsOf(slice: KubeObject): SliceEndpoint[] {
  return arr(slice.endpoints) as SliceEndpoint[];
}

function portsKey(ports: readonly SlicePort[]): string {
  return JSON.stringify([...ports].map((p) => [p.name, p.port, p.protocol, p.appProtocol ?? null]).sort());
}

/** Which endpoint of a slice stands for which desired one: same addresses, hostname and pod. */
function endpointKey(ep: SliceEndpoint): string {
  return JSON.stringify([[...ep.addresses].sort(), ep.hostname ?? '', ep.targetRef?.namespace ?? '', ep.targetRef?.name ?? '']);
}

function ownedBy(slice: KubeObject, svc: KubeObject): boolean {
  return (slice.metadata.ownerReferences ?? []).some((o) => o.uid === svc.metadata.uid && o.kind === 'Service' && o.apiVersion === 'v1');
}

function reserved(label: string): boolean {
  return label === serviceNameLabel || label === managedByLabel || label === headlessLabel;
}

/** The slice's labels as they should be, and whether the service's own labels changed. */
function sliceLabels(slice: KubeObject | undefined, svc: KubeObject): [Record<string, string>, boolean] {
  const mine: Record<string, string> = {};
  for (const [k, v] of Object.entries(slice?.metadata.labels ?? {})) if (!reserved(k)) mine[k] = v;
  const want: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata.labels ?? {})) if (!reserved(k)) want[k] = v;
  const changed = !jsonEqual(mine, want);
  if (!serviceIPSet(svc)) want[headlessLabel] = '';
  want[serviceNameLabel] = svc.metadata.name ?? '';
  want[managedByLabel] = endpointSliceControllerName;
  return [want, changed];
}

function addressTypes(svc: KubeObject): AddressType[] {
  const spec = rec(svc.spec);
  const out: AddressType[] = [];
  for (const f of arr(spec.ipFamilies)) {
    if (f === 'IPv4' && !out.includes('IPv4')) out.push('IPv4');
    if (f === 'IPv6' && !out.includes('IPv6')) out.push('IPv6');
  }
  if (out.length > 0) return out;
  if (serviceIPSet(svc)) return [isIPv6(str(spec.clusterIP)) ? 'IPv6' : 'IPv4'];
  return ['IPv4', 'IPv6'];
}

function endpointPorts(svc: KubeObject, pod: KubeObject): SlicePort[] {
  const spec = rec(svc.spec);
  const svcPorts = arr(spec.ports).map(rec);
  if (svcPorts.length === 0 && spec.clusterIP === 'None') return [];
  const out: SlicePort[] = [];
  for (const sp of svcPorts) {
    const n = findPort(pod, sp);
    if (n === undefined) continue;
    const p: SlicePort = { name: str(sp.name), port: n, protocol: str(sp.protocol) || 'TCP' };
    if (typeof sp.appProtocol === 'string') p.appProtocol = sp.appProtocol;
    out.push(p);
  }
  return out;
}

function podToEndpoint(pod: KubeObject, node: KubeObject | undefined, svc: KubeObject, type: AddressType): SliceEndpoint {
  const serving = podReady(pod);
  const terminating = !!pod.metadata.deletionTimestamp;
  const ready = rec(svc.spec).publishNotReadyAddresses === true || (serving && !terminating);
  const ep: SliceEndpoint = {
    addresses: podIPs(pod).filter((ip) => isIPv6(ip) === (type === 'IPv6')),
    conditions: { ready, serving, terminating },
  };
  if (shouldSetHostname(pod, svc)) ep.hostname = str(rec(pod.spec).hostname);
  ep.targetRef = { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name ?? '', uid: pod.metadata.uid };
  const nodeName = str(rec(pod.spec).nodeName);
  if (nodeName) ep.nodeName = nodeName;
  const zone = node?.metadata.labels?.[zoneLabel];
  if (zone) ep.zone = zone;
  return ep;
}

interface NewSlice { obj: KubeObject; name?: string }

function newSlice(svc: KubeObject, ports: SlicePort[] | null, type: AddressType, endpoints: SliceEndpoint[] | null): KubeObject {
  const owner: OwnerReference = { apiVersion: 'v1', kind: 'Service', name: svc.metadata.name ?? '', uid: svc.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
  const name = svc.metadata.name ?? '';
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      // The dash makes the names prettier, unless the name would get too long for it.
      generateName: name.length + 1 <= 253 ? `${name}-` : name,
      namespace: svc.metadata.namespace,
      labels: sliceLabels(undefined, svc)[0],
      ownerReferences: [owner],
    },
    addressType: type,
    endpoints,
    // Empty lists read back as null from upstream's storage.
    ports: ports && ports.length > 0 ? ports : null,
  };
}

export function startEndpointSliceController(ctx: ControllerContext, opts: EndpointSliceControllerOptions = {}): () => void {
  const { vc } = ctx;
  const svcDef = ctx.def('', 'v1', 'services');
  const sliceDef = ctx.def('discovery.k8s.io', 'v1', 'endpointslices');
  const nodeDef = ctx.def('', 'v1', 'nodes');
  const tracker = new TriggerTimeTracker();
  const backoff = new Backoff();

  function withTriggerTime(o: KubeObject, t: number): void {
    const a = { ...(o.metadata.annotations ?? {}) };
    if (t) a[triggerTimeAnnotation] = formatTriggerTime(t);
    else delete a[triggerTimeAnnotation];
    o.metadata.annotations = a;
  }

  async function syncKubernetes(api: APIServerEndpoint): Promise<void> {
    const endpoints: SliceEndpoint[] = [{ addresses: [api.ip], conditions: { ready: true } }];
    const ports: SlicePort[] = [{ name: 'https', port: api.port, protocol: 'TCP' }];
    const labels = { [serviceNameLabel]: 'kubernetes' };
    const type: AddressType = isIPv6(api.ip) ? 'IPv6' : 'IPv4';
    for (const c of vc.cache.scan(listPrefix(sliceDef, 'default'))) {
      const s = c.obj;
      if (s.metadata.labels?.[serviceNameLabel] !== 'kubernetes') continue;
      if (s.metadata.name === 'kubernetes' && s.addressType === type) continue;
      await ignoreNotFound(vc.store.delete(sliceDef, 'default', s.metadata.name ?? '', { fieldManager: 'kube-apiserver' }));
    }
    const current = vc.store.peek(sliceDef, 'default', 'kubernetes');
    if (!current) {
      await ignoreExists(vc.store.create(sliceDef, 'default', {
        metadata: { name: 'kubernetes', namespace: 'default', labels }, addressType: type, endpoints, ports,
      }, { fieldManager: 'kube-apiserver' }));
      return;
    }
    if (jsonEqual(current.endpoints, endpoints) && jsonEqual(current.ports, ports) && jsonEqual(current.metadata.labels ?? {}, labels)) return;
    await ignoreNotFound(vc.store.guaranteedUpdate(sliceDef, 'default', 'kubernetes', (cur) => {
      const o = cur as KubeObject;
      o.metadata.labels = { ...labels };
      o.endpoints = endpoints;
      o.ports = ports;
      return o;
    }, { fieldManager: 'kube-apiserver' }));
  }

  async function sync(key: string): Promise<Result | void> {
    const [ns, name] = splitKey(key);
    if (opts.apiServer && key === 'default/kubernetes') return syncKubernetes(opts.apiServer);
    const svc = vc.store.peek(svcDef, ns, name);
    if (!svc) {
      // Its slices go with it (they are owned by it).
      tracker.delete(ns, name);
      backoff.reset(key);
      return;
    }
    if (rec(svc.spec).type === 'ExternalName') return;
    const selector = serviceSelector(svc);
    if (!selector) return;
    const pods = selectedPods(ctx, svc, selector);
    const existing: KubeObject[] = [];
    for (const c of vc.cache.scan(listPrefix(sliceDef, ns))) {
      const l = c.obj.metadata.labels ?? {};
      if (l[serviceNameLabel] === name && l[managedByLabel] === endpointSliceControllerName && !c.obj.metadata.deletionTimestamp) existing.push(c.obj);
    }
    const triggerTime = tracker.compute(svc, pods);
    const missingNodes = await reconcile(svc, pods, existing, triggerTime);
    if (!missingNodes) { backoff.reset(key); return; }
    // Retried a while (a node may yet appear, and its arrival re-syncs the service too), then dropped.
    const delay = backoff.next(key);
    if (delay !== undefined) return { requeueAfterMs: delay };
  }

  /** Bring the service's slices to the desired state; true when some pod's node was missing. */
  async function reconcile(svc: KubeObject, pods: readonly KubeObject[], existing: readonly KubeObject[], triggerTime: number): Promise<boolean> {
    const types = addressTypes(svc);
    const toDelete: KubeObject[] = [];
    const byType = new Map<AddressType, KubeObject[]>();
    for (const s of existing) {
      const t = s.addressType as AddressType;
      if (!types.includes(t)) { toDelete.push(s); continue; }
      let l = byType.get(t);
      if (!l) byType.set(t, (l = []));
      l.push(s);
    }
    let missing = false;
    for (const t of types) {
      if (await reconcileType(svc, pods, byType.get(t) ?? [], triggerTime, t)) missing = true;
    }
    for (const s of toDelete) await ignoreNotFound(vc.store.delete(sliceDef, s.metadata.namespace, s.metadata.name ?? '', { fieldManager: controllerManager }));
    return missing;
  }

  async function reconcileType(svc: KubeObject, pods: readonly KubeObject[], existing: readonly KubeObject[],
    triggerTime: number, type: AddressType): Promise<boolean> {
    const toCreate: NewSlice[] = [];
    const toUpdate: KubeObject[] = [];
    const toDelete: KubeObject[] = [];
    const existingByPorts = new Map<string, KubeObject[]>();
    for (const s of existing) {
      if (!ownedBy(s, svc)) { toDelete.push(s); continue; }
      const k = portsKey((arr(s.ports) as SlicePort[]));
      let l = existingByPorts.get(k);
      if (!l) existingByPorts.set(k, (l = []));
      l.push(s);
    }

    const desired = new Map<string, { ports: SlicePort[]; endpoints: Map<string, SliceEndpoint> }>();
    let missing = false;
    const publishNotReady = rec(svc.spec).publishNotReadyAddresses === true;
    for (const pod of pods) {
      if (!shouldPodBeInEndpoints(pod, true)) continue;
      const ports = endpointPorts(svc, pod);
      const pk = portsKey(ports);
      let d = desired.get(pk);
      if (!d) desired.set(pk, (d = { ports, endpoints: new Map() }));
      const node = vc.store.peek(nodeDef, undefined, str(rec(pod.spec).nodeName));
      if (!node && !publishNotReady) {
        missing = true;
        continue;
      }
      const ep = podToEndpoint(pod, node, svc, type);
      if (ep.addresses.length > 0) d.endpoints.set(endpointKey(ep), ep);
    }

    for (const [pk, d] of desired) {
      const r = reconcileByPorts(svc, existingByPorts.get(pk) ?? [], d.endpoints, d.ports, type);
      toCreate.push(...r.create);
      toUpdate.push(...r.update);
      toDelete.push(...r.remove);
    }
    for (const [pk, slices] of existingByPorts) if (!desired.has(pk)) toDelete.push(...slices);

    // A service with no endpoints keeps one empty placeholder slice.
    if (existing.length === toDelete.length && toCreate.length === 0) {
      const placeholder = newSlice(svc, null, type, null);
      if (toDelete.length === 1 && isPlaceholderLike(toDelete[0], placeholder)) toDelete.length = 0;
      else toCreate.push({ obj: placeholder });
    }

    // Rather than delete one slice and create another, update the one that would go.
    for (let i = 0; i < toDelete.length && toCreate.length > 0;) {
      const victim = toDelete[i];
      if (victim.addressType === type && ownedBy(victim, svc)) {
        const created = toCreate.pop() as NewSlice;
        const o = structuredClone(victim);
        o.metadata.labels = created.obj.metadata.labels;
        o.endpoints = created.obj.endpoints;
        o.ports = created.obj.ports;
        toUpdate.push(o);
        toDelete.splice(i, 1);
      } else {
        i++;
      }
    }

    if (!svc.metadata.deletionTimestamp) {
      for (const s of toCreate) {
        withTriggerTime(s.obj, triggerTime);
        await vc.store.create(sliceDef, svc.metadata.namespace, s.obj, { fieldManager: controllerManager });
      }
    }
    for (const s of toUpdate) {
      withTriggerTime(s, triggerTime);
      await ignoreNotFound(vc.store.guaranteedUpdate(sliceDef, s.metadata.namespace, s.metadata.name ?? '', (cur) => {
        const o = cur as KubeObject;
        o.metadata.labels = s.metadata.labels;
        o.metadata.annotations = s.metadata.annotations;
        o.endpoints = s.endpoints;
        o.ports = s.ports;
        return o;
      }, { fieldManager: controllerManager }));
    }
    for (const s of toDelete) await ignoreNotFound(vc.store.delete(sliceDef, s.metadata.namespace, s.metadata.name ?? '', { fieldManager: controllerManager }));
    return missing;
  }

  /** upstream's reconcileByPortMapping: keep, update, fill, then create. */
  function reconcileByPorts(svc: KubeObject, existing: readonly KubeObject[], wanted: Map<string, SliceEndpoint>,
    ports: SlicePort[], type: AddressType): { create: NewSlice[]; update: KubeObject[]; remove: KubeObject[] } {
    const byName = new Map<string, KubeObject>();
    const unchanged = new Set<string>();
    const updated = new Set<string>();
    const removed = new Set<string>();
    const left = new Map(wanted);
    for (const s of existing) {
      const name = s.metadata.name ?? '';
      byName.set(name, s);
      const kept: SliceEndpoint[] = [];
      let changed = false;
      for (const ep of endpointsOf(s)) {
        const k = endpointKey(ep);
        const want = left.get(k);
        if (!want) continue;
        kept.push(want);
        if (!jsonEqual(want, ep)) changed = true;
        left.delete(k);
      }
      const [labels, labelsChanged] = sliceLabels(s, svc);
      if (changed || kept.length !== endpointsOf(s).length) {
        if (kept.length === 0) removed.add(name);
        else {
          const o = structuredClone(s);
          o.endpoints = kept;
          o.metadata.labels = labels;
          byName.set(name, o);
          updated.add(name);
        }
      } else if (labelsChanged) {
        const o = structuredClone(s);
        o.metadata.labels = labels;
        byName.set(name, o);
        updated.add(name);
      } else {
        unchanged.add(name);
      }
    }
    const take = (slice: KubeObject) => {
      const eps = endpointsOf(slice);
      for (const [k, ep] of left) {
        if (eps.length >= maxEndpointsPerSlice) break;
        eps.push(ep);
        left.delete(k);
      }
      slice.endpoints = eps;
    };
    // Fill the slices that change anyway, fullest first.
    if (left.size > 0 && updated.size > 0) {
      const slices = [...updated].map((n) => byName.get(n) as KubeObject).sort((a, b) => endpointsOf(b).length - endpointsOf(a).length);
      for (const s of slices) take(s);
    }
    // Then fit the rest into the unchanged slice that ends up closest to full, or new slices.
    const create: NewSlice[] = [];
    while (left.size > 0) {
      let target: KubeObject | undefined;
      if (left.size < maxEndpointsPerSlice && unchanged.size > 0) {
        let best = maxEndpointsPerSlice;
        for (const n of unchanged) {
          const diff = maxEndpointsPerSlice - (left.size + endpointsOf(byName.get(n) as KubeObject).length);
          if (diff >= 0 && diff < best) { best = diff; target = byName.get(n); }
        }
      }
      if (target) {
        const o = structuredClone(target);
        const n = o.metadata.name ?? '';
        byName.set(n, o);
        take(o);
        updated.add(n);
        unchanged.delete(n);
      } else {
        const o = newSlice(svc, ports, type, []);
        take(o);
        create.push({ obj: o });
      }
    }
    return {
      create,
      update: [...updated].map((n) => byName.get(n) as KubeObject),
      remove: [...removed].map((n) => byName.get(n) as KubeObject),
    };
  }

  /** A slice that would be replaced by an identical placeholder is kept instead. */
  function isPlaceholderLike(s: KubeObject, placeholder: KubeObject): boolean {
    return s.metadata.namespace === placeholder.metadata.namespace &&
      jsonEqual(s.metadata.labels ?? {}, placeholder.metadata.labels ?? {}) &&
      jsonEqual(s.metadata.ownerReferences ?? [], placeholder.metadata.ownerReferences ?? []) &&
      s.addressType === placeholder.addressType && endpointsOf(s).length === 0 && arr(s.ports).length === 0;
  }

  const c = new Controller('endpointslice', sync);
  const unsubs = watchServicesAndPods(ctx, c);
  // Changes to its slices by anyone else bring the service back to its desired state.
  unsubs.push(c.watch(vc.cache, resourcePrefix(sliceDef), (ev) => {
    const l = ev.obj.metadata.labels ?? {};
    const svcName = l[serviceNameLabel];
    if (!svcName) return undefined;
    const key = nsKey(ev.obj.metadata.namespace, svcName);
    if (opts.apiServer && key === 'default/kubernetes') return key;
    const prevManaged = ev.prev?.metadata.labels?.[managedByLabel] === endpointSliceControllerName;
    return l[managedByLabel] === endpointSliceControllerName || prevManaged ? key : undefined;
  }));
  // A node that appears lets its pods into their services' slices.
  const podDef = ctx.def('', 'v1', 'pods');
  unsubs.push(vc.cache.subscribe({
    prefix: resourcePrefix(nodeDef),
    onEvent: (ev) => {
      if (ev.type !== 'ADDED') return;
      const node = ev.obj.metadata.name;
      for (const p of vc.cache.scan(resourcePrefix(podDef))) {
        if (str(rec(p.obj.spec).nodeName) !== node) continue;
        for (const s of vc.cache.scan(listPrefix(svcDef, p.obj.metadata.namespace))) {
          const sel = serviceSelector(s.obj);
          if (sel && selectorMatches(sel, p.obj.metadata.labels)) c.enqueue(nsKey(s.obj.metadata.namespace, s.obj.metadata.name ?? ''));
        }
      }
    },
  }));
  if (opts.apiServer) c.enqueue('default/kubernetes');
  return () => { for (const u of unsubs) u(); c.stop(); };
}
