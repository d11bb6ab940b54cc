// Go's ways of printing values that end up in Kubernetes messages: strconv.Quote
// (%q), the scanner's quoting of one offending byte, and fmt's %v of decoded JSON.
import type { JsonValue } from '../types.ts';

const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** Go's strconv.Quote: escapes quotes, backslashes and what unicode.IsPrint rejects. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (cp === 0x20 || (cp > 0x20 && cp < 0x7f)) out += ch;
    else if (cp < 0x80) {
      switch (cp) {
        case 0x07: out += '\\a'; break;
        case 0x08: out += '\\b'; break;
        case 0x0c: out += '\\f'; break;
        case 0x0a: out += '\\n'; break;
        case 0x0d: out += '\\r'; break;
        case 0x09: out += '\\t'; break;
        case 0x0b: out += '\\v'; break;
        default: out += `\\x${hex(cp, 2)}`;
      }
    } else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else if (printable.test(ch)) out += ch;
    else if (cp < 0x10000) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return `${out}"`;
}

/** The first UTF-8 byte of the character at `i` (what Go's byte scanner sees). */
export function firstUtf8Byte(s: string, i: number): number {
  const cp = s.codePointAt(i) ?? 0;
  if (cp < 0x80) return cp;
  if (cp < 0x800) return 0xc0 | (cp >> 6);
  if (cp < 0x10000) return 0xe0 | (cp >> 12);
  return 0xf0 | (cp >> 18);
}

/** How Go's JSON scanner quotes an unexpected byte: 'x', '\'', '"', '\n', 'Ã'. */
export function goQuoteByte(b: number): string {
  if (b === 0x27) return "'\\''";
  if (b === 0x22) return "'\"'";
  const q = goQuote(String.fromCharCode(b));
  return `'${q.slice(1, -1)}'`;
}

/**
 * Go's strconv.FormatFloat(f, 'g', -1, bits), which is also fmt's %v: shortest digits,
 * exponent form (`1.5e+06`) when the exponent is below -4 or at least 6 (`bits` 32
 * rounds to float32 first).
 */
export function goFormatFloat(f: number, bits: 32 | 64 = 64): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  let mantissa: string;
  let exp: number;
  if (bits === 32) {
    const target = Math.fround(f);
    let s = target.toExponential();
    for (let p = 1; p <= 9; p++) {
      const t = target.toExponential(p - 1);
      if (Math.fround(Number(t)) === target) { s = t; break; }
    }
    [mantissa, exp] = splitExp(s);
  } else {
    [mantissa, exp] = splitExp(f.toExponential());
  }
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return fixed(mantissa, exp);
}

function splitExp(s: string): [string, number] {
  const [m, e] = s.split('e') as [string, string];
  return [m, Number(e)];
}

/** Digits of `mantissa` (d.ddd) placed for decimal exponent `exp`, without exponent. */
function fixed(mantissa: string, exp: number): string {
  const neg = mantissa.startsWith('-');
  const digits = (neg ? mantissa.slice(1) : mantissa).replace('.', '');
  let out: string;
  if (exp < 0) out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  else if (digits.length <= exp + 1) out = digits + '0'.repeat(exp + 1 - digits.length);
  else out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  return neg ? `-${out}` : out;
}

/**
 * fmt's %v (and %+v) of a value decoded into interface{}: `map[a:1 b:[x y]]` with
 * sorted keys, strings bare, null as `<nil>`; integers print as integers.
 */
export function goSprintValue(v: JsonValue | undefined): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  // Integers decode as int64 (printed plainly); other numbers as float64.
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? BigInt(v).toString() : goFormatFloat(v);
  if (Array.isArray(v)) return `[${v.map(goSprintValue).join(' ')}]`;
  const keys = Object.keys(v).sort(compareUtf8);
  return `map[${keys.map((k) => `${k}:${goSprintValue(v[k])}`).join(' ')}]`;
}

/** Byte-wise (UTF-8) string order, as Go sorts strings. */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  // UTF-16 order equals UTF-8 order unless surrogates meet BMP characters above U+D7FF.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      const fx = x >= 0xe000 ? x - 0x800 : x + 0x2000; // surrogates sort after U+FFFF in UTF-8
      const fy = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      return fx - fy;
    }
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Go's json.Marshal of a decoded value: object keys sorted, `<`, `>`, `&`, U+2028 and
 * U+2029 escaped, no insignificant whitespace.
 */
export function goJsonMarshal(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return goJsonString(v);
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(goJsonMarshal).join(',')}]`;
  const keys = Object.keys(v).sort(compareUtf8);
  return `{${keys.map((k) => `${goJsonString(k)}:${goJsonMarshal(v[k]!)}`).join(',')}}`;
}

function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${hex(c.charCodeAt(0), 4)}`);
}
