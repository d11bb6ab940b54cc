// cel-go's strings extension as Kubernetes 1.36 enables it (version 2):
// charAt, indexOf, lastIndexOf, lowerAscii, upperAscii, replace, split,
// substring, trim, join, format and strings.quote. Positions count code points
// (Go runes), as upstream does. `reverse` (version 3) is not in this version.

import { LibraryError } from './errors.ts';
import type { Library } from './lib.ts';
import { celTypeName } from './values.ts';

const outOfRange = (i: bigint | number) => new LibraryError(`index out of range: ${i}`);

function runes(s: string): string[] {
  return Array.from(s);
}

export function charAt(s: string, i: bigint): string {
  const r = runes(s);
  if (i < 0n || i > BigInt(r.length)) throw outOfRange(i);
  return i === BigInt(r.length) ? '' : r[Number(i)]!;
}

function matchAt(r: string[], sub: string[], i: number): boolean {
  for (let j = 0; j < sub.length; j++) if (r[i + j] !== sub[j]) return false;
  return true;
}

export function indexOf(s: string, sub: string, offset = 0n): bigint {
  if (offset < 0n) throw outOfRange(offset);
  const r = runes(s);
  if (sub === '') return offset > BigInt(r.length) ? BigInt(r.length) : offset;
  if (offset >= BigInt(r.length)) return -1n;
  const sr = runes(sub);
  for (let i = Number(offset); i < r.length - (sr.length - 1); i++) if (matchAt(r, sr, i)) return BigInt(i);
  return -1n;
}

export function lastIndexOf(s: string, sub: string, offset?: bigint): bigint {
  const r = runes(s);
  if (offset === undefined) {
    if (sub === '') return BigInt(r.length);
    if (Buffer.byteLength(s) < Buffer.byteLength(sub)) return -1n;
    offset = BigInt(r.length - 1);
  }
  if (offset < 0n) throw outOfRange(offset);
  if (sub === '') return offset > BigInt(r.length) ? BigInt(r.length) : offset;
  if (offset >= BigInt(r.length)) return -1n;
  const sr = runes(sub);
  let off = Number(offset);
  if (off > r.length - sr.length) off = r.length - sr.length;
  for (let i = off; i >= 0; i--) if (matchAt(r, sr, i)) return BigInt(i);
  return -1n;
}

export function lowerAscii(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

export function upperAscii(s: string): string {
  return s.replace(/[a-z]+/g, (m) => m.toUpperCase());
}

/** strings.Replace: `n` < 0 replaces all; an empty `old` matches before every rune and at the end. */
export function replace(s: string, old: string, repl: string, n = -1n): string {
  if (n === 0n || old === repl) return s;
  if (old === '') {
    const r = runes(s);
    let out = '';
    let done = 0n;
    for (let i = 0; i <= r.length; i++) {
      if (n < 0n || done < n) { out += repl; done++; }
      if (i < r.length) out += r[i];
    }
    return out;
  }
  if (n < 0n) return s.split(old).join(repl);
  let out = '';
  let rest = s;
  for (let done = 0n; done < n; done++) {
    const at = rest.indexOf(old);
    if (at < 0) break;
    out += rest.slice(0, at) + repl;
    rest = rest.slice(at + old.length);
  }
  return out + rest;
}

/** strings.SplitN: `n` < 0 splits all, 0 gives no strings, an empty separator splits runes. */
export function split(s: string, sep: string, n = -1n): string[] {
  if (n === 0n) return [];
  if (sep === '') {
    const r = runes(s);
    if (n < 0n || BigInt(r.length) <= n) return r;
    const k = Number(n);
    return [...r.slice(0, k - 1), r.slice(k - 1).join('')];
  }
  const parts = s.split(sep);
  if (n < 0n || BigInt(parts.length) <= n) return parts;
  const k = Number(n);
  return [...parts.slice(0, k - 1), parts.slice(k - 1).join(sep)];
}

export function substring(s: string, start: bigint, end?: bigint): string {
  const r = runes(s);
  const len = BigInt(r.length);
  if (end === undefined) {
    if (start < 0n || start > len) throw outOfRange(start);
    return r.slice(Number(start)).join('');
  }
  if (start > end) throw new LibraryError(`invalid substring range. start: ${start}, end: ${end}`);
  if (start < 0n || start > len) throw outOfRange(start);
  if (end < 0n || end > len) throw outOfRange(end);
  return r.slice(Number(start), Number(end)).join('');
}

// Go's unicode.IsSpace: JavaScript's \s without U+FEFF, plus U+0085.
const space = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const trimRe = new RegExp(`^${space}+|${space}+$`, 'g');

export function trim(s: string): string {
  return s.replace(trimRe, '');
}

export function join(list: readonly unknown[], sep = ''): string {
  for (const e of list) if (typeof e !== 'string') throw new LibraryError(`join: invalid input: ${String(e)}`);
  return list.join(sep);
}

export function quote(s: string): string {
  let out = '"';
  for (const ch of s.toWellFormed()) {
    switch (ch) {
      case '\x07': out += '\\a'; break;
      case '\b': out += '\\b'; break;
      case '\f': out += '\\f'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      case '\v': out += '\\v'; break;
      case '\\': out += '\\\\'; break;
      case '"': out += '\\"'; break;
      default: out += ch;
    }
  }
  return `${out}"`;
}

// ---------------------------------------------------------------------------
// format (the version 1-3 formatter: en-US, %s %d %f %e %b %x %X %o)

function plainString(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
    return goFloat(v);
  }
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (v instanceof Date) return v.toISOString().replace('.000Z', 'Z');
  if (Array.isArray(v)) return formatList(v);
  const t = celTypeName(v);
  if (t === 'uint') return String((v as { value: bigint }).value);
  if (t === 'google.protobuf.Duration') return String(v);
  if (t === 'map') return formatMap(v as Record<string, unknown> | Map<unknown, unknown>);
  throw new LibraryError(`error during formatting: string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps, was given ${t}`);
}

/** Go's strconv.FormatFloat(f, 'g', -1, 64) spelling for %s of a double. */
function goFloat(v: number): string {
  const s = String(v);
  const m = /^(-?)(\d(?:\.\d+)?)e([+-])(\d+)$/.exec(s);
  if (m) return `${m[1]}${m[2]}e${m[3]}${m[4]!.padStart(2, '0')}`;
  if (Math.abs(v) >= 1e21) return v.toExponential().replace(/e\+?(-?)(\d)$/, 'e+$1$20$2');
  return s;
}

function quoted(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Uint8Array) return `b${JSON.stringify(Buffer.from(v).toString('utf8'))}`;
  if (typeof v === 'number' && !Number.isFinite(v)) return JSON.stringify(plainString(v));
  return plainString(v);
}

function formatList(l: readonly unknown[]): string {
  return `[${l.map(quoted).join(', ')}]`;
}

function formatMap(m: Record<string, unknown> | Map<unknown, unknown>): string {
  const entries = m instanceof Map ? [...m.entries()] : Object.entries(m);
  const parts = entries.map(([k, v]) => [quoted(k), quoted(v)] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return `{${parts.map(([k, v]) => `${k}:${v}`).join(', ')}}`;
}

function groupThousands(intPart: string): string {
  return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function toBig(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (celTypeName(v) === 'uint') return (v as { value: bigint }).value;
  return undefined;
}

function clauseError(kind: string, allowed: string, v: unknown): LibraryError {
  return new LibraryError(`error during formatting: ${kind} clause can only be used on ${allowed}, was given ${celTypeName(v)}`);
}

function floatArg(v: unknown, kind: string): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  throw clauseError(kind, 'doubles', v);
}

function clause(verb: string, precision: number | undefined, v: unknown): string {
  switch (verb) {
    case 's': return plainString(v);
    case 'd': {
      const b = toBig(v);
      if (b === undefined) throw clauseError('decimal', 'integers', v);
      return String(b);
    }
    case 'f': {
      const f = floatArg(v, 'fixed-point');
      if (Number.isNaN(f)) return 'NaN';
      if (!Number.isFinite(f)) return f > 0 ? '∞' : '-∞';
      const [i, frac] = Math.abs(f).toFixed(precision ?? 6).split('.');
      return `${f < 0 ? '-' : ''}${groupThousands(i!)}${frac !== undefined ? `.${frac}` : ''}`;
    }
    case 'e': {
      const f = floatArg(v, 'scientific');
      if (Number.isNaN(f)) return 'NaN';
      if (!Number.isFinite(f)) return f > 0 ? '∞' : '-∞';
      const [mant, exp] = f.toExponential(precision ?? 6).split('e');
      const e = Number(exp);
      return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
    }
    case 'b': {
      if (typeof v === 'boolean') return v ? '1' : '0';
      const b = toBig(v);
      if (b === undefined) throw clauseError('binary', 'integers and bools', v);
      return b < 0n ? `-${(-b).toString(2)}` : b.toString(2);
    }
    case 'x': case 'X': {
      let out: string;
      if (typeof v === 'string') out = Buffer.from(v, 'utf8').toString('hex');
      else if (v instanceof Uint8Array) out = Buffer.from(v).toString('hex');
      else {
        const b = toBig(v);
        if (b === undefined) throw clauseError('hex', 'integers, byte buffers, and strings', v);
        out = b < 0n ? `-${(-b).toString(16)}` : b.toString(16);
      }
      return verb === 'X' ? out.toUpperCase() : out;
    }
    case 'o': {
      const b = toBig(v);
      if (b === undefined) throw clauseError('octal', 'integers', v);
      return b < 0n ? `-${(-b).toString(8)}` : b.toString(8);
    }
    default:
      throw new LibraryError(`could not parse formatting clause: unrecognized formatting clause "${verb}"`);
  }
}

export function format(fmt: string, args: readonly unknown[]): string {
  let out = '';
  let argIndex = 0;
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (c !== '%') { out += c; continue; }
    if (fmt[i + 1] === '%') { out += '%'; i++; continue; }
    if (argIndex >= args.length) throw new LibraryError(`index ${argIndex} out of range`);
    if (i + 1 >= fmt.length) throw new LibraryError('unexpected end of string');
    let j = i + 1;
    let precision: number | undefined;
    if (fmt[j] === '.') {
      j++;
      let digits = '';
      while (j < fmt.length && fmt[j]! >= '0' && fmt[j]! <= '9') digits += fmt[j++];
      if (j >= fmt.length) throw new LibraryError('could not parse formatting clause: error while parsing precision: could not find end of precision specifier');
      if (digits === '') throw new LibraryError('could not parse formatting clause: error while parsing precision: error while converting precision to integer: strconv.Atoi: parsing "": invalid syntax');
      precision = Number(digits);
    }
    out += clause(fmt[j]!, precision, args[argIndex++]);
    i = j;
  }
  return out;
}

export function register(lib: Library): void {
  const S = 'string';
  lib.fn(`${S}.charAt(int): string`, charAt);
  lib.replace(`${S}.indexOf(string): int`, (s: string, sub: string) => indexOf(s, sub));
  lib.replace(`${S}.indexOf(string, int): int`, indexOf);
  lib.replace(`${S}.lastIndexOf(string): int`, (s: string, sub: string) => lastIndexOf(s, sub));
  lib.replace(`${S}.lastIndexOf(string, int): int`, lastIndexOf);
  lib.replace(`${S}.lowerAscii(): string`, lowerAscii);
  lib.replace(`${S}.upperAscii(): string`, upperAscii);
  lib.fn(`${S}.replace(string, string): string`, (s: string, o: string, r: string) => replace(s, o, r));
  lib.fn(`${S}.replace(string, string, int): string`, replace);
  lib.replace(`${S}.split(string): list<string>`, (s: string, sep: string) => split(s, sep));
  lib.replace(`${S}.split(string, int): list<string>`, split);
  lib.replace(`${S}.substring(int): string`, (s: string, i: bigint) => substring(s, i));
  lib.replace(`${S}.substring(int, int): string`, substring);
  lib.replace(`${S}.trim(): string`, trim);
  lib.replace('list<string>.join(): string', (l: unknown[]) => join(l));
  lib.replace('list<string>.join(string): string', join);
  lib.fn(`${S}.format(list): string`, format);
  const ns = lib.namespace('strings');
  lib.fn(`${ns}.quote(string): string`, (_: unknown, s: string) => quote(s));
}
