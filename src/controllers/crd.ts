// CustomResourceDefinitions at run time: which CRDs' names are accepted, the
// custom resources the cluster serves (replaced whenever a CRD changes), the
// NamesAccepted / Established / Terminating conditions, and the cleanup of a
// deleted CRD's objects before its finalizer is removed.

import { ApiError } from '../api/errors.ts';
import type { KubeObject } from '../api/types.ts';
type CrdLib = typeof import('../registry/crd/index.ts');
import { resourcePrefix } from '../registry/generic/keys.ts';
import { jsonEqual, nowTimestamp } from '../registry/generic/metadata.ts';
import type { ResourceDef } from '../registry/types.ts';
import { crdCleanupFinalizer as cleanupFinalizer } from '../registry/builtin.ts';
import type { VirtualCluster } from '../server/cluster.ts';
import { Controller } from './runtime.ts';
import { compareUtf8 } from '../api/decode/go-text.ts';


interface Condition { type: string; status: 'True' | 'False'; reason: string; message: string; lastTransitionTime?: string }

interface Acceptance { accepted: boolean; reason: string; message: string }

function crdList(vc: VirtualCluster, crdDef: ResourceDef): KubeObject[] {
  const out: KubeObject[] = [];
  for (const c of vc.cache.scan(resourcePrefix(crdDef))) out.push(c.obj);
  // CRDs whose names were accepted keep them; among the rest, older ones come first.
  const accepted = (crd: KubeObject) => ((crd.status as { conditions?: Condition[] } | undefined)?.conditions ?? [])
    .some((x) => x.type === 'NamesAccepted' && x.status === 'True') ? 0 : 1;
  return out.sort((a, b) => accepted(a) - accepted(b) ||
    compareUtf8(String(a.metadata.creationTimestamp), String(b.metadata.creationTimestamp)) ||
    compareUtf8(String(a.metadata.name), String(b.metadata.name)));
}

/** Decide names for every CRD and serve the accepted ones. */
function recompute(vc: VirtualCluster, crdDef: ResourceDef, lib: CrdLib): Map<string, Acceptance> {
  const { crdNamesConflict, resourceDefsForCRD } = lib;
  const crds = crdList(vc, crdDef);
  const builtins = vc.registry.resources.filter((r) => !r.custom);
  const accepted: KubeObject[] = [];
  const result = new Map<string, Acceptance>();
  const defs: ResourceDef[] = [];
  for (const crd of crds) {
    const verdict = crdNamesConflict(crd, accepted, builtins);
    result.set(crd.metadata.name as string, verdict);
    if (!verdict.accepted) continue;
    accepted.push(crd);
    try {
      defs.push(...resourceDefsForCRD(crd));
    } catch (e) {
      result.set(crd.metadata.name as string, { accepted: false, reason: 'InstallationFailure', message: (e as Error).message });
    }
  }
  vc.registry.setCustom(defs);
  return result;
}

function condition(type: string, ok: boolean, reason: string, message: string): Condition {
  return { type, status: ok ? 'True' : 'False', reason, message };
}

/** The status a CRD should have, given whether its names were accepted. */
function desiredStatus(crd: KubeObject, verdict: Acceptance): Record<string, unknown> {
  const spec = (crd.spec ?? {}) as { names?: Record<string, unknown>; versions?: { name: string; storage?: boolean }[] };
  const old = (crd.status ?? {}) as { conditions?: Condition[]; storedVersions?: string[]; acceptedNames?: unknown };
  const conds: Condition[] = [
    verdict.accepted ? condition('NamesAccepted', true, 'NoConflicts', 'no conflicts found') : condition('NamesAccepted', false, verdict.reason, verdict.message),
    verdict.accepted ? condition('Established', true, 'InitialNamesAccepted', 'the initial names have been accepted') : condition('Established', false, 'NotAccepted', 'not all names are accepted'),
  ];
  if (crd.metadata.deletionTimestamp) conds.push(condition('Terminating', true, 'InstanceDeletionInProgress', 'CustomResource deletion is in progress'));
  const now = nowTimestamp();
  for (const c of conds) {
    const prev = old.conditions?.find((p) => p.type === c.type);
    c.lastTransitionTime = prev && prev.status === c.status ? prev.lastTransitionTime : now;
  }
  const storage = spec.versions?.find((v) => v.storage)?.name;
  const stored = [...(old.storedVersions ?? [])];
  if (verdict.accepted && storage && !stored.includes(storage)) stored.push(storage);
  return {
    ...old,
    conditions: conds,
    acceptedNames: verdict.accepted ? spec.names : (old.acceptedNames ?? { plural: '', kind: '' }),
    storedVersions: stored,
  };
}

/** Start the CRD controllers of a cluster; returns a stop function. */
export function startCrdControllers(vc: VirtualCluster): () => void {
  const crdDef = vc.registry.find('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
  if (!crdDef) return () => {};
  // The CRD library is large; a cluster loads it only once it has a CRD.
  let lib: CrdLib | undefined;
  let verdicts = new Map<string, Acceptance>();

  const c = new Controller('customresourcedefinition', async (name) => {
    lib ??= await import('../registry/crd/index.ts');
    verdicts = recompute(vc, crdDef, lib);
    const crd = vc.store.peek(crdDef, undefined, name);
    if (!crd) return;
    const verdict = verdicts.get(name) ?? { accepted: false, reason: 'Unknown', message: '' };
    const want = desiredStatus(crd, verdict);
    if (!jsonEqual(stripTimes(want), stripTimes(crd.status ?? {}))) {
      await vc.store.guaranteedUpdate(crdDef, undefined, name, (cur) => {
        const obj = cur as KubeObject;
        obj.status = desiredStatus(obj, verdicts.get(name) ?? verdict);
        return obj;
      }, { subresource: 'status' });
    }
    if (crd.metadata.deletionTimestamp && crd.metadata.finalizers?.includes(cleanupFinalizer)) {
      return cleanup(vc, crdDef, crd);
    }
  });
  const unwatch = c.watch(vc.cache, resourcePrefix(crdDef), (ev) => ev.obj.metadata.name);
  for (const crd of crdList(vc, crdDef)) c.enqueue(crd.metadata.name as string);
  return () => { unwatch(); c.stop(); };
}

function stripTimes(status: unknown): unknown {
  const s = status as { conditions?: Condition[] };
  if (!s || !Array.isArray(s.conditions)) return s;
  return { ...s, conditions: s.conditions.map(({ lastTransitionTime: _t, ...rest }) => rest) };
}

/** Delete every object of a terminating CRD, then release its finalizer. */
async function cleanup(vc: VirtualCluster, crdDef: ResourceDef, crd: KubeObject): Promise<{ requeueAfterMs?: number } | void> {
  const spec = crd.spec as { group: string; names: { plural: string } };
  const def = vc.registry.custom.find((d) => d.group === spec.group && d.plural === spec.names.plural);
  if (def) {
    const { items } = await vc.store.list(def, undefined, { resourceVersion: '0' });
    for (const item of items) {
      if (item.metadata.deletionTimestamp) continue;
      try {
        await vc.store.delete(def, item.metadata.namespace, item.metadata.name as string, { propagationPolicy: 'Background' });
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
    }
    if ((await vc.store.list(def, undefined, {})).items.length > 0) return { requeueAfterMs: 500 };
  }
  await vc.store.guaranteedUpdate(crdDef, undefined, crd.metadata.name as string, (cur) => {
    const obj = cur as KubeObject;
    obj.metadata.finalizers = (obj.metadata.finalizers ?? []).filter((f) => f !== cleanupFinalizer);
    return obj;
  });
}
