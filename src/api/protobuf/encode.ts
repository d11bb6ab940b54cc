// JSON object -> protobuf, writing fields in ascending number and map entries in
// sorted key order, as Go's generated marshallers do.

import { Buffer } from 'node:buffer';
import { ProtobufEncodeError } from './errors.ts';
import { wireTypeOf, type FieldInfo, type MessageInfo, type ScalarType } from './schema.ts';
import { parseDuration, parseTime } from './well-known.ts';
import { WIRE_LEN, WIRE_VARINT, Writer } from './wire.ts';

const MAX_DEPTH = 100;
const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function fail(path: string, what: string): never {
  throw new ProtobufEncodeError(`${path || '<root>'}: ${what}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Special messages whose empty form reads back as JSON null. */
const nullable = new Set(['time', 'microtime', 'rawextension', 'fieldsv1']);

/** Writes the body (no tag, no length) of `msg` from its JSON value. */
export function encodeMessage(w: Writer, value: unknown, msg: MessageInfo, path: string, depth: number): void {
  if (depth > MAX_DEPTH) fail(path, `nested deeper than ${MAX_DEPTH}`);
  if (msg.special !== undefined) {
    encodeSpecial(w, value, msg, path);
    return;
  }
  if (value === null) return; // a zero struct
  if (!isObject(value)) fail(path, `expected an object for ${msg.name}`);
  for (const f of msg.encodeOrder) {
    if (f.inline) {
      // An embedded struct reads its fields from the same JSON object.
      w.tag(f.number, WIRE_LEN);
      const at = w.beginDelimited();
      encodeMessage(w, value, f.message!, path, depth + 1);
      w.endDelimited(at);
      continue;
    }
    const v = value[f.jsonName];
    if (v === undefined) continue;
    const fieldPath = path ? `${path}.${f.jsonName}` : f.jsonName;
    if (v === null) {
      // null is nil for lists, maps and pointers; a value Time/RawExtension keeps its empty form.
      if (!f.repeated && f.message?.special !== undefined && nullable.has(f.message.special)) {
        w.tag(f.number, WIRE_LEN);
        w.byte(0);
      }
      continue;
    }
    if (f.map) encodeMap(w, v, f, fieldPath, depth);
    else if (f.repeated) {
      if (!Array.isArray(v)) fail(fieldPath, 'expected an array');
      for (let i = 0; i < v.length; i++) {
        const item = v[i] === null && f.scalar !== undefined ? zeroOf(f.scalar) : v[i];
        encodeValue(w, item, f, `${fieldPath}[${i}]`, depth);
      }
    } else {
      encodeValue(w, v, f, fieldPath, depth);
    }
  }
}

/** Writes one value of field f; `number` is the field's own, or 2 for a map entry's value. */
function encodeValue(w: Writer, v: unknown, f: FieldInfo, path: string, depth: number, number = f.number): void {
  if (f.scalar !== undefined) {
    w.tag(number, f.wireType);
    writeScalar(w, v, f.scalar, path);
    return;
  }
  w.tag(number, WIRE_LEN);
  const at = w.beginDelimited();
  encodeMessage(w, v, f.message!, path, depth + 1);
  w.endDelimited(at);
}

function encodeMap(w: Writer, v: unknown, f: FieldInfo, path: string, depth: number): void {
  if (!isObject(v)) fail(path, 'expected an object');
  const keys = Object.keys(v).sort();
  for (const key of keys) {
    const item = v[key];
    if (item === undefined) continue;
    w.tag(f.number, WIRE_LEN);
    const at = w.beginDelimited();
    w.tag(1, wireTypeOf(f.mapKey!));
    writeScalar(w, f.mapKey === 'string' ? key : Number(key), f.mapKey!, `${path}[${key}]`);
    // Go writes the value even when it is the zero value.
    encodeValue(w, item === null && f.scalar !== undefined ? zeroOf(f.scalar) : item, f, `${path}[${key}]`, depth, 2);
    w.endDelimited(at);
  }
}

function zeroOf(t: ScalarType): unknown {
  return t === 'string' || t === 'bytes' ? '' : t === 'bool' ? false : 0;
}

function integer(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(path, `expected an integer, got ${JSON.stringify(v)}`);
  if (v < min || v > max) fail(path, `${v} is out of range`);
  return v;
}

function writeScalar(w: Writer, v: unknown, t: ScalarType, path: string): void {
  switch (t) {
    case 'string':
      if (typeof v !== 'string') fail(path, `expected a string, got ${JSON.stringify(v)}`);
      w.string(v);
      return;
    case 'bytes':
      if (typeof v !== 'string' || !base64.test(v)) fail(path, 'expected base64-encoded bytes');
      w.bytes(Buffer.from(v, 'base64'));
      return;
    case 'bool':
      if (typeof v !== 'boolean') fail(path, `expected a boolean, got ${JSON.stringify(v)}`);
      w.byte(v ? 1 : 0);
      return;
    case 'int32':
      w.int64(integer(v, path, -0x80000000, 0x7fffffff));
      return;
    case 'int64':
      w.int64(integer(v, path, -(2 ** 63), 2 ** 63 - 1));
      return;
    case 'uint32':
      w.uint32(integer(v, path, 0, 0xffffffff));
      return;
    case 'uint64': {
      const n = integer(v, path, 0, 2 ** 64 - 1);
      w.varint64(n % 4294967296 >>> 0, Math.floor(n / 4294967296) >>> 0);
      return;
    }
    case 'sint32': {
      const n = integer(v, path, -0x80000000, 0x7fffffff);
      w.uint32(((n << 1) ^ (n >> 31)) >>> 0);
      return;
    }
    case 'sint64': {
      const n = integer(v, path, -(2 ** 63), 2 ** 63 - 1);
      const z = n >= 0 ? n * 2 : -n * 2 - 1;
      w.varint64(z % 4294967296 >>> 0, Math.floor(z / 4294967296) >>> 0);
      return;
    }
    case 'fixed32':
    case 'sfixed32':
      w.fixed32(integer(v, path, t === 'fixed32' ? 0 : -0x80000000, t === 'fixed32' ? 0xffffffff : 0x7fffffff));
      return;
    case 'fixed64':
    case 'sfixed64': {
      const n = integer(v, path, t === 'fixed64' ? 0 : -(2 ** 63), t === 'fixed64' ? 2 ** 64 - 1 : 2 ** 63 - 1);
      const hi = Math.floor(n / 4294967296);
      w.fixed64(n - hi * 4294967296, hi >>> 0);
      return;
    }
    case 'float':
    case 'double':
      if (typeof v !== 'number') fail(path, `expected a number, got ${JSON.stringify(v)}`);
      if (t === 'float') w.float(v);
      else w.double(v);
      return;
  }
}

// ---------------------------------------------------------------------------

function encodeSpecial(w: Writer, v: unknown, msg: MessageInfo, path: string): void {
  switch (msg.special) {
    case 'time':
    case 'microtime': {
      if (v === null) return; // the zero time
      if (typeof v !== 'string') fail(path, 'expected an RFC 3339 time string');
      const t = parseTime(v);
      if (!t) fail(path, `invalid RFC 3339 time ${JSON.stringify(v)}`);
      w.tag(1, WIRE_VARINT);
      w.int64(t.seconds);
      w.tag(2, WIRE_VARINT);
      // metav1.Time keeps whole seconds only; MicroTime keeps microseconds.
      w.int64(msg.special === 'time' ? 0 : Math.floor(t.nanos / 1000) * 1000);
      return;
    }
    case 'duration': {
      if (v === null) return;
      const ns = typeof v === 'string' ? parseDuration(v) : undefined;
      if (ns === undefined) fail(path, `invalid duration ${JSON.stringify(v)}`);
      w.tag(1, WIRE_VARINT);
      w.int64(ns);
      return;
    }
    case 'quantity': {
      if (v === null) return;
      if (typeof v !== 'string' && typeof v !== 'number') fail(path, 'expected a quantity string');
      w.tag(1, WIRE_LEN);
      w.string(String(v));
      return;
    }
    case 'intorstring': {
      if (v === null) return;
      const isString = typeof v === 'string';
      if (!isString) integer(v, path, -0x80000000, 0x7fffffff);
      w.tag(1, WIRE_VARINT);
      w.int64(isString ? 1 : 0);
      w.tag(2, WIRE_VARINT);
      w.int64(isString ? 0 : (v as number));
      w.tag(3, WIRE_LEN);
      w.string(isString ? v : '');
      return;
    }
    case 'rawextension':
    case 'fieldsv1': {
      if (v === null) return;
      w.tag(1, WIRE_LEN);
      w.bytes(Buffer.from(JSON.stringify(v), 'utf8'));
      return;
    }
    case 'stringlist': {
      if (v === null) return;
      if (!Array.isArray(v)) fail(path, 'expected an array of strings');
      for (let i = 0; i < v.length; i++) {
        w.tag(1, WIRE_LEN);
        writeScalar(w, v[i], 'string', `${path}[${i}]`);
      }
      return;
    }
  }
  throw new Error(`unhandled special message ${msg.name}`);
}
