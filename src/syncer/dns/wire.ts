// DNS messages on the wire (RFC 1035), with name compression both ways,
// EDNS0 (RFC 6891) lifted out of the additional section into `edns`, and
// truncation for UDP. Names are presentation text without the trailing dot
// ("web.default.svc.cluster.local", the root is ""); a label holding a dot,
// a backslash or an unprintable byte is escaped as "\." / "\\" / "\DDD".
import { formatIP, ipBytes } from './ip.ts';

export const RRType = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255,
} as const;

export const RCode = {
  NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5,
  BADVERS: 16, // needs EDNS: the upper 8 bits travel in the OPT record
} as const;

export const CLASS_IN = 1;
export const MAX_UDP_PLAIN = 512;
const MAX_NAME_WIRE = 255;
const MAX_LABEL = 63;

export class WireError extends Error {}

/** What a record holds; the record type follows from `kind` (or `type` for raw data). */
export type RecordData =
  | { kind: 'A'; address: string }
  | { kind: 'AAAA'; address: string }
  | { kind: 'CNAME'; target: string }
  | { kind: 'PTR'; target: string }
  | { kind: 'NS'; target: string }
  | { kind: 'MX'; preference: number; exchange: string }
  | { kind: 'SRV'; priority: number; weight: number; port: number; target: string }
  | { kind: 'TXT'; texts: string[] }
  | { kind: 'SOA'; mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number }
  | { kind: 'raw'; type: number; bytes: Uint8Array };

export interface ResourceRecord {
  name: string;
  class: number;
  ttl: number;
  data: RecordData;
}

export interface Question {
  name: string;
  type: number;
  class: number;
}

/** The OPT pseudo-record, decoded. `options` are kept as raw bytes (RDATA of OPT). */
export interface Edns {
  udpSize: number;
  version: number;
  dnssecOk: boolean;
  options: Uint8Array;
}

export interface Flags {
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  ad: boolean;
  cd: boolean;
}

export interface Message {
  id: number;
  flags: Flags;
  /** Full 12-bit response code: the low 4 bits in the header, the rest in the OPT record (so > 15 needs `edns`). */
  rcode: number;
  questions: Question[];
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
  edns?: Edns;
}

const TYPE_OF_KIND: Record<Exclude<RecordData['kind'], 'raw'>, number> = {
  A: RRType.A, AAAA: RRType.AAAA, CNAME: RRType.CNAME, PTR: RRType.PTR, NS: RRType.NS,
  MX: RRType.MX, SRV: RRType.SRV, TXT: RRType.TXT, SOA: RRType.SOA,
};

export function recordType(data: RecordData): number {
  return data.kind === 'raw' ? data.type : TYPE_OF_KIND[data.kind];
}

export function emptyFlags(): Flags {
  return { qr: false, opcode: 0, aa: false, tc: false, rd: false, ra: false, ad: false, cd: false };
}

// ---------------------------------------------------------------- names

/** Splits presentation text into label bytes, undoing escapes. */
export function nameToLabels(name: string): Uint8Array[] {
  if (name === '' || name === '.') return [];
  const text = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
  const labels: Uint8Array[] = [];
  let cur: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '.') { labels.push(Uint8Array.from(cur)); cur = []; continue; }
    if (c === '\\') {
      const digits = text.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(digits) && Number(digits) < 256) { cur.push(Number(digits)); i += 3; continue; }
      if (i + 1 >= text.length) throw new WireError(`bad escape in name ${JSON.stringify(name)}`);
      i++;
    }
    const code = text.codePointAt(i)!;
    if (code > 0x7f) {
      const ch = String.fromCodePoint(code);
      cur.push(...Buffer.from(ch, 'utf8'));
      i += ch.length - 1;
    } else cur.push(code);
  }
  labels.push(Uint8Array.from(cur));
  for (const l of labels) {
    if (l.length === 0) throw new WireError(`empty label in name ${JSON.stringify(name)}`);
    if (l.length > MAX_LABEL) throw new WireError(`label longer than ${MAX_LABEL} bytes in ${JSON.stringify(name)}`);
  }
  if (labels.reduce((n, l) => n + l.length + 1, 1) > MAX_NAME_WIRE) throw new WireError(`name longer than ${MAX_NAME_WIRE} bytes`);
  return labels;
}

function labelText(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) {
    if (b === 0x2e || b === 0x5c) s += '\\' + String.fromCharCode(b);
    else if (b <= 0x20 || b >= 0x7f) s += '\\' + String(b).padStart(3, '0');
    else s += String.fromCharCode(b);
  }
  return s;
}

// ---------------------------------------------------------------- reading

class Reader {
  pos = 0;
  readonly buf: Uint8Array;
  readonly view: DataView;
  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new WireError('message ends early');
  }
  u8(): number { this.need(1); return this.buf[this.pos++]!; }
  u16(): number { this.need(2); const v = this.view.getUint16(this.pos); this.pos += 2; return v; }
  u32(): number { this.need(4); const v = this.view.getUint32(this.pos); this.pos += 4; return v; }
  bytes(n: number): Uint8Array { this.need(n); const b = this.buf.subarray(this.pos, this.pos + n); this.pos += n; return b; }

  /** A possibly compressed name; pointers must point backwards, which also rules out loops. */
  name(): string {
    const labels: string[] = [];
    let wireLen = 1;
    let pos = this.pos;
    let end = -1; // where reading resumes after the first pointer
    let limit = pos; // a pointer must go strictly before the position it was read at
    for (;;) {
      if (pos >= this.buf.length) throw new WireError('name runs past the message');
      const len = this.buf[pos]!;
      if ((len & 0xc0) === 0xc0) {
        if (pos + 1 >= this.buf.length) throw new WireError('name runs past the message');
        const target = ((len & 0x3f) << 8) | this.buf[pos + 1]!;
        if (end < 0) end = pos + 2;
        if (target >= limit) throw new WireError('compression pointer does not point backwards');
        limit = target;
        pos = target;
        continue;
      }
      if ((len & 0xc0) !== 0) throw new WireError('unsupported label type');
      if (len === 0) { pos++; break; }
      if (pos + 1 + len > this.buf.length) throw new WireError('label runs past the message');
      wireLen += len + 1;
      if (wireLen > MAX_NAME_WIRE) throw new WireError('name longer than 255 bytes');
      labels.push(labelText(this.buf.subarray(pos + 1, pos + 1 + len)));
      pos += 1 + len;
    }
    this.pos = end >= 0 ? end : pos;
    return labels.join('.');
  }
}

function readRecord(r: Reader): ResourceRecord & { type: number } {
  const name = r.name();
  const type = r.u16();
  const cls = r.u16();
  const ttl = r.u32();
  const rdlen = r.u16();
  r.need(rdlen);
  const start = r.pos;
  const end = start + rdlen;
  let data: RecordData;
  switch (type) {
    case RRType.A:
      if (rdlen !== 4) throw new WireError('A record data is not 4 bytes');
      data = { kind: 'A', address: formatIP(r.bytes(4)) };
      break;
    case RRType.AAAA:
      if (rdlen !== 16) throw new WireError('AAAA record data is not 16 bytes');
      data = { kind: 'AAAA', address: formatIP(r.bytes(16)) };
      break;
    case RRType.CNAME: data = { kind: 'CNAME', target: r.name() }; break;
    case RRType.PTR: data = { kind: 'PTR', target: r.name() }; break;
    case RRType.NS: data = { kind: 'NS', target: r.name() }; break;
    case RRType.MX: data = { kind: 'MX', preference: r.u16(), exchange: r.name() }; break;
    case RRType.SRV: data = { kind: 'SRV', priority: r.u16(), weight: r.u16(), port: r.u16(), target: r.name() }; break;
    case RRType.SOA:
      data = { kind: 'SOA', mname: r.name(), rname: r.name(), serial: r.u32(), refresh: r.u32(), retry: r.u32(), expire: r.u32(), minimum: r.u32() };
      break;
    case RRType.TXT: {
      const texts: string[] = [];
      while (r.pos < end) texts.push(Buffer.from(r.bytes(r.u8())).toString('utf8'));
      data = { kind: 'TXT', texts };
      break;
    }
    default:
      data = { kind: 'raw', type, bytes: Uint8Array.from(r.bytes(rdlen)) };
  }
  if (r.pos !== end) throw new WireError(`record data of type ${type} does not match its length`);
  return { name, type, class: cls, ttl, data };
}

function flagsOf(f: number): Flags {
  return {
    qr: (f & 0x8000) !== 0, opcode: (f >> 11) & 0xf, aa: (f & 0x0400) !== 0, tc: (f & 0x0200) !== 0,
    rd: (f & 0x0100) !== 0, ra: (f & 0x0080) !== 0, ad: (f & 0x0020) !== 0, cd: (f & 0x0010) !== 0,
  };
}

/** Parses a whole message; throws WireError on anything malformed. */
export function decodeMessage(buf: Uint8Array): Message {
  const r = new Reader(buf);
  const id = r.u16();
  const f = r.u16();
  const counts = [r.u16(), r.u16(), r.u16(), r.u16()] as const;
  const questions: Question[] = [];
  for (let i = 0; i < counts[0]; i++) questions.push({ name: r.name(), type: r.u16(), class: r.u16() });
  const sections: ResourceRecord[][] = [[], [], []];
  let edns: Edns | undefined;
  let rcode = f & 0xf;
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const rec = readRecord(r);
      if (rec.type === RRType.OPT) {
        if (s !== 2 || edns || rec.name !== '') throw new WireError('misplaced or repeated OPT record');
        const raw = rec.data as { kind: 'raw'; bytes: Uint8Array };
        edns = { udpSize: rec.class, version: (rec.ttl >>> 16) & 0xff, dnssecOk: (rec.ttl & 0x8000) !== 0, options: raw.bytes };
        rcode |= (rec.ttl >>> 24) << 4;
        continue;
      }
      sections[s]!.push({ name: rec.name, class: rec.class, ttl: rec.ttl, data: rec.data });
    }
  }
  if (r.pos !== buf.length) throw new WireError('bytes after the last record');
  return {
    id,
    flags: flagsOf(f),
    rcode,
    questions,
    answers: sections[0]!,
    authority: sections[1]!,
    additional: sections[2]!,
    edns,
  };
}

/** The id and flags of a message whose body may be malformed (so an error answer can still be addressed); undefined under 12 bytes. */
export function peekHeader(buf: Uint8Array): { id: number; qr: boolean; opcode: number; rd: boolean } | undefined {
  if (buf.length < 12) return undefined;
  const f = (buf[2]! << 8) | buf[3]!;
  return { id: (buf[0]! << 8) | buf[1]!, qr: (f & 0x8000) !== 0, opcode: (f >> 11) & 0xf, rd: (f & 0x0100) !== 0 };
}

// ---------------------------------------------------------------- writing

class Writer {
  private buf = Buffer.alloc(512);
  len = 0;
  /** Lowercased name suffix -> offset, for compression (only offsets a 14-bit pointer can reach). */
  private readonly names = new Map<string, number>();

  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  u8(v: number): void { this.grow(1); this.buf[this.len++] = v & 0xff; }
  u16(v: number): void { this.grow(2); this.buf.writeUInt16BE(v & 0xffff, this.len); this.len += 2; }
  u32(v: number): void { this.grow(4); this.buf.writeUInt32BE(v >>> 0, this.len); this.len += 4; }
  bytes(b: Uint8Array): void { this.grow(b.length); this.buf.set(b, this.len); this.len += b.length; }
  setU16(at: number, v: number): void { this.buf.writeUInt16BE(v & 0xffff, at); }

  name(name: string, compress: boolean): void {
    const labels = nameToLabels(name);
    for (let i = 0; i < labels.length; i++) {
      const key = labels.slice(i).map(labelKey).join('');
      const known = compress ? this.names.get(key) : undefined;
      if (known !== undefined) { this.u16(0xc000 | known); return; }
      if (this.len < 0x4000 && !this.names.has(key)) this.names.set(key, this.len);
      this.u8(labels[i]!.length);
      this.bytes(labels[i]!);
    }
    this.u8(0);
  }
  result(): Buffer { return Buffer.from(this.buf.subarray(0, this.len)); }
}

/** A label as a compression key: length-prefixed (labels may hold dots), ASCII letters folded (RFC 4343). */
function labelKey(label: Uint8Array): string {
  let s = String.fromCharCode(label.length);
  for (const b of label) s += String.fromCharCode(b >= 0x41 && b <= 0x5a ? b + 32 : b);
  return s;
}

function writeRecord(w: Writer, name: string, type: number, cls: number, ttl: number, data: RecordData | undefined, rawData?: Uint8Array): void {
  w.name(name, true);
  w.u16(type);
  w.u16(cls);
  w.u32(ttl);
  const lenAt = w.len;
  w.u16(0);
  const start = w.len;
  if (rawData) w.bytes(rawData);
  else if (data) {
    switch (data.kind) {
      case 'A': case 'AAAA': {
        const b = ipBytes(data.address);
        if (!b || b.length !== (data.kind === 'A' ? 4 : 16)) throw new WireError(`${data.kind} record with address ${data.address}`);
        w.bytes(b);
        break;
      }
      // RFC 3597 §4: compression inside RDATA only for the RFC 1035 types.
      case 'CNAME': case 'PTR': case 'NS': w.name(data.target, true); break;
      case 'MX': w.u16(data.preference); w.name(data.exchange, true); break;
      case 'SRV': w.u16(data.priority); w.u16(data.weight); w.u16(data.port); w.name(data.target, false); break; // RFC 2782: never compressed
      case 'SOA':
        w.name(data.mname, true); w.name(data.rname, true);
        w.u32(data.serial); w.u32(data.refresh); w.u32(data.retry); w.u32(data.expire); w.u32(data.minimum);
        break;
      case 'TXT':
        for (const t of data.texts.length ? data.texts : ['']) {
          const b = Buffer.from(t, 'utf8');
          if (b.length > 255) throw new WireError('TXT string longer than 255 bytes');
          w.u8(b.length); w.bytes(b);
        }
        break;
      case 'raw': w.bytes(data.bytes); break;
    }
  }
  w.setU16(lenAt, w.len - start);
}

function flagBits(f: Flags, rcode: number): number {
  return (f.qr ? 0x8000 : 0) | ((f.opcode & 0xf) << 11) | (f.aa ? 0x0400 : 0) | (f.tc ? 0x0200 : 0) |
    (f.rd ? 0x0100 : 0) | (f.ra ? 0x0080 : 0) | (f.ad ? 0x0020 : 0) | (f.cd ? 0x0010 : 0) | (rcode & 0xf);
}

function writeOpt(w: Writer, edns: Edns, rcode: number): void {
  const ttl = (((rcode >> 4) & 0xff) << 24) | ((edns.version & 0xff) << 16) | (edns.dnssecOk ? 0x8000 : 0);
  writeRecord(w, '', RRType.OPT, edns.udpSize, ttl, undefined, edns.options);
}

function encodeParts(m: Message, withRecords: boolean): Buffer {
  if (m.rcode > 0xf && !m.edns) throw new WireError(`rcode ${m.rcode} needs an OPT record`);
  const w = new Writer();
  const sections = withRecords ? [m.answers, m.authority, m.additional] : [[], [], []];
  w.u16(m.id);
  w.u16(flagBits(withRecords ? m.flags : { ...m.flags, tc: true }, m.rcode));
  w.u16(m.questions.length);
  w.u16(sections[0]!.length);
  w.u16(sections[1]!.length);
  w.u16(sections[2]!.length + (m.edns ? 1 : 0));
  for (const q of m.questions) { w.name(q.name, true); w.u16(q.type); w.u16(q.class); }
  for (const section of sections) for (const rec of section) writeRecord(w, rec.name, recordType(rec.data), rec.class, rec.ttl, rec.data);
  if (m.edns) writeOpt(w, m.edns, m.rcode);
  return w.result();
}

/**
 * Encodes a message. With `maxSize` (a UDP answer), a message that does not
 * fit is sent with the TC bit and no records but the OPT, so the client asks
 * again over TCP (RFC 2181 §9: a partial RRset would be worse than none).
 */
export function encodeMessage(m: Message, maxSize?: number): Buffer {
  const full = encodeParts(m, true);
  if (maxSize === undefined || full.length <= maxSize) return full;
  return encodeParts(m, false);
}

/** The largest UDP answer a query allows: its EDNS size (at least 512), capped by what we send. */
export function udpLimit(query: Message | undefined, ourMax: number): number {
  const asked = query?.edns ? Math.max(query.edns.udpSize, MAX_UDP_PLAIN) : MAX_UDP_PLAIN;
  return Math.min(asked, Math.max(ourMax, MAX_UDP_PLAIN));
}

/** The header and first question of a message whose records may be malformed or unknown to us; undefined if even those are. */
export function peekQuestion(buf: Uint8Array): { id: number; flags: Flags; rcode: number; question: Question } | undefined {
  try {
    const r = new Reader(buf);
    const id = r.u16();
    const f = r.u16();
    if (r.u16() < 1) return undefined;
    r.pos = 12;
    const question = { name: r.name(), type: r.u16(), class: r.u16() };
    return { id, flags: flagsOf(f), rcode: f & 0xf, question };
  } catch (e) {
    if (e instanceof WireError) return undefined;
    throw e;
  }
}

/** A record in zone-file style, e.g. "web.default.svc.cluster.local. 30 A 10.96.0.10" (for logs and tests). */
export function recordToText(r: ResourceRecord): string {
  const d = r.data;
  let text: string;
  switch (d.kind) {
    case 'A': case 'AAAA': text = d.address; break;
    case 'CNAME': case 'PTR': case 'NS': text = `${d.target}.`; break;
    case 'MX': text = `${d.preference} ${d.exchange}.`; break;
    case 'SRV': text = `${d.priority} ${d.weight} ${d.port} ${d.target}.`; break;
    case 'TXT': text = d.texts.map((t) => JSON.stringify(t)).join(' '); break;
    case 'SOA': text = `${d.mname}. ${d.rname}. ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`; break;
    case 'raw': text = `\\# ${d.bytes.length} ${Buffer.from(d.bytes).toString('hex')}`; break;
  }
  const type = d.kind === 'raw' ? `TYPE${d.type}` : d.kind;
  return `${r.name}. ${r.ttl} ${type} ${text}`;
}
