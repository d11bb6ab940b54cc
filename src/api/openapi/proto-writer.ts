// A minimal streaming protobuf (proto3 wire format) writer. Nested messages
// are opened with fork(field) and closed with ldelim(): five bytes are reserved
// for the length when a message opens, and when it closes the length is written
// there and the content moved back over the bytes it did not need. Everything
// goes into one growing buffer, with no per-field allocation.

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;

/** Bytes reserved for the length of an open message: lengths up to 2^35 - 1. */
const LENGTH_RESERVE = 5;

export class ProtoWriter {
  private buf: Buffer;
  private pos = 0;
  /** Where the content of each open message starts. */
  private readonly open: number[] = [];

  constructor(initialSize = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private varint(n: number): void {
    const buf = this.buf;
    let pos = this.pos;
    if (n < 0) {
      // Two's complement in 64 bits, as protobuf encodes a negative int64.
      let v = BigInt.asUintN(64, BigInt(n));
      while (v >= 128n) { buf[pos++] = Number(v & 127n) | 128; v >>= 7n; }
      buf[pos++] = Number(v);
    } else {
      while (n >= 128) {
        buf[pos++] = (n % 128) | 128;
        n = Math.floor(n / 128);
      }
      buf[pos++] = n;
    }
    this.pos = pos;
  }

  private key(field: number, wire: number): void {
    this.ensure(10 + 10);
    this.varint(field * 8 + wire);
  }

  /** A string field; proto3 leaves out empty strings unless `always`. */
  string(field: number, s: string | undefined, always = false): this {
    if (s === undefined || (s === '' && !always)) return this;
    this.key(field, WIRE_BYTES);
    if (s.length < 43) {
      // At most 126 bytes of UTF-8: the length fits in one byte, written after the string.
      this.ensure(1 + s.length * 3);
      const n = this.buf.write(s, this.pos + 1, 'utf8');
      this.buf[this.pos] = n;
      this.pos += 1 + n;
    } else {
      const n = Buffer.byteLength(s, 'utf8');
      this.ensure(10 + n);
      this.varint(n);
      this.pos += this.buf.write(s, this.pos, n, 'utf8');
    }
    return this;
  }

  strings(field: number, values: readonly string[] | undefined): this {
    if (values) for (const s of values) this.string(field, s, true);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.key(field, WIRE_BYTES);
    this.ensure(10 + b.length);
    this.varint(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** A bool field; false is left out unless `always` (a member of a oneof). */
  bool(field: number, b: boolean | undefined, always = false): this {
    if (b === undefined || (!b && !always)) return this;
    this.key(field, WIRE_VARINT);
    this.buf[this.pos++] = b ? 1 : 0;
    return this;
  }

  /** An int32/int64 field (whole numbers within ±2^53). */
  int(field: number, n: number | undefined, always = false): this {
    if (n === undefined || (n === 0 && !always)) return this;
    this.key(field, WIRE_VARINT);
    this.varint(Math.trunc(n));
    return this;
  }

  double(field: number, n: number | undefined, always = false): this {
    if (n === undefined || (n === 0 && !always)) return this;
    this.key(field, WIRE_FIXED64);
    this.ensure(8);
    this.buf.writeDoubleLE(n, this.pos);
    this.pos += 8;
    return this;
  }

  /** Open an embedded message in `field`; close it with ldelim(). Messages are written even when empty. */
  fork(field: number): this {
    this.key(field, WIRE_BYTES);
    this.ensure(LENGTH_RESERVE);
    this.pos += LENGTH_RESERVE;
    this.open.push(this.pos);
    return this;
  }

  /** Close the message opened last. */
  ldelim(): this {
    const start = this.open.pop();
    if (start === undefined) throw new Error('ldelim without fork');
    const len = this.pos - start;
    const at = start - LENGTH_RESERVE;
    this.pos = at;
    this.varint(len);
    const lenSize = this.pos - at;
    if (lenSize < LENGTH_RESERVE) this.buf.copyWithin(this.pos, start, start + len);
    this.pos += len;
    return this;
  }

  /** An embedded message whose fields `write` writes. */
  message(field: number, write: (w: this) => void): this {
    this.fork(field);
    write(this);
    return this.ldelim();
  }

  /** The bytes written (all messages must be closed). */
  finish(): Uint8Array {
    if (this.open.length > 0) throw new Error(`${this.open.length} messages not closed`);
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}
