// Labels and annotations of host objects. User keys are copied 1:1, except the
// reserved `kubevisor.dev/` keys: those are renamed to a hashed key (the same
// function renames them in selectors, so selectors still match) and the
// renaming is recorded on the host object so the way back restores them.

import type { KubeObject, ObjectMeta } from '../../api/types.ts';
import {
  ANN_RENAMED_ANNOTATIONS, ANN_RENAMED_LABELS, RENAMED_ANNOTATION_PREFIX, RENAMED_LABEL_PREFIX, isReservedKey,
} from './keys.ts';
import { markerAnnotations, markerLabels, type SyncTarget } from './markers.ts';
import { hash10, hostClusterName, hostName } from './names.ts';

/** The host key of a virtual label key. */
export function hostLabelKey(key: string): string {
  return isReservedKey(key) ? RENAMED_LABEL_PREFIX + hash10(key) : key;
}

/** The host key of a virtual annotation key. */
export function hostAnnotationKey(key: string): string {
  return isReservedKey(key) ? RENAMED_ANNOTATION_PREFIX + hash10(key) : key;
}

interface Renamed {
  map: Record<string, string>;
  /** Host key -> virtual key, for the keys that were renamed. */
  renamed: Record<string, string>;
}

function rename(src: Record<string, string> | undefined, keyOf: (k: string) => string): Renamed {
  const map: Record<string, string> = {};
  const renamed: Record<string, string> = {};
  for (const [k, v] of Object.entries(src ?? {})) {
    const hk = keyOf(k);
    map[hk] = v;
    if (hk !== k) renamed[hk] = k;
  }
  return { map, renamed };
}

function restore(src: Record<string, string> | undefined, renamedJson: string | undefined): Record<string, string> {
  let renamed: Record<string, unknown> = {};
  try {
    const parsed: unknown = renamedJson ? JSON.parse(renamedJson) : {};
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) renamed = parsed as Record<string, unknown>;
  } catch { /* a damaged record restores nothing */ }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(src ?? {})) {
    if (!isReservedKey(k)) { out[k] = v; continue; }
    const vk = renamed[k];
    // Only keys whose hash matches are restored: the record cannot smuggle a marker in.
    if (typeof vk === 'string' && (hostLabelKey(vk) === k || hostAnnotationKey(vk) === k)) out[vk] = v;
  }
  return out;
}

/**
 * The user labels of a virtual object as the host stores them (without
 * markers). `renamed` is host key -> virtual key for the reserved keys.
 */
export function toHostLabels(labels: Record<string, string> | undefined): Renamed {
  return rename(labels, hostLabelKey);
}

export function toHostAnnotations(annotations: Record<string, string> | undefined): Renamed {
  return rename(annotations, hostAnnotationKey);
}

/** The virtual labels a host object carries: markers dropped, renamed keys restored. */
export function fromHostLabels(hostMeta: ObjectMeta): Record<string, string> {
  return restore(hostMeta.labels, hostMeta.annotations?.[ANN_RENAMED_LABELS]);
}

/** The virtual annotations a host object carries: markers dropped, renamed keys restored. */
export function fromHostAnnotations(hostMeta: ObjectMeta): Record<string, string> {
  return restore(hostMeta.annotations, hostMeta.annotations?.[ANN_RENAMED_ANNOTATIONS]);
}

/**
 * The metadata of the host copy of a virtual object: host name and namespace,
 * user labels and annotations (reserved keys renamed), markers. Server-owned
 * fields (uid, resourceVersion, owners, finalizers, ...) are not carried over.
 * `extraAnnotations` are kubevisor's own (already host keys).
 */
export function toHostMeta(
  vObj: KubeObject, kind: string, target: SyncTarget, extraAnnotations: Record<string, string> = {},
): ObjectMeta {
  const m = vObj.metadata;
  const name = m.name ?? '';
  const labels = toHostLabels(m.labels);
  const annotations = toHostAnnotations(m.annotations);
  const meta: ObjectMeta = {
    name: m.namespace ? hostName(name, m.namespace, target.vcluster) : hostClusterName(name, target.hostNamespace, target.vcluster),
    labels: { ...labels.map, ...markerLabels(target.vcluster, m.namespace) },
    annotations: { ...annotations.map, ...extraAnnotations, ...markerAnnotations(vObj, kind, target.vcluster) },
  };
  if (m.namespace) meta.namespace = target.hostNamespace;
  if (Object.keys(labels.renamed).length > 0) meta.annotations![ANN_RENAMED_LABELS] = JSON.stringify(labels.renamed);
  if (Object.keys(annotations.renamed).length > 0) meta.annotations![ANN_RENAMED_ANNOTATIONS] = JSON.stringify(annotations.renamed);
  return meta;
}

const keyedField = /^metadata\.(labels|annotations)\['(.*)'\]$/;

/**
 * The host field path of a downward API reference to one label or annotation
 * (`metadata.labels['k']`), the key renamed as on the host; undefined for
 * other paths.
 */
export function hostKeyedFieldPath(path: string): string | undefined {
  const m = keyedField.exec(path);
  if (!m) return undefined;
  const key = m[1] === 'labels' ? hostLabelKey(m[2]) : hostAnnotationKey(m[2]);
  return `metadata.${m[1]}['${key}']`;
}
