// Name resolution inside host pods as the virtual cluster defines it: the
// kubevisor DNS server with the virtual search path, `kubernetes.default`
// pointing at the kubevisor server, the virtual pod name as hostname.

import { isIP } from 'node:net';
import type { DNSPolicy, HostAlias, PodDNSConfig, PodDNSConfigOption } from './pod-types.ts';

// Upstream's limits: 3 nameservers (more are dropped by the kubelet, and a
// `None` pod with more is invalid), 32 search domains.
const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;

export interface DnsSettings {
  /** The DNS server pods use (kubevisor's, serving the virtual services). */
  dnsIP: string;
  clusterDomain: string;
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

/**
 * Upstream's option merge: options by name, the pod's own replacing the
 * defaults' value; the defaults come first.
 */
function mergeOptions(defaults: PodDNSConfigOption[], own: readonly PodDNSConfigOption[]): PodDNSConfigOption[] {
  const out = defaults.map((o) => ({ ...o }));
  for (const o of own) {
    const i = out.findIndex((x) => x.name === o.name);
    const next: PodDNSConfigOption = o.value === undefined ? { name: o.name } : { name: o.name, value: o.value };
    if (i >= 0) out[i] = next; else out.push(next);
  }
  return out;
}

/**
 * The host pod's DNS policy and config. A pod that would use the cluster DNS
 * (`ClusterFirst`, unless on the host network, or `ClusterFirstWithHostNet`)
 * gets `None` with the config the virtual kubelet would have written: the
 * kubevisor DNS server, searches `<ns>.svc.<domain>`, `svc.<domain>`,
 * `<domain>`, `ndots:5`, then the pod's own dnsConfig appended. Not
 * reproduced: the node's own search domains, which upstream appends after
 * the cluster ones. `Default` and `None` pods are unchanged.
 */
export function toHostDns(
  policy: DNSPolicy | undefined, hostNetwork: boolean, dnsConfig: PodDNSConfig | undefined,
  namespace: string, s: DnsSettings,
): { dnsPolicy: DNSPolicy; dnsConfig?: PodDNSConfig } {
  const p = policy ?? 'ClusterFirst';
  const cluster = p === 'ClusterFirstWithHostNet' || (p === 'ClusterFirst' && !hostNetwork);
  if (!cluster) return dnsConfig ? { dnsPolicy: p, dnsConfig } : { dnsPolicy: p };
  const d = s.clusterDomain;
  return {
    dnsPolicy: 'None',
    dnsConfig: {
      nameservers: unique([s.dnsIP, ...(dnsConfig?.nameservers ?? [])]).slice(0, MAX_NAMESERVERS),
      searches: unique([`${namespace}.svc.${d}`, `svc.${d}`, d, ...(dnsConfig?.searches ?? [])]).slice(0, MAX_SEARCHES),
      options: mergeOptions([{ name: 'ndots', value: '5' }], dnsConfig?.options ?? []),
    },
  };
}

/**
 * The pod's host aliases plus `kubernetes`, `kubernetes.default`,
 * `kubernetes.default.svc` and `kubernetes.default.svc.<domain>` for the
 * kubevisor server. The pod's own aliases come first: the first match in
 * /etc/hosts wins, and what the user set wins. Needs an IP: for a host name
 * nothing is added (the names still resolve through kubevisor's DNS).
 */
export function toHostAliases(own: readonly HostAlias[] | undefined, apiHost: string, clusterDomain: string): HostAlias[] {
  const out = [...(own ?? [])];
  if (isIP(apiHost) !== 0) {
    out.push({
      ip: apiHost,
      hostnames: ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${clusterDomain}`],
    });
  }
  return out;
}

/**
 * The hostname a virtual pod without `spec.hostname` would have: its name,
 * cut to 63 characters as the kubelet cuts it. A host pod must say so
 * explicitly (its own name is the host name), and `spec.hostname` must be a
 * DNS label, so dots (legal in pod names) become `-`.
 */
export function podHostname(name: string): string {
  return name.slice(0, 63).replace(/[-.]+$/, '').replaceAll('.', '-');
}
