// The kubernetes.io signers kube-controller-manager's csrsigning controllers
// implement, and what each accepts:
//
//  - kubernetes.io/kube-apiserver-client: client certificates; usages must include
//    "client auth" and nothing beyond "digital signature" and "key encipherment";
//  - kubernetes.io/kube-apiserver-client-kubelet: kubelet client certificates:
//    O exactly system:nodes, CN system:node:..., no subjectAltNames, usages exactly
//    {client auth, digital signature[, key encipherment]};
//  - kubernetes.io/kubelet-serving: kubelet serving certificates: O exactly
//    system:nodes, a DNS or IP subjectAltName (no email or URI), usages exactly
//    {server auth, digital signature[, key encipherment]}, CN system:node:....
//
// A request a signer refuses gets a Failed condition with reason
// SignerValidationFailure and the message below. Any other signer's requests
// (kubernetes.io/legacy-unknown included: certificates.k8s.io/v1 refuses them,
// custom signers: theirs to sign) are not this controller's.

import type { CertificateRequest } from '../../api/x509/csr.ts';
import type { ExtendedKeyUsage, KeyUsage } from '../../server/pki/certificate.ts';

export const KUBE_APISERVER_CLIENT = 'kubernetes.io/kube-apiserver-client';
export const KUBE_APISERVER_CLIENT_KUBELET = 'kubernetes.io/kube-apiserver-client-kubelet';
export const KUBELET_SERVING = 'kubernetes.io/kubelet-serving';

/** The signers signed here. */
export const SIGNED_HERE = new Set([KUBE_APISERVER_CLIENT, KUBE_APISERVER_CLIENT_KUBELET, KUBELET_SERVING]);

/** Upstream's default --cluster-signing-duration: the longest certificate signed (one year). */
export const MAX_DURATION_MS = 365 * 24 * 60 * 60 * 1000;
const MIN_DURATION_MS = 10 * 60 * 1000;

/** The validity a request gets: its expirationSeconds within [10 minutes, the maximum], else the maximum. */
export function durationFor(expirationSeconds: number | undefined, maxMs = MAX_DURATION_MS): number {
  if (expirationSeconds === undefined) return maxMs;
  const ms = expirationSeconds * 1000;
  return ms > maxMs ? maxMs : ms < MIN_DURATION_MS ? MIN_DURATION_MS : ms;
}

function sameSet(a: ReadonlySet<string>, b: readonly string[]): boolean {
  return a.size === b.length && b.every((x) => a.has(x));
}

function validAPIServerClientUsages(usages: readonly string[]): string | undefined {
  let clientAuth = false;
  for (const u of usages) {
    if (u === 'client auth') clientAuth = true;
    else if (u !== 'digital signature' && u !== 'key encipherment') return `invalid usage for client certificate: ${u}`;
  }
  return clientAuth ? undefined : 'missing required usage for client certificate: client auth';
}

const isSystemNodes = (req: CertificateRequest) => req.organizations.length === 1 && req.organizations[0] === 'system:nodes';

function validKubeletClient(req: CertificateRequest, usages: ReadonlySet<string>): string | undefined {
  if (!isSystemNodes(req)) return 'subject organization is not system:nodes';
  if (req.dnsNames.length > 0) return 'DNS subjectAltNames are not allowed';
  if (req.emailAddresses.length > 0) return 'Email subjectAltNames are not allowed';
  if (req.ipAddresses.length > 0) return 'IP subjectAltNames are not allowed';
  if (req.uris.length > 0) return 'URI subjectAltNames are not allowed';
  if (!req.commonName.startsWith('system:node:')) return 'subject common name does not begin with system:node:';
  if (!sameSet(usages, ['digital signature', 'key encipherment', 'client auth']) && !sameSet(usages, ['digital signature', 'client auth'])) {
    return 'usages did not match [client auth digital signature key encipherment]';
  }
  return undefined;
}

function validKubeletServing(req: CertificateRequest, usages: ReadonlySet<string>): string | undefined {
  if (!isSystemNodes(req)) return 'subject organization is not system:nodes';
  if (req.dnsNames.length === 0 && req.ipAddresses.length === 0) return 'DNS or IP subjectAltName is required';
  if (req.emailAddresses.length > 0) return 'Email subjectAltNames are not allowed';
  if (req.uris.length > 0) return 'URI subjectAltNames are not allowed';
  if (!sameSet(usages, ['digital signature', 'key encipherment', 'server auth']) && !sameSet(usages, ['digital signature', 'server auth'])) {
    return 'usages did not match [digital signature key encipherment server auth]';
  }
  if (!req.commonName.startsWith('system:node:')) return 'subject common name does not begin with system:node:';
  return undefined;
}

/** Why `signerName`'s rules refuse the request (undefined: they accept it). Only for the signers in SIGNED_HERE. */
export function signerRefusal(signerName: string, req: CertificateRequest, usages: readonly string[]): string | undefined {
  switch (signerName) {
    case KUBE_APISERVER_CLIENT: return validAPIServerClientUsages(usages);
    case KUBE_APISERVER_CLIENT_KUBELET: return validKubeletClient(req, new Set(usages));
    case KUBELET_SERVING: return validKubeletServing(req, new Set(usages));
    default: return `unrecognized signerName: ${JSON.stringify(signerName)}`;
  }
}

const KEY_USAGES: Record<string, KeyUsage> = {
  'signing': 'digitalSignature', 'digital signature': 'digitalSignature', 'content commitment': 'contentCommitment',
  'key encipherment': 'keyEncipherment', 'key agreement': 'keyAgreement', 'data encipherment': 'dataEncipherment',
  'cert sign': 'keyCertSign', 'crl sign': 'cRLSign', 'encipher only': 'encipherOnly', 'decipher only': 'decipherOnly',
};
const EXT_KEY_USAGES: Record<string, ExtendedKeyUsage> = { 'server auth': 'serverAuth', 'client auth': 'clientAuth' };

/** The certificate's keyUsage bits and extended key usages for the request's usages (those the signers here accept). */
export function certificateUsages(usages: readonly string[]): { keyUsages: KeyUsage[]; extendedKeyUsages: ExtendedKeyUsage[] } {
  const keyUsages = new Set<KeyUsage>();
  const ext = new Set<ExtendedKeyUsage>();
  for (const u of usages) {
    const k = KEY_USAGES[u];
    if (k) { keyUsages.add(k); continue; }
    const e = EXT_KEY_USAGES[u];
    if (e) { ext.add(e); continue; }
    throw new Error(`unrecognized usage values: ${JSON.stringify([u])}`);
  }
  // Go orders extended key usages by their enum: server auth before client auth.
  return { keyUsages: [...keyUsages], extendedKeyUsages: (['serverAuth', 'clientAuth'] as const).filter((e) => ext.has(e)) };
}
