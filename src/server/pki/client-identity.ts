// Who a client certificate says the caller is, the way Kubernetes reads it:
// the subject's CN is the user name and each O is a group.
import type { PeerCertificate, TLSSocket } from 'node:tls';

export interface ClientIdentity {
  readonly username: string;
  readonly groups: string[];
}

/** Node gives a repeated subject attribute as an array, a single one as a string. */
function values(attribute: string | string[] | undefined): string[] {
  if (attribute === undefined) return [];
  return Array.isArray(attribute) ? attribute : [attribute];
}

/** The identity in a peer certificate's subject; undefined without a CN. */
export function identityFromCertificate(cert: PeerCertificate): ClientIdentity | undefined {
  const subject = cert.subject as unknown as Record<string, string | string[] | undefined> | undefined;
  if (!subject) return undefined;
  const username = values(subject.CN)[0];
  if (!username) return undefined;
  return { username, groups: values(subject.O) };
}

/**
 * The identity of the client at the other end of `socket`, when it presented a
 * certificate that chains to the server's client CA (`socket.authorized`);
 * undefined for no certificate, an untrusted one, or one without a CN.
 */
export function clientIdentity(socket: TLSSocket): ClientIdentity | undefined {
  if (!socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return undefined;
  return identityFromCertificate(cert);
}
