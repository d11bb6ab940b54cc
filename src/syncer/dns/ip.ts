// IP addresses as DNS needs them: bytes for A/AAAA data, one canonical text
// form for lookups (so "2001:DB8:0::1" and "2001:db8::1" find the same
// service), and the in-addr.arpa / ip6.arpa names of PTR queries.
import { isIPv4, isIPv6 } from 'node:net';
import { compressIPv6 } from '../../api/validation/ip.ts';

/** IPv4 as 4 bytes, IPv6 as 16; undefined when the text is not an IP address. */
export function ipBytes(text: string): Uint8Array | undefined {
  const ip = unmapped(text);
  if (isIPv4(ip)) return Uint8Array.from(ip.split('.').map(Number));
  if (!isIPv6(ip) || ip.includes('%')) return undefined;
  let head = ip;
  let tail = '';
  const dbl = ip.indexOf('::');
  if (dbl >= 0) { head = ip.slice(0, dbl); tail = ip.slice(dbl + 2); }
  const groups = (s: string): number[] => {
    if (s === '') return [];
    const out: number[] = [];
    for (const part of s.split(':')) {
      if (part.includes('.')) { // embedded IPv4 (::ffff:1.2.3.4)
        const v4 = part.split('.').map(Number);
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else out.push(parseInt(part, 16));
    }
    return out;
  };
  const h = groups(head);
  const t = groups(tail);
  const all = dbl >= 0 ? [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t] : h;
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => { bytes[2 * i] = g >> 8; bytes[2 * i + 1] = g & 0xff; });
  return bytes;
}

/** Text of 4 or 16 address bytes: dotted IPv4, RFC 5952 IPv6 (lowercase, longest zero run as "::"). */
export function formatIP(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  return compressIPv6(groups);
}

/** The one text form addresses are compared in; undefined for non-addresses. IPv4-mapped IPv6 becomes IPv4. */
export function canonicalIP(text: string): string | undefined {
  const b = ipBytes(text);
  return b && formatIP(b);
}

function unmapped(ip: string): string {
  return ip.toLowerCase().startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

/** The PTR owner name of an address, without the trailing dot: 4.3.2.1.in-addr.arpa, or 32 nibbles.ip6.arpa. */
export function reverseName(ip: string): string | undefined {
  const b = ipBytes(ip);
  if (!b) return undefined;
  if (b.length === 4) return `${b[3]}.${b[2]}.${b[1]}.${b[0]}.in-addr.arpa`;
  const nibbles: string[] = [];
  for (let i = 15; i >= 0; i--) nibbles.push((b[i]! & 0xf).toString(16), (b[i]! >> 4).toString(16));
  return `${nibbles.join('.')}.ip6.arpa`;
}

/**
 * The address a complete reverse name stands for (lowercase name, no trailing
 * dot); undefined for partial names (10.in-addr.arpa) and anything malformed.
 */
export function addressOfReverseName(name: string): string | undefined {
  if (name.endsWith('.in-addr.arpa')) {
    const labels = name.slice(0, -'.in-addr.arpa'.length).split('.');
    if (labels.length !== 4 || !labels.every((l) => /^(0|[1-9]\d{0,2})$/.test(l) && Number(l) < 256)) return undefined;
    return labels.reverse().join('.');
  }
  if (name.endsWith('.ip6.arpa')) {
    const labels = name.slice(0, -'.ip6.arpa'.length).split('.');
    if (labels.length !== 32 || !labels.every((l) => /^[0-9a-f]$/.test(l))) return undefined;
    const bytes = new Uint8Array(16);
    for (let i = 0; i < 16; i++) bytes[15 - i] = parseInt(labels[2 * i]!, 16) | (parseInt(labels[2 * i + 1]!, 16) << 4);
    return formatIP(bytes);
  }
  return undefined;
}

export function isReverseZoneName(name: string): boolean {
  return name === 'in-addr.arpa' || name.endsWith('.in-addr.arpa') || name === 'ip6.arpa' || name.endsWith('.ip6.arpa');
}
