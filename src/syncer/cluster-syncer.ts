// The syncer of one virtual cluster: its own work queue (so one busy cluster
// cannot hold up another's), fed by the virtual cluster's watch cache and by
// the host informers it shares with the other virtual clusters on the same
// host namespace. Keys name a virtual object ("pod/NS/NAME"); each reconcile
// looks at both sides and brings them in line.
import type { KubeObject } from '../api/types.ts';
import { resourcePrefix } from '../registry/generic/keys.ts';
import type { ResourceDef } from '../registry/types.ts';
import type { VirtualCluster } from '../server/cluster.ts';
import type { HostSpec } from '../server/tenancy/spec.ts';
import { controllerContext } from '../controllers/context.ts';
import { Controller } from '../controllers/runtime.ts';
import type { AdmissionPlugin } from '../registry/generic/admission.ts';
import { parseSyncKey, syncKey, type SyncContext, type SyncerOptions, type SyncKind } from './context.ts';
import type { HostInformer } from './host/index.ts';
import type { HostLink } from './hosts.ts';
import { syncObject, type ObjectKind } from './objects.ts';
import { heldPod, refsOf, syncPod } from './pods.ts';
import { ReferenceIndex } from './references.ts';
import { CONFIGMAPS, EVENTS, FIELD_MANAGER, PODS, SECRETS, SERVICEACCOUNTS, SERVICES, WATCHED, WORKLOAD_SERVICE_ACCOUNT, type WatchedKind } from './resources.ts';
import { hostServiceAdmission, syncService } from './services.ts';
import { deleteHost } from './sync-errors.ts';
import { MANAGED_SELECTOR, SERVICE_LINKS_ENV, envConfigMapOf, managedSelector, virtualIdentity } from './translate/index.ts';
import { EnvConfigMaps, envConfigMapKey } from './env-config-maps.ts';
import { syncVirtualNode, watchVirtualNodes } from './virtual-nodes.ts';
import { FromHost } from './from-host.ts';
import { removeToHostCopies, ToHostSync } from './to-host.ts';
import { ENDPOINTS, syncEndpoints } from './endpoints.ts';
import { eventTarget, syncHostEvent } from './events-up.ts';
import { HostError } from './host/index.ts';
import { enforcedScheduling, reconcileGuardrails, removeGuardrails, type ServerReach } from './guardrails.ts';

/** How often the guardrails are checked, and everything is looked at again (drift on the host). */
const GUARDRAIL_CHECK_MS = 60_000;
const RESYNC_MS = 5 * 60_000;

/** How long a host event may wait for a busy cluster's pods to be synced first, and how often it looks again. */
const EVENT_DEFER_MAX_MS = 5_000;
const EVENT_DEFER_STEP_MS = 100;

/** What copying a host event up needs of it (it may wait a while in pendingEvents). */
function slimEvent(o: KubeObject): KubeObject {
  const e = o as KubeObject & Record<string, unknown>;
  const out: Record<string, unknown> = {
    metadata: { name: o.metadata.name, namespace: o.metadata.namespace, uid: o.metadata.uid, creationTimestamp: o.metadata.creationTimestamp },
  };
  for (const f of ['involvedObject', 'reason', 'message', 'type', 'count', 'firstTimestamp', 'lastTimestamp', 'eventTime', 'source']) {
    if (e[f] !== undefined) out[f] = e[f];
  }
  return out as unknown as KubeObject;
}

const KIND_OF: Record<string, SyncKind> = {
  Pod: 'pod', ConfigMap: 'configmap', Secret: 'secret', PersistentVolumeClaim: 'pvc', Service: 'service',
};

export class ClusterSyncer {
  readonly ctx: SyncContext;
  private readonly link: HostLink;
  private readonly controller: Controller;
  /**
   * Host events come up through a queue of their own that gives way to the
   * main one: while pods are being synced (a rollout of many), their events
   * wait (EVENT_DEFER_MAX_MS at most) so the pods' state (bound, Running,
   * Ready) comes up first, as a busy kubelet's events lag behind its status.
   */
  private readonly events: Controller;
  private readonly refs = new ReferenceIndex();
  /** Pods whose host pod was deleted by someone else while they ran. */
  private readonly lost = new Set<string>();
  private readonly releases: (() => void)[] = [];
  private readonly unsubscribe: (() => void)[] = [];
  private readonly host: HostSpec;
  private readonly hostEvents: HostInformer;
  /** Host events about this cluster's objects waiting to be copied up, by host event name (their informer keeps identities only), with when they came. */
  private readonly pendingEvents = new Map<string, { ev: KubeObject; since: number }>();
  private readonly fromHost: FromHost;
  private readonly toHost: ToHostSync;
  private timer: NodeJS.Timeout | undefined;
  /** Service admission through the host, once started. */
  admission: AdmissionPlugin | undefined;

  constructor(vc: VirtualCluster, link: HostLink, host: HostSpec, opts: SyncerOptions,
    podIPs: (hostPod: string, ips: readonly string[]) => void = () => {}) {
    this.link = link;
    this.host = host;
    const def = (group: string, plural: string): ResourceDef => {
      const d = vc.registry.find(group, 'v1', plural);
      if (!d) throw new Error(`the cluster serves no ${plural}`);
      return d;
    };
    const hosts = {} as Record<WatchedKind, HostInformer>;
    for (const [k, r] of Object.entries(WATCHED) as [WatchedKind, typeof WATCHED[WatchedKind]][]) {
      const a = link.informers.acquire(host.namespace, r, MANAGED_SELECTOR);
      hosts[k] = a.informer;
      this.releases.push(a.release);
    }
    // Every event of the host namespace (a few per pod): its cache keeps identities only, each change is copied up as it comes.
    const ev = link.informers.acquire(host.namespace, EVENTS, undefined, undefined, 'identity');
    this.hostEvents = ev.informer;
    this.releases.push(ev.release);
    this.fromHost = new FromHost(link, host.sync);
    this.releases.push(() => this.fromHost.release());
    this.controller = new Controller(`syncer/${vc.name}`, (key) => this.reconcile(key), { workers: opts.workers ?? 8 });
    this.events = new Controller(`syncer-events/${vc.name}`, (name) => this.copyEvent(name), { workers: 2 });
    this.ctx = {
      name: vc.name, vc, ctl: controllerContext(vc), hostNamespace: host.namespace, conn: link.conn, hosts,
      defs: {
        pods: def('', 'pods'), services: def('', 'services'), configmaps: def('', 'configmaps'), secrets: def('', 'secrets'),
        pvcs: def('', 'persistentvolumeclaims'), nodes: def('', 'nodes'), namespaces: def('', 'namespaces'),
      },
      opts, enforced: enforcedScheduling(host),
      peek: (d, ns, name) => vc.store.peek(d, ns, name),
      enqueue: (key) => this.controller.enqueue(key),
      podIPs,
      sentDown: new Map(),
      ephemeralRefused: new Map(),
      hostSchedulers: host.sync.hostSchedulers,
      replacedHostPods: new Set(),
      placementWarned: new Map(),
      fromHost: this.fromHost,
      envConfigMaps: new EnvConfigMaps(),
      hostPriorityClass: (n) => this.toHost.hostPriorityClass(n),
      ensureHostPriorityClass: (n) => this.toHost.ensureHostPriorityClass(n),
    };
    this.toHost = new ToHostSync(this.ctx, link.informers, host.sync.toHost);
    this.releases.push(() => this.toHost.release());
  }

  /** Connect both sides; resolves once the host namespace exists and the host caches are filled. */
  async start(): Promise<void> {
    const s = this.ctx;
    await this.checkGuardrails();
    await this.ensureWorkloadAccount();
    await Promise.all([...[...Object.values(s.hosts), this.hostEvents].map((i) => i.synced), this.toHost.ready()]);
    this.admission = hostServiceAdmission(s);
    const sub = (def: ResourceDef, kind: SyncKind, filter?: (key: string, obj: KubeObject) => boolean) => {
      this.unsubscribe.push(s.vc.cache.subscribe({
        prefix: resourcePrefix(def),
        onEvent: (ev) => {
          const key = syncKey(kind, ev.obj.metadata.namespace, ev.obj.metadata.name as string);
          if (filter && !filter(key, ev.obj)) return;
          this.controller.enqueue(key);
          const node = (ev.obj.spec as { nodeName?: string } | undefined)?.nodeName;
          if (kind === 'service') {
            s.envConfigMaps.servicesChanged(ev.obj.metadata.namespace as string);
            this.controller.enqueue(syncKey('endpoints', ev.obj.metadata.namespace, ev.obj.metadata.name as string));
            this.controller.enqueue(syncKey('serviceenv', ev.obj.metadata.namespace, SERVICE_LINKS_ENV));
          }
          if (kind === 'pod' && ev.type === 'DELETED' && node) this.controller.enqueue(syncKey('node', undefined, node));
        },
      }));
    };
    sub(s.defs.pods, 'pod');
    sub(s.defs.services, 'service');
    const epDef = s.vc.registry.find('', 'v1', 'endpoints');
    if (epDef) sub(epDef, 'endpoints');
    sub(s.defs.configmaps, 'configmap', (key, obj) => this.refs.used(key) || this.toHost.wants(key, obj));
    sub(s.defs.secrets, 'secret', (key, obj) => this.refs.used(key) || this.toHost.wants(key, obj));
    // A claim's host copy holds the data: it lives as long as the virtual claim, used or not.
    sub(s.defs.pvcs, 'pvc');
    // A tenant's change to a node the syncer shows (cordon, taint, label) is undone at once.
    this.unsubscribe.push(watchVirtualNodes(s));
    for (const [kind, inf] of Object.entries(s.hosts) as [WatchedKind, HostInformer][]) {
      const onHost = (obj: KubeObject, deleted: boolean) => {
        const env = kind === 'configmaps' ? envConfigMapOf(obj, s.name) : undefined;
        if (env) { this.controller.enqueue(envConfigMapKey(env)); return; }
        const id = virtualIdentity(obj);
        if (!id || id.vcluster !== s.name || id.namespace === undefined) return;
        const k = KIND_OF[id.kind];
        if (!k) return;
        const key = syncKey(k, id.namespace, id.name);
        if (kind === 'pods' && id.kind === 'Pod') {
          const st = obj.status as { podIPs?: { ip: string }[]; podIP?: string } | undefined;
          const ips = deleted ? [] : st?.podIPs?.map((p) => p.ip) ?? (st?.podIP ? [st.podIP] : []);
          s.podIPs(obj.metadata.name as string, ips);
        }
        if (deleted && kind === 'pods' && id.kind === 'Pod' && !s.replacedHostPods.delete(obj.metadata.uid as string)) {
          const v = s.peek(s.defs.pods, id.namespace, id.name);
          if (v && !v.metadata.deletionTimestamp && v.metadata.uid === id.uid) this.lost.add(key);
        }
        this.controller.enqueue(key);
      };
      this.unsubscribe.push(inf.subscribe({ onAdd: (o) => onHost(o, false), onUpdate: (o) => onHost(o, false), onDelete: (o) => onHost(o, true) }));
    }
    const onEvent = (o: KubeObject) => {
      if (!eventTarget(s, o)) return;
      const name = o.metadata.name as string;
      this.pendingEvents.set(name, { ev: slimEvent(o), since: this.pendingEvents.get(name)?.since ?? Date.now() });
      this.events.enqueue(name);
    };
    this.unsubscribe.push(this.hostEvents.subscribe({ onAdd: onEvent, onUpdate: onEvent }));
    // The events the host holds already (its cache has only their names): recorded while this server was away.
    void this.copyHostEvents(onEvent);
    this.resyncAll();
    this.fromHost.start(s);
    this.unsubscribe.push(() => this.fromHost.stop());
    this.unsubscribe.push(this.toHost.start());
    // One timer per cluster: guardrails every minute, a look at everything every five.
    let ticks = 0;
    this.timer = setInterval(() => {
      void this.checkGuardrails().catch((e: unknown) => console.error(`kubevisor: syncer ${s.name}: guardrails: ${(e as Error).message}`));
      if (++ticks % (RESYNC_MS / GUARDRAIL_CHECK_MS) === 0) this.resyncAll();
    }, GUARDRAIL_CHECK_MS);
    this.timer.unref();
  }

  /** Copy the host event `name` waiting in pendingEvents up to the virtual cluster, once the main queue is idle or it has waited long enough. */
  private async copyEvent(name: string): Promise<{ requeueAfterMs?: number } | void> {
    const p = this.pendingEvents.get(name);
    if (!p) return;
    const waited = Date.now() - p.since;
    if (this.controller.backlog > 0 && waited < EVENT_DEFER_MAX_MS) return { requeueAfterMs: Math.min(EVENT_DEFER_STEP_MS, EVENT_DEFER_MAX_MS - waited) };
    await syncHostEvent(this.ctx, p.ev);
    // A newer version that came meanwhile has its own turn queued.
    if (this.pendingEvents.get(name) === p) this.pendingEvents.delete(name);
  }

  /** List the host namespace's events once and hand each to `onEvent` (an outage or a stop ends it: the informer brings what changes). */
  private async copyHostEvents(onEvent: (o: KubeObject) => void): Promise<void> {
    let cont: string | undefined;
    try {
      do {
        const page = await this.ctx.conn.list(EVENTS, this.ctx.hostNamespace, { limit: 500, continue: cont });
        for (const o of page.items) onEvent(o);
        cont = page.metadata.continue || undefined;
      } while (cont !== undefined && this.unsubscribe.length > 0);
    } catch {
      // Best effort: the host is away or the list expired; events are not state to restore.
    }
  }

  private resyncAll(): void {
    const s = this.ctx;
    for (const c of s.vc.cache.scan(resourcePrefix(s.defs.pods))) this.controller.enqueue(syncKey('pod', c.obj.metadata.namespace, c.obj.metadata.name as string));
    for (const c of s.vc.cache.scan(resourcePrefix(s.defs.pvcs))) this.controller.enqueue(syncKey('pvc', c.obj.metadata.namespace, c.obj.metadata.name as string));
    for (const c of s.vc.cache.scan(resourcePrefix(s.defs.services))) {
      this.controller.enqueue(syncKey('service', c.obj.metadata.namespace, c.obj.metadata.name as string));
      if (Object.keys((c.obj.spec as { selector?: object } | undefined)?.selector ?? {}).length === 0) {
        this.controller.enqueue(syncKey('endpoints', c.obj.metadata.namespace, c.obj.metadata.name as string));
      }
    }
    this.toHost.resync();
  }

  /** The host namespace with its quota, limit range, network policies and pod security labels. */
  private async checkGuardrails(): Promise<void> {
    const s = this.ctx;
    const addrs = [...new Set([s.opts.apiServer.host, s.opts.dnsIP])] as [string, ...string[]];
    const reach: ServerReach = { apiPort: s.opts.apiServer.port, dnsPort: 53, ipBlocks: addrs };
    const summary = await reconcileGuardrails(s.conn, s.name, s.hostNamespace, this.host, reach);
    for (const w of summary.warnings) if (!this.warned.has(w)) { this.warned.add(w); console.error(`kubevisor: syncer ${s.name}: ${w}`); }
  }

  private readonly warned = new Set<string>();

  private async ensureWorkloadAccount(): Promise<void> {
    const s = this.ctx;
    try {
      await s.conn.create(SERVICEACCOUNTS, s.hostNamespace, {
        apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: WORKLOAD_SERVICE_ACCOUNT }, automountServiceAccountToken: false,
      } as KubeObject, { fieldManager: FIELD_MANAGER });
    } catch (e) {
      if (!(e instanceof HostError && e.alreadyExists)) throw e;
    }
  }

  private async reconcile(key: string): Promise<{ requeueAfterMs?: number } | void> {
    const { kind, namespace, name } = parseSyncKey(key);
    const s = this.ctx;
    switch (kind) {
      case 'pod': {
        const wasLost = this.lost.has(key);
        // What the pod uses counts as used before it is copied: a config map's own sync running
        // meanwhile must not take it off the host. A pod held for a tenant's scheduler uses nothing there yet.
        const v = s.peek(s.defs.pods, namespace, name);
        const refs = v && !heldPod(s, v) ? refsOf(v) : undefined;
        const before = this.refs.remove(key);
        if (refs) this.refs.set(key, refs.list);
        const r = await syncPod(s, namespace as string, name, wasLost, refs);
        if (wasLost) this.lost.delete(key);
        if (r.refs === undefined) this.refs.remove(key); else this.refs.set(key, r.refs);
        // What the pod no longer uses may have to leave the host.
        for (const ref of before) if (!this.refs.used(ref)) this.controller.enqueue(ref);
        return r.requeueAfterMs !== undefined ? { requeueAfterMs: r.requeueAfterMs } : undefined;
      }
      case 'configmap': case 'secret':
        return syncObject(s, kind as ObjectKind, namespace as string, name, this.refs.used(key) || this.toHost.wants(key));
      case 'pvc':
        return syncObject(s, 'pvc', namespace as string, name, true);
      case 'serviceenv':
        return s.envConfigMaps.reconcile(s, namespace, () => this.refs.used(key));
      case 'service':
        return syncService(s, namespace as string, name);
      case 'endpoints':
        return syncEndpoints(s, namespace as string, name);
      case 'node':
        return syncVirtualNode(s, name);
      case 'fromhost':
        return this.fromHost.reconcile(s, name);
      case 'ingress': case 'networkpolicy': case 'pdb': case 'priorityclass':
        return this.toHost.reconcile(kind, namespace, name);
    }
  }

  /** Run `fn` when syncing stops. */
  onStop(fn: () => void): void {
    this.unsubscribe.push(fn);
  }

  /** Stop syncing; the host objects stay (a restart picks them up again). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const u of this.unsubscribe.splice(0)) u();
    this.admission = undefined;
    await Promise.all([this.controller.stop(), this.events.stop()]);
  }

  /** Release the host informers and connection. */
  release(): void {
    for (const r of this.releases.splice(0)) r();
    this.link.release();
  }

  /**
   * Remove what this virtual cluster has on the host: its pods (and their token Secrets)
   * when it pauses, everything when it is deleted.
   */
  async removeFromHost(what: 'pods' | 'all'): Promise<number> {
    const s = this.ctx;
    const kinds = what === 'pods' ? [PODS, SECRETS] : [PODS, SERVICES, ENDPOINTS, CONFIGMAPS, SECRETS, WATCHED.pvcs];
    let removed = 0;
    for (const r of kinds) {
      const list = await s.conn.list(r, s.hostNamespace, { labelSelector: managedSelector(s.name) });
      for (const o of list.items) {
        const id = virtualIdentity(o);
        if (!id || id.vcluster !== s.name) continue;
        // Pausing keeps the data the pods use; only their token Secrets go with them.
        if (what === 'pods' && r === SECRETS && id.kind !== 'Pod') continue;
        await deleteHost(s.conn, r, s.hostNamespace, o.metadata.name as string, o.metadata.uid, r === PODS ? 0 : undefined);
        removed++;
      }
    }
    if (what === 'all') removed += await removeToHostCopies(s, this.host.sync.toHost);
    if (what === 'all') removed += (await removeGuardrails(s.conn, s.name, s.hostNamespace)).length;
    return removed;
  }
}
