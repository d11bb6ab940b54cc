// Ingresses (networking.k8s.io/v1). The host copy names the host copies of
// the virtual Services and TLS Secrets it uses; the ingress class is the
// host's to interpret and stays as it is. The host controller's load
// balancer status flows back.
//
// A `resource` backend names an object of the Ingress's namespace (a storage
// bucket, ...) for the ingress controller to route to. Of the kinds one may
// name, only Services are copied to the host under their host names: a
// Service's name is translated. Any other names an object of the virtual
// cluster the host's controller cannot see; left as it is, it would name
// whatever the host namespace holds under that name (another tenant's,
// perhaps). So such a backend is left out of the host copy: the default
// backend goes, a path goes (the host's controller then answers its requests
// as any other unmatched one: a shorter matching path or the default
// backend), a rule left without paths goes, and an Ingress left with nothing
// to route gets no host copy at all. The tenant is told by a SyncWarning
// event on the virtual Ingress (ingresses.ts). Leaving out rather than
// refusing the whole Ingress keeps its other routes working, which is what
// its author most likely wants. Annotations that name Secrets or Services
// (ingress-nginx's auth-secret or default-backend, the AWS Load Balancer
// Controller's actions, ...) name the host copies instead, and the Secrets
// they name are synced as the TLS Secrets are (ingress-annotations.ts); one
// that cannot be translated is left out, with the same warning. Other
// annotations are copied as they are.

import type { KubeObject } from '../../api/types.ts';
import { deepCopy } from '../../api/json-copy.ts';
import { annotationSecrets, toHostIngressAnnotations, type SecretRef } from './ingress-annotations.ts';
import { toHostMeta } from './labels.ts';
import type { SyncTarget } from './markers.ts';
import { hostName } from './names.ts';

export interface IngressBackend {
  service?: { name: string; port?: { name?: string; number?: number } };
  /** A typed reference to another object of the namespace: renamed for a Service, else left out of the host copy. */
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

/**
 * The Secrets a virtual Ingress names, for TLS or in annotations, once each
 * (the syncer copies them to the host). Annotations may name a Secret of
 * another namespace.
 */
export function ingressSecretRefs(vIngress: KubeObject): SecretRef[] {
  const ns = vIngress.metadata.namespace ?? 'default';
  const spec = (vIngress.spec ?? {}) as IngressSpec;
  const tls = (spec.tls ?? []).map((t) => t.secretName).filter((n): n is string => !!n).map((name) => ({ namespace: ns, name }));
  const seen = new Set<string>();
  return [...tls, ...annotationSecrets(vIngress.metadata.annotations, ns)].filter((r) => {
    const k = `${r.namespace}/${r.name}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/** The Secrets of its own namespace a virtual Ingress names, for TLS or in annotations. */
export function ingressSecrets(vIngress: KubeObject): string[] {
  const ns = vIngress.metadata.namespace ?? 'default';
  return ingressSecretRefs(vIngress).filter((r) => r.namespace === ns).map((r) => r.name);
}

/** A core Service, which the syncer copies to the host under its host name (every other kind stays virtual). */
function namesService(r: NonNullable<IngressBackend['resource']>): boolean {
  return !r.apiGroup && r.kind === 'Service';
}

/** The backend on the host; undefined when it names an object the host cannot reach. */
function toHostBackend(b: IngressBackend, rename: (n: string) => string): IngressBackend | undefined {
  if (b.resource) return namesService(b.resource) ? { ...b, resource: { ...b.resource, name: rename(b.resource.name) } } : undefined;
  if (!b.service?.name) return b;
  return { ...b, service: { ...b.service, name: rename(b.service.name) } };
}

function named(r: IngressBackend['resource']): string {
  return r ? `${r.kind}${r.apiGroup ? `.${r.apiGroup}` : ''} "${r.name}"` : 'a backend';
}

export interface HostIngress {
  /** The host copy; undefined when the backends left out leave it nothing to route. */
  ingress: KubeObject | undefined;
  /**
   * The backends left out (field path and what it names), then the annotations
   * left out (field path and why), for a warning on the virtual Ingress.
   */
  leftOut: string[];
}

export function toHostIngress(vIngress: KubeObject, target: SyncTarget): HostIngress {
  const ns = vIngress.metadata.namespace ?? 'default';
  const rename = (n: string) => hostName(n, ns, target.vcluster);
  const spec = deepCopy((vIngress.spec ?? {}) as IngressSpec);
  const leftOut: string[] = [];
  if (spec.defaultBackend) {
    const b = toHostBackend(spec.defaultBackend, rename);
    if (b) spec.defaultBackend = b;
    else {
      leftOut.push(`spec.defaultBackend (${named(spec.defaultBackend.resource)})`);
      delete spec.defaultBackend;
    }
  }
  if (spec.tls) spec.tls = spec.tls.map((t) => (t.secretName ? { ...t, secretName: rename(t.secretName) } : t));
  if (spec.rules) {
    const rules: NonNullable<IngressSpec['rules']> = [];
    spec.rules.forEach((r, i) => {
      if (!r.http) return void rules.push(r);
      const paths: typeof r.http.paths = [];
      r.http.paths.forEach((p, j) => {
        const b = toHostBackend(p.backend, rename);
        if (b) paths.push({ ...p, backend: b });
        else leftOut.push(`spec.rules[${i}].http.paths[${j}] (${named(p.backend.resource)})`);
      });
      // A rule whose every path is left out goes with them (http needs a path).
      if (paths.length > 0 || r.http.paths.length === 0) rules.push({ ...r, http: { ...r.http, paths } });
    });
    if (rules.length > 0 || spec.rules.length === 0) spec.rules = rules; else delete spec.rules;
  }
  const annotations = toHostIngressAnnotations(vIngress.metadata.annotations, ns, target);
  // Only backends left out can leave the host copy nothing to route; annotations left out never cost it its place.
  const nothingLeft = !spec.defaultBackend && (spec.rules ?? []).length === 0;
  if (leftOut.length > 0 && nothingLeft) return { ingress: undefined, leftOut: [...leftOut, ...annotations.leftOut] };
  const translated = vIngress.metadata.annotations ? { ...vIngress, metadata: { ...vIngress.metadata, annotations: annotations.annotations } } : vIngress;
  return {
    ingress: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: toHostMeta(translated, 'Ingress', target), spec },
    leftOut: [...leftOut, ...annotations.leftOut],
  };
}

/** An entry of HostIngress.leftOut for an annotation (the others are backends). */
const isAnnotation = (entry: string) => entry.startsWith('metadata.annotations[');

/** The warning for backends and annotations left out of the host copy (`synced`: the rest of the Ingress is on the host). */
export function leftOutMessage(leftOut: readonly string[], synced: boolean): string {
  const backends = leftOut.filter((e) => !isAnnotation(e));
  const annotations = leftOut.filter(isAnnotation);
  const said: string[] = [];
  if (backends.length > 0) {
    said.push(`${backends.join(', ')} ${backends.length === 1 ? 'names an object' : 'name objects'} of this cluster other than a Service, which the host's ingress controller cannot reach`);
  }
  if (annotations.length > 0) said.push(`${annotations.join(', ')} cannot be translated for the host`);
  const what = said.join('; ');
  return synced ? `${what}; the host copy of the Ingress ${annotations.length === 0 ? 'routes' : 'goes'} without ${leftOut.length === 1 ? 'it' : 'them'}`
    : `${what}; with nothing else to route, the Ingress is not synced to the host`;
}

/** The virtual Ingress's status from its host copy: the load balancer the host's controller reports. */
export function fromHostIngressStatus(hostIngress: KubeObject): { loadBalancer: Record<string, unknown> } {
  const st = (hostIngress.status ?? {}) as { loadBalancer?: Record<string, unknown> };
  return { loadBalancer: deepCopy(st.loadBalancer ?? {}) };
}
