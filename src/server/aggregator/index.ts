// API aggregation (kube-aggregator) for one virtual cluster: which group
// versions an APIService backed by a Service takes over, the connection to
// that Service (TLS as NAME.NAMESPACE.svc with the APIService's caBundle and
// the cluster's front-proxy client certificate), the backends' discovery
// documents the availability check fetched, and the lazy creation of the
// Local APIServices.
//
// An index of the cluster's APIServices is kept from the watch cache (one
// subscription; a cluster without APIServices backed by a Service pays a
// look at an empty map per request). The proxying, discovery merging and
// the Local APIServices load with first use.
//
// server.ts asks `aggregatorOf(vc)` before serving a resource or discovery
// request; controllers/apiregistration/ sets the Available conditions,
// publishes kube-system/extension-apiserver-authentication and keeps the
// Local APIServices of custom resources in step with the CRDs.

import type { V3Document } from '../../api/openapi/v3.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { KubeObject } from '../../api/types.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import type { UserInfo } from '../../registry/types.ts';
import type { VirtualCluster } from '../cluster.ts';
import { serviceDialerOf, type ServiceDialer, type ServiceTarget } from '../service-dial.ts';
import type { StreamingOptions } from '../streaming/pod-config.ts';
import type { DiscoveryRequest } from '../request-info.ts';

export const GROUP = 'apiregistration.k8s.io';

/** An APIService backed by a Service, as the proxy and discovery need it. */
export interface Backend {
  readonly name: string;
  readonly group: string;
  readonly version: string;
  readonly groupPriorityMinimum: number;
  readonly versionPriority: number;
  readonly service: ServiceTarget;
  /** PEM (decoded caBundle); undefined: the system's roots. */
  readonly caPem: string | undefined;
  readonly insecureSkipTLSVerify: boolean;
  /** Its Available condition is True. */
  readonly available: boolean;
}

/** A backend's legacy discovery document for its group/version, as last fetched. */
export interface BackendDiscovery {
  readonly resources: readonly Record<string, unknown>[];
  /** The last check failed (the resources are from an earlier one, if any). */
  readonly stale: boolean;
}

function backendOf(obj: KubeObject): Backend | undefined {
  const spec = (obj.spec ?? {}) as Record<string, unknown>;
  const svc = spec.service as Record<string, unknown> | null | undefined;
  if (!svc || typeof svc !== 'object') return undefined;
  const conditions = ((obj.status as { conditions?: unknown } | undefined)?.conditions ?? []) as Array<{ type?: string; status?: string }>;
  const ca = typeof spec.caBundle === 'string' && spec.caBundle !== '' ? Buffer.from(spec.caBundle, 'base64').toString('utf8') : undefined;
  return {
    name: String(obj.metadata.name ?? ''),
    group: typeof spec.group === 'string' ? spec.group : '',
    version: typeof spec.version === 'string' ? spec.version : '',
    groupPriorityMinimum: typeof spec.groupPriorityMinimum === 'number' ? spec.groupPriorityMinimum : 0,
    versionPriority: typeof spec.versionPriority === 'number' ? spec.versionPriority : 0,
    service: { namespace: String(svc.namespace ?? ''), name: String(svc.name ?? ''), port: typeof svc.port === 'number' ? svc.port : 443 },
    caPem: ca,
    insecureSkipTLSVerify: spec.insecureSkipTLSVerify === true,
    available: conditions.some((c) => c.type === 'Available' && c.status === 'True'),
  };
}

const proxyModule = () => import('./proxy.ts');
const discoveryModule = () => import('./discovery.ts');
const localModule = () => import('./local.ts');

export class Aggregator {
  readonly vc: VirtualCluster;
  private readonly options: StreamingOptions;
  /** Backends by "group/version". */
  private readonly byGroupVersion = new Map<string, Backend>();
  private readonly discovery = new Map<string, BackendDiscovery>();
  /** Backends' OpenAPI v3 documents by document path ("apis/GROUP/VERSION"), as last fetched. */
  private readonly openapi = new Map<string, V3Document>();
  private readonly unsubscribe: () => void;
  private localDone: Promise<void> | undefined;
  private simulated: ServiceDialer | undefined;
  /** Told when a proxied request could not reach its backend (the availability controller checks again). */
  onUnreachable: ((apiService: string) => void) | undefined;

  constructor(vc: VirtualCluster, options: StreamingOptions) {
    this.vc = vc;
    this.options = options;
    const def = vc.registry.find(GROUP, 'v1', 'apiservices');
    if (!def) {
      this.unsubscribe = () => {};
      return;
    }
    const prefix = resourcePrefix(def);
    for (const c of vc.cache.scan(prefix)) this.index(undefined, c.obj);
    this.unsubscribe = vc.cache.subscribe({
      prefix,
      onEvent: (ev) => this.index(ev.prev, ev.type === 'DELETED' ? undefined : ev.obj),
    });
  }

  private index(prev: KubeObject | undefined, obj: KubeObject | undefined): void {
    // The name is VERSION.GROUP: an APIService never changes its group/version.
    const next = obj && backendOf(obj);
    if (next) {
      this.byGroupVersion.set(`${next.group}/${next.version}`, next);
      return;
    }
    const old = prev && backendOf(prev);
    const key = old && `${old.group}/${old.version}`;
    if (key && this.byGroupVersion.get(key)?.name === old.name) {
      this.byGroupVersion.delete(key);
      this.discovery.delete(key);
      this.openapi.delete(`apis/${key}`);
    }
  }

  /** Whether any APIService is backed by a Service. */
  get active(): boolean {
    return this.byGroupVersion.size > 0;
  }

  /** The backend serving group/version, if an APIService backed by a Service names it. */
  backend(group: string, version: string): Backend | undefined {
    return this.byGroupVersion.size === 0 ? undefined : this.byGroupVersion.get(`${group}/${version}`);
  }

  backends(): Backend[] {
    return [...this.byGroupVersion.values()];
  }

  /** Record what a backend's discovery answered (resources) or that it failed (undefined). */
  setDiscovery(apiService: string, group: string, version: string, resources: readonly Record<string, unknown>[] | undefined): void {
    const key = `${group}/${version}`;
    if (this.byGroupVersion.get(key)?.name !== apiService) return;
    if (resources) this.discovery.set(key, { resources, stale: false });
    else this.discovery.set(key, { resources: this.discovery.get(key)?.resources ?? [], stale: true });
  }

  /** Record a backend's OpenAPI v3 document of its group/version (undefined: it has none, or it failed). */
  setOpenAPI(apiService: string, group: string, version: string, doc: V3Document | undefined): void {
    const key = `${group}/${version}`;
    if (this.byGroupVersion.get(key)?.name !== apiService) return;
    if (doc) this.openapi.set(`apis/${key}`, doc);
    else this.openapi.delete(`apis/${key}`);
  }

  /**
   * The OpenAPI v3 documents of available backends (what /openapi/v3 lists
   * beside the cluster's own, so `kubectl explain` knows their kinds), and
   * their group/versions; undefined when there are none.
   */
  openapiV3(): { docs: ReadonlyMap<string, V3Document>; groupVersions: string[] } | undefined {
    if (this.openapi.size === 0) return undefined;
    const docs = new Map<string, V3Document>();
    for (const [path, doc] of this.openapi) {
      const b = this.byGroupVersion.get(path.slice('apis/'.length));
      if (b?.available) docs.set(path, doc);
    }
    return docs.size === 0 ? undefined : { docs, groupVersions: [...docs.keys()].map((p) => p.slice('apis/'.length)) };
  }

  discoveryOf(group: string, version: string): BackendDiscovery | undefined {
    return this.discovery.get(`${group}/${version}`);
  }

  /** A raw connection to a Service of the cluster: the cluster's dialer (a synced cluster's), else its simulated pods'. */
  async dial(target: ServiceTarget, signal?: AbortSignal): Promise<Duplex> {
    const dialer = serviceDialerOf(this.vc);
    if (dialer) return dialer(target, signal);
    if (!this.simulated) {
      const { simulatedServiceDialer } = await import('../service-dial-simulated.ts');
      this.simulated ??= simulatedServiceDialer(this.vc, this.options);
    }
    return this.simulated(target, signal);
  }

  /** Proxy a request for a backend's group/version (authorized already). */
  async proxy(b: Backend, req: IncomingMessage, res: ServerResponse, user: UserInfo, path: string, query: URLSearchParams): Promise<void> {
    return (await proxyModule()).proxyRequest(this, b, req, res, user, path, query);
  }

  /** Proxy an upgrade (WebSocket, SPDY) for a backend's group/version (authorized already). */
  async proxyUpgrade(b: Backend, req: IncomingMessage, socket: Duplex, head: Buffer, user: UserInfo, path: string, query: URLSearchParams): Promise<void> {
    return (await proxyModule()).proxyUpgrade(this, b, req, socket, head, user, path, query);
  }

  /**
   * Serve a discovery request that aggregated APIs change: /apis/GROUP/VERSION of a backend
   * (proxied), /apis and /apis/GROUP (merged), aggregated discovery. False: not changed by them.
   */
  async serveDiscovery(info: DiscoveryRequest, req: IncomingMessage, res: ServerResponse, user: UserInfo, path: string,
    query: URLSearchParams, serverAddress: string): Promise<boolean> {
    if (this.byGroupVersion.size === 0 || info.prefix !== 'apis') return false;
    if (info.group !== undefined && info.version !== undefined) {
      const b = this.backend(info.group, info.version);
      if (!b) return false;
      await this.proxy(b, req, res, user, path, query);
      return true;
    }
    return (await discoveryModule()).serveMergedDiscovery(this, info, req, res, serverAddress);
  }

  /** Create the Local APIServices once (the first request for APIServices); the controller keeps them in step after. */
  ensureLocal(): Promise<void> {
    this.localDone ??= localModule().then((m) => m.syncLocalAPIServices(this.vc)).catch((e: unknown) => {
      this.localDone = undefined;
      throw e;
    });
    return this.localDone;
  }

  stop(): void {
    this.unsubscribe();
  }
}

const aggregators = new WeakMap<VirtualCluster, Aggregator>();

/** Serve API aggregation in `vc`; it stops when the cluster closes. */
export function installAggregator(vc: VirtualCluster, options: StreamingOptions): Aggregator {
  const a = new Aggregator(vc, options);
  aggregators.set(vc, a);
  vc.whenClosed(() => a.stop());
  return a;
}

export function aggregatorOf(vc: VirtualCluster): Aggregator | undefined {
  return aggregators.get(vc);
}
