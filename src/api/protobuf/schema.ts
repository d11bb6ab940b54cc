// The protobuf schema of every built-in kind, compiled once at module load from
// schema.generated.json (made by scripts/gen-protobuf.ts) into lookup structures.

import { readFileSync } from 'node:fs';
import { WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from './wire.ts';

export type ScalarType =
  | 'double' | 'float' | 'int32' | 'int64' | 'uint32' | 'uint64' | 'sint32' | 'sint64'
  | 'fixed32' | 'fixed64' | 'sfixed32' | 'sfixed64' | 'bool' | 'string' | 'bytes';

/** Messages whose JSON is not an object of their fields. */
export type Special =
  | 'time' | 'microtime' | 'duration' | 'quantity' | 'intorstring' | 'rawextension' | 'fieldsv1' | 'stringlist';

export interface FieldInfo {
  readonly number: number;
  readonly jsonName: string;
  /** Position in MessageInfo.fields (Go struct order). */
  readonly index: number;
  /** Scalar type, or undefined for a message (see `message`). For maps: the value type. */
  readonly scalar: ScalarType | undefined;
  /** Referenced message (for maps: the value message). */
  message: MessageInfo | undefined;
  readonly repeated: boolean;
  readonly map: boolean;
  readonly mapKey: ScalarType | undefined;
  /** Go embedded struct: its fields are flattened into the parent's JSON object. */
  readonly inline: boolean;
  /** No omitempty: JSON always has it (an empty list or map is null). */
  readonly required: boolean;
  /** A scalar whose zero value on the wire is kept in JSON (a Go pointer, or a value without omitempty). */
  readonly emitZero: boolean;
  /** Absent from the wire, JSON has the zero value (a Go value field: a scalar's zero, a message's empty form). */
  readonly absentZero: boolean;
  /** Absent from the wire, JSON has null (a nil-able Go field without omitempty). */
  readonly absentNull: boolean;
  /** Go omitzero: a zero value (a zero metav1.Time decodes to null) is left out. */
  readonly omitZero: boolean;
  /** Wire type of one value (maps and messages: length-delimited). */
  readonly wireType: number;
  /** Repeated numeric fields may also arrive packed. */
  readonly packable: boolean;
}

export interface MessageInfo {
  readonly name: string;
  readonly special: Special | undefined;
  /** Go struct (= JSON key) order. */
  readonly fields: readonly FieldInfo[];
  /** Ascending field number: the order Go writes them. */
  readonly encodeOrder: readonly FieldInfo[];
  /** Indexed by field number (numbers are small, so a dense array beats a Map). */
  readonly byNumber: readonly (FieldInfo | undefined)[];
}

type FieldTuple = [number, string, string, string, { proto?: string; key?: string }?];
interface SchemaFile {
  kinds: Record<string, Record<string, string>>;
  messages: Record<string, { special?: Special; fields: FieldTuple[] }>;
}

const scalarWireType: Record<ScalarType, number> = {
  double: WIRE_FIXED64, float: WIRE_FIXED32, int32: WIRE_VARINT, int64: WIRE_VARINT, uint32: WIRE_VARINT,
  uint64: WIRE_VARINT, sint32: WIRE_VARINT, sint64: WIRE_VARINT, fixed32: WIRE_FIXED32, fixed64: WIRE_FIXED64,
  sfixed32: WIRE_FIXED32, sfixed64: WIRE_FIXED64, bool: WIRE_VARINT, string: WIRE_LEN, bytes: WIRE_LEN,
};
const isScalar = (t: string): t is ScalarType => Object.hasOwn(scalarWireType, t);

export function wireTypeOf(t: ScalarType): number {
  return scalarWireType[t];
}

const file = JSON.parse(
  readFileSync(new URL('./schema.generated.json', import.meta.url), 'utf8'),
) as SchemaFile;

const messages = new Map<string, MessageInfo>();
const unresolved: [FieldInfo, string][] = [];
for (const [name, def] of Object.entries(file.messages)) {
  const fields = def.fields.map(([number, jsonName, type, flags, extra], index): FieldInfo => {
    const scalar = isScalar(type) ? type : undefined;
    const map = flags.includes('m');
    const mapKey = extra?.key;
    if (mapKey !== undefined && !isScalar(mapKey)) throw new Error(`protobuf schema: bad map key ${mapKey} in ${name}`);
    const wireType = map || scalar === undefined ? WIRE_LEN : scalarWireType[scalar];
    const field: FieldInfo = {
      number, jsonName, index, scalar, message: undefined,
      repeated: flags.includes('r') || map, map, mapKey,
      inline: flags.includes('i'), required: flags.includes('q'), emitZero: flags.includes('z'),
      absentZero: flags.includes('a'), absentNull: flags.includes('n'), omitZero: flags.includes('o'),
      wireType, packable: !map && flags.includes('r') && wireType !== WIRE_LEN,
    };
    if (scalar === undefined) unresolved.push([field, type]);
    return field;
  });
  messages.set(name, {
    name,
    special: def.special,
    fields,
    encodeOrder: [...fields].sort((a, b) => a.number - b.number),
    byNumber: fieldsByNumber(fields),
  });
}
for (const [field, type] of unresolved) {
  const target = messages.get(type);
  if (!target) throw new Error(`protobuf schema: unknown message ${type}`);
  field.message = target;
}

function fieldsByNumber(fields: FieldInfo[]): (FieldInfo | undefined)[] {
  const max = fields.reduce((m, f) => Math.max(m, f.number), 0);
  if (max > 10000) throw new Error(`protobuf schema: field number ${max} too large for a dense table`);
  const out: (FieldInfo | undefined)[] = new Array(max + 1).fill(undefined);
  for (const f of fields) out[f.number] = f;
  return out;
}

const kinds = new Map<string, MessageInfo>();
for (const [apiVersion, byKind] of Object.entries(file.kinds)) {
  for (const [kind, name] of Object.entries(byKind)) kinds.set(`${apiVersion}\u0000${kind}`, messages.get(name)!);
}

/** The message of a built-in apiVersion/kind, if it has a protobuf form. */
export function messageForKind(apiVersion: string, kind: string): MessageInfo | undefined {
  return kinds.get(`${apiVersion}\u0000${kind}`);
}

/** A message by its proto name without the "k8s.io." prefix, e.g. "api.core.v1.Pod". */
export function messageByName(name: string): MessageInfo | undefined {
  return messages.get(name);
}

/** Every apiVersion/kind with a protobuf form. */
export function knownKinds(): { apiVersion: string; kind: string }[] {
  return [...kinds.keys()].map((k) => {
    const [apiVersion, kind] = k.split('\u0000') as [string, string];
    return { apiVersion, kind };
  });
}
