// Where a webhook's clientConfig.url may lead. kube-apiserver calls any URL a
// cluster admin configures; here the cluster admin is a tenant and the caller
// is the shared kubevisor server, so on a multi-tenant server (`kubevisor
// serve`, where tenants may not touch the server's machine) a URL webhook may
// only reach public addresses: not loopback, link-local (cloud metadata),
// private or shared (CGNAT) ranges, which are the platform's own network.
// That is what the host guardrails let a tenant's pods reach too. The name is
// resolved once and the connection goes to the address checked, so a name
// cannot resolve to a public address for the check and a private one for
// the call. A single-user server (`kubevisor up`) calls any URL, as upstream.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

const internal = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16]] as const) {
  internal.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10]] as const) internal.addSubnet(net, bits, 'ipv6');

/** Whether `ip` is in the platform's own ranges (an IPv4-mapped IPv6 address as its IPv4 address). */
export function isInternalAddress(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return internal.check(mapped[1]!, 'ipv4');
  const family = isIP(ip);
  return family === 0 || internal.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/** The address to connect to for `host`; throws with the reason when the server may not call it. */
export async function reachableAddress(host: string, anyAddress: boolean): Promise<string> {
  if (anyAddress) return host;
  const ip = isIP(host) ? host : (await lookup(host)).address;
  if (isInternalAddress(ip)) {
    throw new Error(`${host} (${ip}) is an internal address, and this server calls webhooks by URL only at public addresses; a webhook inside the cluster is called through its Service`);
  }
  return ip;
}
