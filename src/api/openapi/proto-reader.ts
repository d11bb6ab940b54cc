// A minimal protobuf wire-format reader: splits a message into its fields.
// Used by the tests to decode what proto-writer.ts produced.

export interface WireField {
  field: number;
  wire: number;
  /** Varint value (as a bigint, so int64 survives), for wire type 0. */
  varint?: bigint;
  /** Payload of a length-delimited field (wire type 2). */
  bytes?: Uint8Array;
  /** Value of a 64-bit field (wire type 1) read as a double. */
  double?: number;
  /** Value of a 32-bit field (wire type 5) read as a float. */
  float?: number;
}

export function readFields(buf: Uint8Array): WireField[] {
  const out: WireField[] = [];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated varint');
      const b = buf[pos++]!;
      result |= BigInt(b & 127) << shift;
      if (b < 128) return result;
      shift += 7n;
      if (shift > 70n) throw new Error('varint too long');
    }
  };
  while (pos < buf.length) {
    const key = varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0) throw new Error('field number 0');
    switch (wire) {
      case 0: out.push({ field, wire, varint: varint() }); break;
      case 1:
        if (pos + 8 > buf.length) throw new Error('truncated fixed64');
        out.push({ field, wire, double: view.getFloat64(pos, true) });
        pos += 8;
        break;
      case 2: {
        const len = Number(varint());
        if (pos + len > buf.length) throw new Error('truncated length-delimited field');
        out.push({ field, wire, bytes: buf.subarray(pos, pos + len) });
        pos += len;
        break;
      }
      case 5:
        if (pos + 4 > buf.length) throw new Error('truncated fixed32');
        out.push({ field, wire, float: view.getFloat32(pos, true) });
        pos += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${wire}`);
    }
  }
  return out;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

export function fieldString(f: WireField): string {
  if (!f.bytes) throw new Error(`field ${f.field} is not length-delimited`);
  return decoder.decode(f.bytes);
}
