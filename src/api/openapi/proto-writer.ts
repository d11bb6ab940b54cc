// A minimal protobuf (proto3 wire format) message builder. Messages are built
// bottom-up: a child is complete before it is added to its parent, so every
// message knows its encoded size and the final bytes are written in one pass
// into a single buffer, without copying nested messages around.

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;

const K_VARINT = 0;
const K_STRING = 1;
const K_MESSAGE = 2;
const K_DOUBLE = 3;
const K_BYTES = 4;

interface Item {
  kind: number;
  /** The key (field number and wire type), already combined. */
  key: number;
  num: number;
  str: string;
  msg: ProtoMessage | undefined;
  bytes: Uint8Array | undefined;
  /** Byte length of the payload of a length-delimited item. */
  len: number;
}

export function varintSize(n: number): number {
  if (n < 0) return 10;
  let size = 1;
  while (n >= 128) { n = Math.floor(n / 128); size++; }
  return size;
}

export class ProtoMessage {
  /** Encoded size in bytes. */
  size = 0;
  private readonly items: Item[] = [];

  private push(kind: number, field: number, wire: number, num: number, str: string,
    msg: ProtoMessage | undefined, bytes: Uint8Array | undefined, len: number, payload: number): void {
    const key = field * 8 + wire;
    this.items.push({ kind, key, num, str, msg, bytes, len });
    this.size += varintSize(key) + payload;
  }

  /** A string field; proto3 leaves out empty strings unless `always`. */
  string(field: number, s: string | undefined, always = false): this {
    if (s === undefined || (s === '' && !always)) return this;
    const len = Buffer.byteLength(s, 'utf8');
    this.push(K_STRING, field, WIRE_BYTES, 0, s, undefined, undefined, len, varintSize(len) + len);
    return this;
  }

  strings(field: number, values: readonly string[] | undefined): this {
    if (values) for (const s of values) this.string(field, s, true);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.push(K_BYTES, field, WIRE_BYTES, 0, '', undefined, b, b.length, varintSize(b.length) + b.length);
    return this;
  }

  /** A bool field; false is left out unless `always` (a member of a oneof). */
  bool(field: number, b: boolean | undefined, always = false): this {
    if (b === undefined || (!b && !always)) return this;
    this.push(K_VARINT, field, WIRE_VARINT, b ? 1 : 0, '', undefined, undefined, 0, 1);
    return this;
  }

  /** An int32/int64 field (whole numbers within ±2^53). */
  int(field: number, n: number | undefined, always = false): this {
    if (n === undefined || (n === 0 && !always)) return this;
    const v = Math.trunc(n);
    this.push(K_VARINT, field, WIRE_VARINT, v, '', undefined, undefined, 0, varintSize(v));
    return this;
  }

  double(field: number, n: number | undefined, always = false): this {
    if (n === undefined || (n === 0 && !always)) return this;
    this.push(K_DOUBLE, field, WIRE_FIXED64, n, '', undefined, undefined, 0, 8);
    return this;
  }

  /** An embedded message; always written, even when empty (presence matters for messages). */
  message(field: number, m: ProtoMessage | undefined): this {
    if (m === undefined) return this;
    this.push(K_MESSAGE, field, WIRE_BYTES, 0, '', m, undefined, m.size, varintSize(m.size) + m.size);
    return this;
  }

  finish(): Uint8Array {
    const buf = Buffer.allocUnsafe(this.size);
    const end = this.writeTo(buf, 0);
    if (end !== this.size) throw new Error(`protobuf size mismatch: wrote ${end} of ${this.size}`);
    return buf;
  }

  private writeTo(buf: Buffer, pos: number): number {
    for (const it of this.items) {
      pos = writeVarint(buf, pos, it.key);
      switch (it.kind) {
        case K_VARINT:
          pos = writeVarint(buf, pos, it.num);
          break;
        case K_DOUBLE:
          buf.writeDoubleLE(it.num, pos);
          pos += 8;
          break;
        case K_STRING:
          pos = writeVarint(buf, pos, it.len);
          pos += buf.write(it.str, pos, it.len, 'utf8');
          break;
        case K_BYTES:
          pos = writeVarint(buf, pos, it.len);
          buf.set(it.bytes!, pos);
          pos += it.len;
          break;
        case K_MESSAGE:
          pos = writeVarint(buf, pos, it.len);
          pos = it.msg!.writeTo(buf, pos);
          break;
      }
    }
    return pos;
  }
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  if (n < 0) {
    // Two's complement in 64 bits, as protobuf encodes negative int64.
    let v = BigInt.asUintN(64, BigInt(n));
    while (v >= 128n) { buf[pos++] = Number(v & 127n) | 128; v >>= 7n; }
    buf[pos++] = Number(v);
    return pos;
  }
  while (n >= 128) {
    buf[pos++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}
