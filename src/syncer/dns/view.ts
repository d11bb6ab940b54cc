// What the DNS server needs to know about one virtual cluster. Small on
// purpose: `viewFromLists` builds it from Services and EndpointSlices, and a
// watch-cache-backed implementation needs only the same three lookups.
//
// Names and namespaces are passed lowercase (Kubernetes names already are);
// IP addresses in the form `canonicalIP()` (ip.ts) returns.

export interface DnsPort {
  /** Port name; unnamed ports get no SRV record. */
  name: string;
  port: number;
  /** "TCP", "UDP" or "SCTP", matched case-insensitively against `_tcp`, `_udp`, `_sctp`. */
  protocol: string;
}

/** An endpoint DNS publishes: ready, or any when the service publishes not-ready addresses. */
export interface DnsEndpoint {
  ip: string;
  /** The endpoint's own hostname (StatefulSet pods under their governing service); without one, the dashed IP stands in. */
  hostname?: string;
  /** The ports of the EndpointSlice the endpoint comes from (target ports: what SRV answers of headless services carry). */
  ports: readonly DnsPort[];
}

export type DnsService =
  | { kind: 'clusterIP'; clusterIPs: readonly string[]; ports: readonly DnsPort[]; endpoints: readonly DnsEndpoint[] }
  | { kind: 'headless'; ports: readonly DnsPort[]; endpoints: readonly DnsEndpoint[] }
  | { kind: 'externalName'; externalName: string };

/** Who holds an IP, for PTR answers. */
export type DnsIPOwner =
  | { kind: 'service'; namespace: string; name: string }
  | { kind: 'endpoint'; namespace: string; service: string; hostname?: string }
  | { kind: 'pod'; namespace: string };

export interface DnsView {
  namespaceExists(namespace: string): boolean;
  service(namespace: string, name: string): DnsService | undefined;
  /** Holders of an address, best first (a service's ClusterIP before endpoints and pods); empty when unknown. */
  ipOwners(ip: string): readonly DnsIPOwner[];
  /**
   * Whether a pod in `namespace` has `ip`, for `A-B-C-D.NS.pod.DOMAIN` names.
   * Without it any address under an existing namespace answers (what CoreDNS
   * calls `pods insecure`, the kubeadm default).
   */
  podExists?(namespace: string, ip: string): boolean;
}
