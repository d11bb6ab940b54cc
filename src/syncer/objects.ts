// Config maps and secrets that synced pods use, and every claim: copied to the
// host under translated names, kept equal to the virtual object, restored when
// changed or deleted on the host. Config maps and secrets go when no pod uses
// them any more; a claim (whose host copy holds the data) only with the virtual
// claim. Claims report their host status back.
import type { KubeObject } from '../api/types.ts';
import { jsonEqual } from '../registry/generic/metadata.ts';
import type { SyncContext } from './context.ts';
import type { HostResource } from './host/index.ts';
import { CONFIGMAPS, FIELD_MANAGER, PVCS, SECRETS } from './resources.ts';
import { deleteHost, raced } from './sync-errors.ts';
import { fromHostPVC, hostName, isManagedBy, standsFor, toHostConfigMap, toHostPVC, toHostSecret } from './translate/index.ts';

export type ObjectKind = 'configmap' | 'secret' | 'pvc';

interface KindInfo { kind: string; host: HostResource; informer: 'configmaps' | 'secrets' | 'pvcs'; def: 'configmaps' | 'secrets' | 'pvcs'; fields: string[] }

const KINDS: Record<ObjectKind, KindInfo> = {
  configmap: { kind: 'ConfigMap', host: CONFIGMAPS, informer: 'configmaps', def: 'configmaps', fields: ['data', 'binaryData', 'immutable'] },
  secret: { kind: 'Secret', host: SECRETS, informer: 'secrets', def: 'secrets', fields: ['data', 'type', 'immutable'] },
  // A claim's spec is mostly immutable: only its requested size may grow.
  pvc: { kind: 'PersistentVolumeClaim', host: PVCS, informer: 'pvcs', def: 'pvcs', fields: [] },
};

function translate(kind: ObjectKind, v: KubeObject, s: SyncContext): KubeObject {
  const target = { vcluster: s.name, hostNamespace: s.hostNamespace };
  return kind === 'configmap' ? toHostConfigMap(v, target) : kind === 'secret' ? toHostSecret(v, target) : toHostPVC(v, target);
}

function differs(kind: ObjectKind, have: KubeObject, want: KubeObject): boolean {
  const h = have as Record<string, unknown>;
  const w = want as Record<string, unknown>;
  if (!jsonEqual(have.metadata.labels ?? {}, want.metadata.labels ?? {})) return true;
  if (!jsonEqual(have.metadata.annotations ?? {}, want.metadata.annotations ?? {})) return true;
  if (kind === 'pvc') {
    const size = (o: KubeObject) => (o.spec as { resources?: { requests?: { storage?: string } } } | undefined)?.resources?.requests?.storage;
    return size(have) !== size(want);
  }
  return KINDS[kind].fields.some((f) => !jsonEqual(h[f] ?? null, w[f] ?? null));
}

/**
 * Bring the host copy of one config map, secret or claim in line; `used`: a
 * synced pod references it. Returns whether it exists on the host afterwards.
 */
export async function syncObject(s: SyncContext, kind: ObjectKind, ns: string, name: string, used: boolean): Promise<void> {
  const info = KINDS[kind];
  const v = s.peek(s.defs[info.def], ns, name);
  const hName = hostName(name, ns, s.name);
  const h = s.hosts[info.informer].get(hName);
  if (!v || !used || v.metadata.deletionTimestamp) {
    if (h && isManagedBy(h, s.name, info.kind)) await deleteHost(s.conn, info.host, s.hostNamespace, hName, h.metadata.uid);
    return;
  }
  const want = translate(kind, v, s);
  try {
    if (!h) {
      await s.conn.create(info.host, s.hostNamespace, want, { fieldManager: FIELD_MANAGER });
    } else if (!standsFor(h, v, info.kind, s.name)) {
      // Another object's copy (an older one of the same name, or someone else's): replace it.
      await deleteHost(s.conn, info.host, s.hostNamespace, hName, h.metadata.uid);
      await s.conn.create(info.host, s.hostNamespace, want, { fieldManager: FIELD_MANAGER });
    } else if (differs(kind, h, want)) {
      const next = { ...h, metadata: { ...h.metadata, labels: want.metadata.labels, annotations: want.metadata.annotations } } as KubeObject;
      if (kind === 'pvc') {
        const spec = { ...(h.spec as Record<string, unknown>) };
        spec.resources = (want.spec as Record<string, unknown>).resources;
        next.spec = spec;
      } else {
        for (const f of info.fields) {
          const wv = (want as Record<string, unknown>)[f];
          if (wv === undefined) delete (next as Record<string, unknown>)[f]; else (next as Record<string, unknown>)[f] = wv;
        }
      }
      await s.conn.update(info.host, s.hostNamespace, next, { fieldManager: FIELD_MANAGER });
    }
  } catch (e) {
    if (raced(e)) { s.enqueue(`${kind}/${ns}/${name}`); return; }
    throw e;
  }
  if (kind === 'pvc' && h && standsFor(h, v, info.kind, s.name)) await claimStatusBack(s, v, h);
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
