// A store's database file made once and copied for each new store that starts with
// the same rows except for a few marked strings (an object's uid, a timestamp). SQLite
// keeps text as written, so overwriting each mark's bytes in a copy of the file with a
// string of the same byte length gives the file those rows would have made: no
// inserts, no B-tree work, one file write per store.
//
// A mark may lie partly in a row's cell and partly on an overflow page, so its places
// are found by reading the kv table's B-tree as SQLite's file format lays it out
// (https://www.sqlite.org/fileformat2.html). The template is checked once when made:
// a copy with other strings in the marks must pass SQLite's integrity check and read
// back every row as expected, or there is no template.
import { DatabaseSync } from 'node:sqlite';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from './sqlite.ts';
import type { KeyValue } from './types.ts';

/** Where one occurrence of a mark lies: pieces of [file offset, offset in the mark, length]. */
type Place = readonly (readonly [number, number, number])[];

export interface SqliteTemplate {
  /** The file with the marks in place. */
  readonly bytes: Buffer;
  readonly marks: readonly string[];
  /** For each mark, every place it occurs. */
  readonly places: readonly (readonly Place[])[];
}

/**
 * A template of a store holding `rows` at `revision` (its compacted revision too, as
 * after restoreRows), with each of `marks` (distinct ASCII strings) replaceable;
 * undefined when the file does not lend itself to it.
 */
export async function makeSqliteTemplate(rows: readonly KeyValue[], revision: number, marks: readonly string[]): Promise<SqliteTemplate | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'kubevisor-template-'));
  try {
    const path = join(dir, 'template.db');
    const store = new SqliteStore(path);
    try {
      await store.restoreRows(rows, revision);
    } finally {
      // The last connection's close checkpoints the WAL into the file.
      await store.close();
    }
    const bytes = readFileSync(path);
    const places = findMarks(bytes, marks);
    if (!places) return undefined;
    const expected = marks.map((m) => rows.reduce((n, r) => n + occurrences(r.value, m), 0));
    if (places.some((p, i) => p.length !== expected[i])) return undefined;
    const template: SqliteTemplate = { bytes, marks, places };
    return checkTemplate(template, rows, join(dir, 'check.db')) ? template : undefined;
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The file of a new store: the template with `values[i]` (same byte length) in place of mark i. */
export function fillSqliteTemplate(t: SqliteTemplate, values: readonly string[]): Buffer {
  if (values.length !== t.marks.length) throw new Error(`template: ${t.marks.length} marks, ${values.length} values`);
  const out = Buffer.from(t.bytes);
  for (let i = 0; i < values.length; i++) writeMark(out, t, i, values[i]);
  return out;
}

/** Write `value` (the same byte length) in every place of mark `i` of a file made from `t`, in place. */
export function writeMark(file: Uint8Array, t: SqliteTemplate, i: number, value: string): void {
  const v = Buffer.from(value, 'utf8');
  if (v.length !== t.marks[i].length) throw new Error(`template: "${value}" is not ${t.marks[i].length} bytes long`);
  for (const place of t.places[i]) for (const [at, from, len] of place) v.copy(file, at, from, from + len);
}

function occurrences(s: string, m: string): number {
  let n = 0;
  for (let i = s.indexOf(m); i >= 0; i = s.indexOf(m, i + m.length)) n++;
  return n;
}

/** Fill with other strings of the same length, and read the file back through SQLite. */
function checkTemplate(t: SqliteTemplate, rows: readonly KeyValue[], path: string): boolean {
  const values = t.marks.map((m, i) => (String(i % 10).repeat(m.length)));
  writeFileSync(path, fillSqliteTemplate(t, values));
  const db = new DatabaseSync(path);
  try {
    if ((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check !== 'ok') return false;
    const got = db.prepare('SELECT id, name, value FROM kv ORDER BY id').all() as { id: number; name: string; value: string }[];
    if (got.length !== rows.length) return false;
    const byKey = new Map(rows.map((r) => [r.key, r]));
    for (const g of got) {
      const r = byKey.get(g.name);
      if (!r || r.modRevision !== g.id) return false;
      let want = r.value;
      for (let i = 0; i < t.marks.length; i++) want = want.split(t.marks[i]).join(values[i]);
      if (g.value !== want) return false;
    }
    return true;
  } finally {
    db.close();
  }
}

// --- reading the file format -------------------------------------------------

interface File {
  readonly bytes: Buffer;
  readonly pageSize: number;
  /** Usable bytes of a page (page size less the reserved bytes at its end). */
  readonly usable: number;
}

function pageOffset(f: File, page: number): number {
  return (page - 1) * f.pageSize;
}

function varint(b: Buffer, at: number): [value: number, next: number] {
  let v = 0;
  for (let i = 0; i < 8; i++) {
    const byte = b[at + i];
    v = v * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) return [v, at + i + 1];
  }
  return [v * 256 + b[at + 8], at + 9];
}

/** A table B-tree leaf cell's payload, and the file offset of each of its bytes (in runs). */
interface Payload { readonly data: Buffer; readonly runs: readonly (readonly [payloadAt: number, fileAt: number, len: number])[] }

function leafPayload(f: File, cellAt: number): Payload {
  const b = f.bytes;
  const [size, afterSize] = varint(b, cellAt);
  const [, afterRowid] = varint(b, afterSize);
  const maxLocal = f.usable - 35;
  let local = size;
  if (size > maxLocal) {
    const minLocal = Math.floor(((f.usable - 12) * 32) / 255) - 23;
    const k = minLocal + ((size - minLocal) % (f.usable - 4));
    local = k <= maxLocal ? k : minLocal;
  }
  const runs: [number, number, number][] = [[0, afterRowid, local]];
  let got = local;
  let next = local < size ? b.readUInt32BE(afterRowid + local) : 0;
  while (got < size) {
    if (next === 0) throw new Error('template: overflow chain ends early');
    const at = pageOffset(f, next);
    const len = Math.min(f.usable - 4, size - got);
    runs.push([got, at + 4, len]);
    got += len;
    next = b.readUInt32BE(at);
  }
  const data = Buffer.concat(runs.map(([, at, len]) => b.subarray(at, at + len)));
  return { data, runs };
}

/** Every leaf cell's payload of the table B-tree rooted at `root`. */
function tablePayloads(f: File, root: number): Payload[] {
  const out: Payload[] = [];
  const walk = (page: number, depth: number): void => {
    if (depth > 64) throw new Error('template: B-tree too deep');
    const at = pageOffset(f, page) + (page === 1 ? 100 : 0);
    const base = pageOffset(f, page);
    const type = f.bytes[at];
    const cells = f.bytes.readUInt16BE(at + 3);
    const header = type === 0x05 ? 12 : 8;
    for (let i = 0; i < cells; i++) {
      const cell = base + f.bytes.readUInt16BE(at + header + 2 * i);
      if (type === 0x0d) out.push(leafPayload(f, cell));
      else if (type === 0x05) walk(f.bytes.readUInt32BE(cell), depth + 1);
      else throw new Error(`template: page ${page} is not a table page`);
    }
    if (type === 0x05) walk(f.bytes.readUInt32BE(at + 8), depth + 1);
  };
  walk(root, 0);
  return out;
}

/** The columns of a record (a payload), as byte ranges; integers decoded. */
function recordColumns(data: Buffer): { text?: [number, number]; int?: number }[] {
  const [headerSize, first] = varint(data, 0);
  const cols: { text?: [number, number]; int?: number }[] = [];
  let body = headerSize;
  for (let at = first; at < headerSize;) {
    const [type, next] = varint(data, at);
    at = next;
    if (type >= 13 && type % 2 === 1) {
      const len = (type - 13) / 2;
      cols.push({ text: [body, len] });
      body += len;
    } else if (type >= 1 && type <= 6) {
      const len = [0, 1, 2, 3, 4, 6, 8][type];
      cols.push({ int: len === 8 ? Number(data.readBigInt64BE(body)) : data.readIntBE(body, len) });
      body += len;
    } else if (type === 8 || type === 9) {
      cols.push({ int: type - 8 });
    } else {
      const len = type >= 12 ? (type - 12) / 2 : type === 7 ? 8 : 0;
      cols.push({});
      body += len;
    }
  }
  return cols;
}

/** The kv table's root page, from the schema table (page 1). */
function kvRoot(f: File): number {
  for (const p of tablePayloads(f, 1)) {
    const cols = recordColumns(p.data);
    const text = (i: number) => { const t = cols[i]?.text; return t ? p.data.toString('utf8', t[0], t[0] + t[1]) : undefined; };
    if (text(0) === 'table' && text(1) === 'kv' && cols[3]?.int !== undefined) return cols[3].int;
  }
  throw new Error('template: no kv table');
}

/** Every place of each mark in the kv table's rows; undefined when the file is not as expected. */
function findMarks(bytes: Buffer, marks: readonly string[]): Place[][] | undefined {
  const rawSize = bytes.readUInt16BE(16);
  const pageSize = rawSize === 1 ? 65536 : rawSize;
  const f: File = { bytes, pageSize, usable: pageSize - bytes[20] };
  const places: Place[][] = marks.map(() => []);
  const needles = marks.map((m) => Buffer.from(m, 'utf8'));
  for (const p of tablePayloads(f, kvRoot(f))) {
    for (let i = 0; i < needles.length; i++) {
      const n = needles[i];
      for (let at = p.data.indexOf(n); at >= 0; at = p.data.indexOf(n, at + n.length)) places[i].push(fileRanges(p, at, n.length));
    }
  }
  return places;
}

/** The file ranges of payload bytes [at, at+len). */
function fileRanges(p: Payload, at: number, len: number): Place {
  const out: [number, number, number][] = [];
  for (const [pAt, fAt, runLen] of p.runs) {
    const lo = Math.max(at, pAt);
    const hi = Math.min(at + len, pAt + runLen);
    if (lo < hi) out.push([fAt + (lo - pAt), lo - at, hi - lo]);
  }
  return out;
}
