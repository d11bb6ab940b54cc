// NetworkPolicies to the host (spec.host.sync.toHost.networkPolicies),
// translated to select only this virtual cluster's pods. A policy whose
// namespaceSelector had to be resolved against the virtual namespaces'
// labels is translated again whenever a virtual namespace changes.
import { resourcePrefix } from '../registry/generic/keys.ts';
import { syncKey, type SyncContext } from './context.ts';
import type { CopiedKind, HostCopies } from './copies.ts';
import type { VirtualNamespace } from './translate/index.ts';
import { toHostNetworkPolicy } from './translate/network-policy.ts';

export const NETWORK_POLICY_KIND: CopiedKind = {
  sync: 'networkpolicy', kind: 'NetworkPolicy', host: { apiVersion: 'networking.k8s.io/v1', plural: 'networkpolicies' },
  group: 'networking.k8s.io', plural: 'networkpolicies', fields: ['spec'],
};

export class NetworkPolicySync {
  private readonly s: SyncContext;
  private readonly copies: HostCopies;
  /** Policies (by key) whose translation depends on the virtual namespaces' labels. */
  private readonly dependent = new Set<string>();

  constructor(s: SyncContext, copies: HostCopies) {
    this.s = s;
    this.copies = copies;
  }

  /** A virtual namespace was made, relabelled or removed. */
  namespacesChanged(): void {
    for (const key of this.dependent) this.s.enqueue(key);
  }

  private namespaces(): VirtualNamespace[] {
    return [...this.s.vc.cache.scan(resourcePrefix(this.s.defs.namespaces))].map((c) => ({ name: c.obj.metadata.name as string, labels: c.obj.metadata.labels ?? {} }));
  }

  async sync(ns: string, name: string): Promise<void> {
    const s = this.s;
    const key = syncKey('networkpolicy', ns, name);
    const v = this.copies.live(ns, name);
    const t = v ? toHostNetworkPolicy(v, { vcluster: s.name, hostNamespace: s.hostNamespace }, this.namespaces()) : undefined;
    if (t?.dependsOnNamespaces) this.dependent.add(key); else this.dependent.delete(key);
    await this.copies.sync(ns, name, v, t?.policy);
  }
}
