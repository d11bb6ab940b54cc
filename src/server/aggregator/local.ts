// The Local APIServices, as kube-apiserver's autoregistration makes them: one
// per group version the cluster serves itself (spec.service null, so
// Available with reason Local from its creation), labelled
// `kube-aggregator.kubernetes.io/automanaged`: `onstart` for the built-ins
// (made when missing, then left to the user), `true` for custom resources'
// group versions (made and removed as CRDs come and go).
//
// Kept cheap: nothing is written when a cluster is created. The first request
// for APIServices, or the first APIService, makes them (all at once, the
// writes sharing commits), and the apiregistration controller keeps the
// custom ones in step with the CRDs after that. The Metrics API's group
// version gets none: installing metrics-server creates its APIService, which
// then serves metrics.k8s.io instead (as upstream has only that one).

import { ApiError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import type { VirtualCluster } from '../cluster.ts';
import { builtinPriority, CUSTOM_RESOURCE_PRIORITY, type Priority } from './priorities.ts';

export const AUTOMANAGED_LABEL = 'kube-aggregator.kubernetes.io/automanaged';
const MANAGER = 'kube-apiserver';

export interface LocalAPIService {
  readonly name: string;
  readonly group: string;
  readonly version: string;
  readonly priority: Priority;
  readonly managed: 'onstart' | 'true';
}

interface GroupVersion { readonly group: string; readonly version: string }

/** The served versions of the CRDs that are Established. */
export function crdGroupVersions(crds: readonly KubeObject[]): GroupVersion[] {
  const out: GroupVersion[] = [];
  for (const crd of crds) {
    const conditions = ((crd.status as { conditions?: unknown } | undefined)?.conditions ?? []) as Array<{ type?: string; status?: string }>;
    if (!conditions.some((c) => c.type === 'Established' && c.status === 'True')) continue;
    const spec = (crd.spec ?? {}) as { group?: unknown; versions?: unknown };
    if (typeof spec.group !== 'string' || !Array.isArray(spec.versions)) continue;
    for (const v of spec.versions as Array<{ name?: unknown; served?: unknown }>) {
      if (typeof v?.name === 'string' && v.served === true) out.push({ group: spec.group, version: v.name });
    }
  }
  return out;
}

/** The Local APIServices of the built-in group versions and the CRDs' served ones, by name. */
export function desiredLocalAPIServices(builtins: readonly GroupVersion[], crds: readonly GroupVersion[]): Map<string, LocalAPIService> {
  const out = new Map<string, LocalAPIService>();
  for (const r of builtins) {
    const name = `${r.version}.${r.group}`;
    // Built-ins without a priority (the Metrics API) get none, as upstream's autoregistration skips them.
    const p = builtinPriority(r.group, r.version);
    if (p && !out.has(name)) out.set(name, { name, group: r.group, version: r.version, priority: p, managed: 'onstart' });
  }
  for (const r of crds) {
    const name = `${r.version}.${r.group}`;
    if (!out.has(name)) out.set(name, { name, group: r.group, version: r.version, priority: CUSTOM_RESOURCE_PRIORITY, managed: 'true' });
  }
  return out;
}

export function localAPIServiceObject(l: LocalAPIService): KubeObject {
  return {
    apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService',
    metadata: { name: l.name, labels: { [AUTOMANAGED_LABEL]: l.managed } },
    spec: { group: l.group, version: l.version, groupPriorityMinimum: l.priority.group, versionPriority: l.priority.version },
  } as KubeObject;
}

function ignore(codes: number[]): (e: unknown) => void {
  return (e) => {
    if (e instanceof ApiError && codes.includes(e.code)) return;
    throw e;
  };
}

/**
 * Create the missing Local APIServices and delete those of custom resources the
 * cluster no longer serves. An APIService of the same name backed by a Service stays.
 */
export async function syncLocalAPIServices(vc: VirtualCluster): Promise<void> {
  const def = vc.registry.find('apiregistration.k8s.io', 'v1', 'apiservices');
  if (!def) return;
  await vc.cache.sync();
  const desired = desiredLocalAPIServices(vc.registry.resources.filter((r) => !r.custom), crdGroupVersions(vc.crds()));
  const have = new Map<string, KubeObject>();
  for (const c of vc.cache.scan(resourcePrefix(def))) have.set(String(c.obj.metadata.name), c.obj);
  const writes: Promise<unknown>[] = [];
  for (const [name, l] of desired) {
    if (have.has(name)) continue;
    writes.push(vc.store.create(def, undefined, localAPIServiceObject(l), { fieldManager: MANAGER }).catch(ignore([409])));
  }
  for (const [name, obj] of have) {
    if (desired.has(name) || obj.metadata.labels?.[AUTOMANAGED_LABEL] !== 'true') continue;
    const spec = obj.spec as { service?: unknown } | undefined;
    if (spec?.service) continue;
    writes.push(vc.store.delete(def, undefined, name, { fieldManager: MANAGER, preconditions: { uid: obj.metadata.uid } }).catch(ignore([404, 409])));
  }
  await Promise.all(writes);
}
