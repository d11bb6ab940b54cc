// Kubernetes' IP library: ip(), isIP(), ip.isCanonical() and the net.IP type
// (family, isUnspecified, isLoopback, isLinkLocalMulticast,
// isLinkLocalUnicast, isGlobalUnicast, string()). Addresses parse like Go's
// netip.ParseAddr (no leading zeros in IPv4 fields), and zones and
// IPv4-mapped IPv6 addresses are refused, with upstream's error texts.

import { compressIPv6 } from '../validation/ip.ts';
import { LibraryError } from './errors.ts';
import type { Library } from './lib.ts';
import { goQuote } from './values.ts';

export const IP_TYPE = 'net.IP';

export class CelIP {
  /** 4 or 16 bytes. */
  readonly bytes: readonly number[];
  constructor(bytes: readonly number[]) {
    this.bytes = bytes;
  }
  get celType(): string {
    return IP_TYPE;
  }
  get family(): 4 | 6 {
    return this.bytes.length === 4 ? 4 : 6;
  }
  equals(o: unknown): boolean {
    return o instanceof CelIP && o.bytes.length === this.bytes.length && o.bytes.every((b, i) => b === this.bytes[i]);
  }
  toString(): string {
    if (this.bytes.length === 4) return this.bytes.join('.');
    const groups: number[] = [];
    for (let i = 0; i < 16; i += 2) groups.push((this.bytes[i]! << 8) | this.bytes[i + 1]!);
    return compressIPv6(groups);
  }
}

class AddrError extends Error {
  constructor(input: string, msg: string, at?: string) {
    super(`ParseAddr(${goQuote(input)}): ${msg}${at !== undefined ? ` (at ${goQuote(at)})` : ''}`);
  }
}

function parseIPv4(s: string, input = s): number[] {
  const fields: number[] = [];
  let val = 0, digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c >= '0' && c <= '9') {
      if (digits === 1 && val === 0) throw new AddrError(input, 'IPv4 field has octet with leading zero');
      val = val * 10 + (c.charCodeAt(0) - 48);
      digits++;
      if (val > 255) throw new AddrError(input, 'IPv4 field has value >255');
    } else if (c === '.') {
      if (i === 0 || i === s.length - 1 || s[i - 1] === '.') throw new AddrError(input, 'IPv4 field must have at least one digit', s.slice(i));
      if (fields.length === 3) throw new AddrError(input, 'IPv4 address too long');
      fields.push(val);
      val = 0;
      digits = 0;
    } else {
      throw new AddrError(input, 'unexpected character', s.slice(i));
    }
  }
  if (fields.length < 3) throw new AddrError(input, 'IPv4 address too short');
  fields.push(val);
  return fields;
}

function parseIPv6(input: string): { bytes: number[]; zone: string } {
  let s = input;
  let zone = '';
  const pct = s.indexOf('%');
  if (pct >= 0) {
    zone = s.slice(pct + 1);
    s = s.slice(0, pct);
    if (zone === '') throw new AddrError(input, 'zone must be a non-empty string');
  }
  const ip: number[] = new Array(16).fill(0);
  let ellipsis = -1;
  let i = 0;
  if (s.startsWith('::')) {
    ellipsis = 0;
    s = s.slice(2);
    if (s === '') return { bytes: ip, zone };
  }
  while (i < 16) {
    let off = 0, acc = 0;
    while (off < s.length) {
      const c = s[off]!;
      const d = /[0-9]/.test(c) ? c.charCodeAt(0) - 48 : /[a-f]/.test(c) ? c.charCodeAt(0) - 87 : /[A-F]/.test(c) ? c.charCodeAt(0) - 55 : -1;
      if (d < 0) break;
      off++;
      if (off > 4) throw new AddrError(input, 'each group must have 4 or less digits', s);
      acc = acc * 16 + d;
    }
    if (off === 0) throw new AddrError(input, 'each colon-separated field must have at least one digit', s);
    if (off < s.length && s[off] === '.') {
      if (ellipsis < 0 && i !== 12) throw new AddrError(input, 'embedded IPv4 address must replace the final 2 fields of the address', s);
      if (i + 4 > 16) throw new AddrError(input, 'too many hex fields to fit an embedded IPv4 at the end of the address', s);
      let v4: number[];
      try {
        v4 = parseIPv4(s);
      } catch (e) {
        throw new AddrError(input, (e as Error).message.replace(/^ParseAddr\("[^"]*"\): /, ''), s);
      }
      ip.splice(i, 4, ...v4);
      i += 4;
      s = '';
      break;
    }
    ip[i] = acc >> 8;
    ip[i + 1] = acc & 0xff;
    i += 2;
    s = s.slice(off);
    if (s === '') break;
    if (s[0] !== ':') throw new AddrError(input, 'unexpected character, want colon', s);
    if (s.length === 1) throw new AddrError(input, 'colon must be followed by more characters', s);
    s = s.slice(1);
    if (s[0] === ':') {
      if (ellipsis >= 0) throw new AddrError(input, 'multiple :: in address', s);
      ellipsis = i;
      s = s.slice(1);
      if (s === '') break;
    }
  }
  if (s !== '') throw new AddrError(input, 'trailing garbage after address', s);
  if (i < 16) {
    if (ellipsis < 0) throw new AddrError(input, 'address string too short');
    const n = 16 - i;
    for (let j = i - 1; j >= ellipsis; j--) ip[j + n] = ip[j]!;
    for (let j = ellipsis + n - 1; j >= ellipsis; j--) ip[j] = 0;
  } else if (ellipsis >= 0) {
    throw new AddrError(input, 'the :: must expand to at least one field of zeros');
  }
  return { bytes: ip, zone };
}

/** Go's netip.ParseAddr: the bytes (4 or 16) and zone, or an error in Go's words. */
export function parseAddr(s: string): { bytes: number[]; zone: string } {
  for (const c of s) {
    if (c === '.') return { bytes: parseIPv4(s), zone: '' };
    if (c === ':') return parseIPv6(s);
    if (c === '%') throw new AddrError(s, 'missing IPv6 address');
  }
  throw new AddrError(s, 'unable to parse IP');
}

export function is4In6(bytes: readonly number[]): boolean {
  return bytes.length === 16 && bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

/** What ip() accepts: an address without zone that is not IPv4-mapped. */
export function parseCelIP(raw: string): CelIP {
  let a: { bytes: number[]; zone: string };
  try {
    a = parseAddr(raw);
  } catch (e) {
    throw new LibraryError(`IP Address ${goQuote(raw)} parse error during conversion from string: ${(e as Error).message}`);
  }
  if (a.zone !== '') throw new LibraryError(`IP address ${goQuote(raw)} with zone value is not allowed`);
  if (is4In6(a.bytes)) throw new LibraryError(`IPv4-mapped IPv6 address ${goQuote(raw)} is not allowed`);
  return new CelIP(a.bytes);
}

function isValid(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch (e) {
    if (e instanceof LibraryError) return false;
    throw e;
  }
}

export const isLoopback = (ip: CelIP) => (ip.family === 4 ? ip.bytes[0] === 127 : ip.bytes.every((b, i) => b === (i === 15 ? 1 : 0)));
export const isUnspecified = (ip: CelIP) => ip.bytes.every((b) => b === 0);
const isMulticast = (ip: CelIP) => (ip.family === 4 ? (ip.bytes[0]! & 0xf0) === 0xe0 : ip.bytes[0] === 0xff);
export const isLinkLocalMulticast = (ip: CelIP) =>
  ip.family === 4 ? ip.bytes[0] === 224 && ip.bytes[1] === 0 && ip.bytes[2] === 0 : ip.bytes[0] === 0xff && (ip.bytes[1]! & 0x0f) === 0x02;
export const isLinkLocalUnicast = (ip: CelIP) =>
  ip.family === 4 ? ip.bytes[0] === 169 && ip.bytes[1] === 254 : ip.bytes[0] === 0xfe && (ip.bytes[1]! & 0xc0) === 0x80;
export function isGlobalUnicast(ip: CelIP): boolean {
  if (ip.family === 4 && (isUnspecified(ip) || ip.bytes.every((b) => b === 255))) return false;
  return !isUnspecified(ip) && !isLoopback(ip) && !isMulticast(ip) && !isLinkLocalUnicast(ip);
}

export function register(lib: Library): void {
  const T = IP_TYPE;
  lib.type(T, CelIP);
  lib.env.registerOperator(`${T} == ${T}`, (a: CelIP, b: CelIP) => a.equals(b));
  lib.fn(`ip(string): ${T}`, parseCelIP);
  lib.fn('isIP(string): bool', (s: string) => isValid(() => parseCelIP(s)));
  const ns = lib.namespace('ip');
  lib.fn(`${ns}.isCanonical(string): bool`, (_: unknown, s: string) => parseCelIP(s).toString() === s);
  lib.fn(`${T}.family(): int`, (ip: CelIP) => BigInt(ip.family));
  lib.fn(`${T}.isUnspecified(): bool`, isUnspecified);
  lib.fn(`${T}.isLoopback(): bool`, isLoopback);
  lib.fn(`${T}.isLinkLocalMulticast(): bool`, isLinkLocalMulticast);
  lib.fn(`${T}.isLinkLocalUnicast(): bool`, isLinkLocalUnicast);
  lib.fn(`${T}.isGlobalUnicast(): bool`, isGlobalUnicast);
  lib.fn(`string(${T}): string`, (ip: CelIP) => ip.toString());
}
