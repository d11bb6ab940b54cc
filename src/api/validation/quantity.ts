// resource.Quantity: parsing, comparison and the canonical form the API server
// writes back ("0.5" becomes "500m", "1.5Gi" becomes "1536Mi", "1000" becomes "1k").
// Values are held exactly as a BigInt mantissa and a power of ten.

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** The value is mantissa * 10^exp; mantissa carries the sign. */
  mantissa: bigint;
  exp: number;
  format: QuantityFormat;
}

export const quantityFormatError = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
export const quantitySuffixError = "unable to parse quantity's suffix";

const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decimalByExp = new Map(Object.entries(decimalSuffixes).map(([s, e]) => [e, s]));
const binaryByPower = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const suffixChars = 'eEinumkKMGTP';

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

const pow10Cache = new Map<number, bigint>();
function pow10(n: number): bigint {
  let v = pow10Cache.get(n);
  if (v === undefined) { v = 10n ** BigInt(n); pow10Cache.set(n, v); }
  return v;
}

/** Divide, rounding away from zero. */
function divRoundUp(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b === 0n ? q : (a < 0n ? q - 1n : q + 1n);
}

function normalize(q: Quantity): Quantity {
  let { mantissa, exp } = q;
  if (mantissa === 0n) return { mantissa: 0n, exp: 0, format: q.format };
  while (mantissa % 10n === 0n) { mantissa /= 10n; exp++; }
  return { mantissa, exp, format: q.format };
}

/** Parse a quantity string (or a JSON number); returns the error message when malformed. */
export function parseQuantity(input: string | number): Quantity | string {
  const str = typeof input === 'number' ? (Number.isFinite(input) ? String(input) : '') : input;
  if (str.length === 0) return quantityFormatError;
  if (str === '0') return { mantissa: 0n, exp: 0, format: 'DecimalSI' };
  const end = str.length;
  let pos = 0;
  let positive = true;
  if (str[0] === '-') { positive = false; pos++; } else if (str[0] === '+') pos++;
  while (pos < end && str[pos] === '0') pos++;
  let num = '', denom = '', suffix = '';
  if (pos < end) {
    const ns = pos;
    while (isDigit(str[pos])) pos++;
    num = str.slice(ns, pos);
    if (str[pos] === '.') {
      pos++;
      const ds = pos;
      while (isDigit(str[pos])) pos++;
      denom = str.slice(ds, pos);
    }
    const ss = pos;
    while (pos < end && suffixChars.includes(str[pos] as string)) pos++;
    if (str[pos] === '-' || str[pos] === '+') pos++;
    while (isDigit(str[pos])) pos++;
    if (pos < end) return quantityFormatError;
    suffix = str.slice(ss);
  }

  let base = 10, exponent = 0;
  let format: QuantityFormat;
  if (Object.hasOwn(decimalSuffixes, suffix)) {
    exponent = decimalSuffixes[suffix] as number;
    format = 'DecimalSI';
  } else if (Object.hasOwn(binarySuffixes, suffix)) {
    base = 2;
    exponent = binarySuffixes[suffix] as number;
    format = 'BinarySI';
  } else if ((suffix[0] === 'e' || suffix[0] === 'E') && /^[+-]?[0-9]+$/.test(suffix.slice(1))) {
    exponent = Number.parseInt(suffix.slice(1), 10);
    if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 1000) return quantitySuffixError;
    format = 'DecimalExponent';
  } else {
    return quantitySuffixError;
  }

  let mantissa = BigInt((num + denom) || '0');
  let exp = -denom.length;
  if (base === 10) exp += exponent;
  else mantissa *= 2n ** BigInt(exponent);
  if (!positive) mantissa = -mantissa;
  // Values finer than a nano unit are rounded up to one.
  if (exp < -9) {
    mantissa = divRoundUp(mantissa, pow10(-9 - exp));
    exp = -9;
  }
  let q = normalize({ mantissa, exp, format });
  if (format === 'BinarySI' && q.mantissa > 0n && cmpQuantity(q, one) < 0) q = { ...q, format: 'DecimalSI' };
  return q;
}

const one: Quantity = { mantissa: 1n, exp: 0, format: 'DecimalSI' };

/** -1, 0 or 1. */
export function cmpQuantity(a: Quantity, b: Quantity): number {
  const e = Math.min(a.exp, b.exp);
  const am = a.mantissa * pow10(a.exp - e);
  const bm = b.mantissa * pow10(b.exp - e);
  return am < bm ? -1 : am > bm ? 1 : 0;
}

export function isZeroQuantity(q: Quantity): boolean {
  return q.mantissa === 0n;
}

/** Round up to a scale of 10^exp (the server rounds resource lists to milli units: exp = -3). */
export function roundUp(q: Quantity, exp: number): Quantity {
  if (q.exp >= exp) return q;
  return normalize({ mantissa: divRoundUp(q.mantissa, pow10(exp - q.exp)), exp, format: q.format });
}

/** The value in thousandths, rounded up (Quantity.MilliValue). */
export function milliValue(q: Quantity): bigint {
  const r = roundUp(q, -3);
  return r.mantissa * pow10(r.exp + 3);
}

/** The canonical string the server writes for a quantity. */
export function quantityString(q: Quantity): string {
  if (q.mantissa === 0n) return '0';
  const neg = q.mantissa < 0n;
  const abs: Quantity = normalize({ mantissa: neg ? -q.mantissa : q.mantissa, exp: q.exp, format: q.format });
  const sign = neg ? '-' : '';
  let format = abs.format;
  if (format === 'BinarySI') {
    if (cmpQuantity(abs, { mantissa: 1024n, exp: 0, format }) < 0 || abs.exp < 0) {
      format = 'DecimalSI';
    } else {
      let n = abs.mantissa * pow10(abs.exp);
      let power = 0;
      while (n % 1024n === 0n && power < 6) { n /= 1024n; power++; }
      return `${sign}${n}${binaryByPower[power]}`;
    }
  }
  let m = abs.mantissa, e = abs.exp;
  const r = ((e % 3) + 3) % 3;
  m *= pow10(r);
  e -= r;
  if (format === 'DecimalExponent') return `${sign}${m}${e === 0 ? '' : `e${e}`}`;
  if (e > 18) { m *= pow10(e - 18); e = 18; }
  return `${sign}${m}${decimalByExp.get(e) ?? ''}`;
}

/** Parse and re-render canonically; the input is returned unchanged when it does not parse. */
export function canonicalQuantity(v: unknown, roundToMilli = false): unknown {
  if (typeof v !== 'string' && typeof v !== 'number') return v;
  const q = parseQuantity(v);
  if (typeof q === 'string') return v;
  return quantityString(roundToMilli ? roundUp(q, -3) : q);
}
