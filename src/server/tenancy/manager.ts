// The virtual clusters a server hosts, by name, and their lifecycle: opened on
// demand, paused (nothing but this record stays in memory), put to sleep when
// idle and woken by their next request, deleted with their data. The admin
// API's VirtualCluster controller tells the manager what each cluster should
// be; requests ask it for a cluster to serve.

import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { X509Certificate } from 'node:crypto';
import { errors } from '../../api/errors.ts';
import { hashToken } from '../pki/admin-token.ts';
import type { KVStore } from '../../storage/types.ts';
import { builtinRegistry } from '../../registry/builtin.ts';
import { VirtualCluster } from '../cluster.ts';
import { attachPodStreams } from '../pod-streams.ts';
import { versionInfo } from '../version.ts';
import { ClusterPki, type ClusterCredentials, type RootClientCA } from './cluster-pki.ts';
import { objectLimitAdmission } from './limits.ts';
import type { ClusterSpec } from './spec.ts';

export type Phase = 'Pending' | 'Running' | 'Paused' | 'Sleeping' | 'Terminating' | 'Failed';

export type StorageConfig =
  | { readonly backend: 'sqlite' }
  | { readonly backend: 'etcd'; readonly endpoints: readonly string[] };

export interface ManagerOptions {
  readonly dataDir: string;
  readonly storage: StorageConfig;
  readonly rootCA: RootClientCA;
  /** Let pod annotations name host files, commands and addresses (single-user servers). */
  readonly podHostAccess?: boolean;
  /** Per cluster at open (controllers, RBAC); the returned function runs at close. */
  readonly onClusterOpen?: (vc: VirtualCluster, spec: ClusterSpec) => (() => void) | void | Promise<(() => void) | void>;
  /** A cluster changed phase (the admin controller updates its status). */
  readonly onPhaseChange?: (name: string) => void;
}

/** What the manager knows of one cluster, whether it is open or not. */
export interface ClusterRecord {
  readonly name: string;
  spec: ClusterSpec;
  phase: Phase;
  /** Why the cluster is Failed. */
  message: string;
  /** When the phase last changed (ms since epoch). */
  since: number;
  vc: VirtualCluster | undefined;
  /** Objects stored, as of the last time the cluster was open. */
  objects: number;
  lastActivity: number;
}

interface Internal extends ClusterRecord {
  opening: Promise<VirtualCluster> | undefined;
  closing: Promise<void> | undefined;
  stop: (() => void) | undefined;
  streams: AbortController | undefined;
  pki: ClusterPki | undefined;
  pkiLoading: Promise<ClusterPki> | undefined;
  /** Set while the cluster's data is being replaced: nothing opens it meanwhile. */
  replacing: Promise<void> | undefined;
}

/** RBAC (bootstrap policy, authorizer, escalation checks) and impersonation for a cluster. */
export async function installAccessControl(vc: VirtualCluster): Promise<void> {
  const { installRbac } = await import('../rbac/install.ts');
  const { impersonate } = await import('../rbac/impersonation.ts');
  const authz = await installRbac(vc);
  vc.authorizer = authz;
  vc.impersonate = (req, user) => impersonate(req, user, authz);
}

export class ClusterManager {
  private readonly records = new Map<string, Internal>();
  /** Whose credentials: a cluster CA's subject, a static token's digest -> the cluster. */
  private readonly caOwners = new Map<string, string>();
  private readonly tokenOwners = new Map<string, string>();
  private readonly opts: ManagerOptions;
  private sleepTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(opts: ManagerOptions) {
    this.opts = opts;
  }

  /** The cluster's directory: its database, credentials and signing key. */
  clusterDir(name: string): string {
    return join(this.opts.dataDir, 'clusters', name);
  }

  get(name: string): ClusterRecord | undefined {
    return this.records.get(name);
  }

  names(): string[] {
    return [...this.records.keys()];
  }

  /** Make cluster `name` what `spec` says: create it, open, pause or reconfigure it. */
  async apply(name: string, spec: ClusterSpec): Promise<void> {
    let r = this.records.get(name);
    if (!r) {
      r = {
        name, spec, phase: 'Pending', message: '', since: Date.now(), vc: undefined, objects: 0, lastActivity: Date.now(),
        opening: undefined, closing: undefined, stop: undefined, streams: undefined, pki: undefined, pkiLoading: undefined, replacing: undefined,
      };
      this.records.set(name, r);
    }
    if (r.phase === 'Terminating') return;
    await this.loadPki(r);
    const reopen = r.vc !== undefined && (r.spec.storage !== spec.storage || r.spec.nodes !== spec.nodes);
    r.spec = spec;
    if (spec.paused) {
      await this.close(r, 'Paused');
      return;
    }
    if (r.phase === 'Sleeping' && !reopen) {
      this.scheduleSleep();
      return;
    }
    if (reopen) await this.close(r, 'Pending');
    try {
      const vc = await this.open(r);
      vc.version = versionInfo(spec.kubernetesVersion);
      vc.limits = spec.limits;
    } catch {
      // open() recorded the failure on the record.
    }
    this.scheduleSleep();
  }

  /**
   * The cluster to serve a request with: wakes a sleeping one; 503 for a paused
   * or failed one, 404 for one that does not exist.
   */
  async acquire(name: string): Promise<VirtualCluster> {
    const r = this.records.get(name);
    if (!r) throw errors.notFound({ group: 'kubevisor.dev', resource: 'virtualclusters' }, name);
    r.lastActivity = Date.now();
    if (r.vc && r.phase === 'Running') return r.vc;
    switch (r.phase) {
      case 'Paused':
        throw errors.serviceUnavailable(`virtual cluster "${name}" is paused; resume it to use it (kubevisor resume ${name})`);
      case 'Terminating':
        throw errors.serviceUnavailable(`virtual cluster "${name}" is being deleted`);
      case 'Failed':
        throw errors.serviceUnavailable(`virtual cluster "${name}" failed to start: ${r.message}`);
      default:
        return this.open(r);
    }
  }

  private open(r: Internal): Promise<VirtualCluster> {
    if (r.vc) return Promise.resolve(r.vc);
    r.opening ??= (async () => {
      while (r.replacing) await r.replacing.catch(() => undefined);
      if (r.closing) await r.closing;
      const wasSleeping = r.phase === 'Sleeping';
      try {
        const vc = await this.openCluster(r);
        if (r.phase === 'Terminating' || this.closed) {
          await vc.close();
          throw errors.serviceUnavailable(`virtual cluster "${r.name}" is being deleted`);
        }
        r.vc = vc;
        this.setPhase(r, 'Running');
        if (wasSleeping) r.lastActivity = Date.now();
        return vc;
      } catch (e) {
        if (r.phase !== 'Terminating') {
          r.message = (e as Error).message;
          this.setPhase(r, 'Failed');
        }
        throw e;
      } finally {
        r.opening = undefined;
      }
    })();
    return r.opening;
  }

  private async openCluster(r: Internal): Promise<VirtualCluster> {
    const dir = this.clusterDir(r.name);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await this.loadPki(r);
    const kv = await this.openStore(r.name, r.spec);
    let vc: VirtualCluster;
    try {
      vc = await VirtualCluster.open(r.name, kv, builtinRegistry());
    } catch (e) {
      await kv.close();
      throw e;
    }
    try {
      await installAccessControl(vc);
      if (vc.captureImage) await (await import('../bootstrap-image.ts')).captureImage(kv);
    } catch (e) {
      await vc.close();
      throw e;
    }
    const pki = r.pki as ClusterPki;
    vc.certIssuer = pki.caCert;
    vc.version = versionInfo(r.spec.kubernetesVersion);
    vc.limits = r.spec.limits;
    vc.tokens.push({ authenticateToken: (t) => (pki.hasToken(t) ? { username: 'kubevisor-admin', groups: ['system:masters', 'system:authenticated'] } : undefined) });
    vc.store.admission.push(objectLimitAdmission(vc));
    const { setupServiceAccounts } = await import('../serviceaccounts/setup.ts');
    const sa = setupServiceAccounts(vc, this.opts.dataDir);
    vc.tokens.push(sa.authenticator);
    vc.nonResource = sa.serveDiscovery;
    r.streams = new AbortController();
    attachPodStreams(vc, { hostAccess: this.opts.podHostAccess ?? false, signal: r.streams.signal });
    try {
      const stop = await this.opts.onClusterOpen?.(vc, r.spec);
      r.stop = stop ?? undefined;
    } catch (e) {
      r.streams.abort();
      await vc.close();
      throw e;
    }
    return vc;
  }

  private async openStore(name: string, spec: ClusterSpec): Promise<KVStore> {
    const { openStore } = await import('../../storage/open.ts');
    if (spec.storage === 'etcd') {
      if (this.opts.storage.backend !== 'etcd') throw new Error('this server has no etcd (start it with --storage etcd)');
      return openStore({ backend: 'etcd', endpoints: [...this.opts.storage.endpoints], prefix: `/kubevisor/${name}/` });
    }
    return openStore({ backend: 'sqlite', path: join(this.clusterDir(name), 'state.db') });
  }

  /** Close the cluster's in-memory state, keeping its data; the record stays, in `phase`. */
  private async close(r: Internal, phase: Phase): Promise<void> {
    // An open waiting for a data replacement to finish opens the new data afterwards: do not wait for it.
    if (r.opening && !r.replacing) await r.opening.catch(() => undefined);
    const vc = r.vc;
    if (vc) {
      r.vc = undefined;
      r.objects = vc.cache.size;
      r.closing = (async () => {
        r.streams?.abort();
        // The abort reason (an Error) keeps its stack's closures alive, and through
        // them this cluster's VirtualCluster, watch cache and store: drop it.
        r.streams = undefined;
        try { r.stop?.(); } catch (e) { console.error(`kubevisor: cluster ${r.name}: stopping controllers: ${(e as Error).message}`); }
        r.stop = undefined;
        await vc.close();
      })();
      try { await r.closing; } finally { r.closing = undefined; }
    }
    this.setPhase(r, phase);
  }

  private setPhase(r: Internal, phase: Phase): void {
    if (r.phase === phase) return;
    r.phase = phase;
    r.since = Date.now();
    if (phase !== 'Failed') r.message = '';
    this.opts.onPhaseChange?.(r.name);
  }

  /** The cluster's credentials, loaded (or made) once however many callers ask at the same time. */
  private loadPki(r: Internal): Promise<ClusterPki> {
    r.pkiLoading ??= ClusterPki.ensure(join(this.clusterDir(r.name), 'pki'), r.name, this.opts.rootCA).then((pki) => {
      r.pki = pki;
      this.caOwners.set(pki.caCert.subject, r.name);
      for (const t of pki.tokens) this.tokenOwners.set(t, r.name);
      return pki;
    }, (e: unknown) => {
      r.pkiLoading = undefined;
      throw e;
    });
    return r.pkiLoading;
  }

  /**
   * The cluster whose credentials a request carries (a certificate its CA issued,
   * or one of its static tokens), for requests without a /clusters/NAME path:
   * `kubectl get --raw` and `kubectl proxy` drop the server URL's path.
   */
  ownerOf(cert: X509Certificate | undefined, token: string | undefined): string | undefined {
    if (token !== undefined) return this.tokenOwners.get(hashToken(token));
    if (cert !== undefined) return this.caOwners.get(cert.issuer);
    return undefined;
  }

  /** Objects stored in the cluster now (or when it was last open). */
  objectCount(name: string): number {
    const r = this.records.get(name);
    if (!r) return 0;
    return r.vc ? r.vc.cache.size : r.objects;
  }

  /** New admin credentials for the cluster. */
  async credentials(name: string): Promise<ClusterCredentials & { caCertPem: string }> {
    const r = this.records.get(name);
    if (!r) throw errors.notFound({ group: 'kubevisor.dev', resource: 'virtualclusters' }, name);
    const pki = await this.loadPki(r);
    const creds = await pki.issueAdmin();
    this.tokenOwners.set(hashToken(creds.token), name);
    return { ...creds, caCertPem: pki.caCertPem };
  }

  /** Close the cluster and remove its data. */
  async remove(name: string): Promise<void> {
    const r = this.records.get(name);
    if (r) {
      this.setPhase(r, 'Terminating');
      await this.close(r, 'Terminating');
    }
    const spec = r?.spec;
    if (spec?.storage === 'etcd' && this.opts.storage.backend === 'etcd') {
      const kv = await this.openStore(name, spec);
      try {
        for (;;) {
          const page = await kv.range('', { limit: 1000 });
          for (const item of page.kvs) await kv.delete(item.key);
          if (!page.more) break;
        }
      } finally {
        await kv.close();
      }
    }
    await rm(this.clusterDir(name), { recursive: true, force: true });
    this.records.delete(name);
    for (const m of [this.caOwners, this.tokenOwners]) for (const [k, v] of m) if (v === name) m.delete(k);
  }

  /**
   * Replace the cluster's data with what `fill` writes into an empty store
   * (a snapshot restore), then reopen it as it was. On SQLite the new data is
   * written to a file of its own and moved into place only once complete.
   */
  async replaceData(name: string, fill: (kv: KVStore) => Promise<void>): Promise<void> {
    const r = this.records.get(name);
    if (!r) throw errors.notFound({ group: 'kubevisor.dev', resource: 'virtualclusters' }, name);
    const { openStore } = await import('../../storage/open.ts');
    while (r.replacing) await r.replacing.catch(() => undefined);
    const before = r.phase;
    let done!: () => void;
    r.replacing = new Promise<void>((resolve) => { done = resolve; });
    await this.close(r, 'Pending');
    try {
      if (r.spec.storage === 'etcd') {
        const kv = await this.openStore(name, r.spec);
        try {
          for (;;) {
            const page = await kv.range('', { limit: 1000 });
            for (const item of page.kvs) await kv.delete(item.key);
            if (!page.more) break;
          }
          await fill(kv);
        } finally {
          await kv.close();
        }
      } else {
        const dir = this.clusterDir(name);
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const temp = join(dir, 'restore.db');
        await rm(temp, { force: true });
        const kv = await openStore({ backend: 'sqlite', path: temp });
        try {
          await fill(kv);
        } catch (e) {
          await kv.close();
          await rm(temp, { force: true });
          throw e;
        }
        await kv.close();
        for (const f of ['state.db-wal', 'state.db-shm', 'restore.db-wal', 'restore.db-shm']) await rm(join(dir, f), { force: true });
        await rename(temp, join(dir, 'state.db'));
      }
    } finally {
      r.replacing = undefined;
      done();
      if (before === 'Paused' || r.spec.paused) this.setPhase(r, 'Paused');
      else await this.open(r).catch(() => undefined);
    }
  }

  /** Run `fn` with the cluster's store, opening the cluster for it if needed (snapshot). */
  async withStore<T>(name: string, fn: (kv: KVStore) => Promise<T>): Promise<T> {
    const r = this.records.get(name);
    if (!r) throw errors.notFound({ group: 'kubevisor.dev', resource: 'virtualclusters' }, name);
    if (r.vc) return fn(r.vc.kv);
    if (r.opening) return fn((await r.opening).kv);
    const kv = await this.openStore(name, r.spec);
    try {
      return await fn(kv);
    } finally {
      await kv.close();
    }
  }

  /** One timer for all clusters, running only while some running cluster may fall asleep. */
  private scheduleSleep(): void {
    if (this.sleepTimer || this.closed) return;
    const sleepy = [...this.records.values()].filter((r) => r.phase === 'Running' && r.spec.sleepAfterMs !== undefined);
    if (sleepy.length === 0) return;
    const now = Date.now();
    let next = Infinity;
    for (const r of sleepy) next = Math.min(next, r.lastActivity + (r.spec.sleepAfterMs as number) - now);
    this.sleepTimer = setTimeout(() => {
      this.sleepTimer = undefined;
      void this.sweep();
    }, Math.max(50, Math.min(next, 60_000)));
    this.sleepTimer.unref();
  }

  private async sweep(): Promise<void> {
    const now = Date.now();
    for (const r of this.records.values()) {
      const vc = r.vc;
      if (r.phase !== 'Running' || !vc || r.spec.sleepAfterMs === undefined) continue;
      const last = Math.max(r.lastActivity, vc.lastActivity);
      if (vc.inFlight === 0 && vc.watches === 0 && now - last >= r.spec.sleepAfterMs) {
        await this.close(r, 'Sleeping');
      }
    }
    this.scheduleSleep();
  }

  async closeAll(): Promise<void> {
    this.closed = true;
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    await Promise.all([...this.records.values()].map((r) => this.close(r, r.phase === 'Running' ? 'Pending' : r.phase)));
  }
}
