// Protobuf -> the JSON object Kubernetes would serialize for the same value.

import { Buffer } from 'node:buffer';
import { ProtobufDecodeError } from './errors.ts';
import { messageForKind, wireTypeOf, type FieldInfo, type MessageInfo, type ScalarType } from './schema.ts';
import { formatDuration, formatMicroTime, formatTime, GO_ZERO_TIME_SECONDS } from './well-known.ts';
import { joinInt64, Reader, WIRE_LEN } from './wire.ts';

/** Every Kubernetes protobuf body starts with these four bytes: "k8s\0". */
export const PROTOBUF_MAGIC: Uint8Array = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

/** Deeper nesting than any built-in type has; stops hostile inputs from exhausting the stack. */
const MAX_DEPTH = 100;

export interface TypeHint {
  apiVersion: string;
  kind: string;
}

export function hasMagic(body: Uint8Array): boolean {
  return body.length >= 4 && body[0] === 0x6b && body[1] === 0x38 && body[2] === 0x73 && body[3] === 0x00;
}

/** Reads the runtime.Unknown envelope after the magic and decodes the object inside. */
export function decodeEnvelope(body: Uint8Array, hint: TypeHint | undefined, depth: number): Record<string, unknown> {
  if (!hasMagic(body)) throw new ProtobufDecodeError('not a Kubernetes protobuf object: missing the "k8s\\x00" prefix');
  const r = new Reader(body, 4);
  const end = body.length;
  let apiVersion = '';
  let kind = '';
  let rawStart = 0;
  let rawEnd = 0;
  let contentEncoding = '';
  let contentType = '';
  while (r.pos < end) {
    const tag = r.uint32(end);
    const num = tag >>> 3;
    const wt = tag & 7;
    if (num === 0) throw new ProtobufDecodeError(`invalid field number 0 at byte ${r.pos}`);
    if (num >= 1 && num <= 4) {
      if (wt !== WIRE_LEN) throw wrongWireType('runtime.Unknown', num, wt);
      const stop = r.delimited(end);
      if (num === 1) {
        while (r.pos < stop) {
          const t = r.uint32(stop);
          if ((t & 7) === WIRE_LEN && (t >>> 3 === 1 || t >>> 3 === 2)) {
            const s = r.delimited(stop);
            const text = r.string(r.pos, s);
            if (t >>> 3 === 1) apiVersion = text;
            else kind = text;
            r.pos = s;
          } else if (t >>> 3 === 0) {
            throw new ProtobufDecodeError(`invalid field number 0 at byte ${r.pos}`);
          } else {
            r.skip(t & 7, stop);
          }
        }
      } else if (num === 2) {
        rawStart = r.pos;
        rawEnd = stop;
      } else if (num === 3) {
        contentEncoding = r.string(r.pos, stop);
      } else {
        contentType = r.string(r.pos, stop);
      }
      r.pos = stop;
    } else {
      r.skip(wt, end);
    }
  }
  if (contentEncoding !== '') throw new ProtobufDecodeError(`unsupported protobuf contentEncoding "${contentEncoding}"`);
  if (contentType !== '' && contentType !== 'application/vnd.kubernetes.protobuf') {
    throw new ProtobufDecodeError(`unsupported contentType "${contentType}" inside a protobuf envelope`);
  }
  let msg: MessageInfo | undefined;
  if (apiVersion !== '' || kind !== '') {
    msg = messageForKind(apiVersion, kind);
    if (!msg) throw new ProtobufDecodeError(`no protobuf schema for apiVersion "${apiVersion}", kind "${kind}"`);
  } else if (hint) {
    msg = messageForKind(hint.apiVersion, hint.kind);
    if (!msg) throw new ProtobufDecodeError(`no protobuf schema for apiVersion "${hint.apiVersion}", kind "${hint.kind}"`);
  } else {
    throw new ProtobufDecodeError('protobuf object has no apiVersion and kind');
  }
  r.pos = rawStart;
  const fields = decodeObject(r, rawEnd, msg, depth + 1);
  if (apiVersion === '' && kind === '') return fields;
  // TypeMeta comes first in every Go object: kind, then apiVersion.
  const out: Record<string, unknown> = {};
  if (kind !== '') out.kind = kind;
  if (apiVersion !== '') out.apiVersion = apiVersion;
  return Object.assign(out, fields);
}

function wrongWireType(where: string, num: number, wt: number): ProtobufDecodeError {
  return new ProtobufDecodeError(`field ${num} of ${where} has wrong wire type ${wt}`);
}

/** Own property even for "__proto__" (a valid ConfigMap key). */
function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

/** Decodes the message in [r.pos, end) to its JSON value. */
export function decodeMessage(r: Reader, end: number, msg: MessageInfo, depth: number): unknown {
  if (msg.special !== undefined) return decodeSpecial(r, end, msg, depth);
  return decodeObject(r, end, msg, depth);
}

function decodeObject(r: Reader, end: number, msg: MessageInfo, depth: number): Record<string, unknown> {
  if (depth > MAX_DEPTH) throw new ProtobufDecodeError(`protobuf messages nested deeper than ${MAX_DEPTH}`);
  const fields = msg.fields;
  const values: unknown[] = new Array(fields.length);
  while (r.pos < end) {
    const tag = r.uint32(end);
    const num = tag >>> 3;
    const wt = tag & 7;
    if (num === 0) throw new ProtobufDecodeError(`invalid field number 0 at byte ${r.pos}`);
    const f = msg.byNumber[num];
    if (f === undefined) {
      r.skip(wt, end); // a field of a newer (or older) version
      continue;
    }
    if (f.map) {
      if (wt !== WIRE_LEN) throw wrongWireType(msg.name, num, wt);
      const stop = r.delimited(end);
      const obj = (values[f.index] ??= {}) as Record<string, unknown>;
      decodeMapEntry(r, stop, f, obj, msg, depth);
    } else if (f.repeated) {
      const list = (values[f.index] ??= []) as unknown[];
      if (wt === f.wireType) {
        list.push(decodeValue(r, end, f, depth));
      } else if (wt === WIRE_LEN && f.packable) {
        const stop = r.delimited(end);
        while (r.pos < stop) list.push(readScalar(r, stop, f.scalar!));
      } else {
        throw wrongWireType(msg.name, num, wt);
      }
    } else {
      if (wt !== f.wireType) throw wrongWireType(msg.name, num, wt);
      values[f.index] = decodeValue(r, end, f, depth);
    }
  }

  // Which fields JSON has follows what Go's marshaller puts on the wire and what
  // encoding/json then writes: value fields are always on the wire, nil-able ones
  // (pointers, slices, maps, []byte) only when set, so presence on the wire tells an
  // explicit zero from an unset pointer; the schema flags say what Go writes for each.
  const out: Record<string, unknown> = {};
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    let v = values[i];
    if (v === undefined || (f.repeated && !f.map && (v as unknown[]).length === 0)) {
      if (f.repeated) {
        // Go marshals a nil slice or map without omitempty as null.
        if (f.required) out[f.jsonName] = null;
        continue;
      }
      if (f.absentNull) {
        out[f.jsonName] = null;
        continue;
      }
      if (!f.absentZero) continue;
      // A value field another encoder left out: Go decodes it as the zero value.
      v = f.scalar !== undefined ? zeroScalar(f.scalar) : decodeMessage(new Reader(EMPTY), 0, f.message!, depth + 1);
    }
    if (f.inline) {
      Object.assign(out, v);
      continue;
    }
    if (f.scalar !== undefined ? !f.emitZero && isZero(v) : f.omitZero && v === null) continue;
    out[f.jsonName] = v;
  }
  return out;
}

const EMPTY = new Uint8Array(0);

function decodeValue(r: Reader, end: number, f: FieldInfo, depth: number): unknown {
  if (f.scalar !== undefined) return readScalar(r, end, f.scalar);
  const stop = r.delimited(end);
  const v = decodeMessage(r, stop, f.message!, depth + 1);
  r.pos = stop;
  return v;
}

function decodeMapEntry(
  r: Reader, stop: number, f: FieldInfo, into: Record<string, unknown>, owner: MessageInfo, depth: number,
): void {
  let key: unknown;
  let value: unknown;
  while (r.pos < stop) {
    const tag = r.uint32(stop);
    const num = tag >>> 3;
    const wt = tag & 7;
    if (num === 1) {
      if (wt !== wireTypeOf(f.mapKey!)) throw wrongWireType(`${owner.name}.${f.jsonName} key`, num, wt);
      key = readScalar(r, stop, f.mapKey!);
    } else if (num === 2) {
      if (wt !== f.wireType) throw wrongWireType(`${owner.name}.${f.jsonName} value`, num, wt);
      value = decodeValue(r, stop, f, depth);
    } else if (num === 0) {
      throw new ProtobufDecodeError(`invalid field number 0 at byte ${r.pos}`);
    } else {
      r.skip(wt, stop);
    }
  }
  // A missing key or value is the zero value, as in Go.
  if (value === undefined) {
    if (f.scalar !== undefined) value = zeroScalar(f.scalar);
    else {
      value = decodeMessage(new Reader(EMPTY), 0, f.message!, depth + 1);
    }
  }
  setKey(into, key === undefined ? '' : String(key), value);
}

function zeroScalar(t: ScalarType): unknown {
  return t === 'string' || t === 'bytes' ? '' : t === 'bool' ? false : 0;
}

function readScalar(r: Reader, end: number, t: ScalarType): unknown {
  switch (t) {
    case 'string': {
      const stop = r.delimited(end);
      const s = r.string(r.pos, stop);
      r.pos = stop;
      return s;
    }
    case 'bytes': {
      const stop = r.delimited(end);
      const b = Buffer.from(r.buf.buffer, r.buf.byteOffset + r.pos, stop - r.pos).toString('base64');
      r.pos = stop;
      return b;
    }
    case 'int32': return r.int32(end);
    case 'int64': return r.int64(end);
    case 'uint32': r.varint64(end); return r.lo;
    case 'uint64': return r.uint64(end);
    case 'bool': return r.bool(end);
    case 'sint32': {
      r.varint64(end);
      return (r.lo >>> 1) ^ -(r.lo & 1);
    }
    case 'sint64': {
      r.varint64(end);
      const u = r.hi * 4294967296 + r.lo;
      return r.lo & 1 ? -(u + 1) / 2 : u / 2;
    }
    case 'fixed32': return r.fixed32(end);
    case 'sfixed32': return r.fixed32(end) | 0;
    case 'fixed64': r.fixed64Parts(end); return r.hi * 4294967296 + r.lo;
    case 'sfixed64': r.fixed64Parts(end); return joinInt64(r.lo, r.hi);
    case 'float':
    case 'double': {
      const v = t === 'float' ? r.float(end) : r.double(end);
      if (!Number.isFinite(v)) throw new ProtobufDecodeError(`${v} has no JSON form`);
      return v;
    }
  }
}

// ---------------------------------------------------------------------------
// Messages whose JSON is not an object of their fields.

function decodeSpecial(r: Reader, end: number, msg: MessageInfo, depth: number): unknown {
  const start = r.pos;
  switch (msg.special) {
    case 'time':
    case 'microtime': {
      if (start === end) return null; // Go writes the zero time as an empty message
      let seconds = 0;
      let nanos = 0;
      scan(r, end, msg, (num) => {
        if (num === 1) seconds = r.int64(end);
        else if (num === 2) nanos = r.int32(end);
        else return false;
        return true;
      });
      if (seconds === GO_ZERO_TIME_SECONDS && nanos === 0) return null;
      if (nanos < 0 || nanos > 999999999) throw new ProtobufDecodeError(`timestamp nanos ${nanos} out of range`);
      const text = msg.special === 'time' ? formatTime(seconds) : formatMicroTime(seconds, nanos);
      if (text === undefined) throw new ProtobufDecodeError(`timestamp ${seconds} is outside years 0000-9999`);
      return text;
    }
    case 'duration': {
      let nanos = 0;
      scan(r, end, msg, (num) => (num === 1 ? ((nanos = r.int64(end)), true) : false));
      return formatDuration(nanos);
    }
    case 'quantity': {
      let text = '0'; // the zero Quantity
      scan(r, end, msg, (num, wt) => (num === 1 && wt === WIRE_LEN ? ((text = readScalar(r, end, 'string') as string), true) : false));
      return text;
    }
    case 'intorstring': {
      let type = 0;
      let intVal = 0;
      let strVal = '';
      scan(r, end, msg, (num, wt) => {
        if (num === 1) type = r.int64(end);
        else if (num === 2) intVal = r.int32(end);
        else if (num === 3 && wt === WIRE_LEN) strVal = readScalar(r, end, 'string') as string;
        else return false;
        return true;
      });
      if (type === 0) return intVal;
      if (type === 1) return strVal;
      throw new ProtobufDecodeError(`IntOrString has invalid type ${type}`);
    }
    case 'rawextension':
    case 'fieldsv1': {
      let rawStart = -1;
      let rawEnd = -1;
      scan(r, end, msg, (num, wt) => {
        if (num !== 1 || wt !== WIRE_LEN) return false;
        rawEnd = r.delimited(end);
        rawStart = r.pos;
        r.pos = rawEnd;
        return true;
      });
      if (rawStart < 0 || rawStart === rawEnd) return null;
      const raw = r.buf.subarray(rawStart, rawEnd);
      // An embedded object may itself be protobuf (as in watch events).
      if (msg.special === 'rawextension' && hasMagic(raw)) {
        if (depth > MAX_DEPTH) throw new ProtobufDecodeError(`protobuf messages nested deeper than ${MAX_DEPTH}`);
        return decodeEnvelope(raw, undefined, depth);
      }
      try {
        return JSON.parse(r.string(rawStart, rawEnd));
      } catch {
        throw new ProtobufDecodeError(`${msg.name} at byte ${rawStart} holds neither JSON nor protobuf`);
      }
    }
    case 'stringlist': {
      const items: string[] = [];
      scan(r, end, msg, (num, wt) => (num === 1 && wt === WIRE_LEN ? (items.push(readScalar(r, end, 'string') as string), true) : false));
      return items;
    }
  }
  throw new Error(`unhandled special message ${msg.name}`);
}

/**
 * Walks the fields of a small well-known message. `read` consumes a field it
 * knows and returns true; unknown fields are skipped after a wire type check.
 */
function scan(r: Reader, end: number, msg: MessageInfo, read: (num: number, wt: number) => boolean): void {
  while (r.pos < end) {
    const tag = r.uint32(end);
    const num = tag >>> 3;
    const wt = tag & 7;
    if (num === 0) throw new ProtobufDecodeError(`invalid field number 0 at byte ${r.pos}`);
    const f = msg.byNumber[num];
    if (f !== undefined && wt !== f.wireType) throw wrongWireType(msg.name, num, wt);
    if (!read(num, wt)) r.skip(wt, end);
  }
}
