// The NetworkPolicies that keep a virtual cluster's host pods to themselves.
// NetworkPolicies add up: a pod any policy selects is isolated, and what it
// may reach is the union of what the policies selecting it allow. So one
// policy isolates the cluster's pods (deny-all) and each of the others opens
// one kind of traffic; deleting or breaking an allowing policy only takes
// traffic away, never opens it to other tenants.
//
// Other tenants' pods are unreachable because nothing lets them in: a pod is
// reached across the pod network at its pod IP, which lies in a private range
// that the internet rule excludes, and the same-cluster rule only names pods
// carrying this cluster's vcluster label (which the syncer never lets a tenant
// set, see translate/keys.ts).

import { parseIPSloppy, validateCIDR } from '../api/validation/ip.ts';

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly { readonly key: string; readonly operator: string; readonly values?: readonly string[] }[];
}

/**
 * The address ranges that internet egress leaves out: the RFC 1918 ranges
 * pod and node networks use, IPv6 unique-local addresses, and link-local
 * addresses of both families, where clouds serve instance metadata (and with
 * it node credentials) at 169.254.169.254 and fd00:ec2::254.
 */
export const DEFAULT_PRIVATE_CIDRS: readonly string[] = [
  '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', 'fc00::/7', 'fe80::/10',
];

/** The kubevisor server (its API and its DNS) as host pods see it. */
interface ReachPorts {
  /** TCP port of the kubevisor API as pods connect to it (after any Service's port mapping). */
  readonly apiPort: number;
  /** Port of its DNS server as pods connect to it; UDP and TCP 53 are always allowed too. */
  readonly dnsPort: number;
  /** Ranges internet egress leaves out (both families); default DEFAULT_PRIVATE_CIDRS. */
  readonly privateCidrs?: readonly string[];
}

/**
 * Where pods find the kubevisor server: its pods on the host (podSelector,
 * with namespaceSelector when it runs in another namespace), its addresses
 * (IPs or CIDRs, e.g. when it runs outside the host's pod network), or both.
 * At least one is required: a rule with no peers would allow every address.
 */
export type ServerReach = ReachPorts & (
  | { readonly podSelector: LabelSelector; readonly namespaceSelector?: LabelSelector; readonly ipBlocks?: readonly string[] }
  | { readonly podSelector?: undefined; readonly namespaceSelector?: undefined; readonly ipBlocks: readonly [string, ...string[]] }
);

export type NetworkRole = 'deny-all' | 'same-cluster' | 'server' | 'internet';

/** An IP ("10.0.0.5") or CIDR ("10.0.0.0/24") as a canonical CIDR; throws when it is neither. */
export function toCidr(value: string): string {
  if (!value.includes('/')) {
    const ip = parseIPSloppy(value);
    if (!ip || ip.leadingZero || ip.mapped) throw new Error(`"${value}" is not an IP address or CIDR`);
    return `${ip.canonical}/${ip.family === 4 ? 32 : 128}`;
  }
  const errs = validateCIDR('cidr', value);
  if (errs.length > 0) throw new Error(`"${value}" is not a canonical CIDR: ${errs[0].detail ?? ''}`);
  return value;
}

function port(protocol: 'TCP' | 'UDP', n: number): { protocol: string; port: number } {
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${n} is not a port number`);
  return { protocol, port: n };
}

/** The specs of the cluster's NetworkPolicies, each selecting the pods with `podLabels`. */
export function networkPolicies(podLabels: Readonly<Record<string, string>>, server: ServerReach): { role: NetworkRole; spec: Record<string, unknown> }[] {
  const own = () => ({ matchLabels: { ...podLabels } });

  const peers: Record<string, unknown>[] = [];
  if (server.podSelector) {
    const peer: Record<string, unknown> = { podSelector: structuredClone(server.podSelector) };
    if (server.namespaceSelector) peer.namespaceSelector = structuredClone(server.namespaceSelector);
    peers.push(peer);
  }
  for (const b of server.ipBlocks ?? []) peers.push({ ipBlock: { cidr: toCidr(b) } });
  if (peers.length === 0) throw new Error('the kubevisor server needs a podSelector or ipBlocks');
  const ports = [port('TCP', server.apiPort), port('UDP', 53), port('TCP', 53)];
  if (server.dnsPort !== 53) ports.push(port('UDP', server.dnsPort), port('TCP', server.dnsPort));

  const excluded = (server.privateCidrs ?? DEFAULT_PRIVATE_CIDRS).map(toCidr);
  const ipBlock = (cidr: string, except: string[]) => ({ ipBlock: except.length > 0 ? { cidr, except } : { cidr } });
  const internet = [
    ipBlock('0.0.0.0/0', excluded.filter((c) => !c.includes(':'))),
    ipBlock('::/0', excluded.filter((c) => c.includes(':'))),
  ];

  // Every field spelled out (protocols, policyTypes), as the host stores it.
  return [
    { role: 'deny-all', spec: { podSelector: own(), policyTypes: ['Ingress', 'Egress'] } },
    {
      role: 'same-cluster',
      spec: {
        podSelector: own(), policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ podSelector: own() }] }],
        egress: [{ to: [{ podSelector: own() }] }],
      },
    },
    { role: 'server', spec: { podSelector: own(), policyTypes: ['Egress'], egress: [{ to: peers, ports }] } },
    { role: 'internet', spec: { podSelector: own(), policyTypes: ['Egress'], egress: [{ to: internet }] } },
  ];
}
