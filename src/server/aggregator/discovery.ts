// Discovery with aggregated APIs in it: /apis (APIGroupList), /apis/GROUP
// (APIGroup) and aggregated discovery (apidiscovery.k8s.io v2, v2beta1) list
// each group version an APIService backed by a Service serves, as
// kube-aggregator orders them: groups by their highest groupPriorityMinimum
// (then by APIService name), versions by versionPriority (then as Kubernetes
// versions). A group version the cluster also serves itself (the built-in
// Metrics API when metrics-server is installed) is the APIService's.
//
// The resources of an aggregated group version are what its server's
// discovery (/apis/GROUP/VERSION, fetched by the availability check) said,
// turned into aggregated discovery's form; `Stale` while that check fails.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../../api/errors.ts';
import { compareVersions } from '../../registry/registry.ts';
import { aggregatedVersion, discoveryDocument, type DiscoveryDoc } from '../discovery.ts';
import { writeObject } from '../http/respond.ts';
import type { DiscoveryRequest } from '../request-info.ts';
import type { Aggregator, Backend, BackendDiscovery } from './index.ts';
import { builtinPriority, CUSTOM_RESOURCE_PRIORITY } from './priorities.ts';

type Json = Record<string, unknown>;

/** Where a group sorts: higher priority first, then by APIService name. */
export interface Rank {
  readonly priority: number;
  readonly name: string;
}

export function compareRanks(a: Rank, b: Rank): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** `extra` placed among `local` (kept in its order): each before the first local entry that ranks after it. */
export function insertByRank<T>(local: readonly T[], rankOf: (t: T) => Rank, extra: ReadonlyArray<{ item: T; rank: Rank }>): T[] {
  const out = [...local];
  const ranks = local.map(rankOf);
  for (const e of [...extra].sort((a, b) => compareRanks(a.rank, b.rank))) {
    let at = ranks.findIndex((r) => compareRanks(e.rank, r) < 0);
    if (at < 0) at = out.length;
    out.splice(at, 0, e.item);
    ranks.splice(at, 0, e.rank);
  }
  return out;
}

/** Versions ordered as upstream: versionPriority, then Kubernetes version order. */
export function orderVersions(versions: ReadonlyArray<{ version: string; priority: number }>): string[] {
  return [...versions].sort((a, b) => (a.priority !== b.priority ? b.priority - a.priority : compareVersions(a.version, b.version)))
    .map((v) => v.version);
}

/** The rank of a group the cluster serves itself. */
export function localRank(group: string, versions: readonly string[], custom: boolean): Rank {
  const first = versions[0] ?? '';
  const p = custom ? CUSTOM_RESOURCE_PRIORITY : builtinPriority(group, first) ?? CUSTOM_RESOURCE_PRIORITY;
  return { priority: p.group, name: `${first}.${group}` };
}

/** An aggregated group's rank: its best APIService. */
export function backendRank(backends: readonly Backend[]): Rank {
  return backends.map((b) => ({ priority: b.groupPriorityMinimum, name: b.name })).sort(compareRanks)[0] ?? { priority: 0, name: '' };
}

/** A legacy APIResourceList's resources in aggregated discovery's form (subresources under their resource). */
export function aggregatedResources(group: string, version: string, list: readonly Json[]): Json[] {
  const out: Json[] = [];
  const byName = new Map<string, Json>();
  const kindOf = (r: Json) => ({
    group: typeof r.group === 'string' ? r.group : group,
    version: typeof r.version === 'string' ? r.version : version,
    kind: typeof r.kind === 'string' ? r.kind : '',
  });
  for (const r of list) {
    const name = typeof r.name === 'string' ? r.name : '';
    if (name === '' || name.includes('/')) continue;
    const entry: Json = {
      resource: name,
      responseKind: kindOf(r),
      scope: r.namespaced === true ? 'Namespaced' : 'Cluster',
      singularResource: typeof r.singularName === 'string' ? r.singularName : '',
      verbs: Array.isArray(r.verbs) ? r.verbs : [],
    };
    if (Array.isArray(r.shortNames) && r.shortNames.length > 0) entry.shortNames = r.shortNames;
    if (Array.isArray(r.categories) && r.categories.length > 0) entry.categories = r.categories;
    out.push(entry);
    byName.set(name, entry);
  }
  for (const r of list) {
    const name = typeof r.name === 'string' ? r.name : '';
    const slash = name.indexOf('/');
    if (slash < 0) continue;
    const parent = byName.get(name.slice(0, slash));
    if (!parent) continue;
    const subs = (parent.subresources ??= []) as Json[];
    subs.push({ subresource: name.slice(slash + 1), responseKind: kindOf(r), verbs: Array.isArray(r.verbs) ? r.verbs : [] });
  }
  return out;
}

/** The backends by group. */
function groupsOf(agg: Aggregator): Map<string, Backend[]> {
  const out = new Map<string, Backend[]>();
  for (const b of agg.backends()) {
    if (b.group === '') continue;
    let list = out.get(b.group);
    if (!list) out.set(b.group, (list = []));
    list.push(b);
  }
  return out;
}

function gv(group: string, version: string): string {
  return `${group}/${version}`;
}

/** A group's versions, local and aggregated, in order; the aggregated ones replace local ones of the same name. */
function mergedVersions(group: string, local: readonly string[], backends: readonly Backend[], custom: boolean): string[] {
  const taken = new Set(backends.map((b) => b.version));
  const entries = backends.map((b) => ({ version: b.version, priority: b.versionPriority }));
  for (const v of local) {
    if (taken.has(v)) continue;
    entries.push({ version: v, priority: (custom ? CUSTOM_RESOURCE_PRIORITY : builtinPriority(group, v) ?? CUSTOM_RESOURCE_PRIORITY).version });
  }
  return orderVersions(entries);
}

function apiGroup(group: string, versions: readonly string[]): Json {
  return {
    name: group,
    versions: versions.map((v) => ({ groupVersion: gv(group, v), version: v })),
    preferredVersion: { groupVersion: gv(group, versions[0]!), version: versions[0] },
  };
}

function versionEntry(b: Backend, d: BackendDiscovery | undefined): Json {
  return { version: b.version, resources: d ? aggregatedResources(b.group, b.version, d.resources as Json[]) : [], freshness: d && !d.stale ? 'Current' : 'Stale' };
}

/** Whether the cluster serves `group` from custom resources (not built-ins). */
function isCustomGroup(agg: Aggregator, group: string): boolean {
  return agg.vc.registry.custom.some((r) => r.group === group) && !agg.vc.registry.resources.some((r) => !r.custom && r.group === group);
}

/** The base document, or undefined when the cluster itself serves nothing there (404). */
function baseDocument(agg: Aggregator, info: DiscoveryRequest, accept: string | undefined, serverAddress: string): DiscoveryDoc | undefined {
  try {
    return discoveryDocument(agg.vc.registry, info.prefix, info.group, undefined, accept, serverAddress);
  } catch (e) {
    if (e instanceof ApiError && e.code === 404) return undefined;
    throw e;
  }
}

/** The discovery document with the aggregated group versions merged in; undefined: 404. */
export function mergedDiscovery(agg: Aggregator, info: DiscoveryRequest, accept: string | undefined, serverAddress: string): DiscoveryDoc | undefined {
  const groups = groupsOf(agg);
  const base = baseDocument(agg, info, accept, serverAddress);
  if (info.group !== undefined) {
    const backends = groups.get(info.group);
    if (!backends) return base;
    const body = base?.body as Json | undefined;
    const local = ((body?.versions ?? []) as Json[]).map((v) => String(v.version));
    const versions = mergedVersions(info.group, local, backends, isCustomGroup(agg, info.group));
    return { body: { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(info.group, versions) }, contentType: 'application/json' };
  }
  if (!base) return undefined;
  const body = { ...(base.body as Json) };
  const seen = new Set<string>();
  if (aggregatedVersion(accept) !== undefined) {
    const items = (body.items ?? []) as Json[];
    const merged = items.map((item) => {
      const name = String((item.metadata as Json | undefined)?.name ?? '');
      const backends = groups.get(name);
      if (!backends) return item;
      seen.add(name);
      const localVersions = (item.versions ?? []) as Json[];
      const order = mergedVersions(name, localVersions.map((v) => String(v.version)), backends, isCustomGroup(agg, name));
      const versions = order.map((v) => {
        const b = backends.find((x) => x.version === v);
        return b ? versionEntry(b, agg.discoveryOf(b.group, b.version)) : localVersions.find((x) => x.version === v)!;
      });
      return { ...item, versions };
    });
    const extra = [...groups].filter(([g]) => !seen.has(g)).map(([g, backends]) => {
      const order = orderVersions(backends.map((b) => ({ version: b.version, priority: b.versionPriority })));
      const item: Json = { metadata: { name: g }, versions: order.map((v) => { const b = backends.find((x) => x.version === v)!; return versionEntry(b, agg.discoveryOf(b.group, b.version)); }) };
      return { item, rank: backendRank(backends) };
    });
    body.items = insertByRank(merged, (item) => {
      const name = String((item.metadata as Json | undefined)?.name ?? '');
      return localRank(name, ((item.versions ?? []) as Json[]).map((v) => String(v.version)), isCustomGroup(agg, name));
    }, extra);
    return { body, contentType: base.contentType };
  }
  const list = (body.groups ?? []) as Json[];
  const merged = list.map((g) => {
    const name = String(g.name);
    const backends = groups.get(name);
    if (!backends) return g;
    seen.add(name);
    const local = ((g.versions ?? []) as Json[]).map((v) => String(v.version));
    return apiGroup(name, mergedVersions(name, local, backends, isCustomGroup(agg, name)));
  });
  const extra = [...groups].filter(([g]) => !seen.has(g)).map(([g, backends]) => ({
    item: apiGroup(g, orderVersions(backends.map((b) => ({ version: b.version, priority: b.versionPriority })))),
    rank: backendRank(backends),
  }));
  body.groups = insertByRank(merged, (g) => {
    const name = String(g.name);
    return localRank(name, ((g.versions ?? []) as Json[]).map((v) => String(v.version)), isCustomGroup(agg, name));
  }, extra);
  return { body, contentType: base.contentType };
}

/** Serve /apis or /apis/GROUP with the aggregated group versions in; false: nothing aggregated changes it. */
export async function serveMergedDiscovery(agg: Aggregator, info: DiscoveryRequest, req: IncomingMessage, res: ServerResponse,
  serverAddress: string): Promise<boolean> {
  if (info.group !== undefined && !agg.backends().some((b) => b.group === info.group)) return false;
  const doc = mergedDiscovery(agg, info, req.headers.accept, serverAddress);
  if (!doc) return false;
  writeObject(res, 200, doc.body, 'json', { 'Content-Type': doc.contentType, Vary: 'Accept' });
  return true;
}
