// What the DNS server answers for one virtual cluster: its services, endpoint
// slices, namespaces and pods, from the watch cache. The view is rebuilt on
// the first query after any of them changed, not on every change.
// kubernetes.default is where the pods reach the API server (their
// KUBERNETES_SERVICE_HOST), whatever the Service says at that moment.
import type { KubeObject } from '../api/types.ts';
import { resourcePrefix } from '../registry/generic/keys.ts';
import type { VirtualCluster } from '../server/cluster.ts';
import type { DnsView } from './dns/view.ts';
import { viewFromLists } from './dns/view-from-lists.ts';

export class ClusterDnsView {
  private readonly vc: VirtualCluster;
  private readonly prefixes: { services: string; slices: string; namespaces: string; pods: string };
  private readonly unsubscribe: (() => void)[] = [];
  private readonly apiServerIP: () => string | undefined;
  private view: DnsView | undefined;

  /** `apiServerIP`: the pods' KUBERNETES_SERVICE_HOST, when it is an IP. */
  constructor(vc: VirtualCluster, apiServerIP: () => string | undefined = () => undefined) {
    this.vc = vc;
    this.apiServerIP = apiServerIP;
    const p = (group: string, version: string, plural: string) => {
      const def = vc.registry.find(group, version, plural);
      if (!def) throw new Error(`the cluster serves no ${plural}`);
      return resourcePrefix(def);
    };
    this.prefixes = {
      services: p('', 'v1', 'services'), slices: p('discovery.k8s.io', 'v1', 'endpointslices'),
      namespaces: p('', 'v1', 'namespaces'), pods: p('', 'v1', 'pods'),
    };
    for (const prefix of Object.values(this.prefixes)) {
      this.unsubscribe.push(vc.cache.subscribe({ prefix, onEvent: () => { this.view = undefined; } }));
    }
  }

  get(): DnsView {
    if (this.view) return this.view;
    const list = (prefix: string) => [...this.vc.cache.scan(prefix)].map((c) => c.obj);
    this.view = viewFromLists({
      services: withKubernetesAt(list(this.prefixes.services), this.apiServerIP()), endpointSlices: list(this.prefixes.slices),
      namespaces: list(this.prefixes.namespaces), pods: list(this.prefixes.pods),
    });
    return this.view;
  }

  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }
}

/** `services` with default/kubernetes at `ip` (made up while the Service is missing). */
function withKubernetesAt(services: KubeObject[], ip: string | undefined): KubeObject[] {
  if (ip === undefined) return services;
  const isKubernetes = (s: KubeObject) => s.metadata.namespace === 'default' && s.metadata.name === 'kubernetes';
  const current = services.find(isKubernetes);
  const spec = (current?.spec ?? { ports: [{ name: 'https', port: 443, protocol: 'TCP' }] }) as Record<string, unknown>;
  if (spec.clusterIP === ip) return services;
  const at: KubeObject = { metadata: { namespace: 'default', name: 'kubernetes' }, spec: { ...spec, type: 'ClusterIP', clusterIP: ip, clusterIPs: [ip] } };
  return [...services.filter((s) => !isKubernetes(s)), at];
}
