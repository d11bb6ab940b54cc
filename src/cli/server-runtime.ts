// A whole kubevisor server in this process: the admin API at the root, the
// cluster manager behind /clusters/NAME, and the controllers of every cluster.
// `kubevisor serve` and `kubevisor up` (and in-process tests) start one.

import type { HorizontalOptions } from '../controllers/autoscaling/index.ts';
import type { ControllerContext } from '../controllers/context.ts';
import type { VirtualCluster } from '../server/cluster.ts';
import type { RunningServer } from '../server/options.ts';
import type { Pki } from '../server/pki/pki.ts';
import { ClusterManager, type ClusterStop, type StorageConfig } from '../server/tenancy/manager.ts';
import type { Syncer } from '../syncer/index.ts';
import type { ClusterSpec } from '../server/tenancy/spec.ts';
import { openAdminCluster } from '../server/tenancy/admin-cluster.ts';
import { VC_API_VERSION, VC_GROUP, VC_PLURAL, VC_VERSION } from '../server/tenancy/virtualcluster-crd.ts';
import type { KubeObject } from '../api/types.ts';
import { X509Certificate, createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { bearerToken, peerCertificate } from '../server/auth/authenticate.ts';

export interface RuntimeOptions {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly storage: StorageConfig;
  readonly pki: Pki;
  /** Let pod annotations name host files, commands and addresses (single-user servers). */
  readonly podHostAccess?: boolean;
  /**
   * The controllers of each virtual cluster; default: all of a standalone cluster, with
   * spec.nodes simulated nodes, or, for a cluster with a host, the syncer's.
   */
  readonly controllers?: (vc: VirtualCluster, spec: ClusterSpec) => ClusterStop | void | Promise<ClusterStop | void>;
  /**
   * How pods synced to host clusters reach this server: its API (their KUBERNETES_SERVICE_HOST
   * and _PORT) and its DNS server. Default: the address the server listens on.
   */
  readonly podAccess?: {
    readonly apiServer?: { readonly host: string; readonly port: number };
    readonly dnsIP?: string;
    /** Where this server's DNS server for synced pods listens; default the listen host, port 53. */
    readonly dns?: { readonly host: string; readonly port: number };
  };
  /** The pod CIDR of simulated nodes (default 10.244.0.0/16). */
  readonly podCIDR?: string;
  /** The address clients use, when it is not https://HOST:PORT. */
  readonly externalUrl?: string;
  /** The HPA controller's settings (kube-controller-manager's --horizontal-pod-autoscaler-* flags). */
  readonly horizontalPodAutoscaler?: HorizontalOptions;
}

export interface KubevisorServer {
  readonly server: RunningServer;
  readonly manager: ClusterManager;
  readonly admin: VirtualCluster;
  /** https://HOST:PORT as clients reach it. */
  readonly url: string;
  /** The port of the DNS server for synced pods, once one runs. */
  dnsPort(): Promise<number | undefined>;
  /** Create (or update) the VirtualCluster `name` with `spec` and wait until it serves. */
  ensureCluster(name: string, spec?: Record<string, unknown>): Promise<VirtualCluster>;
  close(): Promise<void>;
}

export async function startKubevisorServer(o: RuntimeOptions): Promise<KubevisorServer> {
  const { startServer } = await import('../server/server.ts');
  (await import('../server/codecs.ts')).installCodecs();
  const { startControllers, startAdminControllers } = await import('../controllers/index.ts');
  const { startVirtualClusterController } = await import('../controllers/tenancy/virtualclusters.ts');
  const { clientUrl } = await import('./listen-address.ts');
  let url = o.externalUrl ?? '';
  const externalUrl = () => url;
  let phaseChanged: (name: string) => void = () => {};
  // The syncer (and the host client library) load only once a cluster has a host.
  let syncer: Promise<Syncer> | undefined;
  let listening = { host: o.host, port: o.port };
  let syncerLoaded: Syncer | undefined;
  const syncerOf = () => syncer ??= import('../syncer/index.ts').then(({ Syncer }) => syncerLoaded = new Syncer({
    get apiServer() { return o.podAccess?.apiServer ?? { host: podHost(listening.host), port: listening.port }; },
    get dnsIP() { return o.podAccess?.dnsIP ?? podHost(listening.host); },
    dns: o.podAccess?.dns ?? { host: podHost(o.host), port: 53 },
    // Servers sharing an etcd are replicas of each other (they share the PKI too): one of them syncs
    // each host namespace, elected through a Lease named after their common root CA.
    replica: o.storage.backend === 'etcd'
      ? { identity: `${hostname()}-${process.pid}`, lease: `kubevisor-syncer-${createHash('sha256').update(o.pki.caCert).digest('hex').slice(0, 10)}` }
      : undefined,
    onHealth: (name) => phaseChanged(name),
    readSecret: async (namespace, name, key) => {
      const def = admin.registry.find('', 'v1', 'secrets');
      const s = def ? admin.store.peek(def, namespace, name) : undefined;
      const v = (s?.data as Record<string, string> | undefined)?.[key];
      return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
    },
  }));
  const controllers = o.controllers ?? (async (vc: VirtualCluster, spec: ClusterSpec): Promise<ClusterStop> => {
    const host = spec.host;
    const syncer = host ? await syncerOf() : undefined;
    const stopControllers = startControllers({
      nodes: host ? 0 : spec.nodes, caCert: o.pki.caCert, hosted: host !== undefined, podCIDR: o.podCIDR,
      // The synced pods' API address is the cluster's default/kubernetes.
      apiServer: syncer?.apiServerEndpoint(),
      horizontalPodAutoscaler: o.horizontalPodAutoscaler,
    })(vc);
    if (!host || !syncer) return stopControllers;
    const stopSync = syncer.attach(vc, host);
    return async (phase) => {
      await stopSync(phase);
      stopControllers();
    };
  });
  const manager = new ClusterManager({
    dataDir: o.dataDir,
    storage: o.storage,
    rootCA: { certPem: o.pki.clientCACert, keyPem: o.pki.clientCAKey },
    podHostAccess: o.podHostAccess,
    onClusterOpen: controllers,
    onPhaseChange: (name) => phaseChanged(name),
  });
  const admin = await openAdminCluster({
    dataDir: o.dataDir,
    storage: o.storage,
    rootCA: new X509Certificate(o.pki.clientCACert),
    adminTokenHashes: o.pki.adminTokenHashes,
    manager,
    servingCA: o.pki.caCert,
    externalUrl,
  });
  const stopAdmin = startAdminControllers(admin);
  const vcController = startVirtualClusterController(admin, {
    manager, externalUrl,
    conditions: (name) => {
      const h = syncerLoaded?.healthOf(name);
      if (!h) return [];
      const message = h.state === 'Connected' ? '' : h.message ?? 'connecting to the host cluster';
      return [{ type: 'HostConnected', status: h.state === 'Connected' ? 'True' : 'False', reason: h.state, message, since: h.since }];
    },
  });
  phaseChanged = (name) => vcController.phaseChanged(name);

  const vcDef = () => admin.registry.find(VC_GROUP, VC_VERSION, VC_PLURAL);
  const resolveCluster = async (name: string): Promise<VirtualCluster> => {
    // A cluster created a moment ago may not have been reconciled yet.
    if (!manager.get(name)) {
      const def = vcDef();
      if (def && admin.store.peek(def, undefined, name)) await vcController.reconcileNow(name);
    }
    return manager.acquire(name);
  };

  const server = await startServer({
    host: o.host,
    port: o.port,
    tls: { cert: o.pki.servingCert, key: o.pki.servingKey, clientCA: o.pki.clientCACert },
    admin,
    resolveCluster,
    clusterOf: (req) => manager.ownerOf(peerCertificate(req), bearerToken(req)),
    onClose: async () => {
      await vcController.stop();
      await manager.closeAll();
      if (syncer) (await syncer).close();
      stopAdmin();
      await admin.close();
    },
  });
  url ||= clientUrl(o.host, server.port);
  listening = { host: o.host, port: server.port };

  async function waitForDef(): Promise<NonNullable<ReturnType<typeof vcDef>>> {
    for (let i = 0; i < 500; i++) {
      const def = vcDef();
      if (def) return def;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('the VirtualCluster definition was not established');
  }

  return {
    server, manager, admin, url,
    dnsPort: async () => (syncer ? (await syncer).dnsPort() : undefined),
    async ensureCluster(name, spec = {}) {
      const def = await waitForDef();
      const existing = admin.store.peek(def, undefined, name);
      if (!existing) {
        const obj: KubeObject = { apiVersion: VC_API_VERSION, kind: 'VirtualCluster', metadata: { name }, spec };
        await admin.store.create(def, undefined, obj, { fieldManager: 'kubevisor' });
      } else {
        await admin.store.guaranteedUpdate(def, undefined, name, (cur) => {
          const x = cur as KubeObject;
          x.spec = { ...(x.spec as object), ...spec };
          return x;
        }, { fieldManager: 'kubevisor' });
      }
      await vcController.reconcileNow(name);
      return manager.acquire(name);
    },
    close: () => server.close(),
  };
}

export type { ControllerContext };

/** The address pods use for a server listening on `host` (all interfaces: the loopback address). */
function podHost(host: string): string {
  return host === '' || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}
