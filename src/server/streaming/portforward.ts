// `pods/<name>/portforward`: forwarding pod ports to the local addresses a
// pod's annotations name (`kubevisor.dev/port-forward-<port>: 127.0.0.1:8080`).
//
// Transports:
// - SPDY/3.1 on the upgraded socket (`POST`, `Upgrade: SPDY/3.1`,
//   X-Stream-Protocol-Version `portforward.k8s.io`): kubectl 1.27–1.30 and
//   KUBECTL_PORT_FORWARD_WEBSOCKETS=false.
// - SPDY/3.1 tunnelled in binary WebSocket messages (subprotocol
//   `SPDY/3.1+portforward.k8s.io`): kubectl 1.31+.
// - The kubelet's channel WebSocket protocol (`v4.channel.k8s.io`,
//   `v4.base64.channel.k8s.io`, `?ports=80,443`): data on channel 2i, errors
//   on 2i+1, each channel starting with its port as 2 little-endian bytes.
//   Not used by kubectl, but by other clients.
//
// Over SPDY each local connection the client accepts becomes a pair of
// streams sharing a `requestID`: `streamType: error` and `streamType: data`,
// both with a `port` header. The data stream is piped to a new TCP connection
// to the configured address; a failure is written as text on the error
// stream, which is closed when the forwarding ends.

import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { KubeObject } from '../../api/types.ts';
import { onShutdown, podIdentity, portForwardTarget, type StreamingOptions } from './pod-config.ts';
import { spdyOverSocket, spdyOverWebSocket, type SpdySession, type SpdyStream } from './spdy.ts';
import {
  isSpdyRequest, isWebSocketRequest, negotiateStreamProtocol, refuseUpgrade, writeSpdySwitch,
} from './upgrade.ts';
import { acceptWebSocket, offeredSubprotocols, refuseSubprotocols } from './websocket.ts';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const SPDY_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
const CHANNEL_PROTOCOLS = ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io'] as const;

/** How long the second stream of a pair may take to arrive (the kubelet's default). */
const STREAM_PAIR_TIMEOUT_MS = 30_000;

/**
 * Serve a port-forward upgrade for `pod`. Call from the HTTP server's
 * 'upgrade' event. Resolves when the session is over.
 */
export async function handlePortForward(req: IncomingMessage, socket: Duplex, head: Buffer, pod: KubeObject,
  options: StreamingOptions = {}): Promise<void> {
  socket.on('error', () => { /* the transports watch 'close' */ });
  try {
    if (options.signal?.aborted) {
      refuseUpgrade(socket, 503, 'ServiceUnavailable', 'the server is shutting down');
      return;
    }
    if (isWebSocketRequest(req)) {
      const offered = offeredSubprotocols(req);
      if (offered.includes(SPDY_TUNNEL_PROTOCOL)) {
        const ws = acceptWebSocket(req, socket, head, SPDY_TUNNEL_PROTOCOL);
        if (!ws) return;
        await serveSpdyPortForward(spdyOverWebSocket(ws, { server: true }), pod, options);
        return;
      }
      const channel = offered.length === 0 ? '' : offered.find((p) => (CHANNEL_PROTOCOLS as readonly string[]).includes(p));
      if (channel === undefined) {
        refuseSubprotocols(socket, offered, [SPDY_TUNNEL_PROTOCOL, ...CHANNEL_PROTOCOLS]);
        return;
      }
      await serveChannelPortForward(req, socket, head, channel, pod, options);
      return;
    }
    if (isSpdyRequest(req)) {
      const negotiated = negotiateStreamProtocol(req, socket, [PORT_FORWARD_PROTOCOL], PORT_FORWARD_PROTOCOL);
      if (!negotiated.ok) return;
      writeSpdySwitch(socket, negotiated.protocol);
      await serveSpdyPortForward(spdyOverSocket(socket, head, { server: true }), pod, options);
      return;
    }
    refuseUpgrade(socket, 400, 'BadRequest', 'Upgrade request required');
  } catch (e) {
    console.error('kubevisor: port-forward session failed:', e);
    socket.destroy();
  }
}

interface StreamPair {
  requestID: string;
  data?: SpdyStream;
  error?: SpdyStream;
  timer: NodeJS.Timeout;
}

function describeTarget(pod: KubeObject, port: number): string {
  const id = podIdentity(pod);
  return `error forwarding port ${port} to pod ${id.namespace}/${id.name}, uid ${id.uid}`;
}

/** Serve port-forward stream pairs on a SPDY session until it closes. */
export function serveSpdyPortForward(session: SpdySession, pod: KubeObject, options: StreamingOptions = {}): Promise<void> {
  const pairs = new Map<string, StreamPair>();
  const unsubscribe = options.onPodDeleted?.(() => session.close());
  const offShutdown = onShutdown(options, () => session.destroy());

  session.on('stream', (stream: SpdyStream) => {
    const portText = stream.header('port') ?? '';
    const type = stream.header('streamtype') ?? '';
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535 || (type !== 'error' && type !== 'data')) {
      stream.refuse();
      return;
    }
    // Clients that send no requestID pair an error stream (id n) with the data stream after it (id n+2).
    const requestID = stream.header('requestid') ?? String(type === 'error' ? stream.id : stream.id - 2);
    let pair = pairs.get(requestID);
    if (!pair) {
      const p: StreamPair = {
        requestID,
        timer: setTimeout(() => {
          pairs.delete(requestID);
          p.error?.end(`(request=${requestID}) timed out waiting for streams`);
          p.data?.end();
        }, STREAM_PAIR_TIMEOUT_MS),
      };
      p.timer.unref?.();
      pairs.set(requestID, p);
      pair = p;
    }
    if (type === 'error') {
      stream.resume(); // the client writes nothing here
      if (pair.error) {
        stream.end(`error processing stream for request ${requestID}: error stream already assigned`);
        return;
      }
      pair.error = stream;
    } else {
      if (pair.data) {
        pair.error?.write(`error processing stream for request ${requestID}: data stream already assigned`);
        stream.refuse();
        return;
      }
      pair.data = stream;
    }
    if (pair.data && pair.error) {
      clearTimeout(pair.timer);
      pairs.delete(requestID);
      forwardPair(pair.data, pair.error, port, pod, options);
    }
  });

  return new Promise((resolve) => {
    session.once('close', () => {
      unsubscribe?.();
      offShutdown();
      for (const p of pairs.values()) clearTimeout(p.timer);
      pairs.clear();
      resolve();
    });
  });
}

/** Errors that end one forwarded connection without ending the session (as upstream treats them). */
function isConnectionDrop(e: NodeJS.ErrnoException): boolean {
  return e.code === 'ECONNRESET' || e.code === 'EPIPE';
}

function forwardPair(data: SpdyStream, error: SpdyStream, port: number, pod: KubeObject, options: StreamingOptions): void {
  const target = portForwardTarget(pod, port, options);
  if (!target.ok) {
    error.end(`${describeTarget(pod, port)}: ${target.message}`);
    data.resume();
    data.end();
    return;
  }
  const conn: Socket = connect({ host: target.host, port: target.port });
  conn.setNoDelay(true);
  let reported = false;
  let connected = false;
  conn.once('connect', () => { connected = true; });
  conn.on('error', (e: NodeJS.ErrnoException) => {
    if (reported || (connected && isConnectionDrop(e))) return;
    reported = true;
    if (!error.writableEnded) error.write(`${describeTarget(pod, port)}: cannot reach ${target.host}:${target.port}: ${e.message}`);
  });
  conn.on('close', () => {
    if (!data.writableEnded && !data.destroyed) data.end();
    if (!error.writableEnded && !error.destroyed) error.end();
  });
  data.on('close', () => conn.destroy());
  data.pipe(conn);
  conn.pipe(data);
}

// ---- the kubelet's channel protocol over WebSocket ----

function parsePorts(query: URLSearchParams): number[] | string {
  const raw = query.getAll('ports');
  if (raw.length === 0) return 'query parameter "ports" is required';
  const ports: number[] = [];
  for (const item of raw) {
    if (item === '') return 'query parameter "ports" cannot be empty';
    for (const p of item.split(',')) {
      if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535) return `unable to parse "${item}" as a port`;
      ports.push(Number(p));
    }
  }
  return ports;
}

function serveChannelPortForward(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string, pod: KubeObject,
  options: StreamingOptions): Promise<void> {
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const ports = parsePorts(query);
  if (typeof ports === 'string') {
    refuseUpgrade(socket, 400, 'BadRequest', ports);
    return Promise.resolve();
  }
  const ws = acceptWebSocket(req, socket, head, protocol);
  if (!ws) return Promise.resolve();
  const base64 = protocol.includes('base64');
  const send = (channel: number, payload: Buffer): boolean =>
    ws.send(base64 ? String.fromCharCode(48 + channel) + payload.toString('base64') : Buffer.concat([Buffer.from([channel]), payload]));
  const conns: Array<Socket | undefined> = [];
  let open = ports.length;
  const oneDone = (): void => {
    if (--open === 0) ws.close(1000);
  };
  ports.forEach((port, i) => {
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16LE(port);
    send(2 * i, portBytes);
    send(2 * i + 1, portBytes);
    const target = portForwardTarget(pod, port, options);
    if (!target.ok) {
      send(2 * i + 1, Buffer.from(`${describeTarget(pod, port)}: ${target.message}`));
      oneDone();
      return;
    }
    const conn = connect({ host: target.host, port: target.port });
    conns[i] = conn;
    conn.setNoDelay(true);
    conn.on('data', (chunk: Buffer) => {
      if (!send(2 * i, chunk)) {
        conn.pause();
        ws.once('drain', () => conn.resume());
      }
    });
    conn.on('error', (e) => {
      if (ws.open) send(2 * i + 1, Buffer.from(`${describeTarget(pod, port)}: cannot reach ${target.host}:${target.port}: ${e.message}`));
    });
    conn.on('close', () => {
      conns[i] = undefined;
      oneDone();
    });
  });
  ws.on('message', (msg: Buffer, binary: boolean) => {
    if (msg.length === 0) return;
    const channel = base64 && !binary ? msg[0]! - 48 : msg[0]!;
    const payload = base64 && !binary ? Buffer.from(msg.subarray(1).toString('latin1'), 'base64') : msg.subarray(1);
    if (channel % 2 !== 0) return;
    const conn = conns[channel / 2];
    if (conn && !conn.destroyed && !conn.write(payload)) {
      ws.pause();
      conn.once('drain', () => ws.resume());
    }
  });
  const unsubscribe = options.onPodDeleted?.(() => ws.close(1001));
  const offShutdown = onShutdown(options, () => ws.terminate());
  return new Promise((resolve) => {
    ws.once('close', () => {
      unsubscribe?.();
      offShutdown();
      for (const c of conns) c?.destroy();
      resolve();
    });
  });
}
