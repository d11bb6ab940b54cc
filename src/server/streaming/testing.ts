// Test clients for the streaming handlers (not part of the build): a
// WebSocket client that can also send malformed frames, a SPDY client on the
// same SpdySession code, and a throwaway HTTP server that routes upgrades.

import { randomBytes } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ByteQueue } from './bytes.ts';
import { spdyOverSocket, type SpdySession } from './spdy.ts';

export interface WsMessage {
  opcode: number;
  data: Buffer;
}

export interface HttpRefusal {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A minimal RFC 6455 client: masks what it sends, reassembles nothing (the server never fragments). */
export class TestWsClient {
  readonly socket: Socket;
  readonly protocol: string;
  readonly response: IncomingMessage;
  readonly #input = new ByteQueue();
  readonly #queue: WsMessage[] = [];
  readonly #waiters: Array<(m: WsMessage | undefined) => void> = [];
  #ended = false;
  #closeSent = false;
  /** Resolves with the close frame's code (or 1006 without one) once the socket closes. */
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(socket: Socket, response: IncomingMessage, head: Buffer) {
    this.socket = socket;
    this.response = response;
    this.protocol = String(response.headers['sec-websocket-protocol'] ?? '');
    let closeInfo = { code: 1006, reason: '' };
    this.closed = new Promise((resolve) => socket.once('close', () => resolve(closeInfo)));
    socket.on('data', (c: Buffer) => this.#receive(c, (info) => { closeInfo = info; }));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#ended = true;
      for (const w of this.#waiters.splice(0)) w(undefined);
    });
    if (head.length > 0) this.#receive(head, (info) => { closeInfo = info; });
  }

  static connect(port: number, path: string, protocols: string[], headers: Record<string, string> = {}): Promise<TestWsClient> {
    return new Promise((resolve, reject) => {
      const key = randomBytes(16).toString('base64');
      const req = request({
        host: '127.0.0.1', port, path, method: 'GET',
        headers: {
          Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': key,
          ...(protocols.length > 0 ? { 'Sec-WebSocket-Protocol': protocols.join(', ') } : {}),
          ...headers,
        },
      });
      req.on('upgrade', (res, socket, head) => resolve(new TestWsClient(socket, res, head)));
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c.toString(); });
        res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { refusal: { status: res.statusCode ?? 0, headers: res.headers, body } })));
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** Write one frame; `mask: false` sends an (illegal) unmasked client frame. */
  frame(opcode: number, payload: Buffer | string, options: { fin?: boolean; mask?: boolean; rsv?: number } = {}): void {
    const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const mask = options.mask ?? true;
    const parts: Buffer[] = [];
    const b0 = ((options.fin ?? true) ? 0x80 : 0) | ((options.rsv ?? 0) << 4) | opcode;
    let header: Buffer;
    if (data.length < 126) {
      header = Buffer.from([b0, (mask ? 0x80 : 0) | data.length]);
    } else if (data.length < 0x10000) {
      header = Buffer.alloc(4);
      header[0] = b0;
      header[1] = (mask ? 0x80 : 0) | 126;
      header.writeUInt16BE(data.length, 2);
    } else {
      header = Buffer.alloc(10);
      header[0] = b0;
      header[1] = (mask ? 0x80 : 0) | 127;
      header.writeBigUInt64BE(BigInt(data.length), 2);
    }
    parts.push(header);
    if (mask) {
      const key = randomBytes(4);
      const masked = Buffer.alloc(data.length);
      for (let i = 0; i < data.length; i++) masked[i] = data[i]! ^ key[i & 3]!;
      parts.push(key, masked);
    } else {
      parts.push(data);
    }
    this.socket.write(Buffer.concat(parts));
  }

  sendBinary(data: Buffer | number[]): void {
    this.frame(0x2, Buffer.isBuffer(data) ? data : Buffer.from(data));
  }

  sendText(text: string): void {
    this.frame(0x1, text);
  }

  close(code = 1000): void {
    this.#closeSent = true;
    const b = Buffer.alloc(2);
    b.writeUInt16BE(code);
    this.frame(0x8, b);
  }

  /** The next data or control message from the server, or undefined once the socket closed. */
  next(timeoutMs = 10_000): Promise<WsMessage | undefined> {
    const m = this.#queue.shift();
    if (m) return Promise.resolve(m);
    if (this.#ended) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a websocket message')), timeoutMs);
      this.#waiters.push((msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
    });
  }

  /** Every message until the connection closes. */
  async drain(timeoutMs = 10_000): Promise<WsMessage[]> {
    const out: WsMessage[] = [];
    for (;;) {
      const m = await this.next(timeoutMs);
      if (!m) return out;
      out.push(m);
    }
  }

  #receive(chunk: Buffer, onClose: (info: { code: number; reason: string }) => void): void {
    this.#input.push(chunk);
    const q = this.#input;
    for (;;) {
      if (q.length < 2) return;
      const h = q.peek(2);
      let len = h[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (q.length < 4) return;
        len = q.peek(4).readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (q.length < 10) return;
        len = Number(q.peek(10).readBigUInt64BE(2));
        off = 10;
      }
      if (q.length < off + len) return;
      const opcode = h[0]! & 0x0f;
      q.take(off);
      const data = Buffer.from(q.take(len));
      if (opcode === 0x8) {
        onClose({ code: data.length >= 2 ? data.readUInt16BE(0) : 1005, reason: data.subarray(2).toString() });
        // Answer the close handshake as a browser or gorilla client does.
        if (!this.#closeSent && !this.socket.destroyed) {
          this.#closeSent = true;
          this.frame(0x8, data.subarray(0, 2));
        }
      }
      const msg = { opcode, data };
      const w = this.#waiters.shift();
      if (w) w(msg);
      else this.#queue.push(msg);
    }
  }
}

/** Open a SPDY/3.1 client session with the same POST upgrade kubectl sends. */
export function spdyConnect(port: number, path: string, protocols: string[]): Promise<{ session: SpdySession; response: IncomingMessage; socket: Duplex }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port, path, method: 'POST',
      headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': protocols, 'Content-Length': '0' },
    });
    req.on('upgrade', (res, socket, head) => resolve({ session: spdyOverSocket(socket, head, { server: false }), response: res, socket }));
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { refusal: { status: res.statusCode ?? 0, headers: res.headers, body } })));
    });
    req.on('error', reject);
    req.end();
  });
}

export interface UpgradeServer {
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** An HTTP server whose upgrades (and optionally requests) go to the given handlers. */
export async function upgradeServer(
  onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL) => void,
  onRequest?: (req: IncomingMessage, res: ServerResponse, url: URL) => void,
): Promise<UpgradeServer> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (onRequest) onRequest(req, res, url);
    else {
      res.writeHead(404);
      res.end();
    }
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => onUpgrade(req, socket, head, new URL(req.url ?? '/', 'http://localhost')));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** Collect a readable to a string. */
export function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    stream.on('data', (c: Buffer) => { s += c.toString(); });
    stream.on('end', () => resolve(s));
    stream.on('error', reject);
  });
}

/** Resolves with the accumulated output once `pattern` matches it. */
export function waitForOutput(stream: NodeJS.ReadableStream, pattern: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; got: ${text}`)), timeoutMs);
    const onData = (c: Buffer): void => {
      text += c.toString();
      const m = pattern.exec(text);
      if (m) {
        clearTimeout(timer);
        stream.off('data', onData);
        resolve(m);
      }
    };
    stream.on('data', onData);
  });
}
