// The admin bearer token: random, shown once, kept on disk only as a SHA-256 digest.
import { createHash, randomBytes } from 'node:crypto';

/** A new token: 256 random bits, base64url (43 characters). */
export function newAdminToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Hex SHA-256 of a bearer token, the form ServerOptions.adminTokenHashes takes. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function isTokenHash(text: string): boolean {
  return /^[0-9a-f]{64}$/.test(text);
}
