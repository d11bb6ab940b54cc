// Ingresses to the host (spec.host.sync.toHost.ingresses): the host copy
// routes to the host copies of the virtual Services; the Secrets it names, for
// TLS or in annotations (ingress-nginx's auth-secret, ...; those may be of
// another namespace, translate/ingress-annotations.ts says why), are copied
// first and count as used while it names them; the host controller's load
// balancer status comes back to the virtual Ingress. Backends naming objects
// the host cannot reach, and annotations that cannot be translated, are left
// out of the host copy (translate/ingress.ts says why); a SyncWarning event on
// the virtual Ingress says which, once for each change of what is left out.
import type { KubeObject } from '../api/types.ts';
import { ApiError } from '../api/errors.ts';
import { jsonEqual } from '../registry/generic/metadata.ts';
import { resourcePrefix } from '../registry/generic/keys.ts';
import { syncKey, type SyncContext } from './context.ts';
import type { CopiedKind, HostCopies } from './copies.ts';
import { syncObject } from './objects.ts';
import { FIELD_MANAGER } from './resources.ts';
import { fromHostIngressStatus, ingressSecretRefs, leftOutMessage, toHostIngress } from './translate/ingress.ts';

export const INGRESS_KIND: CopiedKind = {
  sync: 'ingress', kind: 'Ingress', host: { apiVersion: 'networking.k8s.io/v1', plural: 'ingresses' },
  group: 'networking.k8s.io', plural: 'ingresses', fields: ['spec'],
};

export class IngressSync {
  private readonly s: SyncContext;
  private readonly copies: HostCopies;
  /** The Secrets (as sync keys) each Ingress (by key) named when last synced. */
  private readonly named = new Map<string, string[]>();
  /** The warning last recorded on each Ingress (by key, with its uid), so a sync repeated records it once. */
  private readonly warned = new Map<string, string>();

  constructor(s: SyncContext, copies: HostCopies) {
    this.s = s;
    this.copies = copies;
  }

  /**
   * A virtual Ingress names Secret `name` of `ns`, for TLS or in an annotation.
   * Every namespace's Ingresses are looked at: an annotation may name a Secret
   * of another namespace.
   */
  usesSecret(ns: string, name: string): boolean {
    for (const c of this.s.vc.cache.scan(resourcePrefix(this.copies.def))) {
      if (c.obj.metadata.deletionTimestamp) continue;
      if (ingressSecretRefs(c.obj).some((r) => r.namespace === ns && r.name === name)) return true;
    }
    return false;
  }

  async sync(ns: string, name: string): Promise<void> {
    const s = this.s;
    const key = syncKey('ingress', ns, name);
    const v = this.copies.live(ns, name);
    const refs = v ? ingressSecretRefs(v) : [];
    // The Secrets first, as a pod's: an Ingress whose certificate (or users, or CA) is not there yet would be served without it.
    await Promise.all(refs.map((r) => syncObject(s, 'secret', r.namespace, r.name, true)));
    const secrets = refs.map((r) => syncKey('secret', r.namespace, r.name));
    const before = this.named.get(key) ?? [];
    if (secrets.length > 0) this.named.set(key, secrets); else this.named.delete(key);
    // Those it no longer names may have to leave the host.
    for (const k of before) if (!secrets.includes(k)) s.enqueue(k);
    const want = v ? toHostIngress(v, { vcluster: s.name, hostNamespace: s.hostNamespace }) : undefined;
    if (v && want) this.warn(key, v, want.leftOut, want.ingress !== undefined);
    else this.warned.delete(key);
    const h = await this.copies.sync(ns, name, v, want?.ingress);
    // Not on the host (nothing left to route): no load balancer either.
    if (v) await this.statusBack(v, want?.ingress ? h : { metadata: {} });
  }

  /** Say on the virtual Ingress which backends its host copy leaves out, when that changes. */
  private warn(key: string, v: KubeObject, leftOut: string[], synced: boolean): void {
    if (leftOut.length === 0) return void this.warned.delete(key);
    const message = leftOutMessage(leftOut, synced);
    const seen = `${v.metadata.uid ?? ''} ${message}`;
    if (this.warned.get(key) === seen) return;
    this.warned.set(key, seen);
    void this.s.ctl.events.record(v, 'Warning', 'SyncWarning', message, FIELD_MANAGER);
  }

  private async statusBack(v: KubeObject, h: KubeObject | undefined): Promise<void> {
    if (!h) return;
    const back = fromHostIngressStatus(h);
    const have = (v.status ?? {}) as { loadBalancer?: unknown };
    if (jsonEqual(back.loadBalancer, have.loadBalancer ?? {})) return;
    try {
      await this.s.vc.store.guaranteedUpdate(this.copies.def, v.metadata.namespace, v.metadata.name as string, (cur) => {
        const o = cur as KubeObject;
        if (o.metadata.uid !== v.metadata.uid) return o;
        o.status = { ...(o.status ?? {}), loadBalancer: back.loadBalancer };
        return o;
      }, { subresource: 'status', fieldManager: FIELD_MANAGER });
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
  }
}
