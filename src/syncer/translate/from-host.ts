// Host objects copied into the virtual cluster (storage, ingress and priority
// classes; persistent volumes): same name, the host's labels and annotations
// but for kubevisor's own keys, and a label saying the object comes from the
// host, so the syncer knows it may overwrite or delete it.

import { deepCopy } from '../../api/json-copy.ts';
import type { KubeObject } from '../../api/types.ts';
import { jsonEqual } from '../../registry/generic/metadata.ts';
import { isReservedKey, LABEL_VCLUSTER, PREFIX } from './keys.ts';

/** Label on every virtual object the syncer copied from the host. */
export const FROM_HOST_LABEL = `${PREFIX}from-host`;

/** The virtual object is a copy of a host object (to be kept equal to it, not sent to the host). */
export function isFromHost(obj: KubeObject): boolean {
  return obj.metadata.labels?.[FROM_HOST_LABEL] === 'true';
}

/** The host object is another virtual cluster's copy (a kubevisor syncer put it there): not the host's own. */
export function isSyncedToHost(hostObj: KubeObject): boolean {
  return hostObj.metadata.labels?.[LABEL_VCLUSTER] !== undefined;
}

// The host's apply history would make a tenant's `kubectl apply` of the same name merge against it.
const DROPPED_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration']);

function keep(src: Record<string, string> | undefined, drop: (k: string) => boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(src ?? {})) if (!isReservedKey(k) && !drop(k)) out[k] = v;
  return out;
}

/** The labels of a virtual copy: the host's, without kubevisor keys (and `hide`), plus the from-host label. */
export function copiedLabels(host: Record<string, string> | undefined, hide: (k: string) => boolean = () => false): Record<string, string> {
  return { ...keep(host, hide), [FROM_HOST_LABEL]: 'true' };
}

export function copiedAnnotations(host: Record<string, string> | undefined): Record<string, string> {
  return keep(host, (k) => DROPPED_ANNOTATIONS.has(k));
}

/**
 * The virtual copy of a cluster-scoped host object whose data sits at the top
 * level or in `spec` (StorageClass, IngressClass, PriorityClass): every field
 * but metadata and status, as the host has it.
 */
export function fromHostClass(hostObj: KubeObject): KubeObject {
  const out: KubeObject = {
    apiVersion: hostObj.apiVersion, kind: hostObj.kind,
    metadata: {
      name: hostObj.metadata.name,
      labels: copiedLabels(hostObj.metadata.labels),
      annotations: copiedAnnotations(hostObj.metadata.annotations),
    },
  };
  for (const [k, v] of Object.entries(hostObj)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata' || k === 'status') continue;
    out[k] = deepCopy(v);
  }
  return out;
}

/** Whether the virtual object `have` differs from the copy `want` (labels, annotations, data; not server-owned metadata). */
export function classDiffers(have: KubeObject, want: KubeObject): boolean {
  if (!jsonEqual(have.metadata.labels ?? {}, want.metadata.labels ?? {})) return true;
  if (!jsonEqual(have.metadata.annotations ?? {}, want.metadata.annotations ?? {})) return true;
  const keys = new Set([...Object.keys(have), ...Object.keys(want)]);
  for (const k of keys) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata' || k === 'status') continue;
    if (!jsonEqual(have[k] ?? null, want[k] ?? null)) return true;
  }
  return false;
}

/** `have` with the labels, annotations and data of `want` (for an update that keeps uid and resourceVersion). */
export function withClassData(have: KubeObject, want: KubeObject): KubeObject {
  const out: KubeObject = { ...want, metadata: { ...have.metadata, labels: want.metadata.labels, annotations: want.metadata.annotations } };
  if (have.status !== undefined) out.status = have.status;
  return out;
}
