// Ingresses (networking.k8s.io/v1). The host copy names the host copies of
// the virtual Services and TLS Secrets it uses; the ingress class is the
// host's to interpret and stays as it is. The host controller's load
// balancer status flows back.

import type { KubeObject } from '../../api/types.ts';
import { deepCopy } from '../../api/json-copy.ts';
import { toHostMeta } from './labels.ts';
import type { SyncTarget } from './markers.ts';
import { hostName } from './names.ts';

export interface IngressBackend {
  service?: { name: string; port?: { name?: string; number?: number } };
  /** A typed reference to another object of the namespace; not synced, left as it is. */
  resource?: { apiGroup?: string; kind: string; name: string };
  [field: string]: unknown;
}

export interface IngressSpec {
  ingressClassName?: string;
  defaultBackend?: IngressBackend;
  tls?: { hosts?: string[]; secretName?: string }[];
  rules?: { host?: string; http?: { paths: { path?: string; pathType?: string; backend: IngressBackend }[] } }[];
  [field: string]: unknown;
}

/** The Secrets a virtual Ingress names for TLS (the syncer copies them to the host). */
export function ingressSecrets(vIngress: KubeObject): string[] {
  const spec = (vIngress.spec ?? {}) as IngressSpec;
  return [...new Set((spec.tls ?? []).map((t) => t.secretName).filter((n): n is string => !!n))];
}

function toHostBackend(b: IngressBackend, rename: (n: string) => string): IngressBackend {
  if (!b.service?.name) return b;
  return { ...b, service: { ...b.service, name: rename(b.service.name) } };
}

export function toHostIngress(vIngress: KubeObject, target: SyncTarget): KubeObject {
  const ns = vIngress.metadata.namespace ?? 'default';
  const rename = (n: string) => hostName(n, ns, target.vcluster);
  const spec = deepCopy((vIngress.spec ?? {}) as IngressSpec);
  if (spec.defaultBackend) spec.defaultBackend = toHostBackend(spec.defaultBackend, rename);
  if (spec.tls) spec.tls = spec.tls.map((t) => (t.secretName ? { ...t, secretName: rename(t.secretName) } : t));
  if (spec.rules) {
    spec.rules = spec.rules.map((r) => (r.http
      ? { ...r, http: { ...r.http, paths: r.http.paths.map((p) => ({ ...p, backend: toHostBackend(p.backend, rename) })) } }
      : r));
  }
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: toHostMeta(vIngress, 'Ingress', target), spec };
}

/** The virtual Ingress's status from its host copy: the load balancer the host's controller reports. */
export function fromHostIngressStatus(hostIngress: KubeObject): { loadBalancer: Record<string, unknown> } {
  const st = (hostIngress.status ?? {}) as { loadBalancer?: Record<string, unknown> };
  return { loadBalancer: deepCopy(st.loadBalancer ?? {}) };
}
