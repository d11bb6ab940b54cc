// The catalog of built-in resources: what a Kubernetes 1.36 API server serves in
// discovery for its built-in groups. Structure (kinds, scopes, verbs, subresources)
// comes from generated/catalog.generated.json (scripts/gen-catalog.ts); names,
// categories, group order and shared storage from catalog-facts.ts.

import type { ResourceInfo, Scope, SubresourceInfo, Verb } from './types.ts';
import { GROUP_ORDER, RESOURCE_FACTS, SHARED_STORAGE, groupResourceKey } from './catalog-facts.ts';
import generated from './generated/catalog.generated.json' with { type: 'json' };

/** A group as discovery lists it: versions most preferred first. */
export interface GroupOrderEntry {
  group: string;
  versions: string[];
  preferredVersion: string;
}

interface GeneratedSubresource {
  name: string;
  kind: string;
  group?: string;
  version?: string;
  verbs: string[];
}

interface GeneratedResource {
  plural: string;
  kind: string;
  listKind: string;
  scope: string;
  verbs: string[];
  subresources?: GeneratedSubresource[];
}

interface GeneratedGroupVersion {
  group: string;
  version: string;
  resources: GeneratedResource[];
}

const VERBS: ReadonlySet<string> = new Set<Verb>([
  'create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch',
]);

function toVerbs(verbs: string[], where: string): Verb[] {
  for (const v of verbs) {
    if (!VERBS.has(v)) throw new Error(`catalog: unknown verb ${JSON.stringify(v)} in ${where}`);
  }
  return verbs as Verb[];
}

function toScope(scope: string, where: string): Scope {
  if (scope !== 'Namespaced' && scope !== 'Cluster') {
    throw new Error(`catalog: unknown scope ${JSON.stringify(scope)} in ${where}`);
  }
  return scope;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function toResourceInfo(gv: GeneratedGroupVersion, r: GeneratedResource): ResourceInfo {
  const where = `${gv.group || 'core'}/${gv.version} ${r.plural}`;
  const key = groupResourceKey(gv.group, r.plural);
  const facts = RESOURCE_FACTS[key];
  const info: ResourceInfo = {
    group: gv.group,
    version: gv.version,
    kind: r.kind,
    listKind: r.listKind,
    plural: r.plural,
    singular: facts?.singular ?? r.kind.toLowerCase(),
    scope: toScope(r.scope, where),
    verbs: toVerbs([...r.verbs], where),
  };
  if (facts?.shortNames?.length) info.shortNames = [...facts.shortNames];
  if (facts?.categories?.length) info.categories = [...facts.categories];
  if (r.subresources?.length) {
    info.subresources = r.subresources.map((s): SubresourceInfo => {
      const sub: SubresourceInfo = { name: s.name, kind: s.kind, verbs: toVerbs([...s.verbs], `${where}/${s.name}`) };
      if (s.group !== undefined) sub.group = s.group;
      if (s.version !== undefined) sub.version = s.version;
      return sub;
    });
  }
  const storage = SHARED_STORAGE[key];
  if (storage) info.storage = { ...storage };
  return info;
}

interface Catalog {
  resources: readonly ResourceInfo[];
  groups: readonly GroupOrderEntry[];
  byKey: ReadonlyMap<string, ResourceInfo>;
}

function lookupKey(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}

function buildCatalog(): Catalog {
  const gvs = (generated as { groupVersions: GeneratedGroupVersion[] }).groupVersions;
  const byGv = new Map<string, GeneratedGroupVersion>();
  for (const gv of gvs) byGv.set(`${gv.group}/${gv.version}`, gv);

  const resources: ResourceInfo[] = [];
  const groups: GroupOrderEntry[] = [];
  const byKey = new Map<string, ResourceInfo>();
  for (const g of GROUP_ORDER) {
    const versions = g.versions.filter((v) => byGv.has(`${g.group}/${v}`));
    if (versions.length === 0) continue;
    const preferredVersion = versions.includes(g.preferredVersion) ? g.preferredVersion : versions[0]!;
    groups.push({ group: g.group, versions, preferredVersion });
    for (const v of versions) {
      const gv = byGv.get(`${g.group}/${v}`)!;
      for (const r of gv.resources) {
        const info = toResourceInfo(gv, r);
        resources.push(info);
        byKey.set(lookupKey(info.group, info.version, info.plural), info);
      }
    }
  }
  return deepFreeze({ resources, groups, byKey });
}

const catalog = buildCatalog();

/**
 * Every built-in resource, in discovery order: groups as groupOrder() lists them,
 * versions most preferred first, resources of a group/version by name. The
 * objects are frozen and shared; copy one before changing it.
 */
export function builtinResources(): ResourceInfo[] {
  return [...catalog.resources];
}

/** The built-in groups in discovery order, each with its served and preferred versions. */
export function groupOrder(): GroupOrderEntry[] {
  return catalog.groups.map((g) => ({ group: g.group, versions: [...g.versions], preferredVersion: g.preferredVersion }));
}

/** The built-in resource `plural` of group/version ('' for the core group), or undefined. */
export function findResource(group: string, version: string, plural: string): ResourceInfo | undefined {
  return catalog.byKey.get(lookupKey(group, version, plural));
}
