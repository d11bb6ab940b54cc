// An exec, attach or port-forward connection passed through to the host: the
// client's upgrade request is repeated to the host (its protocol headers only:
// never the client's credentials), the host's 101 is written back to the
// client, and from then on the bytes flow both ways, whatever the protocol
// (WebSocket channels, SPDY/3.1, SPDY tunnelled in WebSocket): untouched,
// but for the host's own error text on its way to the client (streams-rewrite.ts).

import type { IncomingMessage } from 'node:http';
import type { Duplex, Writable } from 'node:stream';
import type { Upgraded } from './host/connection.ts';
import type { SessionRewrite } from './streams-rewrite.ts';

/**
 * Request headers that carry the upgrade and its stream protocol; nothing else goes to the host.
 * Not WebSocket extensions: a compressed message could not be re-worded.
 */
const FORWARDED_REQUEST_HEADERS = [
  'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'x-stream-protocol-version',
] as const;

/** Headers of the host's 101 that the client needs; others (audit ids, flow schemas) stay on the host. */
const FORWARDED_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  'connection', 'upgrade', 'sec-websocket-accept', 'sec-websocket-protocol', 'x-stream-protocol-version',
]);

/** How long one side may take to finish once the other has closed, before it is cut. */
const CLOSE_GRACE_MS = 5_000;

/** The headers of the client's upgrade request to send to the host. */
export function upgradeHeaders(req: IncomingMessage): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const values = req.headersDistinct[name];
    if (values !== undefined && values.length > 0) out[name] = values;
  }
  return out;
}

/** The host's 101 as the client gets it: status line and the protocol headers. */
export function switchingResponse(response: IncomingMessage): string {
  const lines = [`HTTP/1.1 101 ${response.statusMessage || 'Switching Protocols'}`];
  const raw = response.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (FORWARDED_RESPONSE_HEADERS.has(raw[i]!.toLowerCase())) lines.push(`${raw[i]}: ${raw[i + 1]}`);
  }
  return lines.join('\r\n') + '\r\n\r\n';
}

/**
 * Join the client's upgraded socket to the host's. Returns a function that
 * cuts both at once (for shutdown). `onClosed` runs once both are closed.
 * When one side closes, the other is ended (what is already written still
 * goes out) and cut if it has not closed within a few seconds. With
 * `rewrite`, the host's bytes reach the client through it.
 */
export function splice(client: Duplex, clientHead: Buffer, host: Upgraded, onClosed: () => void, rewrite?: SessionRewrite): () => void {
  const upstream = host.socket;
  if (client.destroyed) {
    // The client left while the host answered.
    upstream.destroy();
    rewrite?.close();
    onClosed();
    return () => {};
  }
  // A session that ends with a status of its own (SessionRewrite.endsWithStatus): the host's
  // side goes, and the client's is ended through the rewrite, which says the session failed.
  const graceful = rewrite?.endsWithStatus === true;
  let open = 2;
  const timers: NodeJS.Timeout[] = [];
  const cut = (): void => {
    if (!graceful) client.destroy();
    upstream.destroy();
  };
  const closed = (): void => {
    if (--open > 0) return;
    for (const t of timers) clearTimeout(t);
    if (rewrite) {
      rewrite.toClient.destroy();
      rewrite.close();
    }
    onClosed();
  };
  /** `other` is ended through `writer` (itself, or what writes to it). */
  const finishOther = (other: Duplex, writer: Writable) => (): void => {
    closed();
    if (other.destroyed) return;
    if (!writer.writableEnded) writer.end();
    // Nothing reads it any more: drain it, or its peer's end would never be seen.
    other.resume();
    const t = setTimeout(() => other.destroy(), CLOSE_GRACE_MS);
    t.unref();
    timers.push(t);
  };
  const toClient: Writable = rewrite?.toClient ?? client;
  // The client gone, the host's bytes are drained from the socket, not left to fill the rewriter.
  if (rewrite) client.once('close', () => upstream.unpipe(rewrite.toClient));
  client.once('close', finishOther(upstream, upstream));
  upstream.once('close', finishOther(client, toClient));
  // A broken connection on either side ends the session: there is no one left to talk to.
  client.on('error', () => { client.destroy(); upstream.destroy(); });
  upstream.on('error', cut);
  rewrite?.toClient.on('error', () => { client.destroy(); upstream.destroy(); });

  client.write(switchingResponse(host.response));
  if (rewrite) rewrite.toClient.pipe(client);
  if (host.head.length > 0) toClient.write(host.head);
  if (clientHead.length > 0) {
    rewrite?.watchClient?.(clientHead);
    upstream.write(clientHead);
  }
  if (rewrite?.watchClient) client.on('data', rewrite.watchClient);
  client.pipe(upstream);
  upstream.pipe(toClient);
  return cut;
}
