// CronJob schedules: the standard five cron fields (minute hour day-of-month
// month day-of-week, with names, ranges, steps and lists), the @yearly ...
// @hourly descriptors and @every <duration>, optionally in an IANA time zone.
// Day-of-month and day-of-week combine as in cron: when either is "*" both
// must match, otherwise either may.

import { cronScheduleError, isKnownTimeZone } from '../../api/validation/cron.ts';

export interface Schedule {
  /** The first activation strictly after `afterMs` (epoch milliseconds), or undefined when there is none within five years. */
  next(afterMs: number): number | undefined;
}

interface FieldBounds { min: number; max: number; names?: Record<string, number> }

const minuteB: FieldBounds = { min: 0, max: 59 };
const hourB: FieldBounds = { min: 0, max: 23 };
const domB: FieldBounds = { min: 1, max: 31 };
const monthB: FieldBounds = {
  min: 1, max: 12,
  names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 },
};
const dowB: FieldBounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

const descriptors: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

interface Field { allowed: boolean[]; star: boolean }

function num(s: string, b: FieldBounds): number {
  return b.names?.[s.toLowerCase()] ?? Number.parseInt(s, 10);
}

/** One field (already checked by the validator): lists of ranges with optional steps. */
function parseField(text: string, b: FieldBounds): Field {
  const allowed = new Array<boolean>(b.max + 1).fill(false);
  let star = false;
  for (const expr of text.split(',').filter((s) => s.length > 0)) {
    const [range, stepText] = expr.split('/') as [string, string | undefined];
    const [lo, hi] = range.split('-') as [string, string | undefined];
    let start: number, end: number;
    let isStar = false;
    if (lo === '*' || lo === '?') {
      start = b.min;
      end = b.max;
      isStar = true;
    } else {
      start = num(lo, b);
      end = hi === undefined ? start : num(hi, b);
    }
    let step = 1;
    if (stepText !== undefined) {
      step = Number.parseInt(stepText, 10);
      if (hi === undefined) end = b.max;
      if (step > 1) isStar = false;
    }
    if (isStar) star = true;
    for (let i = start; i <= end; i += step) allowed[i] = true;
  }
  return { allowed, star };
}

/** Wall-clock fields of an instant in a zone, and the instant of a wall-clock time. */
interface Zone {
  fields(ms: number): { year: number; month: number; day: number; hour: number; minute: number; weekday: number };
  /** Milliseconds to add to UTC to get the zone's wall clock at `ms`. */
  offset(ms: number): number;
}

const utcZone: Zone = {
  fields(ms) {
    const d = new Date(ms);
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), weekday: d.getUTCDay() };
  },
  offset: () => 0,
};

const weekdays: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const zones = new Map<string, Zone>();

/** A zone by IANA name ('' and 'UTC' are UTC). Throws for unknown names. */
export function zone(name: string | undefined): Zone {
  if (!name || name === 'UTC') return utcZone;
  let z = zones.get(name);
  if (z) return z;
  if (!isKnownTimeZone(name)) throw new Error(`unknown time zone ${name}`);
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: name === 'Local' ? undefined : name, hourCycle: 'h23',
    year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'short',
  });
  const fields = (ms: number) => {
    const parts: Record<string, string> = {};
    for (const p of fmt.formatToParts(new Date(ms))) parts[p.type] = p.value;
    return {
      year: Number(parts.year), month: Number(parts.month), day: Number(parts.day),
      hour: Number(parts.hour) % 24, minute: Number(parts.minute), weekday: weekdays[parts.weekday as string] ?? 0,
      second: Number(parts.second),
    };
  };
  z = {
    fields,
    offset(ms) {
      const f = fields(ms);
      const wall = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
      return wall - Math.floor(ms / 1000) * 1000;
    },
  };
  zones.set(name, z);
  return z;
}

/** The instant a wall-clock time in `z` names (for a time in a gap, one just after it). */
function instantOf(z: Zone, year: number, month: number, day: number, hour: number, minute: number): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  let t = wall - z.offset(wall);
  const o2 = z.offset(t);
  if (wall - o2 !== t) t = wall - o2;
  return t;
}

class CronSchedule implements Schedule {
  private readonly minute: Field;
  private readonly hour: Field;
  private readonly dom: Field;
  private readonly month: Field;
  private readonly dow: Field;
  private readonly zone: Zone;

  constructor(fields: string[], z: Zone) {
    this.minute = parseField(fields[0] as string, minuteB);
    this.hour = parseField(fields[1] as string, hourB);
    this.dom = parseField(fields[2] as string, domB);
    this.month = parseField(fields[3] as string, monthB);
    this.dow = parseField(fields[4] as string, dowB);
    this.zone = z;
  }

  private dayMatches(day: number, weekday: number): boolean {
    const d = this.dom.allowed[day] === true;
    const w = this.dow.allowed[weekday] === true;
    return this.dom.star || this.dow.star ? d && w : d || w;
  }

  next(afterMs: number): number | undefined {
    const z = this.zone;
    let t = Math.floor(afterMs / 60_000) * 60_000 + 60_000;
    const limit = afterMs + 5 * 366 * 86_400_000;
    while (t <= limit) {
      const f = z.fields(t);
      let next: number | undefined;
      if (!this.month.allowed[f.month]) next = instantOf(z, f.year, f.month + 1, 1, 0, 0);
      else if (!this.dayMatches(f.day, f.weekday)) next = instantOf(z, f.year, f.month, f.day + 1, 0, 0);
      else if (!this.hour.allowed[f.hour]) next = t + (60 - f.minute) * 60_000;
      else if (!this.minute.allowed[f.minute]) next = t + 60_000;
      else return t;
      t = next > t ? next : t + 60_000;
    }
    return undefined;
  }
}

class EverySchedule implements Schedule {
  private readonly delayMs: number;
  constructor(delayMs: number) { this.delayMs = delayMs; }
  next(afterMs: number): number {
    return Math.floor(afterMs / 1000) * 1000 + this.delayMs;
  }
}

const durationUnits: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration ("1h30m", "90s") in milliseconds. */
function goDurationMs(s: string): number {
  let sign = 1;
  let rest = s;
  if (rest.startsWith('-') || rest.startsWith('+')) { sign = rest.startsWith('-') ? -1 : 1; rest = rest.slice(1); }
  if (rest === '0') return 0;
  let total = 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let m: RegExpExecArray | null;
  while (rest.length > 0 && (m = re.exec(rest)) !== null) {
    total += Number(m[1]) * (durationUnits[m[2] as string] as number);
    rest = rest.slice(m[0].length);
    re.lastIndex = 0;
  }
  if (rest.length > 0) throw new Error(`failed to parse duration ${s}: time: invalid duration ${JSON.stringify(s)}`);
  return sign * total;
}

/**
 * Parse a schedule as the CronJob controller does: a "TZ=" or "CRON_TZ="
 * prefix (which only old objects can still have) wins over `timeZone`.
 * Throws with the parser's message when the schedule is not valid.
 */
export function parseSchedule(schedule: string, timeZone?: string): Schedule {
  let spec = schedule.trim();
  let tz = timeZone;
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const sp = spec.indexOf(' ');
    if (sp < 0) throw new Error(`invalid timezone specification: ${spec}`);
    tz = spec.slice(spec.indexOf('=') + 1, sp);
    spec = spec.slice(sp).trim();
  }
  const bad = cronScheduleError(spec);
  if (bad) throw new Error(bad);
  let z: Zone;
  try {
    z = zone(tz);
  } catch {
    throw new Error(`provided bad location ${tz}: unknown time zone ${tz}`);
  }
  if (spec.startsWith('@every ')) {
    const d = goDurationMs(spec.slice('@every '.length).trim());
    return new EverySchedule(Math.max(1000, Math.floor(d / 1000) * 1000));
  }
  const fields = (descriptors[spec] ?? spec).split(/\s+/).filter((f) => f.length > 0);
  return new CronSchedule(fields, z);
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** RFC 3339 in a zone, as Go formats it: "Z" for a zero offset, else ±hh:mm. */
export function formatRFC3339In(ms: number, tz: string | undefined): string {
  const z = zone(tz);
  const off = z.offset(ms);
  const f = utcZone.fields(ms + off);
  const sec = new Date(ms + off).getUTCSeconds();
  const base = `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)}T${pad(f.hour)}:${pad(f.minute)}:${pad(sec)}`;
  if (off === 0) return `${base}Z`;
  const m = Math.round(Math.abs(off) / 60_000);
  return `${base}${off < 0 ? '-' : '+'}${pad(Math.floor(m / 60))}:${pad(m % 60)}`;
}

const dayNames = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const monthNames = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's time.RFC1123Z of a UTC time: "Mon, 02 Jan 2006 15:04:05 +0000". */
export function formatRFC1123Z(ms: number): string {
  const d = new Date(ms);
  return `${dayNames[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${monthNames[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}
