// The syncer: runs the workloads of this server's virtual clusters on host
// clusters. One Syncer serves every virtual cluster of the server; each that
// names a host gets a ClusterSyncer, sharing the host's connection and its
// informers with the others on the same host.
import { errors } from '../api/errors.ts';
import type { AdmissionPlugin } from '../registry/generic/admission.ts';
import type { APIServerEndpoint } from '../controllers/core/index.ts';
import type { VirtualCluster } from '../server/cluster.ts';
import type { HostSpec } from '../server/tenancy/spec.ts';
import { backoffDelay, defaultBackoff, type KubeconfigSource } from './host/index.ts';
import { sleep } from './host/backoff.ts';
import { ClusterSyncer } from './cluster-syncer.ts';
import type { SyncerOptions } from './context.ts';
import { HostPool, type HostLink } from './hosts.ts';
import { Leadership, type LeadershipTiming } from './leadership.ts';
import { hostServiceAdmission } from './services.ts';
import type { SyncContext } from './context.ts';
import { ClusterDnsView } from './dns-views.ts';
import { startDnsServer, type DnsServer } from './dns/server.ts';
import { canonicalIP } from './dns/ip.ts';
import { attachHostPodStreams } from './streams.ts';
import type { ResolveHostService } from './streams-proxy.ts';
import { attachHostMetrics } from './metrics.ts';
import { hostName, standsFor } from './translate/index.ts';
import { setServiceDialer } from '../server/service-dial.ts';
import { connectedHost, hostServiceDialer, syncingHost, type DialHost } from './service-dialer.ts';

export type { SyncerOptions } from './context.ts';

export interface ServerSyncerOptions extends SyncerOptions {
  /** The text of a kubeconfig Secret in the admin API (spec.host.kubeconfigSecret). */
  readSecret(namespace: string, name: string, key: string): Promise<string | undefined>;
  /**
   * Where the DNS server for synced pods listens (pods are told `dnsIP`, port 53: put
   * this address behind it). Undefined: no DNS server.
   */
  readonly dns?: { readonly host: string; readonly port: number };
  /**
   * This server is one of several replicas serving the same clusters (shared storage): per host
   * namespace, the replica holding the Lease `lease` there syncs; the others wait.
   */
  readonly replica?: { readonly identity: string; readonly lease: string; readonly timing?: LeadershipTiming };
  /** A cluster's connection to its host changed (for its VirtualCluster status). */
  onHealth?(name: string): void;
}

/** How a cluster's syncing stands. */
export type SyncHealth =
  | { readonly state: 'Connecting'; readonly since: number; readonly message?: string }
  | { readonly state: 'Connected'; readonly since: number }
  | { readonly state: 'Retrying'; readonly since: number; readonly message: string };

/** Service objects whose admission made them on the host already. */
const hostAdmitted = new WeakSet<object>();

/** Why a cluster's syncing stops: the phase the cluster closes into. */
export type StopReason = 'Pending' | 'Running' | 'Paused' | 'Sleeping' | 'Terminating' | 'Failed';

export class Syncer {
  private readonly opts: ServerSyncerOptions;
  private readonly pool = new HostPool();
  private readonly clusters = new Map<string, ClusterSyncer>();
  private readonly health = new Map<string, SyncHealth>();
  /** Host pod IP → the virtual cluster of that pod (whose names the DNS server answers it). */
  private readonly podIPs = new Map<string, string>();
  private readonly ipsOf = new Map<string, Map<string, readonly string[]>>();
  private readonly dnsViews = new Map<string, ClusterDnsView>();
  private readonly leaderships = new Map<string, Leadership>();
  private dns: Promise<DnsServer | undefined> | undefined;

  constructor(opts: ServerSyncerOptions) {
    this.opts = opts;
  }

  /**
   * Where synced pods reach the API server, for the virtual clusters' default/kubernetes (its
   * ClusterIP and endpoints); undefined when that is a name. Read at each use: the port is known
   * only once the server listens.
   */
  apiServerEndpoint(): APIServerEndpoint | undefined {
    const opts = this.opts;
    if (canonicalIP(opts.apiServer.host) === undefined) return undefined;
    return {
      get ip() { return canonicalIP(opts.apiServer.host) ?? opts.apiServer.host; },
      get port() { return opts.apiServer.port; },
    };
  }

  /** The cluster's syncing state; undefined when it has no host (or is not open). */
  healthOf(name: string): SyncHealth | undefined {
    return this.health.get(name);
  }

  private setHealth(name: string, h: SyncHealth | undefined): void {
    const before = this.health.get(name);
    if (h === undefined) this.health.delete(name); else this.health.set(name, h);
    if (before?.state !== h?.state || (before && h && 'message' in before && 'message' in h && before.message !== h.message)) this.opts.onHealth?.(name);
  }

  /** The port the DNS server listens on (tests), once started. */
  async dnsPort(): Promise<number | undefined> {
    return (await this.dns)?.port;
  }

  private startDns(): void {
    const at = this.opts.dns;
    if (!at || this.dns) return;
    this.dns = startDnsServer({
      host: at.host, port: at.port, domain: this.opts.clusterDomain,
      views: (addr) => {
        const name = this.podIPs.get(addr);
        return name === undefined ? undefined : this.dnsViews.get(name)?.get();
      },
    }).catch((e: unknown) => {
      console.error(`kubevisor: the DNS server for synced pods could not listen on ${at.host}:${at.port}: ${(e as Error).message}`);
      return undefined;
    });
  }

  /** Record a host pod's IPs for the DNS server. */
  private trackPod(cluster: string, hostPod: string, raw: readonly string[]): void {
    const ips = raw.map((ip) => canonicalIP(ip) ?? ip);
    let pods = this.ipsOf.get(cluster);
    if (!pods) this.ipsOf.set(cluster, (pods = new Map()));
    for (const ip of pods.get(hostPod) ?? []) if (this.podIPs.get(ip) === cluster) this.podIPs.delete(ip);
    if (ips.length === 0) pods.delete(hostPod); else pods.set(hostPod, ips);
    for (const ip of ips) this.podIPs.set(ip, cluster);
  }

  private forgetPods(cluster: string): void {
    for (const ips of this.ipsOf.get(cluster)?.values() ?? []) for (const ip of ips) if (this.podIPs.get(ip) === cluster) this.podIPs.delete(ip);
    this.ipsOf.delete(cluster);
  }

  /** The syncer of a cluster, while it runs (tests, status). */
  cluster(name: string): ClusterSyncer | undefined {
    return this.clusters.get(name);
  }

  private async source(host: HostSpec): Promise<KubeconfigSource> {
    const k = host.kubeconfig;
    if ('file' in k) return { file: k.file };
    const text = await this.opts.readSecret(k.secret.namespace, k.secret.name, k.secret.key);
    if (text === undefined) throw new Error(`secret ${k.secret.namespace}/${k.secret.name} has no key ${k.secret.key}`);
    return { text };
  }

  /**
   * Sync `vc` to its host. Connecting happens in the background, retried with
   * backoff while the host cannot be reached: the cluster serves meanwhile.
   * Returns what stops it; pausing removes its pods from the host, deleting
   * removes everything it put there.
   */
  attach(vc: VirtualCluster, host: HostSpec): (reason: StopReason) => Promise<void> {
    const abort = new AbortController();
    let current: ClusterSyncer | undefined;
    // Services get their cluster IPs from the host: none can be made until it is connected.
    const admission: AdmissionPlugin = {
      name: 'HostServiceAllocation',
      admit: async (...args) => {
        if (!(args[1].group === '' && args[1].plural === 'services')) return;
        // Another syncer's plugin in this chain took it to the host already (replicas in one process).
        if (hostAdmitted.has(args[3])) return;
        const a = (this.clusters.get(vc.name) === current ? current?.admission : undefined) ?? standby;
        if (!a) {
          if ((args[3].spec as { type?: string } | undefined)?.type === 'ExternalName') return;
          if (args[3].metadata.namespace === 'default' && args[3].metadata.name === 'kubernetes') return;
          throw errors.serviceUnavailable(`the virtual cluster is not connected to its host cluster yet (namespace ${host.namespace}); try again`);
        }
        await a.admit?.(...args);
        hostAdmitted.add(args[3]);
      },
      aborted: (...args) => (current?.admission ?? standby)?.aborted?.(...args),
      deleted: (...args) => current?.admission?.deleted?.(...args),
    };
    vc.store.admission.push(admission);
    const resolveService: ResolveHostService = (namespace, name) => {
      const cs = this.clusters.get(vc.name);
      if (!cs) return undefined;
      const hName = hostName(name, namespace, vc.name);
      const h = cs.ctx.hosts.services.get(hName);
      const v = cs.ctx.peek(cs.ctx.defs.services, namespace, name);
      if (!h || !v || !standsFor(h, v, 'Service', vc.name)) return undefined;
      return { conn: cs.ctx.conn, namespace: cs.ctx.hostNamespace, name: hName };
    };
    // logs, exec, attach, port-forward and proxy go to the host pod (proxy to a service: the host Service).
    attachHostPodStreams(vc, (namespace, name) => {
      const cs = this.clusters.get(vc.name);
      if (!cs) return undefined;
      const hName = hostName(name, namespace, vc.name);
      const h = cs.ctx.hosts.pods.get(hName);
      const v = cs.ctx.peek(cs.ctx.defs.pods, namespace, name);
      if (!h || !v || !standsFor(h, v, 'Pod', vc.name)) return undefined;
      return { conn: cs.ctx.conn, namespace: cs.ctx.hostNamespace, name: hName, uid: h.metadata.uid };
    }, {
      signal: abort.signal,
      // services/proxy goes to the host Service.
      resolveService,
    });
    // The API server's own connections to the cluster's Services (aggregated APIs, admission
    // webhooks named by a Service) tunnel to the host pods.
    let standbyHost: DialHost | undefined;
    const unsetDialer = setServiceDialer(vc, hostServiceDialer(vc, () => {
      const cs = this.clusters.get(vc.name);
      return cs ? syncingHost(cs.ctx) : standbyHost;
    }));
    // The Metrics API answers from the host's (kubectl top).
    const unsetMetrics = attachHostMetrics(vc, () => this.clusters.get(vc.name)?.ctx);
    this.startDns();
    const dnsView = new ClusterDnsView(vc, () => canonicalIP(this.opts.apiServer.host));
    this.dnsViews.set(vc.name, dnsView);
    this.setHealth(vc.name, { state: 'Connecting', since: Date.now() });
    let standby: AdmissionPlugin | undefined;
    let releaseLead: (() => Promise<void>) | undefined;
    const started = (async () => {
      for (let failures = 0; !abort.signal.aborted; failures++) {
        let cs: ClusterSyncer | undefined;
        let link: HostLink | undefined;
        try {
          link = await this.pool.acquire(await this.source(host), host.context);
          const lead = this.opts.replica ? this.leadershipFor(link, host.namespace) : undefined;
          if (lead) {
            // The Lease lives in the host namespace: it must exist before anyone can lead there.
            await link.conn.ensureNamespace(host.namespace);
            releaseLead ??= lead.hold();
            // Another replica may lead: services are still made on the host, in admission, and reached through it.
            standbyHost = connectedHost(link.conn, host.namespace, vc.name);
            standby = hostServiceAdmission({ name: vc.name, hostNamespace: host.namespace, conn: link.conn,
              hosts: { services: { get: () => undefined } }, enqueue: () => {} } as unknown as SyncContext);
            if (!lead.isLeader) this.setHealth(vc.name, { state: 'Connecting', since: Date.now(), message: 'another kubevisor replica syncs this host namespace' });
            await lead.until(true, abort.signal);
            if (abort.signal.aborted) { link.release(); return; }
          }
          cs = new ClusterSyncer(vc, link, host, this.opts, (pod, ips) => this.trackPod(vc.name, pod, ips));
          link = undefined; // the ClusterSyncer releases it
          if (abort.signal.aborted) { cs.release(); return; }
          current = cs;
          await cs.start();
          this.clusters.set(vc.name, cs);
          this.setHealth(vc.name, { state: 'Connected', since: Date.now() });
          failures = -1;
          // Later outages show through the host pod informer (it retries by itself).
          const watched = cs;
          watched.onStop(watched.ctx.hosts.pods.onHealth((h) => {
            if (this.clusters.get(vc.name) !== watched) return;
            if (h.state === 'connected') this.setHealth(vc.name, { state: 'Connected', since: h.since });
            else if (h.state === 'retrying') this.setHealth(vc.name, { state: 'Retrying', since: Date.now(), message: h.error.message });
          }));
          if (!lead) return;
          // Leading until the lease is lost; then another replica syncs, and this one waits its turn again.
          await lead.until(false, abort.signal);
          if (abort.signal.aborted) return;
          if (this.clusters.get(vc.name) === cs) this.clusters.delete(vc.name);
          current = undefined;
          standbyHost = undefined;
          await cs.stop();
          cs.release();
        } catch (e) {
          standbyHost = undefined;
          link?.release();
          if (cs) { await cs.stop(); cs.release(); current = undefined; }
          this.setHealth(vc.name, { state: 'Retrying', since: Date.now(), message: (e as Error).message });
          if (failures === 0 || failures % 10 === 0) console.error(`kubevisor: syncer ${vc.name}: host ${host.namespace}: ${(e as Error).message}`);
          await sleep(backoffDelay(failures + 1, defaultBackoff), abort.signal);
        }
      }
    })();
    return async (reason) => {
      abort.abort();
      dnsView.stop();
      if (this.dnsViews.get(vc.name) === dnsView) this.dnsViews.delete(vc.name);
      this.forgetPods(vc.name);
      this.setHealth(vc.name, undefined);
      const i = vc.store.admission.indexOf(admission);
      if (i >= 0) vc.store.admission.splice(i, 1);
      unsetDialer();
      standbyHost = undefined;
      unsetMetrics();
      await started;
      const cs = current;
      const release = releaseLead;
      if (!cs) { await release?.(); return; }
      if (this.clusters.get(vc.name) === cs) this.clusters.delete(vc.name);
      await cs.stop();
      try {
        if (reason === 'Terminating') await cs.removeFromHost('all');
        else if (reason === 'Paused' || reason === 'Sleeping') await cs.removeFromHost('pods');
      } catch (e) {
        console.error(`kubevisor: syncer ${vc.name}: cleaning up the host: ${(e as Error).message}`);
      } finally {
        cs.release();
        await release?.();
      }
    };
  }

  private leadershipFor(link: HostLink, namespace: string): Leadership {
    const replica = this.opts.replica!;
    const key = `${link.key}\u0000${namespace}`;
    let l = this.leaderships.get(key);
    if (!l) {
      l = new Leadership(link.conn, namespace, replica.lease, replica.identity, replica.timing ?? {}, () => {
        if (this.leaderships.get(key) === l) this.leaderships.delete(key);
      });
      this.leaderships.set(key, l);
    }
    return l;
  }

  close(): void {
    this.pool.closeAll();
    void this.dns?.then((d) => d?.close());
  }
}
