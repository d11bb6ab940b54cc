// Config maps and secrets that synced pods use, and every claim: copied to the
// host under translated names through HostCopies (copies.ts), kept equal to the
// virtual object, restored when changed or deleted on the host. Config maps and
// secrets go when no pod uses them any more; a claim (whose host copy holds the
// data) only with the virtual claim. Claims report their host status back.
import type { KubeObject } from '../api/types.ts';
import { jsonEqual } from '../registry/generic/metadata.ts';
import type { SyncContext } from './context.ts';
import { HostCopies, type CopiedKind } from './copies.ts';
import { CONFIGMAPS, FIELD_MANAGER, PVCS, SECRETS, type WatchedKind } from './resources.ts';
import { fromHostPVC, hostName, standsFor, toHostConfigMap, toHostPVC, toHostSecret, type SyncTarget } from './translate/index.ts';

export type ObjectKind = 'configmap' | 'secret' | 'pvc';

interface ObjectKindInfo {
  readonly copied: CopiedKind;
  /** The cluster's host informer of the kind (shared with env-config-maps.ts and tokens.ts). */
  readonly informer: WatchedKind;
  readonly translate: (v: KubeObject, target: SyncTarget) => KubeObject;
}

const KINDS: Record<ObjectKind, ObjectKindInfo> = {
  configmap: {
    copied: { sync: 'configmap', kind: 'ConfigMap', host: CONFIGMAPS, group: '', plural: 'configmaps', fields: ['data', 'binaryData', 'immutable'] },
    informer: 'configmaps', translate: toHostConfigMap,
  },
  secret: {
    copied: { sync: 'secret', kind: 'Secret', host: SECRETS, group: '', plural: 'secrets', fields: ['data', 'type', 'immutable'] },
    informer: 'secrets', translate: toHostSecret,
  },
  // A claim's spec is immutable but for its requested size, which may grow: the
  // rest of the host copy's spec (its defaults, the volume it is bound to) is the host's.
  pvc: {
    copied: { sync: 'pvc', kind: 'PersistentVolumeClaim', host: PVCS, group: '', plural: 'persistentvolumeclaims', fields: ['spec.resources.requests.storage'] },
    informer: 'pvcs', translate: toHostPVC,
  },
};

/** Each cluster syncer's copies (what they last wrote), by its context. */
const copiesOf = new WeakMap<SyncContext, Partial<Record<ObjectKind, HostCopies>>>();

function copies(s: SyncContext, kind: ObjectKind): HostCopies {
  let mine = copiesOf.get(s);
  if (!mine) copiesOf.set(s, (mine = {}));
  return (mine[kind] ??= new HostCopies(s, s.hosts[KINDS[kind].informer], KINDS[kind].copied));
}

/**
 * Bring the host copy of one config map, secret or claim in line; `used`: a
 * synced pod references it (or it is wanted on the host for another reason).
 */
export async function syncObject(s: SyncContext, kind: ObjectKind, ns: string, name: string, used: boolean): Promise<void> {
  const c = copies(s, kind);
  const v = s.peek(c.def, ns, name);
  const want = v && used && !v.metadata.deletionTimestamp ? KINDS[kind].translate(v, { vcluster: s.name, hostNamespace: s.hostNamespace }) : undefined;
  // A claim's status comes back from a host copy that already stood for it (not one just made).
  const before = kind === 'pvc' && want ? c.informer.get(hostName(name, ns, s.name)) : undefined;
  const h = await c.sync(ns, name, v, want);
  if (v && h && before && standsFor(before, v, c.kind.kind, s.name)) await claimStatusBack(s, v, h);
}

async function claimStatusBack(s: SyncContext, v: KubeObject, h: KubeObject): Promise<void> {
  const back = fromHostPVC(h);
  if (jsonEqual(back.status, v.status ?? {})) return;
  await s.vc.store.guaranteedUpdate(s.defs.pvcs, v.metadata.namespace, v.metadata.name as string, (cur) => {
    const o = cur as KubeObject;
    if (o.metadata.uid !== v.metadata.uid) return o;
    o.status = back.status;
    return o;
  }, { subresource: 'status', fieldManager: FIELD_MANAGER });
}
