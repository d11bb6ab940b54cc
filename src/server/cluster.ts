// One virtual cluster at run time: its store, watch cache, generic store and
// the resources it serves. Everything a request or controller needs of a
// cluster hangs off this object.

import type { KVStore } from '../storage/types.ts';
import { WatchCache } from '../registry/generic/watch-cache.ts';
import { GenericStore } from '../registry/generic/store.ts';
import type { Registry } from '../registry/registry.ts';
import { bootstrapCluster } from './bootstrap.ts';
import { hasImage, restoreImage, writeImage, type Image, type StoreContents } from './bootstrap-image.ts';
import { startCompactor } from '../registry/generic/compactor.ts';
import { groupsOf } from './discovery.ts';
import { resourcePrefix } from '../registry/generic/keys.ts';
import type { KubeObject } from '../api/types.ts';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { X509Certificate } from 'node:crypto';
import type { ResourceContext } from './handlers/resource.ts';
import type { Negotiated } from './http/negotiate.ts';
import type { TokenAuthenticator } from './auth/authenticate.ts';
import type { UserInfo } from '../registry/types.ts';
import { MastersAuthorizer, type Authorizer } from './auth/authorize.ts';
import { versionInfo } from './version.ts';
import { DEFAULT_LIMITS, type ClusterLimits } from './tenancy/spec.ts';
import type { CertificateToSign } from './tenancy/cluster-pki.ts';

/** Serves a subresource the generic store does not (eviction, token, log), after routing and authorization. */
export type SubresourceHandler = (ctx: ResourceContext, neg: Negotiated) => Promise<void>;

/** Serves an upgraded connection (exec, attach, portforward) for one object. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer,
  target: { namespace: string | undefined; name: string; query: URLSearchParams }) => void | Promise<void>;

export class VirtualCluster {
  /** By "<group>/<resource>/<subresource>", e.g. "/pods/eviction". */
  readonly subresources = new Map<string, SubresourceHandler>();
  /** By "<group>/<resource>/<subresource>", e.g. "/pods/exec". */
  readonly upgrades = new Map<string, UpgradeHandler>();
  /** Bearer tokens this cluster issues (service-account tokens). */
  readonly tokens: TokenAuthenticator[] = [];
  /**
   * Issue a service-account token in-process, as POST serviceaccounts/NAME/token would
   * (body: a TokenRequest); set once the cluster's signing key is attached.
   */
  requestToken?: (namespace: string, serviceAccount: string, body: unknown) => Promise<KubeObject>;
  /**
   * Sign a certificate signing request's key with the cluster's client CA (what the
   * csrsigning controller issues); returns the certificate and the CA (PEM). Set once the
   * cluster's credentials are loaded; absent: nothing is signed.
   */
  signCertificate?: (req: CertificateToSign) => string;
  /** Non-resource paths this cluster answers itself (issuer discovery). */
  nonResource?: (path: string, req: IncomingMessage, res: import('node:http').ServerResponse) => Promise<boolean>;
  readonly name: string;
  /** Who may do what here (RBAC once installed). */
  authorizer: Authorizer = new MastersAuthorizer();
  /** The CA whose client certificates this cluster accepts; undefined: any the server's TLS verified. */
  certIssuer: X509Certificate | undefined;
  /** Applies impersonation headers (RBAC installs it); absent: they are not honoured. */
  impersonate?: (req: IncomingMessage, user: UserInfo) => Promise<UserInfo>;
  /** What /version reports. */
  version: Record<string, string> = versionInfo();
  limits: ClusterLimits = DEFAULT_LIMITS;
  /** Requests (watches excluded) and watches being served now. */
  inFlight = 0;
  watches = 0;
  /** When a request last arrived or ended (ms since epoch). */
  lastActivity = Date.now();
  readonly kv: KVStore;
  readonly cache: WatchCache;
  readonly store: GenericStore;
  readonly registry: Registry;

  private constructor(name: string, kv: KVStore, cache: WatchCache, registry: Registry) {
    this.name = name;
    this.kv = kv;
    this.cache = cache;
    this.store = new GenericStore(kv, cache);
    this.registry = registry;
  }

  /** The cluster's CustomResourceDefinitions, from the watch cache. */
  crds(): KubeObject[] {
    const def = this.registry.find('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
    if (!def) return [];
    return [...this.cache.scan(resourcePrefix(def))].map((c) => c.obj);
  }

  /** "v1", "apps/v1", ...: what discovery and OpenAPI list (custom resources included). */
  get servedGroupVersions(): string[] {
    return groupsOf(this.registry).flatMap((g) => g.versions.map((v) => (g.group ? `${g.group}/${v}` : v)));
  }

  /**
   * Load the cluster's state and create what a new cluster holds. `imageExtra`: objects
   * a fresh cluster written from the bootstrap image gets besides (what its controllers
   * would write right after it opens); `written`: the objects `kv` was made holding.
   */
  static async open(name: string, kv: KVStore, registry: Registry, opts: { imageExtra?: Image; written?: StoreContents } = {}): Promise<VirtualCluster> {
    // `written`: the store was made holding the image (imageDatabase). Otherwise, a store
    // never written to, of a backend that chooses revisions (SQLite): the image goes in as
    // rows (one transaction, no per-write checks), before the cache loads it.
    let written = opts.written;
    if (!written && hasImage() && kv.restoreRows !== undefined && (await kv.revision()) === 0) written = await restoreImage(kv, opts.imageExtra);
    const cache = await WatchCache.start(kv, undefined, undefined, written);
    const vc = new VirtualCluster(name, kv, cache, registry);
    if (written) {
      vc.fromImage = true;
    } else if (cache.size === 0) {
      // A fresh cluster: written from the image of the first fresh cluster, or its bootstrap captured as the image.
      if (hasImage()) {
        await writeImage(kv, cache, opts.imageExtra);
        vc.fromImage = true;
      } else {
        vc.captureImage = true;
      }
    }
    await bootstrapCluster(vc);
    vc.stopCompactor = startCompactor(kv, () => cache.revision);
    return vc;
  }

  private stopCompactor: () => void = () => {};
  /** Written from the bootstrap image: its RBAC objects are the policy's, nothing to reconcile. */
  fromImage = false;
  /**
   * Its RBAC objects were reconciled with the bootstrap policy since this server started
   * (an earlier open of the same data): as for a server that never stopped, nothing to
   * reconcile when it opens again.
   */
  policyReconciled = false;
  /** The first fresh cluster: its store is captured as the image once bootstrapped. */
  captureImage = false;
  /** Fresh when opened (written from the image, or bootstrapped): what its controllers write first may extend the image. */
  get fresh(): boolean {
    return this.fromImage || this.captureImage;
  }
  private readonly closeHooks = new Set<() => void>();

  /** Run `fn` when the cluster closes (paused, asleep, deleted, server stopping); returns a function that cancels it. */
  whenClosed(fn: () => void): () => void {
    this.closeHooks.add(fn);
    return () => { this.closeHooks.delete(fn); };
  }

  async close(): Promise<void> {
    // Open watches end: their clients re-list and re-watch, as after an API server restart.
    for (const fn of [...this.closeHooks]) {
      try { fn(); } catch { /* a hook's failure is its own */ }
    }
    this.closeHooks.clear();
    this.stopCompactor();
    this.cache.stop();
    await this.kv.close();
  }
}
