// Ingress annotations that name Secrets or Services, translated for the
// host copy of the Ingress. Left as they are, the virtual names would name
// nothing on the host, or whatever the host namespace holds under them
// (another tenant's object, perhaps). Known here, under their controllers'
// default annotation prefixes (a controller run with another prefix is not
// known):
//
// - ingress-nginx: `auth-secret` (the users of basic or digest auth),
//   `auth-tls-secret` (the CA client certificates are checked against) and
//   `proxy-ssl-secret` (the certificate shown to HTTPS backends) name a Secret,
//   as NAME (the Ingress's namespace) or NAMESPACE/NAME; `default-backend`
//   names a Service of the Ingress's namespace by name.
// - AWS Load Balancer Controller: `actions.NAME` and `conditions.NAME` belong
//   to the backends whose service name is NAME. The host copy renames those
//   backends (ingress.ts), so these keys are renamed with them, unless
//   `actions.` + the host name is longer than an annotation key's name may be
//   (63 characters): then the annotation is left out. An action's JSON names
//   Services in `forwardConfig.targetGroups[].serviceName`; `auth-idp-oidc`'s
//   JSON names a Secret of the Ingress's namespace in `secretName`. JSON that
//   does not parse is copied as it is: the controller refuses it on the host
//   as it would here.
//
// A reference into the Ingress's own namespace becomes the host copy's name,
// in the form it was written in: NAME becomes HOSTNAME, NAMESPACE/NAME becomes
// HOSTNAMESPACE/HOSTNAME. A Secret of another virtual namespace becomes the
// host name of that namespace's Secret, and that Secret is synced too (the
// syncer otherwise copies only what objects of the same namespace use). Left
// out instead, the annotation could fail open: without `auth-tls-secret`
// ingress-nginx checks no client certificate at all. A controller reads
// another namespace's Secret in a real cluster as well, and the host copy is
// read only by the host's controller. (On the host every copy is in one
// namespace, so a host controller that refuses references into other
// namespaces does not refuse these.) A value that is neither NAME nor
// NAMESPACE/NAME is left out of the host copy and said so in the SyncWarning
// event: copied as it is, a controller reading it differently from us might
// find an object on the host.

import { hostName } from './names.ts';
import type { SyncTarget } from './markers.ts';

/** A Secret an Ingress names: virtual namespace and name. */
export interface SecretRef {
  namespace: string;
  name: string;
}

const NGINX = 'nginx.ingress.kubernetes.io/';
const ALB = 'alb.ingress.kubernetes.io/';

/** ingress-nginx annotations naming a Secret as NAME or NAMESPACE/NAME. */
const SECRET_KEYS = new Set([`${NGINX}auth-secret`, `${NGINX}auth-tls-secret`, `${NGINX}proxy-ssl-secret`]);
/** ingress-nginx annotations naming a Service of the Ingress's namespace. */
const SERVICE_KEYS = new Set([`${NGINX}default-backend`]);
/** AWS Load Balancer Controller annotations keyed by a backend's service name. */
const ALB_BY_BACKEND = [`${ALB}actions.`, `${ALB}conditions.`];
const ALB_ACTIONS = `${ALB}actions.`;
const ALB_OIDC = `${ALB}auth-idp-oidc`;

/** The longest name part of an annotation key (after the prefix's `/`). */
const MAX_KEY_NAME = 63;

interface Ref extends SecretRef {
  /** Written as NAMESPACE/NAME. */
  qualified: boolean;
}

/** NAME or NAMESPACE/NAME (blanks around the parts dropped); undefined for any other value. */
function parseRef(value: string, ns: string): Ref | undefined {
  const parts = value.split('/').map((p) => p.trim());
  if (parts.length > 2 || parts.some((p) => p === '')) return undefined;
  return parts.length === 1 ? { namespace: ns, name: parts[0]!, qualified: false } : { namespace: parts[0]!, name: parts[1]!, qualified: true };
}

type Json = Record<string, unknown>;

function parseObject(value: string): Json | undefined {
  try {
    const v: unknown = JSON.parse(value);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
  } catch {
    return undefined;
  }
}

/** The Secret `auth-idp-oidc`'s JSON names (of the Ingress's namespace), if it parses and names one. */
function oidcSecret(value: string): { config: Json; name: string } | undefined {
  const config = parseObject(value);
  const name = config?.['secretName'];
  return config && typeof name === 'string' && name !== '' ? { config, name } : undefined;
}

/** The Secrets a virtual Ingress's annotations name (the syncer copies them to the host). */
export function annotationSecrets(annotations: Record<string, string> | undefined, ns: string): SecretRef[] {
  const refs: SecretRef[] = [];
  for (const [k, v] of Object.entries(annotations ?? {})) {
    if (SECRET_KEYS.has(k)) {
      const r = parseRef(v, ns);
      if (r) refs.push({ namespace: r.namespace, name: r.name });
    } else if (k === ALB_OIDC) {
      const o = oidcSecret(v);
      if (o) refs.push({ namespace: ns, name: o.name });
    }
  }
  return refs;
}

/** An action's JSON with the Services it forwards to renamed; as it is when it does not parse or names none. */
function toHostAction(value: string, rename: (n: string) => string): string {
  const action = parseObject(value);
  const forward = action?.['forwardConfig'];
  const groups = forward !== null && typeof forward === 'object' ? (forward as Json)['targetGroups'] : undefined;
  if (!Array.isArray(groups)) return value;
  let renamed = false;
  for (const g of groups) {
    if (g !== null && typeof g === 'object' && typeof (g as Json)['serviceName'] === 'string') {
      (g as Json)['serviceName'] = rename((g as Json)['serviceName'] as string);
      renamed = true;
    }
  }
  return renamed ? JSON.stringify(action) : value;
}

export interface HostAnnotations {
  /** The virtual annotations as the host copy carries them (before reserved keys are renamed, labels.ts). */
  annotations: Record<string, string>;
  /** The annotations left out (field path and why), for the warning on the virtual Ingress. */
  leftOut: string[];
}

const field = (key: string) => `metadata.annotations['${key}']`;

/** The annotations of the host copy of an Ingress of virtual namespace `ns`. */
export function toHostIngressAnnotations(annotations: Record<string, string> | undefined, ns: string, target: SyncTarget): HostAnnotations {
  const out: Record<string, string> = {};
  const leftOut: string[] = [];
  const rename = (n: string, namespace = ns) => hostName(n, namespace, target.vcluster);
  for (const [k, v] of Object.entries(annotations ?? {})) {
    if (SECRET_KEYS.has(k)) {
      const r = parseRef(v, ns);
      if (!r) { leftOut.push(`${field(k)} ("${v}" is neither NAME nor NAMESPACE/NAME)`); continue; }
      const name = rename(r.name, r.namespace);
      out[k] = r.qualified ? `${target.hostNamespace}/${name}` : name;
    } else if (SERVICE_KEYS.has(k)) {
      const r = parseRef(v, ns);
      if (!r || r.qualified) { leftOut.push(`${field(k)} ("${v}" is not the name of a Service of this namespace)`); continue; }
      out[k] = rename(r.name);
    } else if (k === ALB_OIDC) {
      const o = oidcSecret(v);
      out[k] = o ? JSON.stringify({ ...o.config, secretName: rename(o.name) }) : v;
    } else {
      const by = ALB_BY_BACKEND.find((p) => k.startsWith(p) && k.length > p.length);
      if (!by) { out[k] = v; continue; }
      const hk = by + rename(k.slice(by.length));
      if (hk.length - ALB.length > MAX_KEY_NAME) { leftOut.push(`${field(k)} (its key, named for the host, would be longer than an annotation key may be)`); continue; }
      out[hk] = by === ALB_ACTIONS ? toHostAction(v, rename) : v;
    }
  }
  return { annotations: out, leftOut };
}
