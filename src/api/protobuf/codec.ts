// Kubernetes protobuf bodies (Content-Type application/vnd.kubernetes.protobuf):
// the "k8s\0" magic, then a runtime.Unknown envelope {typeMeta, raw,
// contentEncoding, contentType} whose raw bytes are the object's message.
// Objects on our side are the JSON Kubernetes serializes for them.

import { decodeEnvelope, decodeMessage, PROTOBUF_MAGIC, type TypeHint } from './decode.ts';
import { encodeMessage } from './encode.ts';
import { ProtobufDecodeError, ProtobufEncodeError } from './errors.ts';
import { messageByName, messageForKind, type MessageInfo } from './schema.ts';
import { Reader, WIRE_LEN, Writer } from './wire.ts';

export { ProtobufDecodeError, ProtobufEncodeError } from './errors.ts';
export { knownKinds } from './schema.ts';
export type { TypeHint } from './decode.ts';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';
export const PROTOBUF_WATCH_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf;stream=watch';

/** True if apiVersion/kind has a protobuf form (built-in kinds; not custom resources). */
export function hasProtobufSchema(apiVersion: string, kind: string): boolean {
  return messageForKind(apiVersion, kind) !== undefined;
}

/**
 * Decodes a protobuf body to the JSON object Kubernetes would serialize, with
 * apiVersion and kind from the envelope. `hint` names the type when the envelope
 * carries none (as for a bare WatchEvent). Throws ProtobufDecodeError on any
 * malformed input.
 */
export function decodeProtobufObject(body: Uint8Array, hint?: TypeHint): Record<string, unknown> {
  try {
    return decodeEnvelope(body, hint, 0);
  } catch (e) {
    throw asDecodeError(e);
  }
}

/**
 * Encodes a JSON object of a built-in kind (apiVersion and kind taken from the
 * object, else from `hint`) as a protobuf body. Fields the schema does not know
 * are dropped, as Go drops unknown JSON fields. Throws ProtobufEncodeError.
 */
export function encodeProtobufObject(obj: Record<string, unknown>, hint?: TypeHint): Uint8Array {
  const w = new Writer();
  w.raw(PROTOBUF_MAGIC);
  writeEnvelope(w, obj, hint);
  return w.finish();
}

function writeEnvelope(w: Writer, obj: Record<string, unknown>, hint: TypeHint | undefined): void {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new ProtobufEncodeError('expected an object');
  const apiVersion = obj.apiVersion ?? '';
  const kind = obj.kind ?? '';
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') throw new ProtobufEncodeError('apiVersion and kind must be strings');
  const msg = apiVersion !== '' || kind !== ''
    ? messageForKind(apiVersion, kind)
    : hint && messageForKind(hint.apiVersion, hint.kind);
  if (!msg) {
    const [v, k] = apiVersion !== '' || kind !== '' || !hint ? [apiVersion, kind] : [hint.apiVersion, hint.kind];
    throw new ProtobufEncodeError(`no protobuf schema for apiVersion "${v}", kind "${k}"`);
  }
  // runtime.Unknown: 1 typeMeta {1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType
  w.tag(1, WIRE_LEN);
  const typeMeta = w.beginDelimited();
  w.tag(1, WIRE_LEN);
  w.string(apiVersion);
  w.tag(2, WIRE_LEN);
  w.string(kind);
  w.endDelimited(typeMeta);
  w.tag(2, WIRE_LEN);
  const raw = w.beginDelimited();
  encodeMessage(w, obj, msg, '', 0);
  w.endDelimited(raw);
  w.tag(3, WIRE_LEN);
  w.string('');
  w.tag(4, WIRE_LEN);
  w.string('');
}

// ---------------------------------------------------------------------------
// Watch streams (application/vnd.kubernetes.protobuf;stream=watch): each event is
// a 4-byte big-endian length, then a bare metav1.WatchEvent message (no magic, no
// envelope) whose object is a complete protobuf body of its own.

const watchEvent: MessageInfo = messageByName('apimachinery.pkg.apis.meta.v1.WatchEvent')!;

/** One watch frame: length prefix plus WatchEvent{type, object}. */
export function encodeProtobufWatchFrame(type: string, object: Record<string, unknown>): Uint8Array {
  const w = new Writer();
  w.raw(new Uint8Array(4)); // length, filled in below
  w.tag(1, WIRE_LEN);
  w.string(type);
  w.tag(2, WIRE_LEN);
  const ext = w.beginDelimited();
  w.tag(1, WIRE_LEN); // RawExtension.raw
  const raw = w.beginDelimited();
  w.raw(PROTOBUF_MAGIC);
  writeEnvelope(w, object, undefined);
  w.endDelimited(raw);
  w.endDelimited(ext);
  const frame = w.finish();
  new DataView(frame.buffer).setUint32(0, frame.length - 4, false);
  return frame;
}

/** Decodes one watch frame's message (without its length prefix) to {type, object}. */
export function decodeProtobufWatchEvent(message: Uint8Array): { type: string; object: unknown } {
  try {
    const r = new Reader(message);
    const event = decodeMessage(r, message.length, watchEvent, 0) as { type?: string; object?: unknown };
    return { type: event.type ?? '', object: event.object ?? null };
  } catch (e) {
    throw asDecodeError(e);
  }
}

/** Anything the decoder throws (a stack overflow on hostile input included) becomes a ProtobufDecodeError. */
function asDecodeError(e: unknown): ProtobufDecodeError {
  if (e instanceof ProtobufDecodeError) return e;
  return new ProtobufDecodeError(`invalid protobuf data: ${e instanceof Error ? e.message : String(e)}`);
}
