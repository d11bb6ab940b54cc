// ConfigMaps, Secrets and PersistentVolumeClaims: renamed copies with markers,
// data unchanged; claims report their binding back.

import type { KubeObject } from '../../api/types.ts';
import { deepCopy } from '../../api/json-copy.ts';
import { toHostMeta } from './labels.ts';
import type { SyncTarget } from './markers.ts';
import { hostName } from './names.ts';

export function toHostConfigMap(vCm: KubeObject, target: SyncTarget): KubeObject {
  const out: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: toHostMeta(vCm, 'ConfigMap', target) };
  for (const f of ['data', 'binaryData', 'immutable'] as const) if (vCm[f] !== undefined) out[f] = deepCopy(vCm[f]);
  return out;
}

// Annotations that make the host's token controller manage (and delete) a
// secret for a service account the host does not have.
const SA_NAME = 'kubernetes.io/service-account.name';
const SA_UID = 'kubernetes.io/service-account.uid';

/**
 * The host copy of a secret. A service-account-token secret becomes Opaque
 * with the same data (the host's token controller would otherwise delete it,
 * its service account being virtual).
 */
export function toHostSecret(vSecret: KubeObject, target: SyncTarget): KubeObject {
  const type = vSecret['type'] as string | undefined;
  const saToken = type === 'kubernetes.io/service-account-token';
  const src: KubeObject = saToken ? stripAnnotations(vSecret, [SA_NAME, SA_UID]) : vSecret;
  const out: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: toHostMeta(src, 'Secret', target) };
  if (type) out['type'] = saToken ? 'Opaque' : type;
  for (const f of ['data', 'stringData', 'immutable'] as const) if (vSecret[f] !== undefined) out[f] = deepCopy(vSecret[f]);
  return out;
}

function stripAnnotations(obj: KubeObject, keys: readonly string[]): KubeObject {
  const annotations = { ...obj.metadata.annotations };
  for (const k of keys) delete annotations[k];
  return { ...obj, metadata: { ...obj.metadata, annotations } };
}

// Set by the controllers and scheduler of whichever cluster binds the claim:
// the virtual cluster's would mislead the host's.
const bindingAnnotations = [
  'pv.kubernetes.io/bind-completed', 'pv.kubernetes.io/bound-by-controller',
  'volume.kubernetes.io/selected-node', 'volume.kubernetes.io/storage-provisioner',
  'volume.beta.kubernetes.io/storage-provisioner',
];

interface ClaimSpec {
  volumeName?: string;
  storageClassName?: string;
  dataSource?: { kind?: string; apiGroup?: string; name?: string };
  dataSourceRef?: { kind?: string; apiGroup?: string; name?: string; namespace?: string };
  [field: string]: unknown;
}

/** Data sources naming a virtual object of the claim's namespace that the syncer copies. */
function isSyncedSource(ref: { kind?: string; apiGroup?: string } | undefined): boolean {
  return !!ref && !ref.apiGroup && ref.kind === 'PersistentVolumeClaim';
}

/**
 * The host copy of a claim: storageClassName kept, volumeName dropped (the
 * host binds), binding annotations dropped, a clone source renamed. Other data
 * sources (snapshots, populators) are left as they are.
 */
export function toHostPVC(vPvc: KubeObject, target: SyncTarget): KubeObject {
  const ns = vPvc.metadata.namespace ?? 'default';
  const spec = deepCopy((vPvc.spec ?? {}) as ClaimSpec);
  delete spec.volumeName;
  if (isSyncedSource(spec.dataSource) && spec.dataSource?.name) {
    spec.dataSource.name = hostName(spec.dataSource.name, ns, target.vcluster);
  }
  if (isSyncedSource(spec.dataSourceRef) && spec.dataSourceRef?.name && !spec.dataSourceRef.namespace) {
    spec.dataSourceRef.name = hostName(spec.dataSourceRef.name, ns, target.vcluster);
  }
  const src = stripAnnotations(vPvc, bindingAnnotations);
  return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: toHostMeta(src, 'PersistentVolumeClaim', target), spec };
}

export interface ClaimBackSync {
  /** The host claim's status (phase, access modes, capacity, conditions, resize state). */
  status: Record<string, unknown>;
  /** The host volume bound to the claim, for the syncer to reflect as a virtual PV. */
  hostVolumeName?: string;
  /** Binding annotations the host controllers set, for the virtual claim. */
  annotations: Record<string, string>;
}

export function fromHostPVC(hostPvc: KubeObject): ClaimBackSync {
  const status = deepCopy((hostPvc.status ?? {}) as Record<string, unknown>);
  const out: ClaimBackSync = { status, annotations: {} };
  const volumeName = (hostPvc.spec as ClaimSpec | undefined)?.volumeName;
  if (volumeName) out.hostVolumeName = volumeName;
  const a = hostPvc.metadata.annotations ?? {};
  for (const k of bindingAnnotations) if (a[k] !== undefined) out.annotations[k] = a[k];
  return out;
}
