// Who is asking: a client certificate verified against the cluster's client CA
// (CN = user, O = groups), or a bearer token. Requests with neither are anonymous.

import { createHash, timingSafeEqual } from 'node:crypto';
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
const identities = new WeakMap<TLSSocket, UserInfo | undefined>();

/** The identity in a verified client certificate. */
export function certificateUser(req: IncomingMessage): UserInfo | undefined {
  const sock = req.socket as TLSSocket;
  if (!sock.authorized || typeof sock.getPeerCertificate !== 'function') return undefined;
  if (identities.has(sock)) return identities.get(sock);
  const user = identityOf(sock);
  identities.set(sock, user);
  return user;
}

function identityOf(sock: TLSSocket): UserInfo | undefined {
  const cert = sock.getPeerCertificate();
  if (!cert || !cert.subject) return undefined;
  const cn = cert.subject.CN;
  const username = Array.isArray(cn) ? cn[0] : cn;
  if (!username) return undefined;
  const o = cert.subject.O;
  const groups = o === undefined ? [] : Array.isArray(o) ? [...o] : [o];
  if (!groups.includes('system:authenticated')) groups.push('system:authenticated');
  return { username, groups };
}

/**
 * Authenticate a request. Returns the user, `undefined` for no credentials, or
 * `null` for credentials that were presented and are not valid.
 */
export function authenticate(req: IncomingMessage, tokens: TokenAuthenticator[]): UserInfo | undefined | null {
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
  return certificateUser(req);
}
