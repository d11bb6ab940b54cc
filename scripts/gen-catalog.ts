// Derives the catalog of built-in resources (src/registry/generated/catalog.generated.json)
// from the upstream OpenAPI v2 document of Kubernetes 1.36.
//
//   npx node scripts/gen-catalog.ts [path/to/openapi-v2.json]
//
// Only the REST paths are read: their shape (/api/v1/..., /apis/<group>/<version>/...,
// namespaces/{namespace}/, {name}, a trailing subresource segment), the HTTP methods
// present, and each operation's x-kubernetes-action and x-kubernetes-group-version-kind.
// The output keeps structure only (names, kinds, scopes, verbs); no description text.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { GROUP_ORDER } from '../src/registry/catalog-facts.ts';

type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

/** The group/versions the catalog covers (group '' is the core group), in discovery order. */
const GROUP_VERSIONS: ReadonlyArray<readonly [string, string]> =
  GROUP_ORDER.flatMap((g) => g.versions.map((v) => [g.group, v] as const));

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
type HttpMethod = (typeof HTTP_METHODS)[number];

interface Gvk { group: string; version: string; kind: string }

interface Operation {
  'x-kubernetes-action'?: string;
  'x-kubernetes-group-version-kind'?: Gvk;
  responses?: Record<string, { schema?: { $ref?: string } }>;
}

type PathItem = Partial<Record<HttpMethod, Operation>> & { parameters?: unknown };

export interface OpenAPI { paths: Record<string, PathItem> }

/** What the generator writes for one subresource. */
interface GenSubresource {
  name: string;
  kind: string;
  group?: string;
  version?: string;
  verbs: Verb[];
}

/** What the generator writes for one resource. */
interface GenResource {
  plural: string;
  kind: string;
  listKind: string;
  scope: 'Namespaced' | 'Cluster';
  verbs: Verb[];
  subresources?: GenSubresource[];
}

interface GenGroupVersion {
  group: string;
  version: string;
  resources: GenResource[];
}

/** One parsed REST path of a group/version. */
interface ParsedPath {
  namespaced: boolean;
  plural: string;
  hasName: boolean;
  subresource?: string;
}

const VERB_ORDER: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Discovery verbs for an operation of a resource (not connect). */
function verbOfAction(action: string): Verb | undefined {
  switch (action) {
    case 'get': return 'get';
    case 'list': return 'list';
    case 'watch':
    case 'watchlist': return 'watch';
    case 'post': return 'create';
    case 'put': return 'update';
    case 'patch': return 'patch';
    case 'delete': return 'delete';
    case 'deletecollection': return 'deletecollection';
    default: return undefined;
  }
}

/**
 * Discovery verbs of a connect operation, which discovery derives from the HTTP method
 * (HEAD and OPTIONS are served but not listed).
 */
function verbOfConnectMethod(method: HttpMethod): Verb | undefined {
  switch (method) {
    case 'get': return 'get';
    case 'post': return 'create';
    case 'put': return 'update';
    case 'patch': return 'patch';
    case 'delete': return 'delete';
    default: return undefined;
  }
}

function sortVerbs(verbs: Iterable<Verb>): Verb[] {
  const set = new Set(verbs);
  return VERB_ORDER.filter((v) => set.has(v));
}

function prefixOf(group: string, version: string): string {
  return group === '' ? `/api/${version}/` : `/apis/${group}/${version}/`;
}

/** Splits the part of a path after its group/version prefix; undefined for non-resource paths. */
function parsePath(rest: string): ParsedPath | undefined {
  let segs = rest.split('/').filter((s) => s !== '');
  if (segs.length === 0) return undefined;
  // Deprecated /watch/ paths carry the watch verb; their shape is otherwise the same.
  if (segs[0] === 'watch') segs = segs.slice(1);
  let namespaced = false;
  if (segs.length >= 3 && segs[0] === 'namespaces' && segs[1] === '{namespace}') {
    namespaced = true;
    segs = segs.slice(2);
  }
  const [plural, name, subresource, ...tail] = segs;
  if (plural === undefined || plural.startsWith('{')) return undefined;
  if (name !== undefined && name !== '{name}') return undefined;
  if (subresource !== undefined && subresource.startsWith('{')) return undefined;
  // Longer paths (`proxy/{path}`) repeat a subresource already seen without the tail.
  if (tail.length > 0) return undefined;
  return { namespaced, plural, hasName: name !== undefined, subresource };
}

function definitionName(ref: string | undefined): string | undefined {
  if (!ref) return undefined;
  const name = ref.slice(ref.lastIndexOf('/') + 1);
  return name.slice(name.lastIndexOf('.') + 1);
}

interface Accumulator {
  kinds: Set<string>;
  listKind?: string;
  namespaced: boolean;
  verbs: Set<Verb>;
  subresources: Map<string, { gvks: Map<string, Gvk>; verbs: Set<Verb> }>;
}

function gvkKey(g: Gvk): string {
  return `${g.group}/${g.version}/${g.kind}`;
}

function build(doc: OpenAPI, group: string, version: string): GenGroupVersion {
  const prefix = prefixOf(group, version);
  const acc = new Map<string, Accumulator>();
  const accFor = (plural: string): Accumulator => {
    let a = acc.get(plural);
    if (!a) {
      a = { kinds: new Set(), namespaced: false, verbs: new Set(), subresources: new Map() };
      acc.set(plural, a);
    }
    return a;
  };

  for (const path of Object.keys(doc.paths).sort()) {
    if (!path.startsWith(prefix)) continue;
    const parsed = parsePath(path.slice(prefix.length));
    if (!parsed) continue;
    const item = doc.paths[path]!;
    const a = accFor(parsed.plural);
    if (parsed.namespaced) a.namespaced = true;

    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!op) continue;
      const action = op['x-kubernetes-action'];
      const gvk = op['x-kubernetes-group-version-kind'];
      if (!action || !gvk) continue;

      if (parsed.subresource !== undefined) {
        let sub = a.subresources.get(parsed.subresource);
        if (!sub) {
          sub = { gvks: new Map(), verbs: new Set() };
          a.subresources.set(parsed.subresource, sub);
        }
        sub.gvks.set(gvkKey(gvk), gvk);
        const verb = action === 'connect' ? verbOfConnectMethod(method) : verbOfAction(action);
        if (verb) sub.verbs.add(verb);
        continue;
      }

      if (gvk.group !== group || gvk.version !== version) {
        throw new Error(`${path} ${method}: kind ${gvkKey(gvk)} outside ${group}/${version}`);
      }
      a.kinds.add(gvk.kind);
      const verb = verbOfAction(action);
      if (!verb) throw new Error(`${path} ${method}: unexpected action ${action}`);
      a.verbs.add(verb);
      if (action === 'list') {
        const ref = op.responses?.['200']?.schema?.$ref;
        const listKind = definitionName(ref);
        if (listKind) a.listKind = listKind;
      }
    }
  }

  const resources: GenResource[] = [];
  for (const plural of [...acc.keys()].sort()) {
    const a = acc.get(plural)!;
    if (a.kinds.size !== 1) {
      throw new Error(`${group}/${version} ${plural}: expected one kind, found [${[...a.kinds].join(', ')}]`);
    }
    const kind = [...a.kinds][0]!;
    const resource: GenResource = {
      plural,
      kind,
      listKind: a.listKind ?? `${kind}List`,
      scope: a.namespaced ? 'Namespaced' : 'Cluster',
      verbs: sortVerbs(a.verbs),
    };
    const subs: GenSubresource[] = [];
    for (const name of [...a.subresources.keys()].sort()) {
      const s = a.subresources.get(name)!;
      if (s.gvks.size !== 1) {
        throw new Error(`${group}/${version} ${plural}/${name}: expected one kind, found [${[...s.gvks.keys()].join(', ')}]`);
      }
      const gvk = [...s.gvks.values()][0]!;
      const sub: GenSubresource = { name, kind: gvk.kind, verbs: sortVerbs(s.verbs) };
      if (gvk.group !== group || gvk.version !== version) {
        sub.group = gvk.group;
        sub.version = gvk.version;
      }
      subs.push(sub);
    }
    if (subs.length > 0) resource.subresources = subs;
    resources.push(resource);
  }
  return { group, version, resources };
}

/** The content of catalog.generated.json for an OpenAPI v2 document. */
export function generateCatalog(doc: OpenAPI): { comment: string; groupVersions: GenGroupVersion[] } {
  const groupVersions: GenGroupVersion[] = [];
  for (const [group, version] of GROUP_VERSIONS) {
    const gv = build(doc, group, version);
    if (gv.resources.length === 0) {
      console.warn(`skipping ${group || 'core'}/${version}: not in the OpenAPI document`);
      continue;
    }
    groupVersions.push(gv);
  }
  return {
    comment: 'Generated by scripts/gen-catalog.ts from the Kubernetes 1.36 OpenAPI v2 paths. Do not edit.',
    groupVersions,
  };
}

/** The catalog JSON exactly as written to disk. */
export function renderCatalog(doc: OpenAPI): string {
  return JSON.stringify(generateCatalog(doc), null, 2) + '\n';
}

export const DEFAULT_INPUT = fileURLToPath(new URL('../../shared/k8s-api/openapi-v2.json', import.meta.url));
export const OUTPUT = fileURLToPath(new URL('../src/registry/generated/catalog.generated.json', import.meta.url));

function main(): void {
  const input = resolve(process.argv[2] ?? DEFAULT_INPUT);
  const doc = JSON.parse(readFileSync(input, 'utf8')) as OpenAPI;
  const text = renderCatalog(doc);
  mkdirSync(dirname(OUTPUT), { recursive: true });
  writeFileSync(OUTPUT, text);

  const { groupVersions } = JSON.parse(text) as { groupVersions: GenGroupVersion[] };
  let resources = 0;
  let subresources = 0;
  for (const gv of groupVersions) {
    resources += gv.resources.length;
    for (const r of gv.resources) subresources += r.subresources?.length ?? 0;
  }
  console.log(`wrote ${OUTPUT}: ${groupVersions.length} group/versions, ${resources} resources, ${subresources} subresources`);
}

if (import.meta.main) main();
