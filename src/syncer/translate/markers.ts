// Markers on every host object: which virtual cluster owns it and which virtual
// object it stands for. Labels make them selectable (the shared host watches
// and the translated selectors use them); annotations hold the exact values.

import type { KubeObject } from '../../api/types.ts';
import {
  ANN_KIND, ANN_NAME, ANN_NAMESPACE, ANN_UID, ANN_VCLUSTER, LABEL_NAMESPACE, LABEL_VCLUSTER,
} from './keys.ts';
import { labelValue } from './names.ts';

/** Where a virtual cluster's objects go on the host. */
export interface SyncTarget {
  /** The virtual cluster's name. */
  vcluster: string;
  /** The host namespace holding its objects (possibly shared with other virtual clusters). */
  hostNamespace: string;
}

/** The virtual object a host object stands for, read from its markers. */
export interface VirtualIdentity {
  vcluster: string;
  kind: string;
  name: string;
  /** Absent for cluster-scoped objects. */
  namespace?: string;
  uid?: string;
}

/** Label selector (string form) for every host object any virtual cluster manages. */
export const MANAGED_SELECTOR = LABEL_VCLUSTER;

/** Label selector (string form) for the host objects of one virtual cluster. */
export function managedSelector(vcluster: string): string {
  return `${LABEL_VCLUSTER}=${labelValue(vcluster)}`;
}

/** The marker labels: owning virtual cluster and, for namespaced objects, the virtual namespace. */
export function markerLabels(vcluster: string, vNamespace?: string): Record<string, string> {
  const out: Record<string, string> = { [LABEL_VCLUSTER]: labelValue(vcluster) };
  if (vNamespace) out[LABEL_NAMESPACE] = labelValue(vNamespace);
  return out;
}

/** The marker annotations: owner and the virtual object's name, namespace, uid and kind. */
export function markerAnnotations(vObj: KubeObject, kind: string, vcluster: string): Record<string, string> {
  const m = vObj.metadata;
  const out: Record<string, string> = { [ANN_VCLUSTER]: vcluster, [ANN_KIND]: kind, [ANN_NAME]: m.name ?? '' };
  if (m.namespace) out[ANN_NAMESPACE] = m.namespace;
  if (m.uid) out[ANN_UID] = m.uid;
  return out;
}

/** The virtual identity a host object records, or undefined when it carries no complete markers. */
export function virtualIdentity(hostObj: KubeObject): VirtualIdentity | undefined {
  const a = hostObj.metadata.annotations ?? {};
  const l = hostObj.metadata.labels ?? {};
  const vcluster = a[ANN_VCLUSTER];
  const name = a[ANN_NAME];
  const kind = a[ANN_KIND];
  if (!vcluster || !name || !kind) return undefined;
  // The label is what selectors and watches see: an object whose label
  // disagrees with its annotation is not trusted as anyone's.
  if (l[LABEL_VCLUSTER] !== labelValue(vcluster)) return undefined;
  const id: VirtualIdentity = { vcluster, kind, name };
  const ns = a[ANN_NAMESPACE];
  if (ns) {
    if (l[LABEL_NAMESPACE] !== labelValue(ns)) return undefined;
    id.namespace = ns;
  }
  if (a[ANN_UID]) id.uid = a[ANN_UID];
  return id;
}

/**
 * True when the host object is managed by virtual cluster `vcluster` (and,
 * when given, stands for an object of `kind`). Several virtual clusters may
 * share a host namespace: anything else there must be left alone.
 */
export function isManagedBy(hostObj: KubeObject, vcluster: string, kind?: string): boolean {
  const id = virtualIdentity(hostObj);
  return id !== undefined && id.vcluster === vcluster && (kind === undefined || id.kind === kind);
}

/**
 * True when the host object stands for exactly this virtual object (same
 * cluster, kind, namespace, name and uid). A uid mismatch means the virtual
 * object was deleted and recreated: the host copy must be replaced.
 */
export function standsFor(hostObj: KubeObject, vObj: KubeObject, kind: string, vcluster: string): boolean {
  const id = virtualIdentity(hostObj);
  const m = vObj.metadata;
  return id !== undefined && id.vcluster === vcluster && id.kind === kind && id.name === m.name &&
    id.namespace === (m.namespace || undefined) && id.uid === (m.uid || undefined);
}
