// The virtual clusters a server hosts, by name, and their lifecycle: opened on
// demand, paused (nothing but this record stays in memory), put to sleep when
// idle and woken by their next request, deleted with their data. The admin
// API's VirtualCluster controller tells the manager what each cluster should
// be; requests ask it for a cluster to serve.

import { existsSync, mkdirSync } from 'node:fs';
import { placeNewFileSync } from '../pki/private-file.ts';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { X509Certificate } from 'node:crypto';
import { errors } from '../../api/errors.ts';
import { hashToken } from '../pki/admin-token.ts';
import type { KVStore } from '../../storage/types.ts';
import { builtinRegistry } from '../../registry/builtin.ts';
import { VirtualCluster } from '../cluster.ts';
import { captureImage, extraImage, imageContents, imageDatabase, imageTemplate, type Image, type StoreContents } from '../bootstrap-image.ts';
import { ClusterKits, type Kit } from './cluster-kits.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import { attachPodStreams } from '../pod-streams.ts';
import { attachPodBinding } from '../pod-binding.ts';
import { attachMetricsApi, metricsResources } from '../metrics/index.ts';
import { installAdmissionPolicies } from '../admission/policies/index.ts';
import { installAdmissionWebhooks } from '../admission/webhooks/index.ts';
import { installAggregator } from '../aggregator/index.ts';
import { loadFrontProxy, setFrontProxySource } from '../aggregator/front-proxy.ts';
import { versionInfo } from '../version.ts';
import { readSigningKeySync, signingKeyPath } from '../serviceaccounts/keys.ts';
import { ClusterPki, type ClusterCredentials, type RootClientCA } from './cluster-pki.ts';
import { objectLimitAdmission } from './limits.ts';
import { certificateSigningRequestAdmission } from '../certificates/admission.ts';
import type { ClusterSpec } from './spec.ts';

export type Phase = 'Pending' | 'Running' | 'Paused' | 'Sleeping' | 'Terminating' | 'Failed';

export type StorageConfig =
  | { readonly backend: 'sqlite' }
  | { readonly backend: 'etcd'; readonly endpoints: readonly string[] };

/** Stops what ran for an open cluster; `phase`: what the cluster becomes. */
export type ClusterStop = (phase: Phase) => void | Promise<void>;

export interface ManagerOptions {
  readonly dataDir: string;
  readonly storage: StorageConfig;
  readonly rootCA: RootClientCA;
  /** Let pod annotations name host files, commands and addresses (single-user servers). */
  readonly podHostAccess?: boolean;
  /**
   * Per cluster at open (controllers, RBAC, the syncer); the returned function runs at close,
   * told the phase the cluster closes into (a syncer removes host pods on pause, everything on delete).
   */
  readonly onClusterOpen?: (vc: VirtualCluster, spec: ClusterSpec) => ClusterStop | void | Promise<ClusterStop | void>;
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
  stop: ClusterStop | undefined;
  streams: AbortController | undefined;
  pki: ClusterPki | undefined;
  pkiLoading: Promise<ClusterPki> | undefined;
  /** Set while the cluster's data is being replaced: nothing opens it meanwhile. */
  replacing: Promise<void> | undefined;
  /** Its directory was made by this record (so it holds no database yet), until the store is first opened. */
  newDir: boolean;
  /** Its database was made from the image's template (ClusterKits), with these uids and time, and is as made. */
  kitDb: { readonly uids: readonly string[]; readonly time: string; readonly extra: Image } | undefined;
  /** Counts replacements of its data (a kit made across one does not describe the data). */
  replaced: number;
}

/**
 * A module loaded on first use and kept: later calls get it without another dynamic
 * import (each of which costs a module-map lookup and a few promise turns).
 */
function once<T>(load: () => Promise<T>): () => T | Promise<T> {
  let mod: T | undefined;
  let loading: Promise<T> | undefined;
  return () => mod ?? (loading ??= load().then((m) => (mod = m), (e: unknown) => { loading = undefined; throw e; }));
}

const rbacModules = once(async () => {
  const [install, impersonation] = await Promise.all([import('../rbac/install.ts'), import('../rbac/impersonation.ts')]);
  return { installRbac: install.installRbac, impersonate: impersonation.impersonate };
});
const storeModule = once(() => import('../../storage/open.ts'));
const sqliteModule = once(() => import('../../storage/sqlite.ts'));
const serviceAccountsModule = once(() => import('../serviceaccounts/setup.ts'));

/** The bytes of an empty SQLite store (schema made, WAL mode set), made once per process; undefined if that failed. */
const emptyStoreFile = once(async (): Promise<Buffer | undefined> => {
  const { SqliteStore } = await sqliteModule();
  try {
    const dir = await mkdtemp(join(tmpdir(), 'kubevisor-empty-'));
    try {
      await new SqliteStore(join(dir, 'state.db')).close();
      return await readFile(join(dir, 'state.db'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  } catch {
    return undefined; // the store makes the file itself
  }
});

/** RBAC (bootstrap policy, authorizer, escalation checks) and impersonation for a cluster. */
export async function installAccessControl(vc: VirtualCluster): Promise<void> {
  const { installRbac, impersonate } = await rbacModules();
  const authz = await installRbac(vc);
  vc.authorizer = authz;
  vc.impersonate = (req, user) => impersonate(req, user, authz);
}

export class ClusterManager {
  private readonly records = new Map<string, Internal>();
  /** Whose credentials: a cluster CA's subject, a static token's digest -> the cluster. */
  private readonly caOwners = new Map<string, string>();
  private readonly tokenOwners = new Map<string, string>();
  /** Service-account signing key IDs → cluster, for service-account tokens sent without a path. */
  private readonly keyOwners = new Map<string, string>();
  private readonly opts: ManagerOptions;
  private sleepTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /**
   * What this server's controllers write into a fresh cluster right after it opens (the
   * default ServiceAccounts and kube-root-ca.crt ConfigMaps), written with the bootstrap
   * image instead; taken from `donor`, a fresh cluster opened before.
   */
  private imageExtra: Image | undefined;
  private donor: WeakRef<VirtualCluster> | undefined;
  /** Clusters whose RBAC objects an open reconciled (or wrote) since this server started, and that hold the same data since. */
  private readonly reconciled = new Set<string>();
  /** Callers waiting for a cluster the manager has not been told of yet. */
  private readonly known = new Map<string, (() => void)[]>();

  /** Makes new clusters' directories on a worker thread. */
  private readonly kits: ClusterKits;

  constructor(opts: ManagerOptions) {
    this.opts = opts;
    this.kits = new ClusterKits(opts.rootCA);
  }

  /** The cluster's directory: its database, credentials and signing key. */
  clusterDir(name: string): string {
    return join(this.opts.dataDir, 'clusters', name);
  }

  get(name: string): ClusterRecord | undefined {
    return this.records.get(name);
  }

  /**
   * The record of `name` once the manager has been told of the cluster (its
   * VirtualCluster was created a moment ago and not reconciled yet); undefined
   * after `timeoutMs`.
   */
  async whenKnown(name: string, timeoutMs: number): Promise<ClusterRecord | undefined> {
    const have = this.records.get(name);
    if (have || this.closed) return have;
    await new Promise<void>((resolve) => {
      let list = this.known.get(name);
      if (!list) this.known.set(name, (list = []));
      const done = () => { clearTimeout(timer); resolve(); };
      const timer = setTimeout(() => {
        const l = this.known.get(name);
        const i = l?.indexOf(done) ?? -1;
        if (l && i >= 0) l.splice(i, 1);
        if (l?.length === 0) this.known.delete(name);
        resolve();
      }, timeoutMs);
      timer.unref();
      list.push(done);
    });
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
        newDir: false, kitDb: undefined, replaced: 0,
      };
      this.records.set(name, r);
      const waiting = this.known.get(name);
      if (waiting) {
        this.known.delete(name);
        for (const fn of waiting) fn();
      }
    }
    if (r.phase === 'Terminating') return;
    await this.loadPki(r);
    // A new host spec (connection, guardrails, what is synced) takes effect through a fresh syncer.
    const reopen = r.vc !== undefined && (r.spec.storage !== spec.storage || r.spec.nodes !== spec.nodes ||
      JSON.stringify(r.spec.host) !== JSON.stringify(spec.host));
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
    // Makes the cluster's directory too.
    await this.loadPki(r);
    const imageExtra = this.imageExtra ?? this.takeImageExtra();
    const { kv, written } = await this.openStore(r, imageExtra);
    let vc: VirtualCluster;
    try {
      vc = await VirtualCluster.open(r.name, kv, builtinRegistry(metricsResources), { imageExtra, written });
    } catch (e) {
      await kv.close();
      throw e;
    }
    vc.policyReconciled = this.reconciled.has(r.name);
    try {
      await installAccessControl(vc);
      this.reconciled.add(r.name);
      if (vc.captureImage) await captureImage(kv);
    } catch (e) {
      await vc.close();
      throw e;
    }
    if (vc.fresh && !this.imageExtra) this.donor = new WeakRef(vc);
    const pki = r.pki as ClusterPki;
    vc.certIssuer = pki.caCert;
    vc.version = versionInfo(r.spec.kubernetesVersion);
    vc.limits = r.spec.limits;
    vc.tokens.push({ authenticateToken: (t) => (pki.hasToken(t) ? { username: 'kubevisor-admin', groups: ['system:masters', 'system:authenticated'] } : undefined) });
    vc.signCertificate = (req) => pki.signCertificate(req);
    vc.store.admission.push(objectLimitAdmission(vc), certificateSigningRequestAdmission(() => vc.authorizer));
    const { setupServiceAccounts } = await serviceAccountsModule();
    const sa = setupServiceAccounts(vc, this.opts.dataDir);
    vc.tokens.push(sa.authenticator);
    vc.nonResource = sa.serveDiscovery;
    r.streams = new AbortController();
    attachPodStreams(vc, { hostAccess: this.opts.podHostAccess ?? false, signal: r.streams.signal });
    // ValidatingAdmissionPolicies first, then validating webhooks: upstream's plugin order.
    installAdmissionPolicies(vc);
    // Admission webhooks reach Services as pods/proxy reaches pods (a synced cluster's syncer routes them to its host).
    installAdmissionWebhooks(vc, { hostAccess: this.opts.podHostAccess ?? false, signal: r.streams.signal });
    attachPodBinding(vc);
    // API aggregation: APIServices backed by Services reached as webhooks reach them; the front-proxy credentials kept beside the others.
    installAggregator(vc, { hostAccess: this.opts.podHostAccess ?? false, signal: r.streams.signal });
    setFrontProxySource(vc, () => loadFrontProxy(pki.dir, r.name));
    // The Metrics API; its source (simulated kubelets, or the host) comes with the controllers or the syncer.
    attachMetricsApi(vc);
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

  /** The extra image objects from the donor, once its controllers have written them all. */
  private takeImageExtra(): Image | undefined {
    const donor = this.donor?.deref();
    if (!donor) return undefined;
    const def = (plural: string) => donor.registry.find('', 'v1', plural);
    const [ns, sa, cm] = [def('namespaces'), def('serviceaccounts'), def('configmaps')];
    if (!ns || !sa || !cm) return undefined;
    const extra = extraImage(donor.cache, resourcePrefix(ns),
      (n) => [`${resourcePrefix(sa)}${n}/default`, `${resourcePrefix(cm)}${n}/kube-root-ca.crt`], 'kube-controller-manager');
    if (extra) {
      this.imageExtra = extra;
      this.donor = undefined;
    }
    return extra;
  }

  /** A cluster's store on the server's etcd (its own key prefix). */
  private async etcdStore(name: string): Promise<KVStore> {
    if (this.opts.storage.backend !== 'etcd') throw new Error('this server has no etcd (start it with --storage etcd)');
    const { openStore } = await storeModule();
    return openStore({ backend: 'etcd', endpoints: [...this.opts.storage.endpoints], prefix: `/kubevisor/${name}/` });
  }

  /**
   * The cluster's store; a new one holds the bootstrap image (then `imageExtra`) unless
   * `fill` is false. `written`: what it was made holding, for its watch cache.
   */
  private async openStore(r: Internal, imageExtra: Image | undefined, fill = true): Promise<{ kv: KVStore; written?: StoreContents }> {
    if (r.spec.storage === 'etcd') return { kv: await this.etcdStore(r.name) };
    const { SqliteStore } = await sqliteModule();
    const path = join(this.clusterDir(r.name), 'state.db');
    if (r.kitDb && fill) {
      // Made from the image's template by the kits' worker.
      const { uids, time, extra } = r.kitDb;
      r.kitDb = undefined;
      r.newDir = false;
      const written = imageContents(extra, uids, time);
      return { kv: new SqliteStore(path, { holds: written }), written };
    }
    if (r.newDir && fill) {
      // A new cluster's database is the image's file with its own uids and time. Written
      // beside and linked into place: a crash leaves no half-written database, and a
      // database put there meanwhile (a restore) is kept.
      // (Synchronous, as the store's own writes are: cheaper than the thread pool.)
      r.newDir = false;
      const db = await imageDatabase(imageExtra);
      if (db && placeNewFileSync(path, db.file)) return { kv: new SqliteStore(path, { holds: db.contents }), written: db.contents };
    }
    // Otherwise an empty store's file, written here off the event loop (the store would
    // write it synchronously); never over an existing one.
    const empty = await emptyStoreFile();
    if (empty) {
      await writeFile(path, empty, { mode: 0o600, flag: 'wx', flush: false }).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
    }
    return { kv: new SqliteStore(path) };
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
        try { await r.stop?.(phase); } catch (e) { console.error(`kubevisor: cluster ${r.name}: stopping controllers: ${(e as Error).message}`); }
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
    r.pkiLoading ??= (async () => {
      const dir = this.clusterDir(r.name);
      // mkdir says whether it made the directory: a new cluster has no credentials to read.
      if (!existsSync(dir)) {
        // A new cluster: its directory is made on the kits' worker (on failure, here).
        const kit = await this.makeKit(r, dir).catch(() => undefined);
        if (kit) return ClusterPki.fromPrepared(dir, kit);
      }
      const made = mkdirSync(dir, { recursive: true, mode: 0o700 });
      if (made !== undefined) r.newDir = true;
      return ClusterPki.ensure(dir, r.name, this.opts.rootCA, { fresh: made !== undefined });
    })().then((pki) => {
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

  /** Make cluster `r`'s directory `dir` on the kits' worker; undefined when it exists. */
  private async makeKit(r: Internal, dir: string): Promise<Kit | undefined> {
    let template: number | undefined;
    const extra = this.imageExtra ?? this.takeImageExtra() ?? [];
    if (r.spec.storage !== 'etcd') {
      const t = await imageTemplate(extra);
      template = t ? this.kits.setTemplate(t) : undefined;
    }
    const replaced = r.replaced;
    const kit = await this.kits.make(dir, r.name, template);
    if (kit && r.replaced === replaced) {
      r.newDir = true;
      if (kit.db) r.kitDb = { uids: kit.db.uids, time: kit.db.time, extra };
    }
    return kit;
  }

  /**
   * The cluster whose credentials a request carries (a certificate its CA issued,
   * or one of its static tokens), for requests without a /clusters/NAME path:
   * `kubectl get --raw` and `kubectl proxy` drop the server URL's path.
   */
  ownerOf(cert: X509Certificate | undefined, token: string | undefined): string | undefined {
    if (token !== undefined) {
      const owner = this.tokenOwners.get(hashToken(token));
      if (owner !== undefined) return owner;
      // A service-account token (pods reach the server without a path): the cluster whose key signed it.
      const kid = jwtKeyId(token);
      return kid === undefined ? undefined : this.keyOwner(kid);
    }
    if (cert !== undefined) return this.caOwners.get(cert.issuer);
    return undefined;
  }

  private keyOwner(kid: string): string | undefined {
    const known = this.keyOwners.get(kid);
    if (known !== undefined) return known;
    // Keys are made on a cluster's first token: look at those not indexed yet.
    const indexed = new Set(this.keyOwners.values());
    for (const name of this.records.keys()) {
      if (indexed.has(name)) continue;
      try {
        const key = readSigningKeySync(signingKeyPath(this.opts.dataDir, name));
        if (key) this.keyOwners.set(key.kid, name);
      } catch { /* an unusable key file: that cluster's tokens are refused anyway */ }
    }
    return this.keyOwners.get(kid);
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
      const kv = await this.etcdStore(name);
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
    this.reconciled.delete(name);
    for (const m of [this.caOwners, this.tokenOwners, this.keyOwners]) for (const [k, v] of m) if (v === name) m.delete(k);
  }

  /**
   * Replace the cluster's data with what `fill` writes into an empty store
   * (a snapshot restore), then reopen it as it was. On SQLite the new data is
   * written to a file of its own and moved into place only once complete.
   */
  async replaceData(name: string, fill: (kv: KVStore) => Promise<void>): Promise<void> {
    const r = this.records.get(name);
    if (!r) throw errors.notFound({ group: 'kubevisor.dev', resource: 'virtualclusters' }, name);
    const { openStore } = await storeModule();
    // An earlier replacement ends first, and an open under way completes (to be closed
    // below): only opens that start from here on wait for the new data.
    for (;;) {
      if (r.replacing) await r.replacing.catch(() => undefined);
      else if (r.opening) await r.opening.catch(() => undefined);
      else break;
    }
    const before = r.phase;
    // The database made with the cluster is about to be replaced.
    r.kitDb = undefined;
    r.replaced++;
    let done!: () => void;
    r.replacing = new Promise<void>((resolve) => { done = resolve; });
    await this.close(r, 'Pending');
    // Other data: its RBAC objects are reconciled again when it opens.
    this.reconciled.delete(name);
    try {
      if (r.spec.storage === 'etcd') {
        const kv = await this.etcdStore(name);
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
    const { kv } = await this.openStore(r, undefined, false);
    try {
      return await fn(kv);
    } finally {
      await kv.close();
    }
  }

  /** One timer for all clusters, running only while some running cluster may fall asleep. */
  private scheduleSleep(): void {
    if (this.sleepTimer || this.closed) return;
    const now = Date.now();
    let next = Infinity;
    for (const r of this.records.values()) {
      if (r.phase === 'Running' && r.spec.sleepAfterMs !== undefined) next = Math.min(next, r.lastActivity + r.spec.sleepAfterMs - now);
    }
    if (next === Infinity) return;
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
    this.kits.close();
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    await Promise.all([...this.records.values()].map((r) => this.close(r, r.phase === 'Running' ? 'Pending' : r.phase)));
  }
}

/** The `kid` of a JWT's header; undefined for anything else. */
function jwtKeyId(token: string): string | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0 || token.length > 16384) return undefined;
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof header.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}
