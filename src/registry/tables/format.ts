// Shared pieces for server-side printed tables: reading loosely typed JSON,
// human durations, timestamps, label and selector rendering, column builders.

import type { KubeObject } from '../../api/types.ts';
import type { TableCell, TableColumn } from '../types.ts';

// ---------------------------------------------------------------------------
// Reading plain JSON without trusting its shape

export type Json = Record<string, unknown>;

const EMPTY: Json = Object.freeze({}) as Json;

/** The value as an object, or an empty object when it is anything else. */
export function rec(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : EMPTY;
}

/** True when the value is a JSON object (Go: a non-nil pointer to a struct). */
export function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value as an array, or an empty array. */
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The value as a string, or '' (Go's zero value). */
export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** The value as an integer, or 0. Truncates fractions like Go's int conversion. */
export function int(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0;
}

/** The value as a boolean, or false. */
export function bool(v: unknown): boolean {
  return v === true;
}

/** Walks nested object fields; undefined as soon as one is missing. */
export function at(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const key of path) {
    if (!isObj(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/** String map (labels, nodeSelector, selector); non-string values are skipped. */
export function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(rec(v))) if (typeof val === 'string') out[k] = val;
  return out;
}

/** Byte-wise ordering, as Go's sort.Strings does (ASCII-identical to UTF-16 order). */
export function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortedStrings(values: Iterable<string>): string[] {
  return [...values].sort(byteCompare);
}

// ---------------------------------------------------------------------------
// Durations and timestamps

/**
 * A short human form of a duration with roughly two significant figures,
 * the way kubectl shows ages: "0s", "59s", "119s", "2m5s", "45m", "5h3m",
 * "20h", "3d4h", "30d", "2y40d", "10y". More than one second in the
 * future is "<invalid>".
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(ms / 3_600_000);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const d = days % 365;
    return d === 0 ? `${years}y` : `${years}y${d}d`;
  }
  return `${years}y`;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

/**
 * Milliseconds since the epoch of an RFC 3339 timestamp (metav1.Time or
 * MicroTime); undefined when absent or malformed, which callers treat like
 * Go's zero time.
 */
export function parseTime(v: unknown): number | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const m = RFC3339.exec(v);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, z, sign, oh, om] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  // Date.UTC maps years 0..99 to 1900..1999; put them back.
  if (Number(y) < 100) {
    const t = new Date(ms);
    t.setUTCFullYear(Number(y));
    ms = t.getTime();
  }
  if (frac) ms += Number(`0.${frac}`) * 1000;
  if (!z && sign) {
    const offset = (Number(oh) * 60 + Number(om)) * 60_000;
    ms += sign === '+' ? -offset : offset;
  }
  return Number.isNaN(ms) ? undefined : ms;
}

/** Go's zero time (0001-01-01T00:00:00Z) as epoch milliseconds. */
const ZERO_TIME = (() => {
  const d = new Date(Date.UTC(2000, 0, 1));
  d.setUTCFullYear(1);
  return d.getTime();
})();

/** Absent, malformed, or Go's zero time. */
export function isZeroTime(ms: number | undefined): ms is undefined {
  return ms === undefined || ms === ZERO_TIME;
}

/** Age of a timestamp relative to now: "5m", or "<unknown>" when absent. */
export function translateTimestampSince(ts: string | null | undefined, now: Date): string {
  const t = parseTime(ts);
  if (isZeroTime(t)) return '<unknown>';
  return humanDuration(now.getTime() - t);
}

/** RFC 3339 in UTC, whole seconds, as Go's time.RFC3339 layout prints it. */
export function formatRFC3339(ts: string | null | undefined): string {
  const t = parseTime(ts);
  if (t === undefined) return '0001-01-01T00:00:00Z';
  const d = new Date(Math.floor(t / 1000) * 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}Z`;
}

/** The age cell of an object. */
export function age(obj: KubeObject, now: Date): string {
  return translateTimestampSince(obj.metadata?.creationTimestamp, now);
}

// ---------------------------------------------------------------------------
// Lists, labels and selectors

/** Joins up to `max` items with ","; beyond that appends " + N more...". */
export function listWithMore(items: string[], max: number, total = items.length, empty = '<unset>'): string {
  const shown = items.slice(0, max).join(',');
  if (total > max) return `${shown} + ${total - max} more...`;
  return shown === '' ? empty : shown;
}

/** "a=1,b=2" sorted, or "<none>" (labels.FormatLabels). */
export function formatLabels(v: unknown): string {
  const pairs = Object.entries(strMap(v)).map(([k, val]) => `${k}=${val}`);
  return pairs.length === 0 ? '<none>' : sortedStrings(pairs).join(',');
}

/**
 * Renders a metav1.LabelSelector the way its labels.Selector prints:
 * requirements sorted by key, "k=v", "k in (a,b)", "k notin (a)", "k", "!k".
 * undefined when the selector cannot be converted (bad operator or values).
 */
export function selectorString(v: unknown): string | undefined {
  if (!isObj(v)) return '';
  const reqs: Array<{ key: string; text: string }> = [];
  for (const [key, value] of Object.entries(strMap(v.matchLabels))) reqs.push({ key, text: `${key}=${value}` });
  for (const raw of arr(v.matchExpressions)) {
    const e = rec(raw);
    const key = str(e.key);
    const values = arr(e.values).filter((x): x is string => typeof x === 'string');
    const list = () => (values.length === 1 ? values[0] : sortedStrings(values).join(','));
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) return undefined;
        reqs.push({ key, text: `${key} ${e.operator === 'In' ? 'in' : 'notin'} (${list()})` });
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length !== 0) return undefined;
        reqs.push({ key, text: e.operator === 'Exists' ? key : `!${key}` });
        break;
      default:
        return undefined;
    }
  }
  return reqs.sort((a, b) => byteCompare(a.key, b.key)).map((r) => r.text).join(',');
}

/** A label selector for display: "<none>" when empty, "<error>" when invalid. */
export function formatLabelSelector(v: unknown): string {
  const s = selectorString(v);
  if (s === undefined) return '<error>';
  return s === '' ? '<none>' : s;
}

/** Container names and images, each comma-joined. */
export function containerCells(containers: unknown): [string, string] {
  const list = arr(containers).map(rec);
  return [list.map((c) => str(c.name)).join(','), list.map((c) => str(c.image)).join(',')];
}

/** The containers of a pod template (spec.template.spec.containers). */
export function templateContainers(spec: unknown): unknown {
  return at(spec, 'template', 'spec', 'containers');
}

/** intstr.IntOrString as text. */
export function intOrString(v: unknown): string {
  if (typeof v === 'number') return String(Math.trunc(v));
  return str(v);
}

/** A condition's status by type from a conditions list, or undefined. */
export function conditionStatus(conditions: unknown, type: string): string | undefined {
  for (const c of arr(conditions)) {
    const cond = rec(c);
    if (cond.type === type) return str(cond.status);
  }
  return undefined;
}

/** Go's strings.TrimSpace for the usual whitespace. */
export function trimSpace(s: string): string {
  return s.trim();
}

// ---------------------------------------------------------------------------
// Column builders

export function nameColumn(description = 'Name of the object, unique within its namespace.'): TableColumn {
  return { name: 'Name', type: 'string', format: 'name', description, priority: 0 };
}

export function ageColumn(): TableColumn {
  return { name: 'Age', type: 'string', format: '', description: 'Time since the object was created.', priority: 0 };
}

export function column(
  name: string,
  type: TableColumn['type'],
  description: string,
  priority: 0 | 1 = 0,
  format: TableColumn['format'] = '',
): TableColumn {
  return { name, type, format, description, priority };
}

export function wide(name: string, type: TableColumn['type'], description: string): TableColumn {
  return column(name, type, description, 1);
}

/** Container/image/selector columns many workload tables end with. */
export const CONTAINERS_COLUMN = wide('Containers', 'string', 'Container names from the pod template.');
export const IMAGES_COLUMN = wide('Images', 'string', 'Container images from the pod template.');
export const SELECTOR_COLUMN = wide('Selector', 'string', 'Label selector for the pods this object manages.');

export type Cells = TableCell[];

export function nameOf(obj: KubeObject): string {
  return obj.metadata?.name ?? '';
}
