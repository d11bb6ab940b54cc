// From the address the server listens on to the URL clients use and the names
// its serving certificate must carry.
import { isIPv6 } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';

function unbracket(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1');
}

/** 0.0.0.0 and :: listen on every address and are no place to connect to. */
export function isUnspecified(host: string): boolean {
  const h = unbracket(host);
  return h === '' || h === '0.0.0.0' || h === '::' || h === '0:0:0:0:0:0:0:0';
}

/** https://HOST:PORT for clients, on loopback when the server listens everywhere. */
export function clientUrl(listenHost: string, port: number): string {
  const h = unbracket(listenHost);
  const host = isUnspecified(h) ? (h.includes(':') ? '::1' : '127.0.0.1') : h;
  return `https://${isIPv6(host) ? `[${host}]` : host}:${port}`;
}

/**
 * Extra names for the serving certificate: the listen host, or when listening
 * everywhere the machine's host name and its addresses (link-local ones aside).
 */
export function certificateHosts(listenHost: string): string[] {
  const h = unbracket(listenHost);
  if (!isUnspecified(h)) return [h];
  const hosts = [hostname()];
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv6' && address.scopeid !== 0) continue;
      hosts.push(address.address);
    }
  }
  return hosts;
}
