// Printing the way kubectl prints: tables aligned by Go's text/tabwriter rules
// (kubectl's settings for `get` and for `describe`), ages, describe's
// timestamps, objects as JSON or YAML with sorted keys, byte sizes.
import { humanDuration, parseTime } from '../registry/tables/format.ts';
import { loadYaml } from '../api/decode/yaml-lib.ts';

export { humanDuration };

export interface TabwriterOptions {
  /** Minimal cell width, padding included. */
  readonly minWidth: number;
  /** Spaces added to a cell's width. */
  readonly padding: number;
}

/** kubectl get's tabwriter (printers.GetNewTabWriter). */
export const TABLE: TabwriterOptions = { minWidth: 6, padding: 3 };
/** kubectl describe's tabwriter. */
export const DESCRIBE: TabwriterOptions = { minWidth: 0, padding: 2 };

/**
 * Align tab-separated lines as Go's text/tabwriter does: a column's width is
 * set per block of consecutive lines that have a cell in it; the text after a
 * line's last tab is not a cell and is printed as is.
 */
export function tabwrite(text: string, o: TabwriterOptions): string {
  const trailingNewline = text.endsWith('\n');
  const lines = (trailingNewline ? text.slice(0, -1) : text).split('\n').map((l) => l.split('\t'));
  const out: string[] = [];
  const widths: number[] = [];
  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      let line = '';
      cells.forEach((cell, j) => {
        line += j < cells.length - 1 && j < widths.length ? cell.padEnd(widths[j]!) : cell;
      });
      out.push(line);
    }
  };
  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let current = line0; current < line1; current++) {
      if (column >= lines[current]!.length - 1) continue;
      writeLines(line0, current);
      line0 = current;
      let width = o.minWidth;
      for (; current < line1; current++) {
        const cells = lines[current]!;
        if (column >= cells.length - 1) break;
        width = Math.max(width, [...cells[column]!].length + o.padding);
      }
      widths.push(width);
      format(line0, current);
      widths.pop();
      line0 = current;
      // `current` is the first line after the block; the for loop's ++ must not skip it.
      current--;
    }
    writeLines(line0, line1);
  };
  format(0, lines.length);
  return out.join('\n') + (trailingNewline ? '\n' : '');
}

/** Rows (the first one the header) as kubectl get prints them. */
export function table(rows: readonly (readonly string[])[]): string {
  return tabwrite(rows.map((r) => r.join('\t')).join('\n') + '\n', TABLE);
}

/** The age of a timestamp as kubectl shows it: "5s", "3m20s", "2d3h"; "<unknown>" when absent. */
export function age(timestamp: string | undefined, now: Date): string {
  const t = parseTime(timestamp);
  return t === undefined ? '<unknown>' : humanDuration(now.getTime() - t);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** A timestamp as kubectl describe prints it (RFC 1123 with a numeric zone, in UTC): "Sat, 21 Nov 2026 10:00:00 +0000". */
export function describeTime(timestamp: string | undefined): string {
  const t = parseTime(timestamp);
  if (t === undefined) return '<unknown>';
  const d = new Date(t);
  return `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** describeTime with the age after it: "Sat, 21 Nov 2026 10:00:00 +0000 (5m ago)". */
export function describeTimeAndAge(timestamp: string | undefined, now: Date): string {
  const t = parseTime(timestamp);
  if (t === undefined) return '<unknown>';
  return `${describeTime(timestamp)} (${humanDuration(now.getTime() - t)} ago)`;
}

/** A byte count for people: "512 B", "1.5 KiB", "12.0 MiB". */
export function byteSize(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  }
  return v;
}

/** An object without what kubectl hides by default (managedFields). */
export function forOutput<T>(obj: T): T {
  if (typeof obj !== 'object' || obj === null) return obj;
  const meta = (obj as { metadata?: Record<string, unknown> }).metadata;
  if (!meta || !('managedFields' in meta)) return obj;
  const { managedFields: _, ...rest } = meta;
  return { ...obj, metadata: rest };
}

/** kubectl's wrapper for several objects. */
export function listOf(items: readonly unknown[]): Record<string, unknown> {
  return { apiVersion: 'v1', items: items.map(forOutput), kind: 'List', metadata: { resourceVersion: '' } };
}

/** `-o json`: keys sorted, four-space indent, as kubectl prints unstructured objects. */
export function toJson(obj: unknown): string {
  return JSON.stringify(sortKeys(obj), null, 4) + '\n';
}

/** `-o yaml`: keys sorted, lists not indented under their key, as kubectl prints. */
export async function toYaml(obj: unknown): Promise<string> {
  const { stringify } = await loadYaml();
  return stringify(sortKeys(obj), { indentSeq: false, lineWidth: 0 });
}
