// Kubernetes' CIDR library: cidr(), isCIDR() and the net.CIDR type
// (containsIP, containsCIDR, ip, masked, prefixLength, string()). Prefixes
// parse like Go's netip.ParsePrefix: host bits may be set (masked() clears
// them); IPv4-mapped addresses and zones are refused.

import { LibraryError } from './errors.ts';
import { CelIP, IP_TYPE, is4In6, parseAddr, parseCelIP } from './ip.ts';
import type { Library } from './lib.ts';
import { goQuote } from './values.ts';

export const CIDR_TYPE = 'net.CIDR';

export class CelCIDR {
  readonly ip: CelIP;
  readonly bits: number;
  constructor(ip: CelIP, bits: number) {
    this.ip = ip;
    this.bits = bits;
  }
  get celType(): string {
    return CIDR_TYPE;
  }
  equals(o: unknown): boolean {
    return o instanceof CelCIDR && o.bits === this.bits && o.ip.equals(this.ip);
  }
  toString(): string {
    return `${this.ip.toString()}/${this.bits}`;
  }
  masked(): CelCIDR {
    return new CelCIDR(new CelIP(maskBytes(this.ip.bytes, this.bits)), this.bits);
  }
  containsIP(ip: CelIP): boolean {
    if (ip.family !== this.ip.family) return false;
    return sameBits(this.ip.bytes, ip.bytes, this.bits);
  }
  containsCIDR(o: CelCIDR): boolean {
    if (o.ip.family !== this.ip.family || o.bits < this.bits) return false;
    return sameBits(this.ip.bytes, o.ip.bytes, this.bits);
  }
}

function maskBytes(bytes: readonly number[], bits: number): number[] {
  return bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
}

function sameBits(a: readonly number[], b: readonly number[], bits: number): boolean {
  const ma = maskBytes(a, bits), mb = maskBytes(b, bits);
  return ma.every((x, i) => x === mb[i]);
}

function prefixError(s: string, msg: string): Error {
  return new Error(`netip.ParsePrefix(${goQuote(s)}): ${msg}`);
}

/** Go's netip.ParsePrefix. */
function parsePrefix(s: string): CelCIDR {
  const slash = s.lastIndexOf('/');
  if (slash < 0) throw prefixError(s, "no '/'");
  let addr: { bytes: number[]; zone: string };
  try {
    addr = parseAddr(s.slice(0, slash));
  } catch (e) {
    throw prefixError(s, (e as Error).message);
  }
  if (addr.bytes.length === 16 && addr.zone !== '') throw prefixError(s, 'IPv6 zones cannot be present in a prefix');
  const bitsStr = s.slice(slash + 1);
  if ((bitsStr.length > 1 && (bitsStr[0]! < '1' || bitsStr[0]! > '9')) || !/^[0-9]+$/.test(bitsStr)) {
    throw prefixError(s, `bad bits after slash: ${goQuote(bitsStr)}`);
  }
  const bits = Number(bitsStr);
  if (bits > addr.bytes.length * 8) throw prefixError(s, 'prefix length out of range');
  return Object.assign(new CelCIDR(new CelIP(addr.bytes), bits), { mapped: is4In6(addr.bytes) });
}

const parseErr = 'network address parse error during conversion from string';

export function parseCelCIDR(raw: string): CelCIDR {
  let p: CelCIDR & { mapped: boolean };
  try {
    p = parsePrefix(raw) as CelCIDR & { mapped: boolean };
  } catch (e) {
    throw new LibraryError(`${parseErr}: ${parseErr}: ${(e as Error).message}`);
  }
  if (p.mapped) throw new LibraryError(`${parseErr}: IPv4-mapped IPv6 address ${goQuote(raw)} is not allowed`);
  return new CelCIDR(p.ip, p.bits);
}

export function register(lib: Library): void {
  const T = CIDR_TYPE;
  lib.type(T, CelCIDR);
  lib.env.registerOperator(`${T} == ${T}`, (a: CelCIDR, b: CelCIDR) => a.equals(b));
  lib.fn(`cidr(string): ${T}`, parseCelCIDR);
  lib.fn('isCIDR(string): bool', (s: string) => {
    try {
      parseCelCIDR(s);
      return true;
    } catch (e) {
      if (e instanceof LibraryError) return false;
      throw e;
    }
  });
  lib.fn(`${T}.containsIP(string): bool`, (c: CelCIDR, s: string) => c.containsIP(parseCelIP(s)));
  lib.fn(`${T}.containsIP(${IP_TYPE}): bool`, (c: CelCIDR, ip: CelIP) => c.containsIP(ip));
  lib.fn(`${T}.containsCIDR(string): bool`, (c: CelCIDR, s: string) => c.containsCIDR(parseCelCIDR(s)));
  lib.fn(`${T}.containsCIDR(${T}): bool`, (c: CelCIDR, o: CelCIDR) => c.containsCIDR(o));
  lib.fn(`${T}.ip(): ${IP_TYPE}`, (c: CelCIDR) => c.ip);
  lib.fn(`${T}.masked(): ${T}`, (c: CelCIDR) => c.masked());
  lib.fn(`${T}.prefixLength(): int`, (c: CelCIDR) => BigInt(c.bits));
  lib.fn(`string(${T}): string`, (c: CelCIDR) => c.toString());
}
