// An exec, attach or port-forward connection passed through to the host: the
// client's upgrade request is repeated to the host (its protocol headers only:
// never the client's credentials), the host's 101 is written back to the
// client, and from then on the bytes flow both ways untouched, whatever the
// protocol (WebSocket channels, SPDY/3.1, SPDY tunnelled in WebSocket).

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Upgraded } from './host/connection.ts';

/** Request headers that carry the upgrade and its stream protocol; nothing else goes to the host. */
const FORWARDED_REQUEST_HEADERS = [
  'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions',
  'x-stream-protocol-version',
] as const;

/** Headers of the host's 101 that the client needs; others (audit ids, flow schemas) stay on the host. */
const FORWARDED_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  'connection', 'upgrade', 'sec-websocket-accept', 'sec-websocket-protocol', 'sec-websocket-extensions',
  'x-stream-protocol-version',
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
 * goes out) and cut if it has not closed within a few seconds.
 */
export function splice(client: Duplex, clientHead: Buffer, host: Upgraded, onClosed: () => void): () => void {
  const upstream = host.socket;
  if (client.destroyed) {
    // The client left while the host answered.
    upstream.destroy();
    onClosed();
    return () => {};
  }
  let open = 2;
  const timers: NodeJS.Timeout[] = [];
  const cut = (): void => {
    client.destroy();
    upstream.destroy();
  };
  const closed = (): void => {
    if (--open > 0) return;
    for (const t of timers) clearTimeout(t);
    onClosed();
  };
  const finishOther = (other: Duplex) => (): void => {
    closed();
    if (other.destroyed) return;
    other.end();
    // Nothing reads it any more: drain it, or its peer's end would never be seen.
    other.resume();
    const t = setTimeout(() => other.destroy(), CLOSE_GRACE_MS);
    t.unref();
    timers.push(t);
  };
  client.once('close', finishOther(upstream));
  upstream.once('close', finishOther(client));
  // A broken connection on either side ends the session: there is no one left to talk to.
  client.on('error', cut);
  upstream.on('error', cut);

  client.write(switchingResponse(host.response));
  if (host.head.length > 0) client.write(host.head);
  if (clientHead.length > 0) upstream.write(clientHead);
  client.pipe(upstream);
  upstream.pipe(client);
  return cut;
}
