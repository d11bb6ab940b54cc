// A DnsView over plain lists of Kubernetes objects (JSON as the API returns
// them): Services, discovery.k8s.io/v1 EndpointSlices, and optionally
// Namespaces and Pods. It is a snapshot: build a new one when the lists
// change (building is linear in the objects; lookups are map reads).
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import { canonicalIP } from './ip.ts';
import type { DnsEndpoint, DnsIPOwner, DnsPort, DnsService, DnsView } from './view.ts';

export interface ViewLists {
  services: readonly KubeObject[];
  endpointSlices: readonly KubeObject[];
  /** Namespace objects. Without them a namespace exists when it holds a service or pod. */
  namespaces?: readonly KubeObject[];
  /** Pods. With them pod names are verified (`pods verified`) and pod IPs answer PTR queries. */
  pods?: readonly KubeObject[];
}

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** The specification's older spelling of publishNotReadyAddresses. */
const TOLERATE_UNREADY = 'service.alpha.kubernetes.io/tolerate-unready-endpoints';

export function viewFromLists(lists: ViewLists): DnsView {
  const services = new Map<string, DnsService>();
  const endpointLists = new Map<string, { list: DnsEndpoint[]; ips: Set<string> }>();
  const publishAll = new Set<string>();
  const owners = new Map<string, DnsIPOwner[]>();
  const namespaces = new Set<string>();
  const pods = lists.pods ? new Set<string>() : undefined;
  const addOwner = (ip: string, o: DnsIPOwner) => {
    const list = owners.get(ip);
    if (list) list.push(o); else owners.set(ip, [o]);
  };

  for (const svc of lists.services) {
    const { namespace = '', name = '' } = svc.metadata;
    const spec = obj(svc.spec);
    const key = `${namespace}/${name}`;
    namespaces.add(namespace);
    if (spec.publishNotReadyAddresses === true || svc.metadata.annotations?.[TOLERATE_UNREADY] === 'true') publishAll.add(key);
    if (spec.type === 'ExternalName') {
      if (typeof spec.externalName === 'string' && spec.externalName !== '') services.set(key, { kind: 'externalName', externalName: spec.externalName });
      continue;
    }
    const ports = portsOf(spec.ports);
    const rawIPs = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [spec.clusterIP];
    const endpoints: DnsEndpoint[] = [];
    endpointLists.set(key, { list: endpoints, ips: new Set() });
    if (rawIPs[0] === 'None') {
      services.set(key, { kind: 'headless', ports, endpoints });
      continue;
    }
    const clusterIPs = rawIPs.map((ip) => (typeof ip === 'string' ? canonicalIP(ip) : undefined)).filter((ip): ip is string => !!ip);
    services.set(key, { kind: 'clusterIP', clusterIPs, ports, endpoints });
    for (const ip of clusterIPs) addOwner(ip, { kind: 'service', namespace, name });
  }

  for (const slice of lists.endpointSlices) {
    const namespace = slice.metadata.namespace ?? '';
    const svcName = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!svcName || (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6')) continue;
    const key = `${namespace}/${svcName}`;
    const endpoints = endpointLists.get(key);
    if (!endpoints) continue; // no such service, or an ExternalName one
    const ports = portsOf(slice.ports);
    for (const e of Array.isArray(slice.endpoints) ? slice.endpoints : []) {
      const ep = obj(e);
      const ready = obj(ep.conditions).ready !== false; // unset means ready (EndpointConditions)
      if (!ready && !publishAll.has(key)) continue;
      const hostname = typeof ep.hostname === 'string' && ep.hostname !== '' ? ep.hostname : undefined;
      for (const a of Array.isArray(ep.addresses) ? ep.addresses : []) {
        const ip = typeof a === 'string' ? canonicalIP(a) : undefined;
        if (!ip || endpoints.ips.has(ip)) continue; // one address may be in two slices while they are rewritten
        endpoints.ips.add(ip);
        endpoints.list.push(hostname ? { ip, hostname, ports } : { ip, ports });
        addOwner(ip, hostname ? { kind: 'endpoint', namespace, service: svcName, hostname } : { kind: 'endpoint', namespace, service: svcName });
      }
    }
  }
  for (const pod of lists.pods ?? []) {
    const namespace = pod.metadata.namespace ?? '';
    namespaces.add(namespace);
    const spec = obj(pod.spec);
    const status = obj(pod.status);
    // Host-network pods share their node's address; finished pods' addresses may already be someone else's.
    if (spec.hostNetwork === true || status.phase === 'Succeeded' || status.phase === 'Failed') continue;
    const raw = Array.isArray(status.podIPs) ? status.podIPs.map((p) => obj(p).ip) : [status.podIP];
    for (const r of raw) {
      const ip = typeof r === 'string' ? canonicalIP(r) : undefined;
      if (!ip) continue;
      pods!.add(`${namespace}/${ip}`);
      addOwner(ip, { kind: 'pod', namespace });
    }
  }

  if (lists.namespaces) {
    namespaces.clear();
    for (const ns of lists.namespaces) if (ns.metadata.name) namespaces.add(ns.metadata.name);
  }

  const view: DnsView = {
    namespaceExists: (ns) => namespaces.has(ns),
    service: (ns, name) => services.get(`${ns}/${name}`),
    ipOwners: (ip) => owners.get(ip) ?? [],
  };
  if (pods) view.podExists = (ns, ip) => pods.has(`${ns}/${ip}`);
  return view;
}

function portsOf(v: unknown): DnsPort[] {
  if (!Array.isArray(v)) return [];
  const out: DnsPort[] = [];
  for (const p of v) {
    const port = obj(p);
    if (typeof port.port !== 'number') continue; // a nil port in a slice means "all ports": nothing DNS can name
    out.push({ name: typeof port.name === 'string' ? port.name : '', port: port.port, protocol: typeof port.protocol === 'string' ? port.protocol : 'TCP' });
  }
  return out;
}

function obj(v: unknown): Record<string, unknown> {
  return isPlainObject(v) ? v : {};
}
