// A TCP connection to one port of a host pod, through the host's
// `pods/NAME/portforward` with the syncer's credentials: what the API server
// needs to reach a synced workload itself (an aggregated API's server, a
// webhook) with TLS running end to end between it and the pod.
//
// The transport is the kubelet's channel protocol over WebSocket
// (subprotocol `v4.channel.k8s.io`, `?ports=PORT`), which kube-apiserver
// passes through to the kubelet and kubevisor serves itself
// (server/streaming/portforward.ts): binary messages whose first byte is the
// channel, 0 carrying the data and 1 the errors of the one port asked for;
// the first bytes on each channel are the port, 2 bytes little-endian. The
// client's frames are masked (RFC 6455 5.3).
//
// The protocol has no half-close: ending the writable side closes the tunnel
// (a close frame, so the pod sees its connection end); what the pod sent
// before the host answered that close still arrives. A message on the error
// channel (the host could not reach the pod's port) destroys the stream with
// a ServiceDialError('dial') carrying the host's text, re-worded by the
// caller so it names the virtual pod.

import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import { ServiceDialError } from '../../server/service-dial.ts';
import { acceptKey, frameHeader } from '../../server/streaming/websocket.ts';
import { WsFrameReader, WsOpcode, isControlFrame, type WsFrame } from '../streams-ws-frames.ts';
import type { HostConnection, Upgraded } from './connection.ts';

export const PORT_FORWARD_CHANNEL_PROTOCOL = 'v4.channel.k8s.io';

const OP_PING = 0x9;
const OP_PONG = 0xa;

/** How long the host may take to answer our close frame before the socket is dropped. */
const CLOSE_TIMEOUT_MS = 5_000;

const DATA = 0;
const ERROR = 1;

export interface TunnelOptions {
  /** Aborts the dial (not the connection once made). */
  readonly signal?: AbortSignal;
  /** Host text (the error channel's, a close reason) as the caller's client should read it. */
  readonly reword?: (text: string) => string;
  /** The text for a host refusing the upgrade (a HostError, or a failure to reach the host). */
  readonly refusal?: (e: unknown) => string;
}

/** Go's words for a dial given up by its context. */
export function abortText(signal: AbortSignal): string {
  return (signal.reason as { name?: string } | undefined)?.name === 'TimeoutError' ? 'context deadline exceeded' : 'context canceled';
}

/**
 * Open a tunnel to `port` of host pod `namespace/pod`. Resolves once the host
 * has started forwarding (it named the port on both channels); rejects with
 * a ServiceDialError('dial') when it refuses, or reports an error first.
 */
export async function openPortForwardTunnel(conn: HostConnection, namespace: string, pod: string, port: number,
  opts: TunnelOptions = {}): Promise<Duplex> {
  const reword = opts.reword ?? ((t: string) => t);
  const signal = opts.signal;
  if (signal?.aborted) throw new ServiceDialError(abortText(signal), 'dial');
  const key = randomBytes(16).toString('base64');
  const upgrading = conn.upgrade(conn.podStreamPath(namespace, pod, 'portforward'), {
    query: { ports: port },
    headers: {
      Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': key,
      'Sec-WebSocket-Protocol': PORT_FORWARD_CHANNEL_PROTOCOL,
    },
  });
  let up: Upgraded;
  try {
    up = await abortable(upgrading, signal, (late) => late.socket.destroy());
  } catch (e) {
    if (e instanceof ServiceDialError) throw e;
    throw new ServiceDialError(opts.refusal ? opts.refusal(e) : reword((e as Error).message), 'dial');
  }
  const h = up.response.headers;
  const protocol = String(h['sec-websocket-protocol'] ?? '');
  if (String(h['sec-websocket-accept'] ?? '') !== acceptKey(key) || (protocol !== '' && protocol !== PORT_FORWARD_CHANNEL_PROTOCOL)) {
    up.socket.destroy();
    throw new ServiceDialError(`the host answered the port-forward with an unexpected WebSocket handshake (protocol "${protocol}")`, 'dial');
  }
  const tunnel = new PortForwardTunnel(up, reword);
  try {
    await abortable(tunnel.ready, signal);
  } catch (e) {
    tunnel.destroy();
    throw e;
  }
  return tunnel;
}

/** `p`, or a ServiceDialError once `signal` aborts (what `p` brings later goes to `late`). */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined, late?: (v: T) => void): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const onAbort = (): void => {
      if (done) return;
      done = true;
      reject(new ServiceDialError(abortText(signal), 'dial'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    p.then((v) => {
      signal.removeEventListener('abort', onAbort);
      if (done) { late?.(v); return; }
      done = true;
      resolve(v);
    }, (e: unknown) => {
      signal.removeEventListener('abort', onAbort);
      if (done) return;
      done = true;
      reject(e);
    });
  });
}

/** A masked client frame (FIN set) carrying `parts` as one payload. */
function clientFrame(opcode: number, ...parts: Buffer[]): Buffer {
  let length = 0;
  for (const p of parts) length += p.length;
  const header = frameHeader(opcode, length);
  header[1] = header[1]! | 0x80;
  const out = Buffer.allocUnsafe(header.length + 4 + length);
  header.copy(out, 0);
  const mask = randomBytes(4);
  mask.copy(out, header.length);
  const at = header.length + 4;
  let i = 0;
  for (const p of parts) {
    for (let j = 0; j < p.length; j++, i++) out[at + i] = p[j]! ^ mask[i & 3]!;
  }
  return out;
}

class PortForwardTunnel extends Duplex {
  /** Settles once the host named the port on both channels (or failed first). */
  readonly ready: Promise<void>;
  readonly #socket: Duplex;
  readonly #reword: (text: string) => string;
  #settleReady: ((e?: Error) => void) | undefined;
  /** Port bytes still to skip at the start of each channel. */
  readonly #prefix = [2, 2];
  readonly #errorText: Buffer[] = [];
  /** The channel of the data message being read; undefined before its first byte. */
  #channel: number | undefined;
  readonly #control: Buffer[] = [];
  #closeSent = false;
  #closeReceived = false;
  #closeTimer: NodeJS.Timeout | undefined;
  #paused = false;

  constructor(up: Upgraded, reword: (text: string) => string) {
    super({ allowHalfOpen: false });
    this.#socket = up.socket;
    this.#reword = reword;
    this.ready = new Promise<void>((resolve, reject) => {
      this.#settleReady = (e) => {
        this.#settleReady = undefined;
        if (e) reject(e); else resolve();
      };
    });
    const socket = up.socket;
    (socket as { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true);
    const reader = new WsFrameReader({
      start: (f) => this.#start(f),
      payload: (f, data) => this.#payload(f, data),
      end: (f) => this.#end(f),
    });
    socket.on('data', (chunk: Buffer) => { if (!this.destroyed) void reader.push(chunk); });
    socket.on('error', () => { /* 'close' follows */ });
    socket.on('end', () => { if (!socket.destroyed) socket.end(); });
    socket.on('close', () => this.#socketClosed());
    if (up.head.length > 0) queueMicrotask(() => { if (!this.destroyed) void reader.push(up.head); });
  }

  // ---- reading ----

  #start(f: WsFrame): void {
    if (isControlFrame(f)) this.#control.length = 0;
    else if (f.opcode !== WsOpcode.continuation) this.#channel = undefined;
  }

  #payload(f: WsFrame, data: Buffer): void {
    if (isControlFrame(f)) {
      this.#control.push(Buffer.from(data));
      return;
    }
    if (this.#closeReceived || data.length === 0) return;
    if (this.#channel === undefined) {
      this.#channel = data[0];
      data = data.subarray(1);
    }
    const ch = this.#channel;
    if (ch !== DATA && ch !== ERROR) return; // only one port was asked for
    const skip = Math.min(this.#prefix[ch]!, data.length);
    if (skip > 0) {
      this.#prefix[ch] = this.#prefix[ch]! - skip;
      data = data.subarray(skip);
      if (this.#prefix[DATA] === 0 && this.#prefix[ERROR] === 0) {
        // An error sent with the port bytes (read in this same pass) still fails the dial.
        queueMicrotask(() => this.#settleReady?.());
      }
    }
    if (data.length === 0) return;
    if (ch === ERROR) {
      this.#errorText.push(Buffer.from(data));
      return;
    }
    if (!this.push(Buffer.from(data)) && !this.#paused) {
      this.#paused = true;
      this.#socket.pause();
    }
  }

  #end(f: WsFrame): void {
    if (isControlFrame(f)) {
      const payload = Buffer.concat(this.#control);
      this.#control.length = 0;
      if (f.opcode === OP_PING) { if (!this.#closeSent) this.#send(clientFrame(OP_PONG, payload)); }
      else if (f.opcode === WsOpcode.close) this.#closeFrame(payload);
      return;
    }
    if (f.fin && this.#channel === ERROR && this.#errorText.length > 0) {
      const text = Buffer.concat(this.#errorText).toString('utf8');
      this.#errorText.length = 0;
      this.#fail(new ServiceDialError(this.#reword(text), 'dial'));
    }
  }

  #closeFrame(payload: Buffer): void {
    if (this.#closeReceived) return;
    this.#closeReceived = true;
    const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
    const reason = payload.length > 2 ? payload.toString('utf8', 2) : '';
    if (!this.#closeSent) {
      this.#closeSent = true;
      this.#send(clientFrame(WsOpcode.close, payload.subarray(0, 2)));
    }
    this.#socket.end();
    if (code !== 1000 && code !== 1001 && code !== 1005 && reason !== '') {
      this.#fail(new ServiceDialError(this.#reword(reason), 'dial'));
      return;
    }
    this.#eof();
  }

  #eof(): void {
    if (this.#settleReady) {
      // The host forwarded and closed at once (the pod said its piece and hung up): a dial all the same.
      if (this.#prefix[DATA] !== 0 || this.#prefix[ERROR] !== 0) {
        this.#fail(new ServiceDialError('lost connection to pod', 'dial'));
        return;
      }
      this.#settleReady();
    }
    if (!this.readableEnded) this.push(null);
  }

  #socketClosed(): void {
    if (this.#closeTimer) clearTimeout(this.#closeTimer);
    if (this.destroyed) return;
    // A close handshake (either side's) ends the stream; a dropped connection breaks it.
    if (this.#closeReceived || this.#closeSent) this.#eof();
    else this.#fail(new ServiceDialError('lost connection to pod', 'dial'));
  }

  /** Before the dial resolves: reject it; after: destroy the stream with `e`. */
  #fail(e: ServiceDialError): void {
    const settle = this.#settleReady;
    if (settle) {
      settle(e);
      this.destroy();
    } else {
      this.destroy(e);
    }
  }

  override _read(): void {
    if (this.#paused) {
      this.#paused = false;
      this.#socket.resume();
    }
  }

  // ---- writing ----

  #send(frame: Buffer, cb?: (e?: Error | null) => void): void {
    const s = this.#socket;
    if (s.destroyed || s.writableEnded) { cb?.(); return; }
    if (cb) s.write(frame, (e) => cb(e ?? null));
    else s.write(frame);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    // After a close frame, data goes nowhere (as to a closed connection).
    if (this.#closeSent || this.#closeReceived) { cb(); return; }
    this.#send(clientFrame(WsOpcode.binary, Buffer.from([DATA]), chunk), cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    if (!this.#closeSent) {
      this.#closeSent = true;
      const code = Buffer.alloc(2);
      code.writeUInt16BE(1000);
      this.#send(clientFrame(WsOpcode.close, code));
      this.#closeTimer = setTimeout(() => this.#socket.destroy(), CLOSE_TIMEOUT_MS);
      this.#closeTimer.unref?.();
    }
    cb();
  }

  override _destroy(e: Error | null, cb: (e?: Error | null) => void): void {
    if (this.#closeTimer) clearTimeout(this.#closeTimer);
    this.#settleReady?.(e ?? new ServiceDialError('the connection was closed', 'dial'));
    this.#socket.destroy();
    cb(e);
  }
}
