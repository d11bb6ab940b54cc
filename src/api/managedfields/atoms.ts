// How server-side apply sees a schema: every node resolves to an "atom" that is a
// scalar, a list (atomic, a set, or a map keyed by some fields of its items) and/or a
// map (a struct of declared fields, a map of arbitrary keys, or both; granular or
// atomic). The rules follow upstream's conversion of OpenAPI into merge schemas:
//
// - `x-kubernetes-list-type` decides lists; without it, `patchStrategy: merge` makes a
//   list keyed by `patchMergeKey` (a set when there is no key), anything else is atomic;
// - `x-kubernetes-map-type: atomic` makes a map or struct one leaf; a property that
//   refers to a definition may override the definition's map type;
// - objects with no properties and no additionalProperties (and every object below
//   `x-kubernetes-preserve-unknown-fields`) accept any key, whose values are
//   "deduced": granular maps, atomic lists, scalars;
// - RawExtension is wholly atomic; Quantity, IntOrString and formats are scalars;
//   other opaque values (apiextensions JSON, FieldsV1) are deduced.
import type { JsonValue } from '../types.ts';
import type { SchemaNode } from '../schema/types.ts';
import { definition, deref, refName } from '../schema/index.ts';

export type ScalarKind = 'numeric' | 'string' | 'boolean' | 'untyped';

/** A reference to a type: a schema node, or one of the built-in untyped types. */
export type TypeRef =
  | { readonly node: SchemaNode; readonly pu: boolean }
  | { readonly builtin: 'deduced' | 'untyped' }
  /** No type: a field that is not declared where unknown fields are not allowed. */
  | { readonly none: true };

export interface ListAtom {
  readonly atomic: boolean;
  /** For associative lists: the key fields (empty for a set). */
  readonly keys: readonly string[];
  readonly elem: TypeRef;
}

export interface MapAtom {
  readonly atomic: boolean;
  /** Declared fields (struct), or none. */
  readonly fields: ReadonlyMap<string, TypeRef>;
  /** Type of other keys; `{none: true}` when they are not allowed. */
  readonly elem: TypeRef;
}

export interface Atom {
  readonly scalar?: ScalarKind;
  readonly list?: ListAtom;
  readonly map?: MapAtom;
}

export const DEDUCED: TypeRef = Object.freeze({ builtin: 'deduced' as const });
export const UNTYPED: TypeRef = Object.freeze({ builtin: 'untyped' as const });
export const NONE: TypeRef = Object.freeze({ none: true as const });
const EMPTY_FIELDS: ReadonlyMap<string, TypeRef> = new Map();

const untypedAtom: Atom = {
  scalar: 'untyped',
  list: { atomic: true, keys: [], elem: UNTYPED },
  map: { atomic: true, fields: EMPTY_FIELDS, elem: UNTYPED },
};
const deducedAtom: Atom = {
  scalar: 'untyped',
  list: { atomic: true, keys: [], elem: UNTYPED },
  map: { atomic: false, fields: EMPTY_FIELDS, elem: DEDUCED },
};

const RAW_EXTENSION = 'io.k8s.apimachinery.pkg.runtime.RawExtension';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/**
 * Defaults of associative-list key fields that the published OpenAPI v2 leaves out but
 * the server's own models carry (`+default=` markers), by definition and field.
 */
const keyDefaults: Record<string, Record<string, JsonValue>> = {
  'io.k8s.api.core.v1.ContainerPort': { protocol: 'TCP' },
  'io.k8s.api.core.v1.ServicePort': { protocol: 'TCP' },
};

export function typeRef(node: SchemaNode, pu = false): TypeRef {
  return { node, pu };
}

const cache = [new WeakMap<SchemaNode, Atom>(), new WeakMap<SchemaNode, Atom>()];

/** The atom a type reference stands for; an empty atom when there is none. */
export function resolve(tr: TypeRef): Atom {
  if ('none' in tr) return {};
  if ('builtin' in tr) return tr.builtin === 'deduced' ? deducedAtom : untypedAtom;
  const c = cache[tr.pu ? 1 : 0]!;
  let a = c.get(tr.node);
  if (!a) {
    a = resolveNode(tr.node, tr.pu);
    c.set(tr.node, a);
  }
  return a;
}

function resolveNode(n: SchemaNode, inheritedPu: boolean): Atom {
  if (n.ref !== undefined) {
    const name = refName(n);
    if (name === RAW_EXTENSION) return untypedAtom;
    if (name === QUANTITY) return { scalar: 'untyped' };
    const d = deref(n);
    // A referenced definition is converted on its own: unknown-field preservation
    // below a property does not carry into it.
    const atom = resolveDef(d, d.preserveUnknownFields === true || n.preserveUnknownFields === true);
    const override = n.mapType === 'atomic' ? true : n.mapType === 'granular' ? false : undefined;
    if (override === undefined) return atom;
    return {
      ...atom,
      ...(atom.map ? { map: { ...atom.map, atomic: override } } : {}),
      ...(atom.list ? { list: { ...atom.list, atomic: override } } : {}),
    };
  }
  return resolveDef(n, inheritedPu || n.preserveUnknownFields === true);
}

function resolveDef(d: SchemaNode, pu: boolean): Atom {
  if (d.opaque) return deducedAtom;
  if (d.intOrString || d.format === 'int-or-string') return { scalar: 'untyped' };
  switch (d.type) {
    case 'object': return { map: objectAtom(d, pu) };
    case 'array': return { list: listAtom(d, pu) };
    case 'integer': case 'number': return { scalar: 'numeric' };
    case 'boolean': return { scalar: 'boolean' };
    case 'string': return { scalar: d.format === undefined || d.format === '' || d.format === 'byte' ? 'string' : 'untyped' };
    default:
      if (d.properties !== undefined || d.additionalProperties !== undefined) return { map: objectAtom(d, pu) };
      if (d.items !== undefined) return { list: listAtom(d, pu) };
      return { scalar: 'untyped', list: listAtom(d, pu), map: objectAtom(d, pu) };
  }
}

function objectAtom(d: SchemaNode, pu: boolean): MapAtom {
  const fields = new Map<string, TypeRef>();
  for (const [k, v] of Object.entries(d.properties ?? {})) fields.set(k, { node: v, pu });
  let elem: TypeRef;
  const ap = d.additionalProperties;
  if (ap === undefined) elem = pu || fields.size === 0 ? DEDUCED : NONE;
  else if (ap === true) elem = DEDUCED;
  else elem = { node: ap, pu };
  return { atomic: d.mapType === 'atomic', fields, elem };
}

function listAtom(d: SchemaNode, pu: boolean): ListAtom {
  const elem: TypeRef = d.items ? { node: d.items, pu } : UNTYPED;
  switch (d.listType) {
    case 'atomic': return { atomic: true, keys: [], elem };
    case 'set': return { atomic: false, keys: [], elem };
    case 'map': return { atomic: false, keys: d.listMapKeys ?? [], elem };
    case undefined: break;
    default: return { atomic: true, keys: [], elem };
  }
  const ps = d.patchStrategy;
  if (ps === 'merge' || ps === 'merge,retainKeys') {
    return { atomic: false, keys: d.patchMergeKey ? [d.patchMergeKey] : [], elem };
  }
  return { atomic: true, keys: [], elem };
}

/** The type of field `key` of a map atom: its declared type, or the map's value type. */
export function fieldType(m: MapAtom, key: string): TypeRef {
  return m.fields.get(key) ?? m.elem;
}

/** The default of a key field of an associative list's items, if any. */
export function keyFieldDefault(list: ListAtom, field: string): JsonValue | undefined {
  const elem = list.elem;
  if (!('node' in elem)) return undefined;
  const name = refName(elem.node);
  if (name && keyDefaults[name] && Object.prototype.hasOwnProperty.call(keyDefaults[name], field)) return keyDefaults[name][field];
  const d = deref(elem.node);
  const p = d.properties?.[field];
  if (!p) return undefined;
  return p.default ?? deref(p).default;
}

/** True when the item type of an associative list is a map (as keys need). */
export function elemIsMap(list: ListAtom): boolean {
  return resolve(list.elem).map !== undefined;
}

const roots = new WeakMap<SchemaNode, SchemaNode>();

/**
 * The schema of a whole object: the kind's schema, with `apiVersion` and `kind` strings
 * and, unless the schema refers to a metadata type, `metadata` as ObjectMeta (upstream
 * builds custom resources' models that way).
 */
export function rootType(schema: SchemaNode): TypeRef {
  let r = roots.get(schema);
  if (!r) {
    const d = deref(schema);
    const props = d.properties ?? {};
    // Built-in kinds refer to their metadata type (ObjectMeta, ListMeta); custom
    // resources' schemas describe it inline, or not at all.
    const metaOk = props['metadata'] !== undefined && props['metadata'].ref !== undefined;
    const isObject = d.type === 'object' || d.properties !== undefined || d.opaque === true || d.preserveUnknownFields === true;
    if (isObject && (!props['apiVersion'] || !props['kind'] || !metaOk) && definition(OBJECT_META)) {
      const extra: Record<string, SchemaNode> = { metadata: { ref: OBJECT_META } };
      if (!props['apiVersion']) extra['apiVersion'] = { type: 'string' };
      if (!props['kind']) extra['kind'] = { type: 'string' };
      r = { ...d, type: 'object', opaque: undefined, properties: { ...props, ...extra } };
      if (d.opaque && r.additionalProperties === undefined) r.preserveUnknownFields = true;
    } else {
      r = schema;
    }
    roots.set(schema, r);
  }
  return { node: r, pu: false };
}
