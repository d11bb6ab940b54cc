// Persistent volumes from the host (spec.host.sync.fromHost.persistentVolumes):
// when the host copy of a virtual claim is bound to a host volume, the virtual
// cluster gets a PersistentVolume of the same name bound to the virtual claim,
// and the virtual claim's spec.volumeName names it (claimStatusBack in
// objects.ts brings the claim's phase and capacity). The virtual volume goes
// when the virtual claim goes, or the host volume does. While no synced pod
// uses the claim its host copy is gone; the virtual volume then stays bound to
// the claim it records, as long as the host volume exists.

import { ApiError } from '../api/errors.ts';
import type { KubeObject } from '../api/types.ts';
import type { ResourceDef } from '../registry/types.ts';
import type { SyncContext } from './context.ts';
import { fromHostKey, removeCopy, type FromHost } from './from-host.ts';
import { FIELD_MANAGER } from './resources.ts';
import { isFromHost } from './translate/from-host.ts';
import { virtualIdentity } from './translate/index.ts';
import { claimRefOf, toVirtualVolume, volumeDiffers, type ClaimIdentity } from './translate/volume.ts';

/** What the upstream binder writes on a claim it bound. */
const BOUND_ANNOTATIONS = { 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' };

export async function syncVolume(s: SyncContext, fh: FromHost, name: string): Promise<void> {
  const def = s.vc.registry.find('', 'v1', 'persistentvolumes');
  if (!def) return;
  const v = s.peek(def, undefined, name);
  const ours = v !== undefined && isFromHost(v);
  if (!fh.flags.persistentVolumes) {
    if (ours) await removeCopy(s, def, v);
    return;
  }
  // Not listed yet: a missing host volume proves nothing (queued again once listed).
  if (!fh.volumesSynced) return;
  const h = fh.hostVolume(name);
  const claim = h ? boundClaim(s, h, ours ? v : undefined, name) : undefined;
  if (!h || !claim) {
    if (ours) await removeCopy(s, def, v);
    return;
  }
  if (v && !ours) {
    fh.skip(s, v, `the host volume bound to claim ${claim.namespace}/${claim.name} is not shown in this cluster: it has its own PersistentVolume "${name}"`);
    return;
  }
  const want = toVirtualVolume(h, claim);
  try {
    await writeVolume(s, def, v, want);
    await bindClaim(s, claim, name);
  } catch (e) {
    if (e instanceof ApiError && e.code === 409) { s.enqueue(fromHostKey('persistentvolumes', name)); return; }
    throw e;
  }
}

/**
 * The virtual claim the host volume stands for: through the host claim its
 * claimRef names (a synced one whose binding is complete), or, once that host
 * claim is gone, the claim the virtual volume recorded. Undefined when that
 * claim is gone, being deleted, or bound to another volume.
 */
function boundClaim(s: SyncContext, hostPv: KubeObject, copy: KubeObject | undefined, name: string): ClaimIdentity | undefined {
  const ref = claimRefOf(hostPv);
  if (!ref || ref.namespace !== s.hostNamespace || !ref.name) return undefined;
  let id: ClaimIdentity | undefined;
  const hc = s.hosts.pvcs.get(ref.name);
  if (hc && (!ref.uid || ref.uid === hc.metadata.uid)) {
    const vid = virtualIdentity(hc);
    if (vid?.vcluster !== s.name || vid.kind !== 'PersistentVolumeClaim' || !vid.namespace || !vid.uid) return undefined;
    if ((hc.spec as { volumeName?: string } | undefined)?.volumeName !== name) return undefined;
    id = { namespace: vid.namespace, name: vid.name, uid: vid.uid };
  } else if (copy) {
    const r = claimRefOf(copy);
    if (r?.namespace && r.name && r.uid) id = { namespace: r.namespace, name: r.name, uid: r.uid };
  }
  if (!id) return undefined;
  const vClaim = s.peek(s.defs.pvcs, id.namespace, id.name);
  if (!vClaim || vClaim.metadata.uid !== id.uid || vClaim.metadata.deletionTimestamp) return undefined;
  const bound = (vClaim.spec as { volumeName?: string } | undefined)?.volumeName;
  return bound && bound !== name ? undefined : id;
}

async function writeVolume(s: SyncContext, def: ResourceDef, v: KubeObject | undefined, want: KubeObject): Promise<void> {
  const name = want.metadata.name as string;
  let have = v;
  if (!have) {
    have = await s.vc.store.create(def, undefined, want, { fieldManager: FIELD_MANAGER });
  } else if (volumeDiffers(have, want).object) {
    const uid = have.metadata.uid;
    try {
      ({ obj: have } = await s.vc.store.guaranteedUpdate(def, undefined, name, (cur) => {
        const o = cur as KubeObject;
        if (o.metadata.uid !== uid) throw new ApiError(409, 'Conflict', 'the volume was replaced');
        o.metadata.labels = want.metadata.labels;
        o.metadata.annotations = want.metadata.annotations;
        o.spec = want.spec;
        return o;
      }, { fieldManager: FIELD_MANAGER }));
    } catch (e) {
      // An immutable part of the host volume changed: replace the copy.
      if (!(e instanceof ApiError && e.code === 422)) throw e;
      await removeCopy(s, def, have);
      have = await s.vc.store.create(def, undefined, want, { fieldManager: FIELD_MANAGER });
    }
  }
  if (!volumeDiffers(have, want).status) return;
  const uid = have.metadata.uid;
  await s.vc.store.guaranteedUpdate(def, undefined, name, (cur) => {
    const o = cur as KubeObject;
    if (o.metadata.uid === uid) o.status = { ...(o.status as object | undefined), ...(want.status as object) };
    return o;
  }, { subresource: 'status', fieldManager: FIELD_MANAGER });
}

/** Set the virtual claim's spec.volumeName (once, as the binder does). */
async function bindClaim(s: SyncContext, claim: ClaimIdentity, volume: string): Promise<void> {
  const v = s.peek(s.defs.pvcs, claim.namespace, claim.name);
  if (!v || v.metadata.uid !== claim.uid || (v.spec as { volumeName?: string } | undefined)?.volumeName === volume) return;
  try {
    await s.vc.store.guaranteedUpdate(s.defs.pvcs, claim.namespace, claim.name, (cur) => {
      const o = cur as KubeObject;
      const spec = (o.spec ?? {}) as { volumeName?: string };
      if (o.metadata.uid !== claim.uid || spec.volumeName) return o;
      o.spec = { ...spec, volumeName: volume };
      o.metadata.annotations = { ...o.metadata.annotations, ...BOUND_ANNOTATIONS };
      return o;
    }, { fieldManager: FIELD_MANAGER });
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 404)) throw e;
  }
}
