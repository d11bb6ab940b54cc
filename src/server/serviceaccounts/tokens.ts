// Service account tokens: signed JWTs carrying kube-apiserver's claims, and the
// authenticator that accepts them while the service account (and whatever the
// token is bound to) still exists with the same UID.
//
// Payload, keys in the order kube-apiserver emits them (sorted):
//   aud, exp, iat, iss, jti,
//   kubernetes.io: { namespace, node?, pod?, secret?, serviceaccount: {name, uid}, warnafter? },
//   nbf, sub = system:serviceaccount:<namespace>:<name>
import { randomUUID, sign, verify } from 'node:crypto';
import type { KubeObject } from '../../api/types.ts';
import type { UserInfo } from '../../registry/types.ts';
import type { TokenAuthenticator } from '../auth/authenticate.ts';
import type { SigningAlgorithm, SigningKey, VerificationKey } from './keys.ts';

/** Shortest lifetime a requested token may have (TokenRequest validation). */
export const MIN_EXPIRATION_SECONDS = 10 * 60;
/** Longest lifetime a requested token may have (TokenRequest validation). */
export const MAX_EXPIRATION_SECONDS = 2 ** 32;
/** Lifetime when a TokenRequest names none. */
export const DEFAULT_EXPIRATION_SECONDS = 60 * 60;
/** The lifetime the kubelet asks for in kube-api-access volumes; such pod-bound tokens get an extended expiry. */
export const WARN_ONLY_EXPIRATION_SECONDS = 60 * 60 + 7;
/** How long such an extended token actually lasts (one year). */
export const EXTENDED_EXPIRATION_SECONDS = 24 * 365 * 60 * 60;
/** Clock skew tolerated on exp, nbf and iat, and on deletion of bound objects. */
export const LEEWAY_SECONDS = 60;

export const SERVICE_ACCOUNT_USERNAME_PREFIX = 'system:serviceaccount:';
export const ALL_SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';
export const AUTHENTICATED_GROUP = 'system:authenticated';

/** Keys of UserInfo.extra a service account token fills. */
export const EXTRA_CREDENTIAL_ID = 'authentication.kubernetes.io/credential-id';
export const EXTRA_NODE_NAME = 'authentication.kubernetes.io/node-name';
export const EXTRA_NODE_UID = 'authentication.kubernetes.io/node-uid';
export const EXTRA_POD_NAME = 'authentication.kubernetes.io/pod-name';
export const EXTRA_POD_UID = 'authentication.kubernetes.io/pod-uid';

export interface ObjectRef {
  name: string;
  /** Absent only for the node of a pod whose Node object was not found. */
  uid?: string;
}

/** The `kubernetes.io` private claim. */
export interface KubernetesClaim {
  namespace: string;
  node?: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  serviceaccount: ObjectRef;
  warnafter?: number;
}

export interface ServiceAccountClaims {
  aud: string[];
  exp: number;
  iat: number;
  iss: string;
  jti: string;
  'kubernetes.io': KubernetesClaim;
  nbf: number;
  sub: string;
}

export type BoundObjectKind = 'Pod' | 'Secret' | 'Node';

export interface IssueTokenOptions {
  key: SigningKey;
  issuer: string;
  audiences: readonly string[];
  /** Lifetime of the token (its exp). Default 3600; at least 600 and at most 2^32. */
  expirationSeconds?: number;
  namespace: string;
  serviceAccount: { name: string; uid: string };
  /** The object whose deletion invalidates the token. */
  boundObject?: { kind: BoundObjectKind; name: string; uid: string };
  /** For a pod-bound token: the node the pod runs on (uid absent when the Node object was not found). */
  node?: ObjectRef;
  /** Seconds after which a still-valid token counts as stale (the kubelet's extended tokens). */
  warnAfterSeconds?: number;
  /** Issue time; default now. */
  now?: Date | number;
  /** Token ID; default a random UUID. */
  jti?: string;
}

export interface IssuedToken {
  token: string;
  /** RFC 3339, seconds: when the token's exp is reached. */
  expirationTimestamp: string;
  claims: ServiceAccountClaims;
}

export function serviceAccountUsername(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_USERNAME_PREFIX}${namespace}:${name}`;
}

export function serviceAccountGroups(namespace: string): string[] {
  return [ALL_SERVICE_ACCOUNTS_GROUP, `${ALL_SERVICE_ACCOUNTS_GROUP}:${namespace}`];
}

/** RFC 3339 with seconds, as metav1.Time prints. */
export function rfc3339(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function unixSeconds(now: Date | number | undefined): number {
  const ms = now === undefined ? Date.now() : typeof now === 'number' ? now : now.getTime();
  return Math.floor(ms / 1000);
}

function ref(name: string, uid: string | undefined): ObjectRef {
  return uid ? { name, uid } : { name };
}

// ---------------------------------------------------------------------------
// JWS compact serialization

const hashOf: Record<SigningAlgorithm, string> = { RS256: 'sha256', ES256: 'sha256', ES384: 'sha384', ES512: 'sha512' };

function signingInput(header: object, payload: object): string {
  return `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
}

/** Bytes of each of r and s in a JWS ECDSA signature. */
const ecPartBytes: Record<Exclude<SigningAlgorithm, 'RS256'>, number> = { ES256: 32, ES384: 48, ES512: 66 };

/**
 * An ECDSA signature from its DER form (SEQUENCE of the INTEGERs r and s) to JWS's
 * fixed-width r || s. Signing with the key object alone, then this, takes half the time
 * of asking OpenSSL for that encoding through an options object.
 */
export function derToJoseSignature(der: Buffer, partBytes: number): Buffer {
  const out = Buffer.alloc(2 * partBytes);
  let at = 2;
  if (der[1]! & 0x80) at += der[1]! & 0x7f; // long-form length of the SEQUENCE (ES512)
  for (let part = 0; part < 2; part++) {
    const len = der[at + 1]!;
    let start = at + 2;
    let n = len;
    while (n > partBytes && der[start] === 0) { start++; n--; } // INTEGER sign padding
    der.copy(out, part * partBytes + (partBytes - n), start, start + n);
    at += 2 + len;
  }
  return out;
}

/** Sign `payload` as a compact JWS with header {alg, kid}. */
export function signJwt(key: SigningKey, payload: object): string {
  const input = signingInput({ alg: key.alg, kid: key.kid }, payload);
  return jws(key, input, sign(hashOf[key.alg], Buffer.from(input), key.privateKey));
}

/** signJwt on libuv's thread pool: a server signing many tokens (a synced pod's each) keeps its event loop free meanwhile. */
export function signJwtAsync(key: SigningKey, payload: object): Promise<string> {
  const input = signingInput({ alg: key.alg, kid: key.kid }, payload);
  return new Promise((resolve, reject) => {
    sign(hashOf[key.alg], Buffer.from(input), key.privateKey, (err, der) => (err ? reject(err) : resolve(jws(key, input, der))));
  });
}

function jws(key: SigningKey, input: string, der: Buffer): string {
  const signature = key.alg === 'RS256' ? der : derToJoseSignature(der, ecPartBytes[key.alg]);
  return `${input}.${signature.toString('base64url')}`;
}

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

const base64url = /^[A-Za-z0-9_-]*$/;

function decodeJson(part: string): Record<string, unknown> | undefined {
  if (!base64url.test(part)) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

/** Split and decode a compact JWS without verifying it; undefined when it is not one. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !base64url.test(parts[2]!)) return undefined;
  const header = decodeJson(parts[0]!);
  const payload = decodeJson(parts[1]!);
  if (!header || !payload) return undefined;
  return { header, payload, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2]!, 'base64url') };
}

/** Whether `jwt` was signed by `key` with the key's own algorithm (no other algorithm is accepted). */
export function verifyJwtSignature(jwt: DecodedJwt, key: Pick<VerificationKey, 'publicKey' | 'alg'>): boolean {
  if (jwt.header.alg !== key.alg) return false;
  try {
    return key.alg === 'RS256'
      ? verify(hashOf[key.alg], Buffer.from(jwt.signingInput), key.publicKey, jwt.signature)
      : verify(hashOf[key.alg], Buffer.from(jwt.signingInput), { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, jwt.signature);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// Issuing

/** Build the claims of a service account token (kube-apiserver's pkg/serviceaccount Claims). */
export function tokenClaims(opts: Omit<IssueTokenOptions, 'key'>): ServiceAccountClaims {
  const exp = opts.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
  if (!Number.isInteger(exp) || exp < MIN_EXPIRATION_SECONDS || exp > MAX_EXPIRATION_SECONDS) {
    throw new RangeError(`expirationSeconds must be an integer from ${MIN_EXPIRATION_SECONDS} to ${MAX_EXPIRATION_SECONDS}, got ${exp}`);
  }
  const now = unixSeconds(opts.now);
  const k8s: KubernetesClaim = {
    namespace: opts.namespace,
    serviceaccount: ref(opts.serviceAccount.name, opts.serviceAccount.uid),
  };
  const bound = opts.boundObject;
  if (opts.node && bound?.kind !== 'Pod') throw new Error('node information belongs only in a pod-bound token');
  switch (bound?.kind) {
    case 'Pod':
      if (opts.node) k8s.node = ref(opts.node.name, opts.node.uid);
      k8s.pod = ref(bound.name, bound.uid);
      break;
    case 'Secret':
      k8s.secret = ref(bound.name, bound.uid);
      break;
    case 'Node':
      k8s.node = ref(bound.name, bound.uid);
      break;
    case undefined:
      break;
    default:
      throw new Error(`a token cannot be bound to a ${(bound as { kind: string }).kind}`);
  }
  if (opts.warnAfterSeconds) k8s.warnafter = now + opts.warnAfterSeconds;
  // Keys in sorted order, nested ones too (see the top of this file).
  const sortedK8s: KubernetesClaim = {
    namespace: k8s.namespace,
    ...(k8s.node ? { node: k8s.node } : {}),
    ...(k8s.pod ? { pod: k8s.pod } : {}),
    ...(k8s.secret ? { secret: k8s.secret } : {}),
    serviceaccount: k8s.serviceaccount,
    ...(k8s.warnafter !== undefined ? { warnafter: k8s.warnafter } : {}),
  };
  return {
    aud: [...opts.audiences],
    exp: now + exp,
    iat: now,
    iss: opts.issuer,
    jti: opts.jti ?? randomUUID(),
    'kubernetes.io': sortedK8s,
    nbf: now,
    sub: serviceAccountUsername(opts.namespace, opts.serviceAccount.name),
  };
}

/** Issue a signed service account token. */
export function issueToken(opts: IssueTokenOptions): IssuedToken {
  const { claims, payload } = tokenPayload(opts);
  return { token: signJwt(opts.key, payload), expirationTimestamp: rfc3339(claims.exp), claims };
}

/** issueToken, signed off the event loop. */
export async function issueTokenAsync(opts: IssueTokenOptions): Promise<IssuedToken> {
  const { claims, payload } = tokenPayload(opts);
  return { token: await signJwtAsync(opts.key, payload), expirationTimestamp: rfc3339(claims.exp), claims };
}

function tokenPayload(opts: IssueTokenOptions): { claims: ServiceAccountClaims; payload: Record<string, unknown> } {
  const claims = tokenClaims(opts);
  // An empty audience list is left out, as upstream's omitempty does.
  const payload: Record<string, unknown> = { ...claims };
  if (claims.aud.length === 0) delete payload.aud;
  return { claims, payload };
}

// ---------------------------------------------------------------------------
// Authenticating

export type LookupKind = 'ServiceAccount' | BoundObjectKind;

/**
 * The current object, or undefined when there is none. Namespace is undefined
 * for Nodes. Typically backed by the watch cache (GenericStore.peek).
 */
export type ObjectLookup = (kind: LookupKind, namespace: string | undefined, name: string) => KubeObject | undefined;

/** Something that yields the current verification key(s) (a ClusterSigningKey peeks its file). */
export interface KeySource {
  peek(): VerificationKey | undefined;
}

export interface ServiceAccountTokenAuthenticatorOptions {
  /** Issuer(s) accepted; the first is the one tokens are issued with. */
  issuer: string | readonly string[];
  /** The signing key, a source of it, or several (e.g. a previous key still trusted). */
  keys: VerificationKey | KeySource | ReadonlyArray<VerificationKey | KeySource>;
  lookup: ObjectLookup;
  /** Audiences the API server accepts (--api-audiences); default the issuers. */
  apiAudiences?: readonly string[];
  /** Clock in milliseconds; default Date.now. */
  now?: () => number;
}

export type TokenCheck =
  | {
    ok: true;
    user: UserInfo;
    /** The token's audiences that were asked for (TokenReview status.audiences). */
    audiences: string[];
    /** Seconds past the token's warnafter, when it is an extended token used after it (upstream audits these as stale). */
    staleSeconds?: number;
  }
  | {
    ok: false;
    /** false: not a token of this issuer at all (another authenticator may know it). */
    recognized: boolean;
    error: string;
  };

function isKeySource(k: VerificationKey | KeySource): k is KeySource {
  return typeof (k as KeySource).peek === 'function';
}

function stringArray(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (v === undefined || v === null) return [];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function refClaim(v: unknown): ObjectRef | undefined {
  if (!isObject(v)) return undefined;
  return { name: typeof v.name === 'string' ? v.name : '', uid: typeof v.uid === 'string' ? v.uid : '' };
}

function numericDate(v: unknown): number | undefined | null {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : null;
}

/** Go's %q of a string slice: ["a" "b"]. */
function goQuoteList(list: readonly string[]): string {
  return `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;
}

function deletedBefore(obj: KubeObject, limitMs: number): boolean {
  const ts = obj.metadata.deletionTimestamp;
  return ts !== undefined && Date.parse(ts) < limitMs;
}

/** Accepts service account tokens of one virtual cluster. */
export class ServiceAccountTokenAuthenticator implements TokenAuthenticator {
  private readonly issuers: ReadonlySet<string>;
  private readonly keys: ReadonlyArray<VerificationKey | KeySource>;
  private readonly lookup: ObjectLookup;
  private readonly apiAudiences: readonly string[];
  private readonly now: () => number;

  constructor(opts: ServiceAccountTokenAuthenticatorOptions) {
    const issuers = typeof opts.issuer === 'string' ? [opts.issuer] : [...opts.issuer];
    if (issuers.length === 0) throw new Error('at least one issuer is required');
    this.issuers = new Set(issuers);
    this.keys = Array.isArray(opts.keys) ? [...opts.keys] : [opts.keys as VerificationKey | KeySource];
    this.lookup = opts.lookup;
    this.apiAudiences = opts.apiAudiences ? [...opts.apiAudiences] : issuers;
    this.now = opts.now ?? Date.now;
  }

  authenticateToken(token: string): UserInfo | undefined {
    const r = this.authenticate(token);
    return r.ok ? r.user : undefined;
  }

  /**
   * Check a token against the audiences asked for (a TokenReview's
   * spec.audiences; empty or absent: the API audiences).
   */
  authenticate(token: string, audiences?: readonly string[]): TokenCheck {
    const notMine = (error: string): TokenCheck => ({ ok: false, recognized: false, error });
    const fail = (error: string): TokenCheck => ({ ok: false, recognized: true, error });

    if (token.trimStart().startsWith('{')) return notMine('not a compact JWT');
    const jwt = decodeJwt(token);
    // Only tokens naming one of our issuers are ours to judge.
    if (!jwt || typeof jwt.payload.iss !== 'string' || !this.issuers.has(jwt.payload.iss)) {
      return notMine('not a service account token of this issuer');
    }
    if (jwt.header.crit !== undefined) return fail('unsupported critical header');

    const kid = typeof jwt.header.kid === 'string' ? jwt.header.kid : '';
    const candidates: VerificationKey[] = [];
    for (const k of this.keys) {
      const key = isKeySource(k) ? k.peek() : k;
      if (key && (kid === '' || key.kid === kid)) candidates.push(key);
    }
    if (candidates.length === 0) return fail('invalid signature, no keys found');
    if (!candidates.some((key) => verifyJwtSignature(jwt, key))) return fail('invalid signature');

    const claims = jwt.payload;
    const tokenAudiences = stringArray(claims.aud);
    if (tokenAudiences === undefined) return fail('invalid audience claim');
    const effective = tokenAudiences.length > 0 ? tokenAudiences : [...this.apiAudiences];
    const requested = audiences && audiences.length > 0 ? audiences : this.apiAudiences;
    const matched = effective.filter((a) => requested.includes(a));
    if (matched.length === 0 && this.apiAudiences.length > 0) {
      return fail(`token audiences ${goQuoteList(effective)} is invalid for the target audiences ${goQuoteList(requested)}`);
    }

    const nowMs = this.now();
    const nowSec = Math.floor(nowMs / 1000);
    const exp = numericDate(claims.exp), nbf = numericDate(claims.nbf), iat = numericDate(claims.iat);
    if (exp === null || nbf === null || iat === null) return fail('service account token claims could not be validated due to unexpected validation error');
    if (nbf !== undefined && nowSec + LEEWAY_SECONDS < nbf) return fail('service account token is not valid yet');
    if (exp !== undefined && nowSec - LEEWAY_SECONDS > exp) return fail('service account token has expired');
    if (iat !== undefined && nowSec + LEEWAY_SECONDS < iat) return fail('service account token is issued in the future');

    const k8s = isObject(claims['kubernetes.io']) ? claims['kubernetes.io'] : {};
    const namespace = typeof k8s.namespace === 'string' ? k8s.namespace : '';
    const saRef = refClaim(k8s.serviceaccount) ?? { name: '', uid: '' };
    const podRef = refClaim(k8s.pod), secretRef = refClaim(k8s.secret), nodeRef = refClaim(k8s.node);
    // Objects deleted (gracefully) longer ago than the leeway no longer vouch for the token.
    const deletedLimit = nowMs - LEEWAY_SECONDS * 1000;

    const sa = saRef.name ? this.lookup('ServiceAccount', namespace, saRef.name) : undefined;
    if (!sa) return fail(`serviceaccounts "${saRef.name}" not found`);
    if ((sa.metadata.uid ?? '') !== saRef.uid) return fail(`service account UID (${sa.metadata.uid ?? ''}) does not match claim (${saRef.uid})`);
    if (deletedBefore(sa, deletedLimit)) return fail(`service account ${namespace}/${saRef.name} has been deleted`);

    if (secretRef) {
      const secret = secretRef.name ? this.lookup('Secret', namespace, secretRef.name) : undefined;
      if (!secret) return fail('service account token has been invalidated');
      if ((secret.metadata.uid ?? '') !== secretRef.uid) {
        return fail(`secret UID (${secret.metadata.uid ?? ''}) does not match service account secret ref claim (${secretRef.uid})`);
      }
      if (deletedBefore(secret, deletedLimit)) return fail('service account token has been invalidated');
    }

    let podName = '', podUid = '';
    if (podRef) {
      const pod = podRef.name ? this.lookup('Pod', namespace, podRef.name) : undefined;
      if (!pod) return fail('service account token has been invalidated');
      if ((pod.metadata.uid ?? '') !== podRef.uid) {
        return fail(`pod UID (${pod.metadata.uid ?? ''}) does not match service account pod ref claim (${podRef.uid})`);
      }
      if (deletedBefore(pod, deletedLimit)) return fail('service account token has been invalidated');
      podName = podRef.name;
      podUid = podRef.uid ?? '';
    }

    let nodeName = '', nodeUid = '';
    if (nodeRef) {
      if (!podRef) {
        // Bound to the node itself: the node must still be there.
        const node = nodeRef.name ? this.lookup('Node', undefined, nodeRef.name) : undefined;
        if (!node) return fail('service account token has been invalidated');
        if ((node.metadata.uid ?? '') !== nodeRef.uid) {
          return fail(`node UID (${node.metadata.uid ?? ''}) does not match service account node ref claim (${nodeRef.uid})`);
        }
        if (deletedBefore(node, deletedLimit)) return fail('service account token has been invalidated');
      }
      // For a pod-bound token the node is information only.
      nodeName = nodeRef.name;
      nodeUid = nodeRef.uid ?? '';
    }

    let staleSeconds: number | undefined;
    const warnafter = numericDate(k8s.warnafter);
    if (typeof warnafter === 'number' && warnafter !== 0 && nowSec > warnafter) staleSeconds = nowSec - warnafter;

    const jti = typeof claims.jti === 'string' ? claims.jti : '';
    const user = serviceAccountUser({
      namespace, name: saRef.name, uid: saRef.uid ?? '',
      podName, podUid, nodeName, nodeUid, credentialId: jti ? `JTI=${jti}` : '',
    });
    const result: TokenCheck = { ok: true, user, audiences: matched };
    if (staleSeconds !== undefined) result.staleSeconds = staleSeconds;
    return result;
  }
}

export interface ServiceAccountInfo {
  namespace: string;
  name: string;
  uid: string;
  podName?: string;
  podUid?: string;
  nodeName?: string;
  nodeUid?: string;
  credentialId?: string;
}

/** The user a service account authenticates as (extra keys in sorted order, as upstream prints them). */
export function serviceAccountUser(sa: ServiceAccountInfo): UserInfo {
  const extra: Record<string, string[]> = {};
  if (sa.credentialId) extra[EXTRA_CREDENTIAL_ID] = [sa.credentialId];
  if (sa.nodeName) {
    extra[EXTRA_NODE_NAME] = [sa.nodeName];
    if (sa.nodeUid) extra[EXTRA_NODE_UID] = [sa.nodeUid];
  }
  if (sa.podName && sa.podUid) {
    extra[EXTRA_POD_NAME] = [sa.podName];
    extra[EXTRA_POD_UID] = [sa.podUid];
  }
  const user: UserInfo = {
    username: serviceAccountUsername(sa.namespace, sa.name),
    uid: sa.uid,
    groups: [...serviceAccountGroups(sa.namespace), AUTHENTICATED_GROUP],
  };
  if (Object.keys(extra).length > 0) user.extra = extra;
  return user;
}
