// A CRD version's openAPIV3Schema in the server's SchemaNode form, for strict
// field validation, JSON type checks and server-side apply of custom resources.
//
// - type, format, items, properties, required, enum, default carry over;
// - additionalProperties: a schema stays a schema; `true` and `false` become `true`
//   (pruning keeps map keys either way; validation rejects what `false` forbids);
// - x-kubernetes-list-type / list-map-keys / map-type / int-or-string /
//   embedded-resource carry over;
// - x-kubernetes-preserve-unknown-fields: a node that specifies nothing else is
//   opaque (`preserveUnknownFields`); one with properties or items keeps them
//   and accepts any other member (`additionalProperties: true`), which is how
//   upstream prunes it (declared fields are still checked);
// - the root and every embedded resource have apiVersion and kind (strings) and
//   metadata (ObjectMeta); at the root ObjectMeta replaces whatever the schema
//   says of metadata (only name/generateName constraints are allowed there).

import type { GroupVersionKind, SchemaNode } from '../../api/schema/types.ts';
import type { JsonValue } from '../../api/types.ts';
import { additionalSchema, itemsSchema, toProps } from './props.ts';
import type { Props } from './props.ts';

export const objectMetaRef = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

const nodeTypes = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);

/** apiVersion, kind and metadata of a resource (the root or an embedded one). */
function typeMeta(node: SchemaNode): void {
  const props = node.properties ?? (node.properties = {});
  props.apiVersion = { type: 'string' };
  props.kind = { type: 'string' };
  props.metadata = { ref: objectMetaRef };
}

function convert(p: Props, depth: number): SchemaNode {
  const n: SchemaNode = {};
  if (depth > 256) return { preserveUnknownFields: true };
  if (p.xIntOrString) {
    n.intOrString = true;
  } else if (p.type && nodeTypes.has(p.type)) {
    n.type = p.type as NonNullable<SchemaNode['type']>;
  }
  if (p.format) n.format = p.format;
  const items = itemsSchema(p);
  if (items) n.items = convert(items, depth + 1);
  if (p.properties && p.properties.size > 0) {
    const props: Record<string, SchemaNode> = {};
    for (const [k, v] of p.properties) {
      // A property named __proto__ is an own member like any other.
      Object.defineProperty(props, k, { value: convert(v, depth + 1), writable: true, enumerable: true, configurable: true });
    }
    n.properties = props;
  }
  const ap = additionalSchema(p);
  if (ap) n.additionalProperties = convert(ap, depth + 1);
  else if (p.additionalProperties !== undefined) n.additionalProperties = true;
  if (p.required && p.required.length > 0) n.required = [...p.required];
  if (p.enum && p.enum.length > 0) n.enum = p.enum as JsonValue[];
  if (p.default !== undefined) n.default = p.default;
  if (p.xListType !== undefined) n.listType = p.xListType;
  if (p.xListMapKeys && p.xListMapKeys.length > 0) n.listMapKeys = [...p.xListMapKeys];
  if (p.xMapType !== undefined) n.mapType = p.xMapType;
  if (p.xEmbeddedResource) {
    n.embeddedResource = true;
    n.type = 'object';
    typeMeta(n);
  }
  if (p.xPreserveUnknownFields) {
    if (n.properties || n.items || n.additionalProperties !== undefined) {
      if (n.properties && n.additionalProperties === undefined) n.additionalProperties = true;
    } else {
      n.preserveUnknownFields = true;
    }
  }
  return n;
}

/**
 * The SchemaNode of a custom resource kind from its version's openAPIV3Schema
 * (raw JSON as in the CRD). Without a schema: an object whose fields are all
 * kept, with apiVersion, kind and metadata.
 */
export function schemaNodeFor(openAPIV3Schema: unknown, gvk?: GroupVersionKind): SchemaNode {
  let node: SchemaNode;
  if (typeof openAPIV3Schema === 'object' && openAPIV3Schema !== null && !Array.isArray(openAPIV3Schema)) {
    node = convert(toProps(openAPIV3Schema as Record<string, unknown>), 0);
  } else {
    node = { additionalProperties: true };
  }
  node.type = 'object';
  delete node.preserveUnknownFields;
  delete node.intOrString;
  if (!node.properties && node.additionalProperties === undefined) {
    // An object that specifies nothing (or only preserves): any member is kept.
    const p = typeof openAPIV3Schema === 'object' && openAPIV3Schema !== null ? toProps(openAPIV3Schema as Record<string, unknown>) : undefined;
    if (!p || p.xPreserveUnknownFields) node.additionalProperties = true;
  }
  typeMeta(node);
  if (gvk) node.gvk = [gvk];
  return node;
}
