// The ServiceDialer of a virtual cluster synced to a host (server/service-dial.ts):
// a raw TCP connection to a ready endpoint of a virtual Service's port, for the
// API server to speak TLS over end to end with the pod (an aggregated API's
// server). The Service resolves as upstream's service resolver does, in the
// virtual cluster (the Service, its port) and then on the host (the host
// copy's EndpointSlices, or its Endpoints, the port picked by the Service
// port's name, so a named target port resolves through the endpoint's ports);
// the connection is a tunnel through the host's pods/portforward of the
// endpoint's pod (host/port-forward-tunnel.ts). Whatever the host says names
// the virtual pod and Service.

import { ApiError } from '../api/errors.ts';
import type { KubeObject } from '../api/types.ts';
import type { VirtualCluster } from '../server/cluster.ts';
import { ServiceDialError, type ServiceDialer, type ServiceTarget } from '../server/service-dial.ts';
import type { HostConnection } from './host/connection.ts';
import { HostError } from './host/errors.ts';
import { abortText, openPortForwardTunnel } from './host/port-forward-tunnel.ts';
import { ENDPOINTS } from './endpoints.ts';
import { PODS, SERVICES } from './resources.ts';
import { reword, virtualPodError, type PodPair } from './streams-errors.ts';
import { ANN_UID, LABEL_VCLUSTER, hostName, isManagedBy, labelValue, managedSelector, standsFor, virtualIdentity } from './translate/index.ts';
import type { SyncContext } from './context.ts';

const ENDPOINT_SLICES = { apiVersion: 'discovery.k8s.io/v1', plural: 'endpointslices' } as const;

/** What the dialer reads of the host: from the syncer's shared informers while it syncs, or asked of the host. */
export interface DialHost {
  readonly conn: HostConnection;
  /** The host namespace. */
  readonly namespace: string;
  service(name: string): Promise<KubeObject | undefined>;
  pod(name: string): Promise<KubeObject | undefined>;
  /** The cluster's host pods (for an endpoint that names its IP alone). */
  pods(): Promise<readonly KubeObject[]>;
}

/** The host as a syncing cluster sees it: its informers' caches. */
export function syncingHost(ctx: SyncContext): DialHost {
  return {
    conn: ctx.conn, namespace: ctx.hostNamespace,
    service: async (name) => ctx.hosts.services.get(name),
    pod: async (name) => ctx.hosts.pods.get(name),
    pods: async () => ctx.hosts.pods.byLabel(LABEL_VCLUSTER, labelValue(ctx.name)),
  };
}

/** The host reached by its connection alone (a replica that does not lead the host namespace has no informers). */
export function connectedHost(conn: HostConnection, namespace: string, vcluster: string): DialHost {
  const get = async (resource: typeof SERVICES, name: string): Promise<KubeObject | undefined> => {
    try {
      return await conn.get(resource, namespace, name);
    } catch (e) {
      if (e instanceof HostError && e.notFound) return undefined;
      throw e;
    }
  };
  return {
    conn, namespace,
    service: (name) => get(SERVICES, name),
    pod: (name) => get(PODS, name),
    pods: async () => (await conn.list(PODS, namespace, { labelSelector: managedSelector(vcluster) })).items,
  };
}

interface ServicePort { name?: string; port?: number; protocol?: string }

/** One ready endpoint: its address, the host pod it names (if any) and the port there. */
interface Candidate { readonly ip: string | undefined; readonly pod: string | undefined; readonly port: number }

const resolveError = (text: string) => new ServiceDialError(text, 'resolve');

/**
 * The dialer of synced cluster `vc`; `host()` is where its host is now
 * (undefined while it is not connected).
 */
export function hostServiceDialer(vc: VirtualCluster, host: () => DialHost | undefined): ServiceDialer {
  const servicesDef = vc.registry.find('', 'v1', 'services');
  return async (target: ServiceTarget, signal?: AbortSignal) => {
    const { namespace, name } = target;
    const quoted = JSON.stringify(name);
    if (!servicesDef) throw resolveError(`service ${quoted} not found`);
    let svc: KubeObject;
    try {
      svc = await vc.store.get(servicesDef, namespace, name);
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) throw resolveError(`service ${quoted} not found`);
      throw e;
    }
    const spec = (svc.spec ?? {}) as { type?: string; ports?: ServicePort[] };
    const type = spec.type ?? 'ClusterIP';
    if (type !== 'ClusterIP' && type !== 'NodePort' && type !== 'LoadBalancer') throw resolveError(`unsupported service type ${JSON.stringify(type)}`);
    const svcPort = (spec.ports ?? []).find((p) => p.port === target.port);
    if (!svcPort) throw resolveError(`no service port ${target.port} found for service ${quoted}`);
    const noEndpoints = resolveError(`no endpoints available for service ${quoted}`);
    if ((svcPort.protocol ?? 'TCP') !== 'TCP') throw noEndpoints;

    const h = host();
    if (!h) throw new ServiceDialError('the virtual cluster is not connected to its host cluster yet', 'dial');
    const hName = hostName(name, namespace, vc.name);
    const svcPair: PodPair = { namespace, name, hostNamespace: h.namespace, hostName: hName };
    const hostFailure = (e: unknown): ServiceDialError => new ServiceDialError(serviceFailureText(e, svcPair), 'dial');
    if (signal?.aborted) throw new ServiceDialError(abortText(signal), 'dial');

    let candidates: Candidate[];
    try {
      const hostSvc = await h.service(hName);
      // Not on the host (yet), or another object of that name.
      if (!hostSvc || !standsFor(hostSvc, svc, 'Service', vc.name)) throw noEndpoints;
      candidates = await readyEndpoints(h, hName, svcPort.name ?? '');
    } catch (e) {
      if (e instanceof ServiceDialError) throw e;
      throw hostFailure(e);
    }
    if (candidates.length === 0) throw noEndpoints;

    // A random ready endpoint (as upstream picks one) that is a pod of this cluster: only pods are reached through the host.
    const order = shuffled(candidates);
    let pods: readonly KubeObject[] | undefined;
    for (const c of order) {
      let pod: KubeObject | undefined;
      try {
        if (c.pod !== undefined) pod = await h.pod(c.pod);
        else if (c.ip !== undefined) {
          pods ??= await h.pods();
          pod = pods.find((p) => podIPs(p).includes(c.ip!));
        }
      } catch (e) {
        throw hostFailure(e);
      }
      if (!pod || !isManagedBy(pod, vc.name, 'Pod')) continue;
      const id = virtualIdentity(pod)!;
      const podPair: PodPair = {
        namespace: id.namespace ?? namespace, name: id.name, hostNamespace: h.namespace, hostName: pod.metadata.name ?? '',
        uid: pod.metadata.annotations?.[ANN_UID], hostUid: pod.metadata.uid,
      };
      const words = (text: string): string => reword(reword(text, podPair), svcPair);
      return await openPortForwardTunnel(h.conn, h.namespace, podPair.hostName, c.port, {
        signal, reword: words, refusal: (e) => virtualPodError(e, podPair).message,
      });
    }
    throw new ServiceDialError(`the endpoints of service ${quoted} are not pods of the virtual cluster: only its pods are reached through its host`, 'dial');
  };
}

/** A host failure while resolving, worded for the Service (the host's names and RBAC are not the tenant's). */
function serviceFailureText(e: unknown, svc: PodPair): string {
  if (e instanceof HostError) {
    if (e.code === 0) return `unable to reach service ${svc.name} in namespace ${svc.namespace} now; try again later`;
    if (e.credentials) return `the virtual cluster may not reach service ${svc.namespace}/${svc.name} where it runs`;
  }
  return reword(e instanceof Error ? e.message : String(e), svc);
}

function podIPs(pod: KubeObject): string[] {
  const st = (pod.status ?? {}) as { podIP?: string; podIPs?: { ip?: string }[] };
  const out = (st.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => typeof ip === 'string');
  if (st.podIP && !out.includes(st.podIP)) out.push(st.podIP);
  return out;
}

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

interface Slice {
  addressType?: string;
  endpoints?: { addresses?: string[]; conditions?: { ready?: boolean }; targetRef?: { kind?: string; name?: string } }[];
  ports?: { name?: string; port?: number; protocol?: string }[];
}

interface Subsets {
  subsets?: {
    addresses?: { ip?: string; targetRef?: { kind?: string; name?: string } }[];
    ports?: { name?: string; port?: number; protocol?: string }[];
  }[];
}

const podRef = (ref: { kind?: string; name?: string } | undefined): string | undefined =>
  ref?.kind === 'Pod' && ref.name ? ref.name : undefined;

/**
 * The ready endpoints of host Service `hName` for the Service port named
 * `portName`: from its EndpointSlices, or its Endpoints when it has none (a
 * host without slices, or one that does not mirror a selectorless Service's).
 */
async function readyEndpoints(h: DialHost, hName: string, portName: string): Promise<Candidate[]> {
  let slices: Slice[] | undefined;
  try {
    slices = (await h.conn.list(ENDPOINT_SLICES, h.namespace, { labelSelector: `kubernetes.io/service-name=${hName}` })).items as unknown as Slice[];
  } catch (e) {
    // A host that serves no slices, or credentials that may not read them: the Endpoints say the same.
    if (!(e instanceof HostError && (e.notFound || e.credentials))) throw e;
  }
  if (slices && slices.length > 0) {
    const out: Candidate[] = [];
    for (const s of slices) {
      if (s.addressType === 'FQDN') continue;
      const port = s.ports?.find((p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP') === 'TCP')?.port;
      if (port === undefined) continue;
      for (const ep of s.endpoints ?? []) {
        if (ep.conditions?.ready === false) continue;
        out.push({ ip: ep.addresses?.[0], pod: podRef(ep.targetRef), port });
      }
    }
    return out;
  }
  let eps: Subsets;
  try {
    eps = await h.conn.get(ENDPOINTS, h.namespace, hName) as unknown as Subsets;
  } catch (e) {
    if (e instanceof HostError && e.notFound) return [];
    throw e;
  }
  const out: Candidate[] = [];
  for (const ss of eps.subsets ?? []) {
    const port = ss.ports?.find((p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP') === 'TCP')?.port;
    if (port === undefined) continue;
    for (const a of ss.addresses ?? []) out.push({ ip: a.ip, pod: podRef(a.targetRef), port });
  }
  return out;
}
