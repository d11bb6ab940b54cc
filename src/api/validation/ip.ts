// IP address and CIDR checks with the API server's messages. Like upstream's
// strict validation, IPv4 octets may not have leading zeros, IPv4-mapped IPv6
// addresses are refused, and IPv6 must be written in canonical form.

import { fieldError } from '../errors.ts';
import type { FieldError } from '../errors.ts';

function parseIPv4Sloppy(s: string): { octets: number[]; leadingZero: boolean } | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1) as string[];
  const octets = parts.map((p) => Number.parseInt(p, 10));
  if (octets.some((o) => o > 255)) return undefined;
  return { octets, leadingZero: parts.some((p) => p.length > 1 && p.startsWith('0')) };
}

/** Eight 16-bit groups, or undefined when not an IPv6 address. */
function parseIPv6(s: string): { groups: number[]; leadingZero: boolean } | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(s)) return undefined;
  let leadingZero = false;
  let tail: number[] = [];
  let body = s;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    const v4 = parseIPv4Sloppy(s.slice(lastColon + 1));
    if (!v4) return undefined;
    leadingZero = v4.leadingZero;
    tail = [(v4.octets[0] as number) * 256 + (v4.octets[1] as number), (v4.octets[2] as number) * 256 + (v4.octets[3] as number)];
    body = s.slice(0, lastColon + 1);
    // Keep a trailing "::" (the zeros run up to the IPv4 part); drop a lone separator.
    if (!body.endsWith('::') && body.endsWith(':')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const parseHalf = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = parseHalf(halves[0] as string);
  if (!head) return undefined;
  if (halves.length === 1) {
    const groups = [...head, ...tail];
    return groups.length === 8 ? { groups, leadingZero } : undefined;
  }
  const rest = parseHalf(halves[1] as string);
  if (!rest) return undefined;
  const known = head.length + rest.length + tail.length;
  if (known > 7) return undefined;
  return { groups: [...head, ...new Array<number>(8 - known).fill(0), ...rest, ...tail], leadingZero };
}

function isV4Mapped(groups: number[]): boolean {
  return groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
}

/** Go's net.IP.String() for an IPv6 address. */
function formatIPv6(groups: number[]): string {
  if (isV4Mapped(groups)) {
    const a = groups[6] as number, b = groups[7] as number;
    return `::ffff:${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
  }
  return compressIPv6(groups);
}

/** Eight 16-bit groups in RFC 5952 form: lowercase hex, the longest run of two or more zero groups as "::". */
export function compressIPv6(groups: readonly number[]): string {
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export interface ParsedIP { family: 4 | 6; canonical: string; bytes: number[] }

/** Parse an address leniently (leading zeros allowed), as ParseIPSloppy does. */
export function parseIPSloppy(s: string): (ParsedIP & { leadingZero: boolean; mapped: boolean }) | undefined {
  const v4 = parseIPv4Sloppy(s);
  if (v4) return { family: 4, canonical: v4.octets.join('.'), bytes: v4.octets, leadingZero: v4.leadingZero, mapped: false };
  const v6 = parseIPv6(s);
  if (!v6) return undefined;
  const bytes = v6.groups.flatMap((g) => [g >> 8, g & 255]);
  return { family: 6, canonical: formatIPv6(v6.groups), bytes, leadingZero: v6.leadingZero, mapped: isV4Mapped(v6.groups) };
}

export function isIPv6String(s: string): boolean {
  const p = parseIPSloppy(s);
  return p !== undefined && p.family === 6 && !p.mapped;
}

/** A valid IP address in canonical form. */
export function validateIP(path: string, value: string): FieldError[] {
  const ip = parseIPSloppy(value);
  if (!ip) return [fieldError.invalid(path, value, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')];
  const errs: FieldError[] = [];
  if (ip.leadingZero) errs.push(fieldError.invalid(path, value, 'must not have leading 0s'));
  if (ip.mapped) errs.push(fieldError.invalid(path, value, 'must not be an IPv4-mapped IPv6 address'));
  if (errs.length > 0) return errs;
  if (value !== ip.canonical) errs.push(fieldError.invalid(path, value, `must be in canonical form (${JSON.stringify(ip.canonical)})`));
  return errs;
}

/** A valid CIDR (network address, canonical form). */
export function validateCIDR(path: string, value: string): FieldError[] {
  const slash = value.indexOf('/');
  const bad = [fieldError.invalid(path, value, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')];
  if (slash < 0) return bad;
  const ipPart = value.slice(0, slash), lenPart = value.slice(slash + 1);
  const ip = parseIPSloppy(ipPart);
  if (!ip || !/^[0-9]+$/.test(lenPart)) return bad;
  const bits = Number.parseInt(lenPart, 10);
  const max = ip.family === 4 ? 32 : 128;
  if (bits > max) return bad;
  if (ip.leadingZero || (lenPart.length > 1 && lenPart.startsWith('0'))) {
    return [fieldError.invalid(path, value, 'must not have leading 0s in IP or prefix length')];
  }
  if (ip.mapped) return [fieldError.invalid(path, value, 'must not have an IPv4-mapped IPv6 address')];
  const masked = ip.bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
  if (masked.some((b, i) => b !== ip.bytes[i])) {
    return [fieldError.invalid(path, value, 'must not have bits set beyond the prefix length')];
  }
  const canonical = `${ip.canonical}/${bits}`;
  if (value !== canonical) return [fieldError.invalid(path, value, `must be in canonical form (${JSON.stringify(canonical)})`)];
  return [];
}

/** Loopback, link-local and unspecified addresses may not be endpoints or external IPs. */
export function validateNonSpecialIP(path: string, value: string): FieldError[] {
  const ip = parseIPSloppy(value);
  if (!ip) return [fieldError.invalid(path, value, 'must be a valid IP address')];
  const b = ip.bytes;
  const v4 = ip.family === 4 ? b : ip.mapped ? b.slice(12) : undefined;
  const errs: FieldError[] = [];
  const unspecified = b.every((x) => x === 0) || (v4 !== undefined && v4.every((x) => x === 0));
  const loopback = v4 ? v4[0] === 127 : b.slice(0, 15).every((x) => x === 0) && b[15] === 1;
  const linkLocalUnicast = v4 ? v4[0] === 169 && v4[1] === 254 : b[0] === 0xfe && ((b[1] as number) & 0xc0) === 0x80;
  const linkLocalMulticast = v4 ? v4[0] === 224 && v4[1] === 0 && v4[2] === 0 : b[0] === 0xff && ((b[1] as number) & 0x0f) === 0x02;
  if (unspecified) errs.push(fieldError.invalid(path, value, `may not be unspecified (${value})`));
  if (loopback) errs.push(fieldError.invalid(path, value, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
  if (linkLocalUnicast) errs.push(fieldError.invalid(path, value, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
  if (linkLocalMulticast) errs.push(fieldError.invalid(path, value, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
  return errs;
}
