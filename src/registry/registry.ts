// The set of resources one virtual cluster serves, indexed for routing: the
// built-in declarations (shared by every cluster) plus the custom resources
// its CRDs declare, replaced as a whole whenever the CRDs change.

import type { ResourceDef } from './types.ts';

/** Kubernetes' version priority: GA > beta > alpha, higher numbers first, other names last. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] | undefined => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    const stability = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [stability, Number(m[1]), m[3] === undefined ? 0 : Number(m[3])];
  };
  const pa = parse(a), pb = parse(b);
  if (!pa || !pb) return pa ? -1 : pb ? 1 : a < b ? -1 : a > b ? 1 : 0;
  if (pa[0] !== pb[0]) return pb[0] - pa[0];
  if (pa[1] !== pb[1]) return pb[1] - pa[1];
  return pb[2] - pa[2];
}

interface Indexes { byPath: Map<string, ResourceDef>; byKind: Map<string, ResourceDef> }

function indexOf(defs: readonly ResourceDef[]): Indexes {
  const byPath = new Map<string, ResourceDef>();
  const byKind = new Map<string, ResourceDef>();
  for (const r of defs) {
    const p = `${r.group}/${r.version}/${r.plural}`;
    if (!byPath.has(p)) byPath.set(p, r);
    const k = `${r.group}/${r.version}/${r.kind}`;
    if (!byKind.has(k)) byKind.set(k, r);
  }
  return { byPath, byKind };
}

const builtinIndexes = new WeakMap<readonly ResourceDef[], Indexes>();

export class Registry {
  private readonly builtin: readonly ResourceDef[];
  private dynamic: readonly ResourceDef[] = [];
  private all: readonly ResourceDef[];
  private byPath = new Map<string, ResourceDef>();
  private byKind = new Map<string, ResourceDef>();
  private readonly preferred: Map<string, string>;

  /** `preferredVersions` maps a group to its preferred version (default: the first listed). */
  constructor(resources: readonly ResourceDef[], preferredVersions: Record<string, string> = {}) {
    this.builtin = resources;
    this.all = resources;
    this.preferred = new Map(Object.entries(preferredVersions));
    // The built-ins' index is made once and shared by every registry of them (an index is
    // replaced, never changed).
    let base = builtinIndexes.get(resources);
    if (!base) builtinIndexes.set(resources, (base = indexOf(resources)));
    ({ byPath: this.byPath, byKind: this.byKind } = base);
  }

  private index(): void {
    ({ byPath: this.byPath, byKind: this.byKind } = indexOf(this.all));
  }

  /** Everything served, built-ins first, then custom resources by group and version priority. */
  get resources(): readonly ResourceDef[] {
    return this.all;
  }

  /** The custom resources currently served. */
  get custom(): readonly ResourceDef[] {
    return this.dynamic;
  }

  /** Replace the served custom resources (built-ins always win a name clash). */
  setCustom(defs: readonly ResourceDef[]): void {
    const sorted = [...defs].sort((a, b) =>
      a.group !== b.group ? (a.group < b.group ? -1 : 1)
        : a.version !== b.version ? compareVersions(a.version, b.version)
          : a.plural < b.plural ? -1 : a.plural > b.plural ? 1 : 0);
    this.dynamic = sorted;
    this.all = [...this.builtin, ...sorted];
    this.index();
  }

  /** The resource at /api(s)/<group>/<version>/<plural>. */
  find(group: string, version: string, plural: string): ResourceDef | undefined {
    return this.byPath.get(`${group}/${version}/${plural}`);
  }

  byGroupVersionKind(group: string, version: string, kind: string): ResourceDef | undefined {
    return this.byKind.get(`${group}/${version}/${kind}`);
  }

  /** `versions` reordered so the group's preferred version comes first. */
  preferredOrder(group: string, versions: string[]): string[] {
    const p = this.preferred.get(group);
    if (p && versions.includes(p)) return [p, ...versions.filter((v) => v !== p)];
    // Groups without a declared preference (custom resources) prefer by version priority.
    return this.preferred.has(group) ? versions : [...versions].sort(compareVersions);
  }

  /** Whether any resource is served in this group/version. */
  hasGroupVersion(group: string, version: string): boolean {
    return this.all.some((r) => r.group === group && r.version === version);
  }
}
