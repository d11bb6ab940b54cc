// Who is asking: a client certificate verified against the cluster's client CA
// (CN = user, O = groups), or a bearer token. Requests with neither are anonymous.

import { createHash, timingSafeEqual, X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { UserInfo } from '../../registry/types.ts';

export interface TokenAuthenticator {
  /** The user a bearer token stands for, or undefined when it is not valid. */
  authenticateToken(token: string): UserInfo | undefined;
}

export const anonymousUser: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

/** Static admin tokens, kept only as SHA-256 digests. */
export class StaticTokens implements TokenAuthenticator {
  private readonly hashes: Buffer[];
  constructor(hexDigests: string[]) {
    this.hashes = hexDigests.map((h) => Buffer.from(h, 'hex'));
  }
  authenticateToken(token: string): UserInfo | undefined {
    const d = createHash('sha256').update(token).digest();
    for (const h of this.hashes) {
      if (h.length === d.length && timingSafeEqual(h, d)) {
        return { username: 'kubevisor-admin', groups: ['system:masters', 'system:authenticated'] };
      }
    }
    return undefined;
  }
}

// A connection's certificate does not change: parse it once per connection, not per request.
interface CertIdentity {
  readonly user: UserInfo;
  readonly leaf: X509Certificate;
  /** Whether each CA (by fingerprint) issued the leaf, as checked so far. */
  readonly issuedBy: Map<string, boolean>;
}
const identities = new WeakMap<TLSSocket, CertIdentity | undefined>();

/**
 * The identity in a verified client certificate. With `issuer`, only a
 * certificate that CA signed counts (each virtual cluster accepts only
 * certificates of its own CA; the TLS layer checked the chain to the root).
 */
export function certificateUser(req: IncomingMessage, issuer?: X509Certificate): UserInfo | undefined {
  const sock = req.socket as TLSSocket;
  if (!sock.authorized || typeof sock.getPeerCertificate !== 'function') return undefined;
  let id = identities.get(sock);
  if (!identities.has(sock)) {
    id = identityOf(sock);
    identities.set(sock, id);
  }
  if (!id) return undefined;
  if (issuer !== undefined) {
    let ok = id.issuedBy.get(issuer.fingerprint256);
    if (ok === undefined) {
      ok = id.leaf.checkIssued(issuer) && id.leaf.verify(issuer.publicKey);
      id.issuedBy.set(issuer.fingerprint256, ok);
    }
    if (!ok) return undefined;
  }
  return id.user;
}

/** The verified client certificate of the request's connection, if any. */
export function peerCertificate(req: IncomingMessage): X509Certificate | undefined {
  const sock = req.socket as TLSSocket;
  if (!sock.authorized || typeof sock.getPeerCertificate !== 'function') return undefined;
  if (!identities.has(sock)) identities.set(sock, identityOf(sock));
  return identities.get(sock)?.leaf;
}

/** The bearer token of a request, if it carries one. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

function identityOf(sock: TLSSocket): CertIdentity | undefined {
  const cert = sock.getPeerCertificate();
  if (!cert || !cert.subject || !cert.raw) return undefined;
  const cn = cert.subject.CN;
  const username = Array.isArray(cn) ? cn[0] : cn;
  if (!username) return undefined;
  const o = cert.subject.O;
  const groups = o === undefined ? [] : Array.isArray(o) ? [...o] : [o];
  if (!groups.includes('system:authenticated')) groups.push('system:authenticated');
  return { user: { username, groups }, leaf: new X509Certificate(cert.raw), issuedBy: new Map() };
}

/**
 * Authenticate a request. Returns the user, `undefined` for no credentials, or
 * `null` for credentials that were presented and are not valid.
 */
export function authenticate(req: IncomingMessage, tokens: TokenAuthenticator[], certIssuer?: X509Certificate): UserInfo | undefined | null {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (!m) return null;
    for (const t of tokens) {
      const u = t.authenticateToken(m[1]);
      if (u) return u;
    }
    return null;
  }
  return certificateUser(req, certIssuer);
}
