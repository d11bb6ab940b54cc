// Canonical text of a resource.Quantity ("1Gi", "500m", "1536Mi", "1e3"),
// as a real server prints quantities it has decoded: the suffix family the
// value was written in is kept, the mantissa is made as small as possible
// without fractions, and values that were already canonical keep their text.

type Format = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

interface Suffix { base: 2 | 10; exp: number; format: Format }

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXP = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_POWER = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

const INT64_MAX = (1n << 63n) - 1n;
const MAX_INT64_DIGITS = 18;

function interpretSuffix(s: string): Suffix | undefined {
  if (s in DECIMAL_SUFFIXES) return { base: 10, exp: DECIMAL_SUFFIXES[s]!, format: 'DecimalSI' };
  if (s in BINARY_SUFFIXES) return { base: 2, exp: BINARY_SUFFIXES[s]!, format: 'BinarySI' };
  if (s.length > 1 && (s[0] === 'e' || s[0] === 'E') && /^[+-]?\d+$/.test(s.slice(1))) {
    return { base: 10, exp: Number.parseInt(s.slice(1), 10), format: 'DecimalExponent' };
  }
  return undefined;
}

interface Scanned { negative: boolean; num: string; denom: string; suffix: string }

/** Splits "[sign]digits[.digits]suffix", dropping leading zeros of the integer part. */
function scan(s: string): Scanned | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?([eEinumkKMGTP]*[+-]?\d*)$/.exec(s);
  if (!m) return undefined;
  const [, sign, intPart = '', frac, suffix = ''] = m;
  if (intPart === '' && frac === undefined) return undefined;
  const num = intPart.replace(/^0+/, '') || '0';
  return { negative: sign === '-', num, denom: frac ?? '', suffix };
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

function abs(n: bigint): bigint {
  return n < 0n ? -n : n;
}

/** mant × 10^exp, with the format it will be printed in. */
interface Amount { mant: bigint; exp: number; format: Format }

function canonical(a: Amount): string {
  let { mant, exp, format } = a;
  if (mant === 0n) return '0';
  const sign = mant < 0n ? '-' : '';
  mant = abs(mant);

  if (format === 'BinarySI') {
    const whole = exp >= 0 ? mant * pow10(exp) : mant / pow10(-exp);
    const exact = exp >= 0 || mant % pow10(-exp) === 0n;
    if (whole < 1024n || !exact) {
      format = 'DecimalSI';
    } else {
      let n = whole;
      let power = 0;
      while (n !== 0n && n % 1024n === 0n) {
        n /= 1024n;
        power++;
      }
      return `${sign}${n}${BINARY_BY_POWER[power] ?? ''}`;
    }
  }

  while (mant % 10n === 0n) {
    mant /= 10n;
    exp++;
  }
  while (exp % 3 !== 0) {
    mant *= 10n;
    exp--;
  }
  let suffix: string;
  if (format === 'DecimalExponent') suffix = exp === 0 ? '' : `e${exp}`;
  else suffix = DECIMAL_BY_EXP.get(exp) ?? '';
  return `${sign}${mant}${suffix}`;
}

/**
 * The printed form of a quantity value from JSON. Absent values print as "0"
 * (Go's zero Quantity); text that does not parse is returned unchanged.
 */
export function formatQuantity(v: unknown): string {
  if (typeof v === 'number') v = String(v);
  if (typeof v !== 'string') return '0';
  const text = v.trim();
  if (text === '0') return '0';
  const sc = scan(text);
  if (!sc) return text;
  const suffix = interpretSuffix(sc.suffix);
  if (!suffix) return text;
  const { negative, num, denom } = sc;

  // Small exact values: the upstream fast path, which keeps canonical text as written.
  let precision: number;
  let scale: number;
  let multiplier = 1n;
  if (suffix.format === 'BinarySI') {
    scale = 0;
    if (denom.length === 0) {
      multiplier = 1n << BigInt(suffix.exp);
      precision = 15 - num.length - Math.trunc((suffix.exp * 3) / 10) - 1;
    } else {
      precision = -1;
    }
  } else {
    scale = suffix.exp;
    precision = MAX_INT64_DIGITS - (num.length + denom.length);
  }
  if (precision >= 0) {
    scale -= denom.length;
    if (scale >= -9) {
      const shifted = num + denom;
      const value = BigInt(shifted);
      const product = value * multiplier;
      if (product <= INT64_MAX) {
        if (suffix.format === 'BinarySI') {
          if (suffix.exp % 10 === 0 && (value & 7n) !== 0n) return text;
        } else if (scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0') {
          return text;
        }
        return canonical({ mant: negative ? -product : product, exp: scale, format: suffix.format });
      }
    }
  }

  // General path: exact decimal arithmetic, rounded up to nano units.
  let mant = BigInt(num + denom);
  let exp = -denom.length;
  if (suffix.base === 10) exp += suffix.exp;
  else mant *= 1n << BigInt(suffix.exp);
  if (mant !== 0n && exp < -9) {
    const div = pow10(-9 - exp);
    mant = (mant + div - 1n) / div;
    exp = -9;
  }
  let format = suffix.format;
  if (format === 'BinarySI') {
    const whole = exp >= 0 ? mant * pow10(exp) : mant / pow10(-exp);
    if (whole > INT64_MAX) {
      mant = INT64_MAX;
      exp = 0;
    } else if (mant !== 0n && whole === 0n) {
      format = 'DecimalSI';
    }
  }
  return canonical({ mant: negative ? -mant : mant, exp, format });
}
