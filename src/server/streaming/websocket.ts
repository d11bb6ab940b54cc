// The server side of RFC 6455 WebSocket: the opening handshake on a socket
// handed over by the HTTP server's 'upgrade' event, and framing after it
// (masked client frames, fragmentation, ping/pong, the close handshake).
// No extensions are negotiated, so RSV bits must be zero.

import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { ByteQueue } from './bytes.ts';
import { headerValues, isWebSocketRequest, refuseUpgrade, writeRawResponse } from './upgrade.ts';

const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

/** Close codes used here (RFC 6455 §7.4.1). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  noStatus: 1005,
  abnormal: 1006,
  invalidPayload: 1007,
  tooBig: 1009,
  internalError: 1011,
} as const;

export interface WebSocketOptions {
  /** Largest message accepted (after reassembly); bigger ones close the connection with 1009. Default 64 MiB. */
  maxMessageBytes?: number;
  /** How long to wait for the peer's close frame after sending ours. Default 5 s. */
  closeTimeoutMs?: number;
}

/** The subprotocols the client offered, in its order of preference. */
export function offeredSubprotocols(req: IncomingMessage): string[] {
  return headerValues(req, 'sec-websocket-protocol');
}

/** Why a request is not an acceptable WebSocket opening handshake, or undefined when it is. */
export function handshakeProblem(req: IncomingMessage): { code: number; message: string; headers?: Record<string, string> } | undefined {
  if (!isWebSocketRequest(req)) return { code: 400, message: 'Upgrade request required' };
  if ((req.method ?? 'GET') !== 'GET') return { code: 400, message: `websocket upgrade requires GET, not ${req.method}` };
  const version = headerValues(req, 'sec-websocket-version');
  if (!version.includes('13')) {
    return { code: 426, message: 'unsupported Sec-WebSocket-Version: only 13 is supported', headers: { 'Sec-WebSocket-Version': '13' } };
  }
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || Buffer.from(key.trim(), 'base64').length !== 16) {
    return { code: 400, message: 'missing or malformed Sec-WebSocket-Key' };
  }
  return undefined;
}

/** Sec-WebSocket-Accept for a client key. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key.trim() + HANDSHAKE_GUID).digest('base64');
}

/**
 * Complete the opening handshake with `protocol` as the selected subprotocol
 * ('' selects none) and return the connection. On a malformed handshake a
 * 400/426 is written, the socket closed, and undefined returned.
 */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string,
  options: WebSocketOptions = {}): WebSocket | undefined {
  const problem = handshakeProblem(req);
  if (problem) {
    refuseUpgrade(socket, problem.code, 'BadRequest', problem.message, problem.headers);
    return undefined;
  }
  const lines = [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${acceptKey(req.headers['sec-websocket-key'] as string)}`,
  ];
  if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  socket.write(lines.join('\r\n') + '\r\n\r\n');
  return new WebSocket(socket, protocol, head, options);
}

/** Refuse a WebSocket upgrade whose subprotocols we don't speak. */
export function refuseSubprotocols(socket: Duplex, offered: string[], supported: readonly string[]): void {
  writeRawResponse(socket, 400, { 'Content-Type': 'application/json' }, JSON.stringify({
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'BadRequest', code: 400,
    message: `requested websocket protocol(s) are not supported: [${offered.join(' ')}]; supports [${supported.join(' ')}]`,
  }));
}

/** An unmasked frame header with FIN set, for a payload of `length` bytes. */
export function frameHeader(opcode: number, length: number): Buffer {
  let header: Buffer;
  if (length < 126) {
    header = Buffer.alloc(2);
    header[1] = length;
  } else if (length < 0x10000) {
    header = Buffer.alloc(4);
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.alloc(10);
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  header[0] = 0x80 | opcode; // FIN, no RSV bits
  return header;
}

function validCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(b: Buffer): boolean {
  try {
    utf8.decode(b);
    return true;
  } catch {
    return false;
  }
}

/**
 * One server-side WebSocket connection.
 *
 * Events: `message` (data: Buffer, isBinary: boolean), `pong` (data: Buffer),
 * `drain` (the socket's buffer emptied after send() returned false), and
 * `close` (code: number, reason: string) once the socket has closed.
 */
export class WebSocket extends EventEmitter {
  readonly protocol: string;
  readonly #socket: Duplex;
  readonly #maxMessage: number;
  readonly #closeTimeoutMs: number;
  readonly #input = new ByteQueue();
  #fragments: Buffer[] = [];
  #fragmentBytes = 0;
  #fragmentOpcode = 0;
  #closeSent = false;
  #closeReceived = false;
  #closeCode: number = CloseCode.abnormal;
  #closeReason = '';
  #closed = false;
  #closeTimer: NodeJS.Timeout | undefined;

  constructor(socket: Duplex, protocol: string, head: Buffer, options: WebSocketOptions = {}) {
    super();
    this.protocol = protocol;
    this.#socket = socket;
    this.#maxMessage = options.maxMessageBytes ?? 64 * 1024 * 1024;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
    (socket as { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('drain', () => this.emit('drain'));
    socket.on('end', () => {
      // The peer half-closed without a close frame (or after it): finish our side.
      if (!socket.destroyed) socket.end();
    });
    socket.on('error', () => { /* 'close' follows */ });
    socket.on('close', () => this.#onSocketClose());
    if (head.length > 0) queueMicrotask(() => this.#receive(head));
  }

  /** True until a close frame was sent or the socket closed: send() still delivers. */
  get open(): boolean {
    return !this.#closeSent && !this.#closed;
  }

  /** Bytes queued in the socket, not yet handed to the OS. */
  get bufferedAmount(): number {
    return this.#socket.writableLength;
  }

  /** Send one message: binary for a Buffer/Uint8Array, text for a string. False means wait for 'drain'. */
  send(data: Uint8Array | string): boolean {
    if (!this.open) return false;
    const binary = typeof data !== 'string';
    const payload = binary ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data, 'utf8');
    return this.#writeFrame(binary ? OP_BINARY : OP_TEXT, payload);
  }

  ping(payload: Buffer = Buffer.alloc(0)): void {
    if (this.open) this.#writeFrame(OP_PING, payload.subarray(0, 125));
  }

  /** Start the close handshake; the socket closes when the peer answers or after the close timeout. */
  close(code: number = CloseCode.normal, reason = ''): void {
    if (this.#closed || this.#closeSent) return;
    this.#sendClose(code, reason);
    if (this.#closeReceived) {
      this.#socket.end();
    } else {
      this.#closeTimer = setTimeout(() => this.#socket.destroy(), this.#closeTimeoutMs);
      this.#closeTimer.unref?.();
    }
  }

  /** Drop the connection without a close handshake. */
  terminate(): void {
    this.#socket.destroy();
  }

  /** Stop reading from the socket (backpressure towards the client). */
  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  #sendClose(code: number, reason: string): void {
    this.#closeSent = true;
    const r = Buffer.from(reason, 'utf8').subarray(0, 123);
    const payload = code === CloseCode.noStatus ? Buffer.alloc(0) : Buffer.alloc(2 + r.length);
    if (payload.length > 0) {
      payload.writeUInt16BE(code, 0);
      r.copy(payload, 2);
    }
    this.#writeFrame(OP_CLOSE, payload);
  }

  #writeFrame(opcode: number, payload: Buffer): boolean {
    if (this.#socket.destroyed || this.#socket.writableEnded) return false;
    const header = frameHeader(opcode, payload.length);
    if (payload.length < 16 * 1024) return this.#socket.write(Buffer.concat([header, payload]));
    this.#socket.cork();
    this.#socket.write(header);
    const ok = this.#socket.write(payload);
    this.#socket.uncork();
    return ok;
  }

  /** Protocol violation by the peer: close with `code` and stop reading. */
  #fail(code: number, reason: string): void {
    this.#input.take(this.#input.length);
    if (!this.#closeSent) this.#sendClose(code, reason);
    this.#socket.end();
    const t = setTimeout(() => this.#socket.destroy(), 1_000);
    t.unref?.();
  }

  #receive(chunk: Buffer): void {
    if (this.#closeReceived || this.#closed) return;
    this.#input.push(chunk);
    while (!this.#closeReceived && !this.#closed) {
      if (!this.#parseFrame()) return;
    }
  }

  /** Parse and handle one frame; false when more bytes are needed (or the connection failed). */
  #parseFrame(): boolean {
    const q = this.#input;
    if (q.length < 2) return false;
    const h = q.peek(2);
    const fin = (h[0]! & 0x80) !== 0;
    const rsv = h[0]! & 0x70;
    const opcode = h[0]! & 0x0f;
    const masked = (h[1]! & 0x80) !== 0;
    let length = h[1]! & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (q.length < 4) return false;
      length = q.peek(4).readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (q.length < 10) return false;
      const big = q.peek(10).readBigUInt64BE(2);
      if (big > BigInt(this.#maxMessage)) {
        this.#fail(CloseCode.tooBig, 'message too big');
        return false;
      }
      length = Number(big);
      offset = 10;
    }
    if (rsv !== 0) {
      this.#fail(CloseCode.protocolError, 'reserved bits set');
      return false;
    }
    if (!masked) {
      this.#fail(CloseCode.protocolError, 'client frames must be masked');
      return false;
    }
    const isControl = (opcode & 0x8) !== 0;
    if (isControl && (!fin || length > 125)) {
      this.#fail(CloseCode.protocolError, 'invalid control frame');
      return false;
    }
    if (!isControl && opcode !== OP_CONTINUATION && opcode !== OP_TEXT && opcode !== OP_BINARY) {
      this.#fail(CloseCode.protocolError, `unknown opcode ${opcode}`);
      return false;
    }
    if (isControl && opcode !== OP_CLOSE && opcode !== OP_PING && opcode !== OP_PONG) {
      this.#fail(CloseCode.protocolError, `unknown opcode ${opcode}`);
      return false;
    }
    if (!isControl && this.#fragmentBytes + length > this.#maxMessage) {
      this.#fail(CloseCode.tooBig, 'message too big');
      return false;
    }
    if (q.length < offset + 4 + length) return false;
    q.take(offset);
    const mask = Buffer.from(q.take(4));
    const payload = Buffer.from(q.take(length)); // a copy: unmasking writes into it
    for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ mask[i & 3]!;
    this.#handleFrame(fin, opcode, payload);
    return true;
  }

  #handleFrame(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case OP_PING:
        if (!this.#closeSent) this.#writeFrame(OP_PONG, payload);
        return;
      case OP_PONG:
        this.emit('pong', payload);
        return;
      case OP_CLOSE:
        this.#onCloseFrame(payload);
        return;
      case OP_CONTINUATION:
        if (this.#fragmentOpcode === 0) {
          this.#fail(CloseCode.protocolError, 'continuation without a message');
          return;
        }
        this.#fragments.push(payload);
        this.#fragmentBytes += payload.length;
        if (fin) {
          const op = this.#fragmentOpcode;
          const data = Buffer.concat(this.#fragments, this.#fragmentBytes);
          this.#fragments = [];
          this.#fragmentBytes = 0;
          this.#fragmentOpcode = 0;
          this.#deliver(op, data);
        }
        return;
      default: // text or binary
        if (this.#fragmentOpcode !== 0) {
          this.#fail(CloseCode.protocolError, 'new message inside a fragmented one');
          return;
        }
        if (fin) {
          this.#deliver(opcode, payload);
        } else {
          this.#fragmentOpcode = opcode;
          this.#fragments = [payload];
          this.#fragmentBytes = payload.length;
        }
    }
  }

  #deliver(opcode: number, data: Buffer): void {
    if (opcode === OP_TEXT && !isUtf8(data)) {
      this.#fail(CloseCode.invalidPayload, 'text message is not UTF-8');
      return;
    }
    if (this.#closeSent) return; // we are closing: late data is dropped
    this.emit('message', data, opcode === OP_BINARY);
  }

  #onCloseFrame(payload: Buffer): void {
    let code: number = CloseCode.noStatus;
    let reason = '';
    if (payload.length === 1) {
      this.#fail(CloseCode.protocolError, 'malformed close frame');
      return;
    }
    if (payload.length >= 2) {
      code = payload.readUInt16BE(0);
      const r = payload.subarray(2);
      if (!validCloseCode(code) || !isUtf8(r)) {
        this.#fail(CloseCode.protocolError, 'invalid close frame');
        return;
      }
      reason = r.toString('utf8');
    }
    this.#closeReceived = true;
    this.#closeCode = code;
    this.#closeReason = reason;
    if (!this.#closeSent) this.#sendClose(code === CloseCode.noStatus ? CloseCode.normal : code, '');
    this.#socket.end();
  }

  #onSocketClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#closeTimer) clearTimeout(this.#closeTimer);
    this.emit('close', this.#closeReceived ? this.#closeCode : CloseCode.abnormal, this.#closeReason);
  }
}
