// Ingresses to the host (spec.host.sync.toHost.ingresses): the host copy
// routes to the host copies of the virtual Services; the Secrets it names for
// TLS are copied first and count as used while it names them; the host
// controller's load balancer status comes back to the virtual Ingress.
// Backends naming objects the host cannot reach are left out of the host copy
// (translate/ingress.ts says why); a SyncWarning event on the virtual Ingress
// says which, once for each change of what is left out.
import type { KubeObject } from '../api/types.ts';
import { ApiError } from '../api/errors.ts';
import { jsonEqual } from '../registry/generic/metadata.ts';
import { resourcePrefix } from '../registry/generic/keys.ts';
import { syncKey, type SyncContext } from './context.ts';
import type { CopiedKind, HostCopies } from './copies.ts';
import { syncObject } from './objects.ts';
import { FIELD_MANAGER } from './resources.ts';
import { fromHostIngressStatus, ingressSecrets, leftOutMessage, toHostIngress } from './translate/ingress.ts';

export const INGRESS_KIND: CopiedKind = {
  sync: 'ingress', kind: 'Ingress', host: { apiVersion: 'networking.k8s.io/v1', plural: 'ingresses' },
  group: 'networking.k8s.io', plural: 'ingresses', fields: ['spec'],
};

export class IngressSync {
  private readonly s: SyncContext;
  private readonly copies: HostCopies;
  /** The TLS Secrets each Ingress (by key) named when last synced. */
  private readonly tls = new Map<string, string[]>();
  /** The warning last recorded on each Ingress (by key, with its uid), so a sync repeated records it once. */
  private readonly warned = new Map<string, string>();

  constructor(s: SyncContext, copies: HostCopies) {
    this.s = s;
    this.copies = copies;
  }

  /** A virtual Ingress of `ns` names Secret `name` for TLS. */
  usesSecret(ns: string, name: string): boolean {
    for (const c of this.s.vc.cache.scan(`${resourcePrefix(this.copies.def)}${ns}/`)) {
      if (!c.obj.metadata.deletionTimestamp && ingressSecrets(c.obj).includes(name)) return true;
    }
    return false;
  }

  async sync(ns: string, name: string): Promise<void> {
    const s = this.s;
    const key = syncKey('ingress', ns, name);
    const v = this.copies.live(ns, name);
    const secrets = v ? ingressSecrets(v) : [];
    // The Secrets first, as a pod's: an Ingress whose certificate is not there yet would be served without it.
    await Promise.all(secrets.map((n) => syncObject(s, 'secret', ns, n, true)));
    const before = this.tls.get(key) ?? [];
    if (secrets.length > 0) this.tls.set(key, secrets); else this.tls.delete(key);
    // Those it no longer names may have to leave the host.
    for (const n of before) if (!secrets.includes(n)) s.enqueue(syncKey('secret', ns, n));
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
