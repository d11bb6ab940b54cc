// The token Secret of a synced pod: the virtual cluster's service-account
// tokens bound to the virtual pod, the virtual cluster's CA and the pod's
// namespace, mounted where the pod expects its kube-api-access files. Tokens
// are short-lived (what the pod's volumes ask for, an hour by default) and
// reissued when 80 % of their life has passed: no multi-year tokens.
import type { KubeObject } from '../api/types.ts';
import { jsonEqual } from '../registry/generic/metadata.ts';
import type { SyncContext } from './context.ts';
import { FIELD_MANAGER, SECRETS } from './resources.ts';
import { deleteHost, raced } from './sync-errors.ts';
import { TOKEN_SECRET_CA_KEY, TOKEN_SECRET_NAMESPACE_KEY, markerAnnotations, markerLabels, type TokenRequest } from './translate/index.ts';

/** When the Secret's tokens are due for renewal (epoch ms). */
const REFRESH_AT = 'kubevisor.dev/token-refresh-at';
const MIN_SECONDS = 600;

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/**
 * Make sure the Secret `secretName` holds fresh tokens for the pod; returns the
 * milliseconds until they need renewing (undefined: the pod needs none).
 */
export async function syncTokenSecret(s: SyncContext, vPod: KubeObject, tokens: readonly TokenRequest[], secretName: string): Promise<number | undefined> {
  const have = s.hosts.secrets.get(secretName);
  if (tokens.length === 0) {
    if (have) await deleteHost(s.conn, SECRETS, s.hostNamespace, secretName, have.metadata.uid);
    return undefined;
  }
  const ns = vPod.metadata.namespace as string;
  const ca = (s.peek(s.defs.configmaps, ns, 'kube-root-ca.crt')?.data as Record<string, string> | undefined)?.['ca.crt'] ?? '';
  const now = Date.now();
  const due = Number(have?.metadata.annotations?.[REFRESH_AT] ?? 0);
  const sameOwner = have?.metadata.annotations?.['kubevisor.dev/object-uid'] === vPod.metadata.uid;
  const data = (have as { data?: Record<string, string> } | undefined)?.data ?? {};
  const complete = tokens.every((t) => data[t.key]) && data[TOKEN_SECRET_CA_KEY] === b64(ca) && data[TOKEN_SECRET_NAMESPACE_KEY] === b64(ns);
  if (have && sameOwner && complete && due > now) return due - now;
  if (!s.vc.requestToken) throw new Error('the virtual cluster issues no service-account tokens');
  const out: Record<string, string> = { [TOKEN_SECRET_CA_KEY]: b64(ca), [TOKEN_SECRET_NAMESPACE_KEY]: b64(ns) };
  let refreshAt = Infinity;
  const sa = (vPod.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName || 'default';
  for (const t of tokens) {
    const seconds = Math.max(MIN_SECONDS, t.expirationSeconds);
    const spec: Record<string, unknown> = {
      expirationSeconds: seconds,
      boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: vPod.metadata.name, uid: vPod.metadata.uid },
    };
    if (t.audiences.length > 0) spec.audiences = t.audiences;
    const res = await s.vc.requestToken(ns, sa, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec });
    const st = res.status as { token: string; expirationTimestamp: string };
    out[t.key] = b64(st.token);
    const expires = Date.parse(st.expirationTimestamp);
    refreshAt = Math.min(refreshAt, now + 0.8 * (expires - now));
  }
  const secret: KubeObject = {
    apiVersion: 'v1', kind: 'Secret',
    metadata: {
      name: secretName,
      labels: markerLabels(s.name, ns),
      annotations: { ...markerAnnotations(vPod, 'Pod', s.name), [REFRESH_AT]: String(Math.floor(refreshAt)) },
    },
    type: 'Opaque', data: out,
  };
  try {
    if (!have) s.hosts.secrets.observe(await s.conn.create(SECRETS, s.hostNamespace, secret, { fieldManager: FIELD_MANAGER }));
    else if (!jsonEqual(data, out) || !sameOwner || due <= now) {
      s.hosts.secrets.observe(await s.conn.update(SECRETS, s.hostNamespace, { ...secret, metadata: { ...secret.metadata, resourceVersion: have.metadata.resourceVersion } }, { fieldManager: FIELD_MANAGER }));
    }
  } catch (e) {
    if (!raced(e)) throw e;
    return 1000;
  }
  return Math.max(1000, refreshAt - now);
}
