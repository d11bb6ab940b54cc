// Where `pods/proxy` and `services/proxy` go for simulated pods: upstream's
// ResourceLocation of pods and services, with the last step (connecting to
// POD_IP:PORT) replaced by the local address the pod's
// `kubevisor.dev/port-forward-<port>` annotation names, as for port-forward.
//
// Pods (upstream pkg/registry/core/pod, ResourceLocation):
// - The port is the one given, else the first port of the first container
//   that declares any, else none (80, or 443 for https:). A port name is not
//   looked up among the container's ports: upstream hands it to the dialer,
//   which knows `http` and `https` only as 80 and 443.
// - The pod must have an IP (status.podIPs[0]) that is global unicast, else
//   400 `address not allowed` (a pending pod, say).
// Services (pkg/registry/core/service/storage, ResourceLocation):
// - A port number is turned into the name of the service port that has it
//   (503 `no service port N found for service "x"` when none has); a port
//   name, or none (''), is used as given.
// - The service's Endpoints (EndpointSlices, when the cluster has no
//   Endpoints object for it) give ready addresses; one whose pod exists in the
//   namespace and has that IP is picked at random among those with a port of
//   that name. None: 503 `no endpoints available for service "x"` (the whole
//   id when endpoints exist but none fits).
//
// A simulated pod's port with no annotation is reported as upstream reports
// a pod port nothing listens on, a dial failure (503 `error trying to reach
// service: …`), with the annotation to set in the message.

import { isIP } from 'node:net';
import { errors } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { DialError, type ProxyId, type ProxyTarget } from './proxy.ts';
import { podIdentity, portForwardTarget, type StreamingOptions } from './pod-config.ts';

type Obj = Record<string, unknown>;

function asObj(v: unknown): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Obj : {};
}

function asList(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter((x): x is Obj => typeof x === 'object' && x !== null) : [];
}

/** Go's net.IP.IsGlobalUnicast, for a textual address (false when it is not one). */
export function isGlobalUnicast(ip: string): boolean {
  const v4 = ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  if (isIP(v4) === 4) {
    const [a, b] = v4.split('.').map(Number) as [number, number];
    if (v4 === '255.255.255.255' || v4 === '0.0.0.0') return false;
    return a !== 127 && !(a >= 224 && a <= 239) && !(a === 169 && b === 254);
  }
  if (isIP(ip) !== 6) return false;
  const norm = new URL(`http://[${ip}]`).hostname.slice(1, -1).toLowerCase();
  if (norm === '::' || norm === '::1') return false;
  const first = norm.startsWith(':') ? 0 : parseInt(norm.split(':')[0]!, 16);
  return (first & 0xff00) !== 0xff00 && (first & 0xffc0) !== 0xfe80;
}

/** The port a pod proxy uses when the id names none: the first port of the first container declaring one. */
export function defaultPodPort(pod: KubeObject): string {
  for (const c of asList(asObj(pod.spec).containers)) {
    const port = asList(c.ports)[0]?.containerPort;
    if (typeof port === 'number') return String(port);
  }
  return '';
}

/** The pod's primary IP, as upstream reads it (status.podIPs[0]). */
export function podIP(pod: KubeObject): string {
  const ip = asList(asObj(pod.status).podIPs)[0]?.ip;
  return typeof ip === 'string' ? ip : '';
}

/** Well-known port names Go's dialer resolves without a services database. */
const SERVICE_NAMES: Readonly<Record<string, number>> = { http: 80, https: 443 };

/** The port number a dial to `port` uses: a number, a well-known name, or the scheme's default when none. */
export function dialPort(ip: string, port: string, scheme: ProxyId['scheme']): number {
  const addr = ip.includes(':') ? `[${ip}]` : ip;
  if (port === '') return scheme === 'https' ? 443 : 80;
  if (/^\d+$/.test(port)) {
    const n = Number(port);
    if (n > 65535) throw new DialError(`dial tcp ${addr}:${port}: address ${port}: invalid port`);
    return n;
  }
  const known = SERVICE_NAMES[port.toLowerCase()];
  if (known === undefined) throw new DialError(`dial tcp: lookup tcp/${port}: unknown port`);
  return known;
}

/** Upstream's ResourceLocation for a pod: the IP and port a proxy to it goes to (400 for a pod without a usable IP). */
export function podAddress(pod: KubeObject, id: ProxyId): { ip: string; port: string } {
  const ip = podIP(pod);
  if (!isGlobalUnicast(ip)) throw errors.badRequest('address not allowed');
  return { ip, port: id.port !== '' ? id.port : defaultPodPort(pod) };
}

/**
 * Where a connection to port `port` of the simulated `pod` goes: the address
 * its port-forward annotation names. Throws a DialError worded for the
 * client when there is none (or host access is off).
 */
export function simulatedTarget(pod: KubeObject, port: number, scheme: ProxyId['scheme'], options: StreamingOptions): ProxyTarget {
  if (options.hostAccess === false) {
    const id = podIdentity(pod);
    throw new DialError(`proxy is disabled on this kubevisor server: pod ${id.namespace}/${id.name} is simulated and listens on no ports`);
  }
  const t = portForwardTarget(pod, port, options);
  if (!t.ok) throw new DialError(t.message);
  return { scheme: scheme === 'https' ? 'https' : 'http', host: t.host, port: t.port };
}

/** Ready addresses and their ports, as one Endpoints subset. */
export interface EndpointSubset {
  readonly addresses: ReadonlyArray<{ readonly ip: string; readonly pod?: { readonly namespace?: string; readonly name: string } }>;
  readonly ports: ReadonlyArray<{ readonly name: string; readonly port: number }>;
}

function podRef(ref: unknown): { namespace?: string; name: string } | undefined {
  const r = asObj(ref);
  if (r.kind !== 'Pod' || typeof r.name !== 'string' || r.name === '') return undefined;
  return { namespace: typeof r.namespace === 'string' ? r.namespace : undefined, name: r.name };
}

function portsOf(list: unknown): EndpointSubset['ports'] {
  return asList(list).filter((p) => typeof p.port === 'number')
    .map((p) => ({ name: typeof p.name === 'string' ? p.name : '', port: p.port as number }));
}

/** The subsets of an Endpoints object (ready addresses only: notReadyAddresses are not served). */
export function endpointsSubsets(ep: KubeObject): EndpointSubset[] {
  return asList(ep.subsets).map((s) => ({
    addresses: asList(s.addresses).filter((a) => typeof a.ip === 'string')
      .map((a) => ({ ip: a.ip as string, pod: podRef(a.targetRef) })),
    ports: portsOf(s.ports),
  }));
}

/** EndpointSlices read as Endpoints subsets: one per slice, its ready endpoints' addresses. */
export function sliceSubsets(slices: readonly KubeObject[]): EndpointSubset[] {
  const out: EndpointSubset[] = [];
  for (const slice of slices) {
    if (slice['addressType'] === 'FQDN') continue;
    const addresses: Array<{ ip: string; pod?: { namespace?: string; name: string } }> = [];
    for (const e of asList(slice['endpoints'])) {
      // A missing `ready` counts as ready (as upstream's EndpointSlice consumers read it).
      if (asObj(e.conditions).ready === false) continue;
      const pod = podRef(e.targetRef);
      for (const ip of Array.isArray(e.addresses) ? e.addresses : []) if (typeof ip === 'string') addresses.push({ ip, pod });
    }
    out.push({ addresses, ports: portsOf(slice['ports']) });
  }
  return out;
}

/** The name of the service port a numbered proxy port stands for (503 as upstream when none). */
export function servicePortName(svc: KubeObject, port: string): string {
  if (!/^\d+$/.test(port)) return port;
  const wanted = Number(port);
  const found = asList(asObj(svc.spec).ports).find((p) => p.port === wanted);
  if (!found) throw errors.serviceUnavailable(`no service port ${wanted} found for service "${svc.metadata.name ?? ''}"`);
  return typeof found.name === 'string' ? found.name : '';
}

function shuffled<T>(items: readonly T[]): T[] {
  const start = items.length === 0 ? 0 : Math.floor(Math.random() * items.length);
  return items.map((_x, i) => items[(start + i) % items.length]!);
}

/**
 * A ready endpoint of a service for port `portName`: upstream's choice (a
 * random subset that has the port, a random address in it whose pod exists
 * and has that IP). `podOf` finds the pod an address names.
 */
export async function pickEndpoint(subsets: readonly EndpointSubset[], portName: string, id: string, serviceName: string,
  namespace: string, podOf: (name: string) => Promise<KubeObject | undefined>): Promise<{ pod: KubeObject; ip: string; port: number }> {
  if (subsets.length === 0) throw errors.serviceUnavailable(`no endpoints available for service "${serviceName}"`);
  for (const ss of shuffled(subsets)) {
    if (ss.addresses.length === 0) continue;
    const port = ss.ports.find((p) => p.name === portName);
    if (!port) continue;
    for (const addr of shuffled(ss.addresses)) {
      if (!addr.pod || (addr.pod.namespace ?? namespace) !== namespace) continue;
      const pod = await podOf(addr.pod.name);
      if (!pod) continue;
      const ips = asList(asObj(pod.status).podIPs).map((p) => p.ip);
      if (!ips.includes(addr.ip)) continue;
      return { pod, ip: addr.ip, port: port.port };
    }
  }
  throw errors.serviceUnavailable(`no endpoints available for service "${id}"`);
}
