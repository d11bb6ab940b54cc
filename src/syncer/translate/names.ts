// Host names of synced objects. A namespaced virtual object NAME in NAMESPACE
// of virtual cluster VC becomes `NAME-x-NAMESPACE-x-VC` in the host namespace;
// a cluster-scoped one `kubevisor-NAME-x-HOSTNS-x-VC`. Names longer than 63
// characters are cut with a hash suffix, as vcluster does, so the same virtual
// object always maps to the same host name.

import { createHash } from 'node:crypto';
import type { ObjectMeta } from '../../api/types.ts';
import { ANN_NAME, ANN_NAMESPACE } from './keys.ts';

export const MAX_LABEL_LENGTH = 63;
const CUT_LENGTH = 52;

/** The first 10 hex characters of sha256(s). */
export function hash10(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 10);
}

/**
 * Parts joined with `-`; when longer than 63 characters, the first 52 (less any
 * trailing `-` or `.`, so the result stays a valid DNS-1123 name) + `-` + the
 * first 10 hex characters of sha256 of the whole joined string.
 */
export function safeConcatName(...parts: string[]): string {
  const full = parts.join('-');
  if (full.length <= MAX_LABEL_LENGTH) return full;
  return `${full.slice(0, CUT_LENGTH).replace(/[-.]+$/, '')}-${hash10(full)}`;
}

/**
 * Host name of a namespaced virtual object. The result is a DNS-1123 label
 * when the virtual name is one (services, most pods); names with dots (allowed
 * for config maps, secrets, pods, claims) stay valid DNS-1123 subdomains.
 */
export function hostName(name: string, namespace: string, vcluster: string): string {
  return safeConcatName(name, 'x', namespace, 'x', vcluster);
}

/** Host name of a cluster-scoped virtual object (priority classes, ...). */
export function hostClusterName(name: string, hostNamespace: string, vcluster: string): string {
  return safeConcatName('kubevisor', name, 'x', hostNamespace, 'x', vcluster);
}

/**
 * A valid label value standing for `value`: itself when it is one, otherwise
 * cut with a hash suffix like names (and never ending in `-`, `_` or `.`).
 */
export function labelValue(value: string): string {
  if (value.length <= MAX_LABEL_LENGTH && /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(value)) return value;
  const cut = value.slice(0, CUT_LENGTH).replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
  return cut ? `${cut}-${hash10(value)}` : hash10(value);
}

/** The virtual name (and namespace, for namespaced objects) recorded on a host object. */
export function virtualNameOf(hostMeta: ObjectMeta): { name: string; namespace?: string } | undefined {
  const a = hostMeta.annotations;
  const name = a?.[ANN_NAME];
  if (!name) return undefined;
  const namespace = a[ANN_NAMESPACE];
  return namespace ? { name, namespace } : { name };
}

/** A name for the host Secret holding a pod's virtual service-account tokens. */
export function hostTokenSecretName(podName: string, namespace: string, vcluster: string): string {
  return safeConcatName(podName, 'x', namespace, 'x', vcluster, 'token');
}

// The ConfigMaps of kubelet's variables end in `.env`: a translated name ends
// in `-x-CLUSTER`, and cluster names are DNS labels (`kubevisor create`), so
// no user object of any cluster sharing the host namespace takes these names.

/** The host ConfigMap holding a virtual cluster's `KUBERNETES_*` variables. */
export function hostKubernetesEnvName(vcluster: string): string {
  return `${safeConcatName('kubernetes', 'x', vcluster)}.env`;
}

/** The host ConfigMap holding the service-link variables of one virtual namespace. */
export function hostServiceLinksName(namespace: string, vcluster: string): string {
  return `${safeConcatName('service-links', 'x', namespace, 'x', vcluster)}.env`;
}
