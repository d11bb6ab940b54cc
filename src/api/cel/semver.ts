// Kubernetes' semver library (version 1): semver(), isSemver() with the
// optional normalize flag, and the kubernetes.Semver type (major, minor,
// patch, compareTo, isGreaterThan, isLessThan; == compares versions).
// Parsing follows blang/semver v4, with its error texts.

import { LibraryError } from './errors.ts';
import type { Library } from './lib.ts';
import { goQuote } from './values.ts';

export const SEMVER = 'kubernetes.Semver';
const MAX_UINT64 = 2n ** 64n - 1n;

type PR = bigint | string;

export class Semver {
  readonly major: bigint;
  readonly minor: bigint;
  readonly patch: bigint;
  readonly pre: readonly PR[];
  readonly build: readonly string[];
  constructor(major: bigint, minor: bigint, patch: bigint, pre: PR[], build: string[]) {
    this.major = major;
    this.minor = minor;
    this.patch = patch;
    this.pre = pre;
    this.build = build;
  }
  get celType(): string {
    return SEMVER;
  }
  equals(o: unknown): boolean {
    return o instanceof Semver && compareSemver(this, o) === 0;
  }
  toString(): string {
    let s = `${this.major}.${this.minor}.${this.patch}`;
    if (this.pre.length) s += `-${this.pre.join('.')}`;
    if (this.build.length) s += `+${this.build.join('.')}`;
    return s;
  }
}

const onlyDigits = (s: string) => /^[0-9]*$/.test(s);
const onlyAlnum = (s: string) => /^[0-9A-Za-z-]*$/.test(s);
const leadingZero = (s: string) => s.length > 1 && s[0] === '0';

function parseUint(s: string): bigint {
  if (s === '' || BigInt(s) > MAX_UINT64) {
    throw new LibraryError(`strconv.ParseUint: parsing ${goQuote(s)}: ${s === '' ? 'invalid syntax' : 'value out of range'}`);
  }
  return BigInt(s);
}

function number(s: string, what: string, What: string): bigint {
  if (!onlyDigits(s)) throw new LibraryError(`Invalid character(s) found in ${what} number ${goQuote(s)}`);
  if (leadingZero(s)) throw new LibraryError(`${What} number must not contain leading zeroes ${goQuote(s)}`);
  return parseUint(s);
}

export function parseSemver(s: string): Semver {
  if (s.length === 0) throw new LibraryError('Version string empty');
  const parts = splitN(s, '.', 3);
  if (parts.length !== 3) throw new LibraryError('No Major.Minor.Patch elements found');
  const major = number(parts[0]!, 'major', 'Major');
  const minor = number(parts[1]!, 'minor', 'Minor');
  let patchStr = parts[2]!;
  let build: string[] = [];
  let pre: string[] = [];
  const plus = patchStr.indexOf('+');
  if (plus >= 0) { build = patchStr.slice(plus + 1).split('.'); patchStr = patchStr.slice(0, plus); }
  const dash = patchStr.indexOf('-');
  if (dash >= 0) { pre = patchStr.slice(dash + 1).split('.'); patchStr = patchStr.slice(0, dash); }
  const patch = number(patchStr, 'patch', 'Patch');
  const prs: PR[] = pre.map((p) => {
    if (p.length === 0) throw new LibraryError('Prerelease is empty');
    if (onlyDigits(p)) {
      if (leadingZero(p)) throw new LibraryError(`Numeric PreRelease version must not contain leading zeroes ${goQuote(p)}`);
      return parseUint(p);
    }
    if (onlyAlnum(p)) return p;
    throw new LibraryError(`Invalid character(s) found in prerelease ${goQuote(p)}`);
  });
  for (const b of build) {
    if (b.length === 0) throw new LibraryError('Build meta data is empty');
    if (!onlyAlnum(b)) throw new LibraryError(`Invalid character(s) found in build meta data ${goQuote(b)}`);
  }
  return new Semver(major, minor, patch, prs, build);
}

function splitN(s: string, sep: string, n: number): string[] {
  const parts = s.split(sep);
  return parts.length <= n ? parts : [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

/** Drops a leading "v" and leading zeros, fills a missing minor and patch with 0. */
export function normalizeAndParse(s: string): Semver {
  if (s.startsWith('v')) s = s.slice(1);
  const parts = splitN(s, '.', 3).map((p) => {
    if (p.length <= 1) return p;
    const t = p.replace(/^0+/, '');
    return t.length === 0 || !/^[0-9]/.test(t) ? `0${t}` : t;
  });
  if (parts.length < 3) {
    if (/[+-]/.test(parts[parts.length - 1]!)) throw new LibraryError('short version cannot contain PreRelease/Build meta data');
    while (parts.length < 3) parts.push('0');
  }
  return parseSemver(parts.join('.'));
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareSemver(a: Semver, b: Semver): number {
  const c = cmp(a.major, b.major) || cmp(a.minor, b.minor) || cmp(a.patch, b.patch);
  if (c !== 0) return c;
  if (a.pre.length === 0 && b.pre.length === 0) return 0;
  if (a.pre.length === 0) return 1;
  if (b.pre.length === 0) return -1;
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i]!, y = b.pre[i]!;
    if (typeof x === 'bigint' && typeof y === 'bigint') { const d = cmp(x, y); if (d) return d; continue; }
    if (typeof x === 'bigint') return -1;
    if (typeof y === 'bigint') return 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return cmp(BigInt(a.pre.length), BigInt(b.pre.length));
}

const toInt64 = (v: bigint) => BigInt.asIntN(64, v);

export function register(lib: Library): void {
  const V = SEMVER;
  lib.type(V, Semver);
  lib.env.registerOperator(`${V} == ${V}`, (a: Semver, b: Semver) => a.equals(b));
  lib.fn(`semver(string): ${V}`, parseSemver);
  lib.fn(`semver(string, bool): ${V}`, (s: string, n: boolean) => (n ? normalizeAndParse(s) : parseSemver(s)));
  const ok = (f: () => unknown) => { try { f(); return true; } catch (e) { if (e instanceof LibraryError) return false; throw e; } };
  lib.fn('isSemver(string): bool', (s: string) => ok(() => parseSemver(s)));
  lib.fn('isSemver(string, bool): bool', (s: string, n: boolean) => ok(() => (n ? normalizeAndParse(s) : parseSemver(s))));
  lib.fn(`${V}.major(): int`, (v: Semver) => toInt64(v.major));
  lib.fn(`${V}.minor(): int`, (v: Semver) => toInt64(v.minor));
  lib.fn(`${V}.patch(): int`, (v: Semver) => toInt64(v.patch));
  lib.fn(`${V}.compareTo(${V}): int`, (a: Semver, b: Semver) => BigInt(compareSemver(a, b)));
  lib.fn(`${V}.isGreaterThan(${V}): bool`, (a: Semver, b: Semver) => compareSemver(a, b) > 0);
  lib.fn(`${V}.isLessThan(${V}): bool`, (a: Semver, b: Semver) => compareSemver(a, b) < 0);
}
