// HTTP/1.1 upgrade plumbing shared by exec, attach and port-forward: which
// upgrade a request asks for, stream-protocol negotiation
// (X-Stream-Protocol-Version, as k8s.io/apimachinery's httpstream does it), and
// plain HTTP responses written straight to an upgrade socket, for the cases
// where the upgrade is refused.

import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** Every value of a request header, comma-separated lists split, blanks dropped. */
export function headerValues(req: IncomingMessage, name: string): string[] {
  const raw = req.headersDistinct?.[name.toLowerCase()] ?? [];
  const out: string[] = [];
  for (const line of raw) {
    for (const part of line.split(',')) {
      const v = part.trim();
      if (v) out.push(v);
    }
  }
  return out;
}

function hasToken(req: IncomingMessage, name: string, token: string): boolean {
  return headerValues(req, name).some((v) => v.toLowerCase() === token.toLowerCase());
}

/** `Connection: Upgrade` with `Upgrade: websocket`. */
export function isWebSocketRequest(req: IncomingMessage): boolean {
  return hasToken(req, 'connection', 'upgrade') && hasToken(req, 'upgrade', 'websocket');
}

/** `Connection: Upgrade` with `Upgrade: SPDY/3.1`. */
export function isSpdyRequest(req: IncomingMessage): boolean {
  return hasToken(req, 'connection', 'upgrade') && headerValues(req, 'upgrade').some((v) => v.toLowerCase().includes('spdy/3.1'));
}

/** A Status body for a refused upgrade, shaped as the API server's errors are. */
export function statusBody(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

/** Write a complete HTTP response to an upgrade socket and close it. */
export function writeRawResponse(socket: Duplex, code: number, headers: Record<string, string>, body = ''): void {
  if (socket.destroyed) return;
  const payload = Buffer.from(body, 'utf8');
  const lines = [`HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Unknown'}`];
  const all: Record<string, string> = { ...headers, 'Content-Length': String(payload.length), Connection: 'close' };
  for (const [k, v] of Object.entries(all)) lines.push(`${k}: ${v}`);
  socket.end(Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), payload]));
  // Don't wait forever for a client that never reads.
  setTimeout(() => socket.destroy(), 5_000).unref();
}

/** Refuse an upgrade with a Status the client prints (`Error from server (BadRequest): …`). */
export function refuseUpgrade(socket: Duplex, code: number, reason: string, message: string, headers: Record<string, string> = {}): void {
  writeRawResponse(socket, code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', ...headers },
    statusBody(code, reason, message));
}

export type Negotiated = { ok: true; protocol: string } | { ok: false };

/**
 * Pick the stream protocol of a SPDY upgrade: the first of the client's
 * X-Stream-Protocol-Version values (in the client's order) that the server
 * supports. A client that names none gets `fallback` (the legacy protocol).
 * When nothing matches, a 403 is written, as upstream does, and ok is false.
 */
export function negotiateStreamProtocol(req: IncomingMessage, socket: Duplex, serverProtocols: readonly string[], fallback: string): Negotiated {
  const offered = headerValues(req, 'x-stream-protocol-version');
  if (offered.length === 0) return { ok: true, protocol: fallback };
  const protocol = offered.find((p) => serverProtocols.includes(p));
  if (protocol !== undefined) return { ok: true, protocol };
  const message = `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${serverProtocols.join(' ')}]`;
  writeRawResponse(socket, 403, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Accepted-Stream-Protocol-Versions': serverProtocols.join(', '),
  }, message + '\n');
  return { ok: false };
}

/** The 101 that switches a connection to SPDY/3.1 with the negotiated stream protocol. */
export function writeSpdySwitch(socket: Duplex, protocol: string): void {
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Connection: Upgrade', 'Upgrade: SPDY/3.1'];
  if (protocol) lines.push(`X-Stream-Protocol-Version: ${protocol}`);
  socket.write(lines.join('\r\n') + '\r\n\r\n');
}
