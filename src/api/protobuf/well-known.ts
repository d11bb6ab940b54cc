// Text forms of the apimachinery types whose JSON is a string: metav1.Time
// (RFC 3339, whole seconds), metav1.MicroTime (RFC 3339, 6 fraction digits) and
// metav1.Duration (Go's time.Duration syntax).

/** Seconds of Go's zero time.Time (0001-01-01T00:00:00Z), which JSON writes as null. */
export const GO_ZERO_TIME_SECONDS = -62135596800;

// Days from 1970-01-01 to a proleptic Gregorian date, and back (Howard Hinnant's
// algorithms); Date would treat years 0-99 as 1900-1999.
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

const pad2 = (n: number): string => (n < 10 ? '0' : '') + n;

/** RFC 3339 in UTC with whole seconds, or undefined when Go could not marshal the year. */
export function formatTime(seconds: number): string | undefined {
  const days = Math.floor(seconds / 86400);
  const rest = seconds - days * 86400;
  const [y, m, d] = civilFromDays(days);
  if (y < 0 || y > 9999) return undefined;
  return `${String(y).padStart(4, '0')}-${pad2(m)}-${pad2(d)}T${pad2(Math.floor(rest / 3600))}:${pad2(Math.floor(rest / 60) % 60)}:${pad2(rest % 60)}Z`;
}

/** RFC 3339 in UTC with exactly six fraction digits. */
export function formatMicroTime(seconds: number, nanos: number): string | undefined {
  const whole = formatTime(seconds);
  if (whole === undefined) return undefined;
  const micros = Math.floor(nanos / 1000);
  return `${whole.slice(0, -1)}.${String(micros).padStart(6, '0')}Z`;
}

const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Parses RFC 3339 (as Go's time.Parse does for metav1.Time); undefined if malformed. */
export function parseTime(text: string): { seconds: number; nanos: number } | undefined {
  const m = rfc3339.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  const days = daysFromCivil(y, mo, d);
  if (civilFromDays(days)[2] !== d) return undefined; // e.g. February 30
  let offset = 0;
  if (!m[8]) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offset = (oh * 3600 + om * 60) * (m[9] === '-' ? -1 : 1);
  }
  const nanos = m[7] ? Number(m[7].padEnd(9, '0')) : 0;
  return { seconds: days * 86400 + h * 3600 + mi * 60 + s - offset, nanos };
}

// Go's time.Duration.String().
export function formatDuration(nanos: number): string {
  if (nanos === 0) return '0s';
  const neg = nanos < 0;
  let u = Math.abs(nanos);
  let out: string;
  if (u < 1e9) {
    // Below one second: a single unit with a fraction.
    const [unit, scale] = u < 1e3 ? ['ns', 1] : u < 1e6 ? ['µs', 1e3] : ['ms', 1e6];
    out = fraction(u, scale) + unit;
  } else {
    const h = Math.floor(u / 3.6e12);
    u -= h * 3.6e12;
    const m = Math.floor(u / 6e10);
    u -= m * 6e10;
    out = fraction(u, 1e9) + 's';
    if (h > 0 || m > 0) out = `${m}m` + out;
    if (h > 0) out = `${h}h` + out;
  }
  return neg ? '-' + out : out;
}

/** value/scale with trailing zero fraction digits removed, as Go prints it. */
function fraction(value: number, scale: number): string {
  const whole = Math.floor(value / scale);
  const rest = value - whole * scale;
  if (rest === 0) return String(whole);
  const digits = String(scale).length - 1;
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}

const durationUnits: Record<string, number> = {
  ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 6e10, h: 3.6e12,
};

/** Go's time.ParseDuration; undefined if malformed. */
export function parseDuration(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s[0] === '-' ? -1 : 1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let total = 0;
  const part = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length > 0) {
    const m = part.exec(s);
    if (!m || (m[1] === '' && (m[2] === undefined || m[2] === ''))) return undefined;
    const scale = durationUnits[m[3]!]!;
    total += Number(m[1] || '0') * scale;
    if (m[2]) total += Math.floor(Number('0.' + m[2]) * scale);
    s = s.slice(m[0].length);
  }
  return sign * total;
}
