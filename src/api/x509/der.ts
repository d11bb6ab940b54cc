// A minimal DER reader: enough of ASN.1 to walk a PKCS#10 certificate request
// (definite lengths, single-byte tags). Errors are Go's asn1 package's words.

export class Asn1Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Asn1Error';
  }
}

/** One TLV: its tag byte, its whole encoding and its contents. */
export interface Tlv {
  readonly tag: number;
  /** The whole encoding (tag, length and contents). */
  readonly raw: Buffer;
  readonly content: Buffer;
}

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  t61String: 0x14,
  ia5String: 0x16,
  universalString: 0x1c,
  bmpString: 0x1e,
  sequence: 0x30,
  set: 0x31,
} as const;

/** The TLV at `offset` of `buf`, and where the next one starts. */
export function readTlv(buf: Buffer, offset = 0): { tlv: Tlv; next: number } {
  if (offset >= buf.length) throw new Asn1Error('asn1: syntax error: sequence truncated');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new Asn1Error('asn1: syntax error: multi-byte tags are not supported');
  let pos = offset + 1;
  if (pos >= buf.length) throw new Asn1Error('asn1: syntax error: data truncated');
  let length = buf[pos++]!;
  if (length === 0x80) throw new Asn1Error('asn1: syntax error: indefinite length found (not DER)');
  if (length > 0x80) {
    const n = length & 0x7f;
    if (n > 4) throw new Asn1Error('asn1: structure error: length too large');
    if (pos + n > buf.length) throw new Asn1Error('asn1: syntax error: data truncated');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[pos++]!;
    if (length < 0x80 || (n > 1 && buf[pos - n] === 0)) throw new Asn1Error('asn1: structure error: superfluous leading zeros in length');
  }
  const end = pos + length;
  if (end > buf.length) throw new Asn1Error('asn1: syntax error: data truncated');
  return { tlv: { tag, raw: buf.subarray(offset, end), content: buf.subarray(pos, end) }, next: end };
}

/** The one TLV `buf` holds: anything after it is an error. */
export function readOnly(buf: Buffer): Tlv {
  const { tlv, next } = readTlv(buf, 0);
  if (next !== buf.length) throw new Asn1Error('asn1: syntax error: trailing data');
  return tlv;
}

/** The TLVs inside a constructed TLV's contents. */
export function childrenOf(tlv: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let pos = 0; pos < tlv.content.length;) {
    const { tlv: child, next } = readTlv(tlv.content, pos);
    out.push(child);
    pos = next;
  }
  return out;
}

/** `tlv` when it has `tag`, else a structure error naming `what`. */
export function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv) throw new Asn1Error(`asn1: syntax error: missing ${what}`);
  if (tlv.tag !== tag) throw new Asn1Error(`asn1: structure error: tags don't match (${what})`);
  return tlv;
}

/** The dotted text of an OBJECT IDENTIFIER's contents. */
export function oidText(content: Buffer): string {
  if (content.length === 0) throw new Asn1Error('asn1: syntax error: zero length OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < content.length; i++) {
    const b = content[i]!;
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER) throw new Asn1Error('asn1: structure error: base 128 integer too large');
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) {
        if (value < 80) arcs.push(Math.floor(value / 40), value % 40);
        else arcs.push(2, value - 80);
      } else {
        arcs.push(value);
      }
      value = 0;
    } else if (i === content.length - 1) {
      throw new Asn1Error('asn1: syntax error: truncated base 128 integer');
    }
  }
  return arcs.join('.');
}

/** The text of a directory string (UTF8String, PrintableString, IA5String, T61String, BMPString, UniversalString). */
export function stringValue(tlv: Tlv): string {
  switch (tlv.tag) {
    case TAG.utf8String: return tlv.content.toString('utf8');
    case TAG.printableString: case TAG.ia5String: return tlv.content.toString('ascii');
    case TAG.t61String: return tlv.content.toString('latin1');
    case TAG.bmpString: {
      if (tlv.content.length % 2 !== 0) throw new Asn1Error('asn1: structure error: invalid BMPString');
      const swapped = Buffer.from(tlv.content);
      swapped.swap16();
      return swapped.toString('utf16le');
    }
    case TAG.universalString: {
      if (tlv.content.length % 4 !== 0) throw new Asn1Error('asn1: structure error: invalid UniversalString');
      let s = '';
      for (let i = 0; i < tlv.content.length; i += 4) s += String.fromCodePoint(tlv.content.readUInt32BE(i));
      return s;
    }
    default: throw new Asn1Error(`asn1: structure error: unsupported string type ${tlv.tag}`);
  }
}

/** The bits of a BIT STRING with no unused bits (signatures, keys). */
export function bitStringBytes(tlv: Tlv): Buffer {
  expectTag(tlv, TAG.bitString, 'BIT STRING');
  if (tlv.content.length === 0 || tlv.content[0] !== 0) throw new Asn1Error('asn1: structure error: invalid padding bits in BIT STRING');
  return tlv.content.subarray(1);
}
