// Where objects live in the key-value store:
//   /registry/<group or "core">/<resource>/<namespace>/<name>   (namespaced)
//   /registry/<group or "core">/<resource>/<name>               (cluster-scoped)
// Versions of one resource share the keys of its storage group/resource.

import type { ResourceInfo } from '../types.ts';

export function storageOf(def: ResourceInfo): { group: string; resource: string } {
  return def.storage ?? { group: def.group, resource: def.plural };
}

/** The prefix of every object of a resource (all namespaces). */
export function resourcePrefix(def: ResourceInfo): string {
  const s = storageOf(def);
  return `/registry/${s.group || 'core'}/${s.resource}/`;
}

/** The prefix to list: one namespace, or all of them when `namespace` is empty. */
export function listPrefix(def: ResourceInfo, namespace: string | undefined): string {
  const p = resourcePrefix(def);
  return def.scope === 'Namespaced' && namespace ? `${p}${namespace}/` : p;
}

export function objectKey(def: ResourceInfo, namespace: string | undefined, name: string): string {
  const p = resourcePrefix(def);
  return def.scope === 'Namespaced' ? `${p}${namespace ?? ''}/${name}` : `${p}${name}`;
}
