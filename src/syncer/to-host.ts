// What a VirtualCluster's spec.host.sync.toHost adds to its syncing: every
// config map and secret (not only those pods use), Ingresses, NetworkPolicies,
// PodDisruptionBudgets and PriorityClasses. Host informers are acquired only
// for the kinds asked for; copies of kinds no longer asked for are removed
// when syncing starts.
import type { KubeObject } from '../api/types.ts';
import { resourcePrefix } from '../registry/generic/keys.ts';
import type { SyncToHost } from '../server/tenancy/spec.ts';
import { parseSyncKey, syncKey, type SyncContext, type SyncKind } from './context.ts';
import { HostCopies, type CopiedKind } from './copies.ts';
import { PDB_KIND, syncDisruptionBudget } from './disruption-budgets.ts';
import { HostError, type HostInformers } from './host/index.ts';
import { INGRESS_KIND, IngressSync } from './ingresses.ts';
import { NETWORK_POLICY_KIND, NetworkPolicySync } from './network-policies.ts';
import { PriorityClassSync, hostClassForPod, removeHostPriorityClasses } from './priority-classes.ts';
import { deleteHost } from './sync-errors.ts';
import { isFromHost } from './translate/from-host.ts';
import { isManagedBy, managedSelector, virtualIdentity } from './translate/index.ts';

type CopiedSyncKind = 'ingress' | 'networkpolicy' | 'pdb';
type ToHostKind = CopiedSyncKind | 'priorityclass';

const COPIED: Record<CopiedSyncKind, { kind: CopiedKind; flag: keyof SyncToHost }> = {
  ingress: { kind: INGRESS_KIND, flag: 'ingresses' },
  networkpolicy: { kind: NETWORK_POLICY_KIND, flag: 'networkPolicies' },
  pdb: { kind: PDB_KIND, flag: 'podDisruptionBudgets' },
};

// Secrets that are credentials of the virtual cluster itself: its service
// accounts' tokens and its bootstrap tokens mean nothing to the host.
const VIRTUAL_SECRET_TYPES = new Set(['kubernetes.io/service-account-token', 'bootstrap.kubernetes.io/token']);
// The virtual cluster's CA, which its controllers publish in every namespace; synced pods get it in their token Secret.
const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';

/** A config map or secret that `allConfigMaps` / `allSecrets` copies (unless a pod or Ingress uses it, others stay virtual). */
export function copiedWhenAll(kind: 'configmap' | 'secret', obj: KubeObject): boolean {
  if (obj.metadata.deletionTimestamp || isFromHost(obj)) return false;
  if (kind === 'configmap') return obj.metadata.name !== ROOT_CA_CONFIGMAP;
  return !VIRTUAL_SECRET_TYPES.has(obj['type'] as string);
}

/** A failure listing a kind the host may not serve or let us see; fine for a kind that is not synced. */
function refused(e: unknown): boolean {
  return e instanceof HostError && (e.notFound || e.code === 403);
}

/**
 * Remove this cluster's host copies of the optional kinds for which `which`
 * says so (default: all). Kinds not synced may be unlisted (the host may not
 * serve them, or not let the syncer see them): those are skipped.
 */
export async function removeToHostCopies(s: SyncContext, flags: SyncToHost, which: (k: ToHostKind) => boolean = () => true): Promise<number> {
  let removed = 0;
  for (const [sk, { kind: k, flag }] of Object.entries(COPIED) as [CopiedSyncKind, typeof COPIED[CopiedSyncKind]][]) {
    if (!which(sk)) continue;
    try {
      const list = await s.conn.list(k.host, s.hostNamespace, { labelSelector: managedSelector(s.name) });
      for (const o of list.items) {
        if (!isManagedBy(o, s.name, k.kind) || virtualIdentity(o)?.namespace === undefined) continue;
        await deleteHost(s.conn, k.host, s.hostNamespace, o.metadata.name as string, o.metadata.uid);
        removed++;
      }
    } catch (e) {
      if (flags[flag] || !refused(e)) throw e;
    }
  }
  if (which('priorityclass')) {
    try {
      removed += await removeHostPriorityClasses(s);
    } catch (e) {
      if (flags.priorityClasses || !refused(e)) throw e;
    }
  }
  return removed;
}

export class ToHostSync {
  private readonly s: SyncContext;
  private readonly flags: SyncToHost;
  private readonly copies = new Map<CopiedSyncKind, HostCopies>();
  private readonly ingresses: IngressSync | undefined;
  private readonly networkPolicies: NetworkPolicySync | undefined;
  private readonly priorityClasses: PriorityClassSync | undefined;

  constructor(s: SyncContext, informers: HostInformers, flags: SyncToHost) {
    this.s = s;
    this.flags = flags;
    for (const [sk, { kind, flag }] of Object.entries(COPIED) as [CopiedSyncKind, typeof COPIED[CopiedSyncKind]][]) {
      if (flags[flag]) this.copies.set(sk, new HostCopies(s, informers, kind));
    }
    const ing = this.copies.get('ingress');
    this.ingresses = ing ? new IngressSync(s, ing) : undefined;
    const np = this.copies.get('networkpolicy');
    this.networkPolicies = np ? new NetworkPolicySync(s, np) : undefined;
    this.priorityClasses = flags.priorityClasses ? new PriorityClassSync(s, informers) : undefined;
  }

  /** Resolves once the host caches of the synced kinds are filled. */
  async ready(): Promise<void> {
    await Promise.all([...[...this.copies.values()].map((c) => c.informer.synced), this.priorityClasses?.informer.synced]);
  }

  /** Follow both sides; returns what stops it. */
  start(): () => void {
    const s = this.s;
    const stops: (() => void)[] = [];
    const follow = (prefix: string, onKey: (ns: string | undefined, name: string) => void) => {
      stops.push(s.vc.cache.subscribe({ prefix, onEvent: (ev) => onKey(ev.obj.metadata.namespace, ev.obj.metadata.name as string) }));
    };
    for (const [sk, c] of this.copies) {
      follow(resourcePrefix(c.def), (ns, name) => s.enqueue(syncKey(sk, ns, name)));
      stops.push(c.subscribe());
    }
    const np = this.networkPolicies;
    if (np) follow(resourcePrefix(s.defs.namespaces), () => np.namespacesChanged());
    if (this.priorityClasses) stops.push(this.priorityClasses.start());
    const off = (k: ToHostKind) => (k === 'priorityclass' ? !this.flags.priorityClasses : !this.flags[COPIED[k].flag]);
    if ((Object.keys(COPIED) as ToHostKind[]).concat('priorityclass').some(off)) {
      void removeToHostCopies(s, this.flags, off).then((n) => {
        if (n > 0) console.error(`kubevisor: syncer ${s.name}: removed ${n} host copies of kinds no longer synced to the host`);
      }, (e: unknown) => console.error(`kubevisor: syncer ${s.name}: removing host copies of kinds no longer synced: ${(e as Error).message}`));
    }
    return () => { for (const stop of stops.splice(0)) stop(); };
  }

  /** Queue every virtual object of the synced kinds (and, when all are copied, every config map / secret). */
  resync(): void {
    const s = this.s;
    for (const c of this.copies.values()) for (const key of c.keys()) s.enqueue(key);
    for (const key of this.priorityClasses?.keys() ?? []) s.enqueue(key);
    const all = (kind: 'configmap' | 'secret', on: boolean) => {
      if (!on) return;
      const def = kind === 'configmap' ? s.defs.configmaps : s.defs.secrets;
      for (const c of s.vc.cache.scan(resourcePrefix(def))) {
        if (copiedWhenAll(kind, c.obj)) s.enqueue(syncKey(kind, c.obj.metadata.namespace, c.obj.metadata.name as string));
      }
    };
    all('configmap', this.flags.allConfigMaps);
    all('secret', this.flags.allSecrets);
  }

  /**
   * Whether config map or secret `key` belongs on the host for this reason
   * (besides synced pods using it): every one is copied, or an Ingress names it
   * for TLS or in an annotation. `obj`: the virtual object, when the caller has it (a deleted one).
   */
  wants(key: string, obj?: KubeObject): boolean {
    const { kind, namespace, name } = parseSyncKey(key);
    if (namespace === undefined || (kind !== 'configmap' && kind !== 'secret')) return false;
    if (kind === 'configmap' ? this.flags.allConfigMaps : this.flags.allSecrets) {
      const o = obj ?? this.s.peek(kind === 'configmap' ? this.s.defs.configmaps : this.s.defs.secrets, namespace, name);
      if (o && copiedWhenAll(kind, o)) return true;
    }
    return kind === 'secret' && (this.ingresses?.usesSecret(namespace, name) ?? false);
  }

  /** The host priority class a synced pod naming virtual class `name` gets (undefined: none). */
  hostPriorityClass(name: string): string | undefined {
    return hostClassForPod(this.s, this.flags.priorityClasses, name);
  }

  /**
   * Write the host copy of virtual class `name` now when a pod is about to name it and
   * the host has none: a host refuses a pod whose priority class it does not know.
   */
  async ensureHostPriorityClass(name: string): Promise<void> {
    const hName = this.hostPriorityClass(name);
    if (!this.priorityClasses || hName === undefined || hName === name) return;
    if (!this.priorityClasses.informer.get(hName)) await this.priorityClasses.sync(name);
  }

  async reconcile(kind: SyncKind, ns: string | undefined, name: string): Promise<void> {
    if (kind === 'priorityclass') { await this.priorityClasses?.sync(name); return; }
    if (ns === undefined) return;
    if (kind === 'ingress') await this.ingresses?.sync(ns, name);
    else if (kind === 'networkpolicy') await this.networkPolicies?.sync(ns, name);
    else if (kind === 'pdb') {
      const c = this.copies.get('pdb');
      if (c) await syncDisruptionBudget(this.s, c, ns, name);
    }
  }

  /** Release the host informers. */
  release(): void {
    for (const c of this.copies.values()) c.release();
    this.priorityClasses?.release();
  }
}
