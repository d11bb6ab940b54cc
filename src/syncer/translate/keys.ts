// The label and annotation keys kubevisor writes on host objects. Every key
// under `kubevisor.dev/` is reserved: a virtual object's own key with that
// prefix is renamed on the host (labels.ts), so a tenant (or a nested
// kubevisor syncing into this virtual cluster) can never forge a marker.

export const PREFIX = 'kubevisor.dev/';

/** Label: the owning virtual cluster (hashed when longer than a label value may be). */
export const LABEL_VCLUSTER = `${PREFIX}vcluster`;
/** Label: the virtual namespace; selectors are scoped with it. */
export const LABEL_NAMESPACE = `${PREFIX}namespace`;

/** Annotation: the owning virtual cluster's full name. */
export const ANN_VCLUSTER = `${PREFIX}vcluster`;
export const ANN_NAME = `${PREFIX}object-name`;
export const ANN_NAMESPACE = `${PREFIX}object-namespace`;
export const ANN_UID = `${PREFIX}object-uid`;
export const ANN_KIND = `${PREFIX}object-kind`;

/** Annotations (JSON objects host key -> virtual key) recording renamed reserved keys. */
export const ANN_RENAMED_LABELS = `${PREFIX}renamed-labels`;
export const ANN_RENAMED_ANNOTATIONS = `${PREFIX}renamed-annotations`;

/** Pod annotations holding the virtual labels/annotations in downward API file format. */
export const ANN_POD_LABELS = `${PREFIX}labels`;
export const ANN_POD_ANNOTATIONS = `${PREFIX}annotations`;

/** Key prefixes of renamed reserved keys (followed by 10 hex characters). */
export const RENAMED_LABEL_PREFIX = `${PREFIX}label-`;
export const RENAMED_ANNOTATION_PREFIX = `${PREFIX}annotation-`;

export function isReservedKey(key: string): boolean {
  return key.startsWith(PREFIX);
}
