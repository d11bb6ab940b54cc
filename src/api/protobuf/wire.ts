// The protobuf wire format: a bounds-checked reader and a growable writer.
// Integers are JS numbers; 64-bit values are exact up to 2^53.

import { ProtobufDecodeError } from './errors.ts';

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

const TWO_32 = 4294967296;
const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

export class Reader {
  readonly buf: Uint8Array;
  pos: number;
  private view: DataView | undefined;

  constructor(buf: Uint8Array, pos = 0) {
    this.buf = buf;
    this.pos = pos;
  }

  private truncated(): never {
    throw new ProtobufDecodeError(`truncated protobuf data at byte ${this.pos}`);
  }

  /** A varint known to fit in 32 bits (tags, lengths); larger ones are rejected. */
  uint32(end: number): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos >= end) this.truncated();
    let b = buf[pos++]!;
    if (b < 0x80) {
      this.pos = pos;
      return b;
    }
    let value = b & 0x7f;
    for (let shift = 7; shift < 35; shift += 7) {
      if (pos >= end) { this.pos = pos; this.truncated(); }
      b = buf[pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) {
        this.pos = pos;
        if (value > 0xffffffff) throw new ProtobufDecodeError(`varint at byte ${pos} exceeds 32 bits`);
        return value;
      }
    }
    this.pos = pos;
    throw new ProtobufDecodeError(`varint at byte ${pos} exceeds 32 bits`);
  }

  /**
   * A full 64-bit varint, split into its low and high 32 bits (unsigned),
   * stored in this.lo / this.hi.
   */
  lo = 0;
  hi = 0;
  varint64(end: number): void {
    const buf = this.buf;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    let b = 0;
    let done = false;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) { this.pos = pos; this.truncated(); }
      b = buf[pos++]!;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) { done = true; break; }
    }
    if (!done) {
      if (pos >= end) { this.pos = pos; this.truncated(); }
      b = buf[pos++]!;
      lo |= (b & 0x7f) << 28;
      hi = (b & 0x7f) >>> 4;
      if (b < 0x80) done = true;
      for (let shift = 3; !done && shift < 32; shift += 7) {
        if (pos >= end) { this.pos = pos; this.truncated(); }
        b = buf[pos++]!;
        hi |= (b & 0x7f) << shift;
        if (b < 0x80) done = true;
      }
      if (!done) {
        this.pos = pos;
        throw new ProtobufDecodeError(`varint at byte ${pos} is longer than 10 bytes`);
      }
    }
    this.pos = pos;
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  int64(end: number): number {
    this.varint64(end);
    return joinInt64(this.lo, this.hi);
  }

  uint64(end: number): number {
    this.varint64(end);
    return this.hi * TWO_32 + this.lo;
  }

  int32(end: number): number {
    this.varint64(end);
    return this.lo | 0;
  }

  bool(end: number): boolean {
    this.varint64(end);
    return this.lo !== 0 || this.hi !== 0;
  }

  /** A length prefix; returns the end offset of the delimited bytes. */
  delimited(end: number): number {
    const len = this.uint32(end);
    const stop = this.pos + len;
    if (stop > end) throw new ProtobufDecodeError(`length ${len} at byte ${this.pos} runs past the end of its message`);
    return stop;
  }

  fixed32(end: number): number {
    if (this.pos + 4 > end) this.truncated();
    const v = this.dataView().getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  fixed64Parts(end: number): void {
    if (this.pos + 8 > end) this.truncated();
    const dv = this.dataView();
    this.lo = dv.getUint32(this.pos, true);
    this.hi = dv.getUint32(this.pos + 4, true);
    this.pos += 8;
  }

  float(end: number): number {
    if (this.pos + 4 > end) this.truncated();
    const v = this.dataView().getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  double(end: number): number {
    if (this.pos + 8 > end) this.truncated();
    const v = this.dataView().getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  private dataView(): DataView {
    return (this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength));
  }

  /** UTF-8 text of buf[start, stop); invalid sequences become U+FFFD as in Go's JSON. */
  string(start: number, stop: number): string {
    const buf = this.buf;
    if (stop - start < 24) {
      // Short ASCII strings (names, keys) are the common case; skip the decoder call.
      let s = '';
      for (let i = start; i < stop; i++) {
        const c = buf[i]!;
        if (c >= 0x80) return utf8.decode(buf.subarray(start, stop));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return utf8.decode(buf.subarray(start, stop));
  }

  /** Skips one field's value of the given wire type. */
  skip(wireType: number, end: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint64(end);
        return;
      case WIRE_FIXED64:
        if (this.pos + 8 > end) this.truncated();
        this.pos += 8;
        return;
      case WIRE_LEN:
        this.pos = this.delimited(end);
        return;
      case WIRE_FIXED32:
        if (this.pos + 4 > end) this.truncated();
        this.pos += 4;
        return;
      default:
        throw new ProtobufDecodeError(`unsupported wire type ${wireType} at byte ${this.pos}`);
    }
  }
}

/** Two's-complement int64 from its unsigned 32-bit halves. */
export function joinInt64(lo: number, hi: number): number {
  if (hi < 0x80000000) return hi * TWO_32 + lo;
  // negative: value = -(~x + 1)
  const nlo = (~lo + 1) >>> 0;
  const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
  return -(nhi * TWO_32 + nlo);
}

export class Writer {
  buf: Uint8Array;
  pos = 0;
  private view: DataView | undefined;

  constructor(initialSize = 1024) {
    this.buf = new Uint8Array(initialSize);
  }

  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = undefined;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** An unsigned varint of a value below 2^32. */
  uint32(v: number): void {
    this.ensure(5);
    const buf = this.buf;
    while (v > 0x7f) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[this.pos++] = v;
  }

  /** A varint of a 64-bit value given as unsigned 32-bit halves. */
  varint64(lo: number, hi: number): void {
    this.ensure(10);
    const buf = this.buf;
    while (hi !== 0 || lo > 0x7f) {
      buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi = hi >>> 7;
    }
    buf[this.pos++] = lo;
  }

  /** A signed integer (int32 or int64) as protobuf writes it: negatives take 10 bytes. */
  int64(v: number): void {
    if (v >= 0 && v <= 0xffffffff) {
      this.uint32(v);
      return;
    }
    const hi = Math.floor(v / TWO_32);
    const lo = v - hi * TWO_32;
    this.varint64(lo >>> 0, hi >>> 0);
  }

  tag(fieldNumber: number, wireType: number): void {
    this.uint32(fieldNumber * 8 + wireType);
  }

  fixed32(v: number): void {
    this.ensure(4);
    this.dataView().setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
  }

  fixed64(lo: number, hi: number): void {
    this.ensure(8);
    const dv = this.dataView();
    dv.setUint32(this.pos, lo >>> 0, true);
    dv.setUint32(this.pos + 4, hi >>> 0, true);
    this.pos += 8;
  }

  float(v: number): void {
    this.ensure(4);
    this.dataView().setFloat32(this.pos, v, true);
    this.pos += 4;
  }

  double(v: number): void {
    this.ensure(8);
    this.dataView().setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  private dataView(): DataView {
    return (this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength));
  }

  /** A length-prefixed UTF-8 string. */
  string(s: string): void {
    const n = s.length;
    this.ensure(5 + n * 3);
    // ASCII fast path: length in bytes equals length in chars.
    let ascii = n < 128;
    if (ascii) {
      for (let i = 0; i < n; i++) {
        if (s.charCodeAt(i) >= 0x80) { ascii = false; break; }
      }
    }
    if (ascii) {
      const buf = this.buf;
      buf[this.pos++] = n;
      for (let i = 0; i < n; i++) buf[this.pos++] = s.charCodeAt(i);
      return;
    }
    this.bytes(utf8Encoder.encode(s));
  }

  /** Length-prefixed bytes. */
  bytes(b: Uint8Array): void {
    this.uint32(b.length);
    this.raw(b);
  }

  /**
   * Starts a length-delimited value whose size is not known yet. One byte is
   * reserved for the length; endDelimited() moves the body if it needs more.
   */
  beginDelimited(): number {
    this.ensure(1);
    return this.pos++;
  }

  endDelimited(lengthAt: number): void {
    const len = this.pos - lengthAt - 1;
    if (len < 0x80) {
      this.buf[lengthAt] = len;
      return;
    }
    let size = 1;
    for (let v = len; v > 0x7f; v = Math.floor(v / 128)) size++;
    this.ensure(size - 1);
    this.buf.copyWithin(lengthAt + size, lengthAt + 1, this.pos);
    const end = this.pos + size - 1;
    this.pos = lengthAt;
    this.uint32(len);
    this.pos = end;
  }
}
