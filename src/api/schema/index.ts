// The structural schemas of built-in kinds (from schemas.generated.json) and helpers
// to walk them: find the schema of a kind, follow references, step into fields,
// list items and map values, and read patch metadata.
import { readFileSync } from 'node:fs';
import type { GroupVersionKind, SchemaFile, SchemaNode } from './types.ts';

export type { GroupVersionKind, SchemaNode } from './types.ts';

let loaded: { definitions: Record<string, SchemaNode>; byKind: Map<string, string> } | undefined;

function gvkKey(group: string, version: string, kind: string): string {
  return `${group}/${version}/${kind}`;
}

function load(): NonNullable<typeof loaded> {
  if (loaded) return loaded;
  const file = JSON.parse(readFileSync(new URL('./schemas.generated.json', import.meta.url), 'utf8')) as SchemaFile;
  const byKind = new Map<string, string>();
  for (const [name, def] of Object.entries(file.definitions)) {
    for (const g of def.gvk ?? []) {
      const key = gvkKey(g.group, g.version, g.kind);
      // Shared types (DeleteOptions, WatchEvent) are listed under every group/version;
      // should two definitions claim one kind, the first in name order wins.
      if (!byKind.has(key)) byKind.set(key, name);
    }
  }
  loaded = { definitions: file.definitions, byKind };
  return loaded;
}

/** The definition with this OpenAPI name (e.g. `io.k8s.api.core.v1.Pod`). */
export function definition(name: string): SchemaNode | undefined {
  const defs = load().definitions;
  return Object.prototype.hasOwnProperty.call(defs, name) ? defs[name] : undefined;
}

/** The definition name of a built-in kind, e.g. ('apps','v1','Deployment') → io.k8s.api.apps.v1.Deployment. */
export function definitionNameForKind(group: string, version: string, kind: string): string | undefined {
  return load().byKind.get(gvkKey(group, version, kind));
}

/** The schema of a built-in kind; undefined when the kind is not built in. */
export function schemaForKind(group: string, version: string, kind: string): SchemaNode | undefined {
  const name = definitionNameForKind(group, version, kind);
  return name === undefined ? undefined : definition(name);
}

/** Every group/version/kind that has a schema. */
export function allKinds(): GroupVersionKind[] {
  return [...load().byKind.keys()].map((k) => {
    const [group, version, kind] = k.split('/') as [string, string, string];
    return { group, version, kind };
  });
}

/** Follows `ref`s to the node that describes the value. */
export function deref(node: SchemaNode): SchemaNode {
  let n = node;
  for (let i = 0; n.ref !== undefined && i < 32; i++) {
    const target = definition(n.ref);
    if (!target) break;
    n = target;
  }
  return n;
}

/** The definition name a node refers to (following chains), if any. */
export function refName(node: SchemaNode): string | undefined {
  let name: string | undefined;
  let n = node;
  for (let i = 0; n.ref !== undefined && i < 32; i++) {
    name = n.ref;
    const target = definition(n.ref);
    if (!target) break;
    n = target;
  }
  return name;
}

/** A schema that accepts any value without checks. */
export const anySchema: SchemaNode = Object.freeze({ opaque: true });

/** True when any JSON is accepted below this node (opaque types, preserve-unknown-fields). */
export function acceptsAnything(node: SchemaNode): boolean {
  const n = deref(node);
  return n.opaque === true || n.preserveUnknownFields === true || node.preserveUnknownFields === true;
}

/** Is this a map (object with arbitrary keys)? */
export function isMap(node: SchemaNode): boolean {
  const n = deref(node);
  return n.additionalProperties !== undefined && n.properties === undefined;
}

/**
 * The schema of field `name` of an object described by `node`: the declared property,
 * or the map's value schema; `anySchema` below opaque nodes; undefined if unknown.
 */
export function fieldSchema(node: SchemaNode, name: string): SchemaNode | undefined {
  const n = deref(node);
  if (n.opaque || n.preserveUnknownFields || node.preserveUnknownFields) {
    const p = n.properties && Object.prototype.hasOwnProperty.call(n.properties, name) ? n.properties[name] : undefined;
    return p ?? anySchema;
  }
  if (n.properties && Object.prototype.hasOwnProperty.call(n.properties, name)) return n.properties[name];
  if (n.additionalProperties === true) return anySchema;
  if (n.additionalProperties) return n.additionalProperties;
  return undefined;
}

/** The schema of list items (anySchema when not a typed list). */
export function itemSchema(node: SchemaNode): SchemaNode {
  const n = deref(node);
  return n.items ?? anySchema;
}

/**
 * The schema at a path of field names and list indices (numbers), or undefined
 * when some step is not part of the schema.
 */
export function schemaAtPath(root: SchemaNode, path: ReadonlyArray<string | number>): SchemaNode | undefined {
  let n: SchemaNode | undefined = root;
  for (const step of path) {
    if (!n) return undefined;
    n = typeof step === 'number' ? itemSchema(n) : fieldSchema(n, step);
  }
  return n;
}

export interface PatchMeta {
  /** x-kubernetes-patch-strategy split on commas (`merge`, `retainKeys`, `replace`). */
  strategies: string[];
  mergeKey?: string;
}

/** The strategic-merge-patch metadata declared on a field's node. */
export function patchMeta(fieldNode: SchemaNode | undefined): PatchMeta {
  if (!fieldNode) return { strategies: [] };
  const strategies = fieldNode.patchStrategy ? fieldNode.patchStrategy.split(',').map((s) => s.trim()).filter(Boolean) : [];
  return fieldNode.patchMergeKey ? { strategies, mergeKey: fieldNode.patchMergeKey } : { strategies };
}

/** Go's printed name of a definition's type: io.k8s.api.core.v1.Container → v1.Container. */
export function goTypeName(definitionName: string): string {
  const parts = definitionName.split('.');
  return parts.length >= 2 ? `${parts[parts.length - 2]}.${parts[parts.length - 1]}` : definitionName;
}
