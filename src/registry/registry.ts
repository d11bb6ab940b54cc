// The set of resources one virtual cluster serves, indexed for routing.

import type { ResourceDef } from './types.ts';

export class Registry {
  readonly resources: readonly ResourceDef[];
  private readonly byPath = new Map<string, ResourceDef>();
  private readonly byKind = new Map<string, ResourceDef>();

  private readonly preferred: Map<string, string>;

  /** `preferredVersions` maps a group to its preferred version (default: the first listed). */
  constructor(resources: readonly ResourceDef[], preferredVersions: Record<string, string> = {}) {
    this.resources = resources;
    this.preferred = new Map(Object.entries(preferredVersions));
    for (const r of resources) {
      this.byPath.set(`${r.group}/${r.version}/${r.plural}`, r);
      const k = `${r.group}/${r.version}/${r.kind}`;
      if (!this.byKind.has(k)) this.byKind.set(k, r);
    }
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
    if (!p || !versions.includes(p)) return versions;
    return [p, ...versions.filter((v) => v !== p)];
  }

  /** Whether any resource is served in this group/version. */
  hasGroupVersion(group: string, version: string): boolean {
    return this.resources.some((r) => r.group === group && r.version === version);
  }
}
