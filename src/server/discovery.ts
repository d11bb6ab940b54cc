// Discovery documents: legacy (/api, /apis, /api/v1, /apis/<g>[/<v>]) and
// aggregated (apidiscovery.k8s.io v2 and v2beta1), built from the registry.

import { createHash } from 'node:crypto';
import { errors } from '../api/errors.ts';
import type { Registry } from '../registry/registry.ts';
import type { ResourceDef } from '../registry/types.ts';
import { parseMediaRanges } from './http/negotiate.ts';

export interface GroupVersions {
  group: string;
  /** Versions in preference order. */
  versions: string[];
}

/** Groups in the order the registry lists them; the first version listed is preferred. */
export function groupsOf(registry: Registry): GroupVersions[] {
  const out: GroupVersions[] = [];
  const idx = new Map<string, GroupVersions>();
  for (const r of registry.resources) {
    let g = idx.get(r.group);
    if (!g) { g = { group: r.group, versions: [] }; idx.set(r.group, g); out.push(g); }
    if (!g.versions.includes(r.version)) g.versions.push(r.version);
  }
  for (const g of out) g.versions = registry.preferredOrder(g.group, g.versions);
  return out;
}

function gv(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** Which aggregated discovery version the client asked for, if any. */
export function aggregatedVersion(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (!accept) return undefined;
  for (const r of parseMediaRanges(accept)) {
    if (r.params.as === 'APIGroupDiscoveryList' && r.params.g === 'apidiscovery.k8s.io') {
      if (r.params.v === 'v2' || r.params.v === 'v2beta1') return r.params.v;
      continue;
    }
    if (r.params.as === undefined && (r.type === 'application/json' || r.type === '*/*' || r.type === 'application/*')) return undefined;
  }
  return undefined;
}

export function aggregatedContentType(v: 'v2' | 'v2beta1'): string {
  return `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`;
}

function storageVersionHash(r: ResourceDef): string {
  return createHash('sha256').update(`${r.group}/${r.version}/${r.kind}`).digest('base64').slice(0, 11);
}

function legacyResources(registry: Registry, group: string, version: string): unknown[] {
  const out: unknown[] = [];
  for (const r of registry.resources) {
    if (r.group !== group || r.version !== version) continue;
    const entry: Record<string, unknown> = {
      name: r.plural, singularName: r.singular, namespaced: r.scope === 'Namespaced', kind: r.kind, verbs: r.verbs,
    };
    if (r.shortNames?.length) entry.shortNames = r.shortNames;
    if (r.categories?.length) entry.categories = r.categories;
    if (r.verbs.length > 0 && !r.virtual) entry.storageVersionHash = storageVersionHash(r);
    out.push(entry);
    for (const s of r.subresources ?? []) {
      const sub: Record<string, unknown> = {
        name: `${r.plural}/${s.name}`, singularName: '', namespaced: r.scope === 'Namespaced', kind: s.kind, verbs: s.verbs,
      };
      if (s.group !== undefined) sub.group = s.group;
      if (s.version !== undefined) sub.version = s.version;
      out.push(sub);
    }
  }
  return out;
}

function aggregatedResources(registry: Registry, group: string, version: string): unknown[] {
  const out: unknown[] = [];
  for (const r of registry.resources) {
    if (r.group !== group || r.version !== version) continue;
    const entry: Record<string, unknown> = {
      resource: r.plural,
      responseKind: { group: r.group, version: r.version, kind: r.kind },
      scope: r.scope,
      singularResource: r.singular,
      verbs: r.verbs,
    };
    if (r.shortNames?.length) entry.shortNames = r.shortNames;
    if (r.categories?.length) entry.categories = r.categories;
    if (r.subresources?.length) {
      entry.subresources = r.subresources.map((s) => ({
        subresource: s.name,
        responseKind: { group: s.group ?? r.group, version: s.version ?? r.version, kind: s.kind },
        verbs: s.verbs,
      }));
    }
    out.push(entry);
  }
  return out;
}

export interface DiscoveryDoc {
  body: unknown;
  contentType: string;
}

/** Answer a discovery request, or throw 404. */
export function discoveryDocument(registry: Registry, prefix: 'api' | 'apis', group: string | undefined,
  version: string | undefined, accept: string | undefined, serverAddress: string): DiscoveryDoc {
  const groups = groupsOf(registry);
  const agg = group === undefined ? aggregatedVersion(accept) : undefined;
  if (agg) {
    const wanted = groups.filter((g) => (prefix === 'api' ? g.group === '' : g.group !== ''));
    const items = wanted.map((g) => ({
      metadata: g.group ? { name: g.group } : {},
      versions: g.versions.map((v) => ({ version: v, resources: aggregatedResources(registry, g.group, v), freshness: 'Current' })),
    }));
    return {
      body: { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${agg}`, metadata: {}, items },
      contentType: aggregatedContentType(agg),
    };
  }
  const json = 'application/json';
  if (prefix === 'api') {
    if (version === undefined) {
      return { body: { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] }, contentType: json };
    }
    if (!registry.hasGroupVersion('', version)) throw errors.pathNotFound();
    return { body: { kind: 'APIResourceList', groupVersion: version, resources: legacyResources(registry, '', version) }, contentType: json };
  }
  const apiGroup = (g: GroupVersions) => ({
    name: g.group,
    versions: g.versions.map((v) => ({ groupVersion: gv(g.group, v), version: v })),
    preferredVersion: { groupVersion: gv(g.group, g.versions[0]), version: g.versions[0] },
  });
  if (group === undefined) {
    return { body: { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.filter((g) => g.group !== '').map(apiGroup) }, contentType: json };
  }
  const g = groups.find((x) => x.group === group && group !== '');
  if (!g) throw errors.pathNotFound();
  if (version === undefined) return { body: { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g) }, contentType: json };
  if (!g.versions.includes(version)) throw errors.pathNotFound();
  return {
    body: { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv(group, version), resources: legacyResources(registry, group, version) },
    contentType: json,
  };
}
