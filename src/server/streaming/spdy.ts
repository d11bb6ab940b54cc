// SPDY/3.1 framing as kubectl speaks it (through moby/spdystream): control
// frames SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS
// and WINDOW_UPDATE, DATA frames, and name/value header blocks compressed with
// one zlib context per direction, primed with the SPDY/3 dictionary.
//
// A SpdySession runs over a FrameTransport: a raw upgraded socket
// (`Upgrade: SPDY/3.1`) or a WebSocket whose binary messages carry the SPDY
// byte stream (kubectl 1.31+ port-forward, subprotocol
// `SPDY/3.1+portforward.k8s.io`). Every outgoing frame is written with one
// transport write, so over a WebSocket each frame is one message.
//
// Flow control: the session sends WINDOW_UPDATEs for data its readers consume.
// It limits what it sends to the peer's windows only once the peer shows it
// does flow control (sends a WINDOW_UPDATE or an INITIAL_WINDOW_SIZE
// setting); spdystream does neither, and enforcing its nominal 64 KiB window
// against it would stall every transfer.

import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { constants as zlibConstants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import { ByteQueue } from './bytes.ts';
import type { WebSocket } from './websocket.ts';

export const SPDY_VERSION = 3;

export const FrameType = {
  synStream: 1,
  synReply: 2,
  rstStream: 3,
  settings: 4,
  ping: 6,
  goAway: 7,
  headers: 8,
  windowUpdate: 9,
} as const;

/** RST_STREAM status codes. */
export const RstStatus = {
  protocolError: 1,
  invalidStream: 2,
  refusedStream: 3,
  unsupportedVersion: 4,
  cancel: 5,
  internalError: 6,
  flowControlError: 7,
  streamInUse: 8,
  streamAlreadyClosed: 9,
  frameTooLarge: 11,
} as const;

/** GOAWAY status codes. */
export const GoAwayStatus = { ok: 0, protocolError: 1, internalError: 2 } as const;

const FLAG_FIN = 0x01;
const FLAG_UNIDIRECTIONAL = 0x02;
export const SETTINGS_INITIAL_WINDOW_SIZE = 7;
const DEFAULT_WINDOW = 64 * 1024;
/** Largest DATA payload we send in one frame. */
const MAX_DATA_CHUNK = 32 * 1024;
/** Largest control frame we accept (header blocks are small). */
const MAX_CONTROL_FRAME = 1024 * 1024;
/** Largest decompressed header block we accept. */
const MAX_HEADER_BLOCK = 1024 * 1024;

/**
 * The zlib dictionary of SPDY/3 (draft 3, section 2.6.10.1): each of these
 * words preceded by its length as a 32-bit big-endian integer, then the text
 * of DICTIONARY_TAIL as it is.
 */
const DICTIONARY_WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding',
  'accept-language', 'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection',
  'content-base', 'content-encoding', 'content-language', 'content-length', 'content-location',
  'content-md5', 'content-range', 'content-type', 'date', 'etag', 'expect', 'expires', 'from', 'host',
  'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since', 'last-modified',
  'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via',
  'warning', 'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url',
  'public', 'set-cookie', 'keep-alive', 'origin',
];
const DICTIONARY_TAIL = [
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505',
  '203 Non-Authoritative Information', '204 No Content', '301 Moved Permanently', '400 Bad Request',
  '401 Unauthorized', '403 Forbidden', '404 Not Found', '500 Internal Server Error', '501 Not Implemented',
  '503 Service Unavailable',
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT',
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,',
  'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.',
].join('');

function buildDictionary(): Buffer {
  const parts: Buffer[] = [];
  for (const w of DICTIONARY_WORDS) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(w.length);
    parts.push(len, Buffer.from(w, 'latin1'));
  }
  parts.push(Buffer.from(DICTIONARY_TAIL, 'latin1'));
  return Buffer.concat(parts);
}

export const SPDY3_DICTIONARY: Buffer = buildDictionary();

/** Header names (lower case) to their values; a name may carry several values. */
export type SpdyHeaders = Map<string, string[]>;

/** The first value of a header, or undefined. */
export function headerValue(headers: SpdyHeaders, name: string): string | undefined {
  return headers.get(name.toLowerCase())?.[0];
}

export function makeHeaders(entries: Record<string, string | string[]>): SpdyHeaders {
  const h: SpdyHeaders = new Map();
  for (const [k, v] of Object.entries(entries)) h.set(k.toLowerCase(), Array.isArray(v) ? v : [v]);
  return h;
}

/** Encode a name/value block (uncompressed): count, then length-prefixed names and NUL-joined values. */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  count.writeUInt32BE(headers.size);
  parts.push(count);
  for (const [name, values] of headers) {
    for (const s of [name.toLowerCase(), values.join('\0')]) {
      const b = Buffer.from(s, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32BE(b.length);
      parts.push(len, b);
    }
  }
  return Buffer.concat(parts);
}

/** Decode a name/value block (uncompressed). Throws on a malformed block. */
export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  const headers: SpdyHeaders = new Map();
  let off = 0;
  const need = (n: number): void => {
    if (off + n > block.length) throw new Error('truncated header block');
  };
  need(4);
  const count = block.readUInt32BE(off);
  off += 4;
  for (let i = 0; i < count; i++) {
    need(4);
    const nl = block.readUInt32BE(off);
    off += 4;
    need(nl);
    const name = block.toString('utf8', off, off + nl).toLowerCase();
    off += nl;
    need(4);
    const vl = block.readUInt32BE(off);
    off += 4;
    need(vl);
    const value = block.toString('utf8', off, off + vl);
    off += vl;
    if (name === '') throw new Error('empty header name');
    const list = headers.get(name) ?? [];
    list.push(...value.split('\0'));
    headers.set(name, list);
  }
  return headers;
}

/**
 * One direction's zlib context. Blocks go through it strictly in order; each
 * one is sync-flushed, so its output is complete on its own yet continues the
 * same compression stream, as SPDY requires.
 */
export class ZlibContext {
  readonly #z: Deflate | Inflate;
  #chain: Promise<unknown> = Promise.resolve();
  #out: Buffer[] = [];
  #outBytes = 0;
  #error: Error | undefined;
  /** Rejects the block in progress: zlib does not always call a write's callback when it fails. */
  #failCurrent: ((e: Error) => void) | undefined;

  constructor(z: Deflate | Inflate) {
    this.#z = z;
    z.on('data', (c: Buffer) => {
      this.#out.push(c);
      this.#outBytes += c.length;
    });
    const fail = (e: Error): void => {
      this.#error ??= e;
      this.#failCurrent?.(this.#error);
    };
    z.on('error', fail);
    z.on('close', () => fail(new Error('zlib context closed')));
  }

  process(input: Buffer, limit = Number.MAX_SAFE_INTEGER): Promise<Buffer> {
    const run = (): Promise<Buffer> => new Promise((resolve, reject) => {
      if (this.#error) {
        reject(this.#error);
        return;
      }
      let settled = false;
      this.#failCurrent = (e) => {
        if (settled) return;
        settled = true;
        reject(e);
      };
      this.#z.write(input, (err) => {
        if (settled) return;
        settled = true;
        this.#failCurrent = undefined;
        if (err || this.#error) {
          reject(err ?? this.#error);
          return;
        }
        // Anything still buffered on the readable side is emitted as 'data' by read().
        while (this.#z.read() !== null) { /* collected by the 'data' listener */ }
        const out = Buffer.concat(this.#out, this.#outBytes);
        this.#out = [];
        this.#outBytes = 0;
        if (out.length > limit) reject(new Error('header block too large'));
        else resolve(out);
      });
    });
    const p = this.#chain.then(run);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  close(): void {
    this.#z.destroy();
  }
}

function newCompressor(): ZlibContext {
  return new ZlibContext(createDeflate({ dictionary: SPDY3_DICTIONARY, flush: zlibConstants.Z_SYNC_FLUSH }));
}

export function newDecompressor(): ZlibContext {
  return new ZlibContext(createInflate({ dictionary: SPDY3_DICTIONARY, flush: zlibConstants.Z_SYNC_FLUSH }));
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > 0xffffff) throw new RangeError('SPDY frame payload too large');
  const f = Buffer.alloc(8 + payload.length);
  f.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  f.writeUInt16BE(type, 2);
  f.writeUInt32BE(((flags & 0xff) << 24 | payload.length) >>> 0, 4);
  payload.copy(f, 8);
  return f;
}

function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  const f = Buffer.alloc(8 + data.length);
  f.writeUInt32BE(streamId & 0x7fffffff, 0);
  f.writeUInt32BE(((flags & 0xff) << 24 | data.length) >>> 0, 4);
  data.copy(f, 8);
  return f;
}

function u32(...values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, 4 * i));
  return b;
}

/** Where a session's frames go. write() gets exactly one whole frame per call. */
export interface FrameTransport {
  /** Write one frame; false asks the session to wait for transportDrained(). */
  write(frame: Buffer): boolean;
  /** Close gracefully once written data is flushed. */
  end(): void;
  destroy(): void;
  /** Stop / restart delivering received bytes (backpressure from slow readers). */
  pause(): void;
  resume(): void;
}

export interface SpdySessionOptions {
  /** Server sessions accept odd (client-created) stream ids and create even ones. */
  server: boolean;
}

interface OutItem {
  frame: Buffer | Promise<Buffer>;
  /** Called once the frame is handed to the transport and the transport is not backed up. */
  done?: () => void;
}

/** A parsed frame waiting for its turn. */
interface InFrame {
  control: boolean;
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/**
 * One SPDY/3.1 session.
 *
 * Events: `stream` (SpdyStream) for each stream the peer opens (a SYN_REPLY
 * has already been queued for it; destroy() it to reset it), `goaway`
 * (lastGoodStreamId, status), `close` (error?) once the transport is gone.
 */
export class SpdySession extends EventEmitter {
  readonly server: boolean;
  readonly #transport: FrameTransport;
  readonly #input = new ByteQueue();
  readonly #compressor = newCompressor();
  readonly #decompressor = newDecompressor();
  readonly streams = new Map<number, SpdyStream>();
  #inbox: Promise<void> = Promise.resolve();
  #out: OutItem[] = [];
  #pumping = false;
  #blocked = false;
  #waitingDrain: Array<() => void> = [];
  #nextStreamId: number;
  #nextPingId: number;
  #lastPeerStreamId = 0;
  #goAwaySent = false;
  #goAwayReceived = false;
  #closed = false;
  #ending = false;
  #pausedBy = new Set<SpdyStream>();
  #pings = new Map<number, () => void>();
  /** Peer flow control, enforced once the peer shows it does flow control. */
  flowControl = false;
  peerInitialWindow = DEFAULT_WINDOW;
  sessionSendWindow = DEFAULT_WINDOW;
  #sessionRecvUnacked = 0;

  constructor(transport: FrameTransport, options: SpdySessionOptions) {
    super();
    this.server = options.server;
    this.#transport = transport;
    this.#nextStreamId = options.server ? 2 : 1;
    this.#nextPingId = options.server ? 2 : 1;
  }

  get closed(): boolean {
    return this.#closed;
  }

  // ---- transport side ----

  /** Feed bytes received from the transport. */
  receive(chunk: Buffer): void {
    if (this.#closed) return;
    this.#input.push(chunk);
    const q = this.#input;
    while (q.length >= 8) {
      const h = q.peek(8);
      const control = (h[0]! & 0x80) !== 0;
      const flags = h[4]!;
      const length = h.readUInt32BE(4) & 0xffffff;
      if (control) {
        const version = h.readUInt16BE(0) & 0x7fff;
        if (version !== SPDY_VERSION) {
          this.#protocolError(`unsupported SPDY version ${version}`);
          return;
        }
        if (length > MAX_CONTROL_FRAME) {
          this.#protocolError('control frame too large');
          return;
        }
      }
      if (q.length < 8 + length) return;
      q.take(8);
      const payload = Buffer.from(q.take(length));
      const frame: InFrame = control
        ? { control, type: h.readUInt16BE(2), flags, streamId: 0, payload }
        : { control, type: 0, flags, streamId: h.readUInt32BE(0) & 0x7fffffff, payload };
      this.#inbox = this.#inbox.then(() => this.#handle(frame)).catch((e: unknown) => {
        this.#protocolError(e instanceof Error ? e.message : String(e));
      });
    }
  }

  /** The transport's write buffer drained. */
  transportDrained(): void {
    this.#blocked = false;
    const waiting = this.#waitingDrain;
    this.#waitingDrain = [];
    for (const cb of waiting) cb();
    this.#pump();
  }

  /** The transport closed (either side). */
  transportClosed(err?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#out = [];
    for (const cb of this.#waitingDrain) cb();
    this.#waitingDrain = [];
    for (const s of [...this.streams.values()]) s.transportGone();
    this.streams.clear();
    this.#compressor.close();
    this.#decompressor.close();
    for (const resolve of this.#pings.values()) resolve();
    this.#pings.clear();
    this.emit('close', err);
  }

  // ---- session API ----

  /** Open a stream (client role, or a server push). */
  openStream(headers: SpdyHeaders, options: { fin?: boolean; priority?: number } = {}): SpdyStream {
    if (this.#closed || this.#goAwayReceived) throw new Error('SPDY session is closing');
    const id = this.#nextStreamId;
    this.#nextStreamId += 2;
    const stream = new SpdyStream(this, id, headers, false);
    this.streams.set(id, stream);
    const fixed = Buffer.alloc(10);
    fixed.writeUInt32BE(id, 0);
    fixed.writeUInt32BE(0, 4);
    fixed[8] = ((options.priority ?? 0) & 7) << 5;
    fixed[9] = 0;
    const block = this.#compressor.process(encodeHeaderBlock(headers));
    const flags = options.fin ? FLAG_FIN : 0;
    this.enqueue({ frame: block.then((b) => controlFrame(FrameType.synStream, flags, Buffer.concat([fixed, b]))) });
    if (options.fin) stream.markLocalFin();
    return stream;
  }

  /** Send a SETTINGS frame: [id, value] pairs (e.g. 7, INITIAL_WINDOW_SIZE). */
  settings(entries: Array<[number, number]>): void {
    const payload = Buffer.alloc(4 + 8 * entries.length);
    payload.writeUInt32BE(entries.length, 0);
    entries.forEach(([id, value], i) => {
      payload.writeUInt32BE(id & 0xffffff, 4 + 8 * i);
      payload.writeUInt32BE(value >>> 0, 8 + 8 * i);
    });
    this.enqueue({ frame: controlFrame(FrameType.settings, 0, payload) });
  }

  /** Send a PING and resolve when it comes back (or the session closes). */
  ping(): Promise<void> {
    const id = this.#nextPingId;
    this.#nextPingId = (this.#nextPingId + 2) >>> 0 || (this.server ? 2 : 1);
    return new Promise((resolve) => {
      if (this.#closed) {
        resolve();
        return;
      }
      this.#pings.set(id, resolve);
      this.enqueue({ frame: controlFrame(FrameType.ping, 0, u32(id)) });
    });
  }

  /** Send GOAWAY, then close the transport once everything queued is written. */
  close(status: number = GoAwayStatus.ok): void {
    if (this.#closed || this.#ending) return;
    this.#sendGoAway(status);
    this.#ending = true;
    this.#pump();
  }

  /** Drop the transport at once. */
  destroy(): void {
    this.#transport.destroy();
    this.transportClosed();
  }

  // ---- used by SpdyStream ----

  enqueue(item: OutItem): void {
    // A frame whose header compression fails closes the session in #pump; never leave the rejection unhandled.
    if (item.frame instanceof Promise) item.frame.catch(() => undefined);
    if (this.#closed) {
      item.done?.();
      return;
    }
    if (!this.#pumping && this.#out.length === 0 && !(item.frame instanceof Promise) && !this.#blocked) {
      this.#writeOut(item, item.frame);
      return;
    }
    this.#out.push(item);
    this.#pump();
  }

  sendReply(stream: SpdyStream, headers: SpdyHeaders): void {
    const block = this.#compressor.process(encodeHeaderBlock(headers));
    this.enqueue({ frame: block.then((b) => controlFrame(FrameType.synReply, 0, Buffer.concat([u32(stream.id), b]))) });
  }

  sendRst(streamId: number, status: number): void {
    this.enqueue({ frame: controlFrame(FrameType.rstStream, 0, u32(streamId, status)) });
  }

  sendWindowUpdate(streamId: number, delta: number): void {
    this.enqueue({ frame: controlFrame(FrameType.windowUpdate, 0, u32(streamId & 0x7fffffff, delta & 0x7fffffff)) });
  }

  /** A stream's reader consumed `n` received bytes: acknowledge them at session level when worth it. */
  consumed(n: number): void {
    this.#sessionRecvUnacked += n;
    if (this.#sessionRecvUnacked >= DEFAULT_WINDOW / 2) {
      this.sendWindowUpdate(0, this.#sessionRecvUnacked);
      this.#sessionRecvUnacked = 0;
    }
  }

  /**
   * A stream's reader is behind. A peer without flow control (spdystream) is
   * slowed down through the transport; a peer with it is held back by the
   * windows, and pausing the transport would also hold back the
   * WINDOW_UPDATEs that our own sending may be waiting for.
   */
  pauseInput(stream: SpdyStream): void {
    if (this.flowControl) return;
    if (this.#pausedBy.size === 0) this.#transport.pause();
    this.#pausedBy.add(stream);
  }

  #enableFlowControl(): void {
    if (this.flowControl) return;
    this.flowControl = true;
    if (this.#pausedBy.size > 0) {
      this.#pausedBy.clear();
      this.#transport.resume();
    }
  }

  resumeInput(stream: SpdyStream): void {
    if (this.#pausedBy.delete(stream) && this.#pausedBy.size === 0) this.#transport.resume();
  }

  streamDone(stream: SpdyStream): void {
    this.streams.delete(stream.id);
    this.resumeInput(stream);
  }

  // ---- internals ----

  #writeOut(item: OutItem, frame: Buffer): void {
    const ok = this.#transport.write(frame);
    if (!ok) this.#blocked = true;
    if (item.done) {
      if (this.#blocked) this.#waitingDrain.push(item.done);
      else item.done();
    }
  }

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    void (async () => {
      try {
        while (this.#out.length > 0 && !this.#blocked && !this.#closed) {
          const item = this.#out.shift()!;
          let frame: Buffer;
          try {
            frame = item.frame instanceof Promise ? await item.frame : item.frame;
          } catch {
            this.#protocolError('header compression failed');
            return;
          }
          if (this.#closed) return;
          this.#writeOut(item, frame);
        }
        if (this.#ending && this.#out.length === 0 && !this.#closed) {
          this.#transport.end();
        }
      } finally {
        this.#pumping = false;
      }
    })();
  }

  #sendGoAway(status: number): void {
    if (this.#goAwaySent) return;
    this.#goAwaySent = true;
    this.enqueue({ frame: controlFrame(FrameType.goAway, 0, u32(this.#lastPeerStreamId, status)) });
  }

  #protocolError(message: string): void {
    if (this.#closed) return;
    this.emit('protocolError', new Error(message));
    this.#input.take(this.#input.length);
    this.close(GoAwayStatus.protocolError);
    const t = setTimeout(() => this.destroy(), 1_000);
    t.unref?.();
  }

  #isPeerStreamId(id: number): boolean {
    return this.server ? id % 2 === 1 : id % 2 === 0;
  }

  async #handle(f: InFrame): Promise<void> {
    if (this.#closed) return;
    if (!f.control) {
      this.#handleData(f);
      return;
    }
    const p = f.payload;
    switch (f.type) {
      case FrameType.synStream: {
        if (p.length < 10) throw new Error('short SYN_STREAM');
        const id = p.readUInt32BE(0) & 0x7fffffff;
        const block = await this.#decompressor.process(p.subarray(10), MAX_HEADER_BLOCK);
        const headers = decodeHeaderBlock(block);
        if (this.#closed) return;
        if (id === 0 || !this.#isPeerStreamId(id) || id <= this.#lastPeerStreamId) {
          this.sendRst(id, RstStatus.protocolError);
          return;
        }
        this.#lastPeerStreamId = id;
        if (this.#goAwaySent) {
          this.sendRst(id, RstStatus.refusedStream);
          return;
        }
        const unidirectional = (f.flags & FLAG_UNIDIRECTIONAL) !== 0;
        const stream = new SpdyStream(this, id, headers, true);
        this.streams.set(id, stream);
        if (unidirectional) stream.markLocalFin();
        else this.sendReply(stream, new Map());
        if (f.flags & FLAG_FIN) stream.remoteFinished();
        this.emit('stream', stream);
        return;
      }
      case FrameType.synReply:
      case FrameType.headers: {
        if (p.length < 4) throw new Error('short SYN_REPLY/HEADERS');
        const id = p.readUInt32BE(0) & 0x7fffffff;
        const block = await this.#decompressor.process(p.subarray(4), MAX_HEADER_BLOCK);
        const headers = decodeHeaderBlock(block);
        const stream = this.streams.get(id);
        if (!stream) return;
        stream.emit(f.type === FrameType.synReply ? 'response' : 'headers', headers);
        if (f.flags & FLAG_FIN) stream.remoteFinished();
        return;
      }
      case FrameType.rstStream: {
        if (p.length < 8) throw new Error('short RST_STREAM');
        const id = p.readUInt32BE(0) & 0x7fffffff;
        this.streams.get(id)?.peerReset(p.readUInt32BE(4));
        return;
      }
      case FrameType.settings: {
        if (p.length < 4) throw new Error('short SETTINGS');
        const n = p.readUInt32BE(0);
        if (p.length < 4 + 8 * n) throw new Error('short SETTINGS');
        for (let i = 0; i < n; i++) {
          const id = p.readUInt32BE(4 + 8 * i) & 0xffffff;
          const value = p.readUInt32BE(8 + 8 * i);
          if (id === SETTINGS_INITIAL_WINDOW_SIZE) {
            const delta = value - this.peerInitialWindow;
            this.peerInitialWindow = value;
            this.#enableFlowControl();
            for (const s of this.streams.values()) s.windowUpdated(delta);
          }
        }
        return;
      }
      case FrameType.ping: {
        if (p.length < 4) throw new Error('short PING');
        const id = p.readUInt32BE(0);
        const ours = this.server ? id % 2 === 0 : id % 2 === 1;
        if (ours) {
          const resolve = this.#pings.get(id);
          this.#pings.delete(id);
          resolve?.();
        } else {
          this.enqueue({ frame: controlFrame(FrameType.ping, 0, u32(id)) });
        }
        return;
      }
      case FrameType.goAway: {
        if (p.length < 4) throw new Error('short GOAWAY');
        this.#goAwayReceived = true;
        this.emit('goaway', p.readUInt32BE(0) & 0x7fffffff, p.length >= 8 ? p.readUInt32BE(4) : 0);
        return;
      }
      case FrameType.windowUpdate: {
        if (p.length < 8) throw new Error('short WINDOW_UPDATE');
        const id = p.readUInt32BE(0) & 0x7fffffff;
        const delta = p.readUInt32BE(4) & 0x7fffffff;
        this.#enableFlowControl();
        if (id === 0) {
          this.sessionSendWindow += delta;
          for (const s of this.streams.values()) s.windowUpdated(0);
        } else {
          this.streams.get(id)?.windowUpdated(delta);
        }
        return;
      }
      default:
        return; // unknown control frames are ignored
    }
  }

  #handleData(f: InFrame): void {
    const stream = this.streams.get(f.streamId);
    if (!stream) {
      this.consumed(f.payload.length); // dropped, but it used the session window
      // Data for a stream that is gone (reset or finished) is dropped; for an id never seen, tell the peer.
      if (f.streamId > this.#lastPeerStreamId && this.#isPeerStreamId(f.streamId)) this.sendRst(f.streamId, RstStatus.invalidStream);
      return;
    }
    if (stream.remoteFin) {
      this.consumed(f.payload.length);
      this.sendRst(f.streamId, RstStatus.streamAlreadyClosed);
      return;
    }
    if (f.payload.length > 0) stream.dataReceived(f.payload);
    if (f.flags & FLAG_FIN) stream.remoteFinished();
  }
}

/**
 * One SPDY stream as a Duplex: what the peer sends is readable, what is
 * written goes out as DATA frames, end() sends FIN, destroy() before both
 * sides finished sends RST_STREAM (CANCEL).
 *
 * Extra events: `response` / `headers` (SpdyHeaders) for SYN_REPLY / HEADERS,
 * `reset` (status) when the peer resets the stream.
 */
export class SpdyStream extends Duplex {
  readonly id: number;
  readonly headers: SpdyHeaders;
  /** True for streams the peer opened. */
  readonly incoming: boolean;
  readonly #session: SpdySession;
  #localFin = false;
  #remoteFin = false;
  #reset = false;
  #sendWindow: number;
  /** Bytes received since this stream's last WINDOW_UPDATE. */
  #recvUnacked = 0;
  /** Bytes received and not yet counted against the session window. */
  #recvUncounted = 0;
  #pending: { data: Buffer; cb: (err?: Error | null) => void } | undefined;
  #finalCb: ((err?: Error | null) => void) | undefined;

  constructor(session: SpdySession, id: number, headers: SpdyHeaders, incoming: boolean) {
    super({ allowHalfOpen: true });
    this.#session = session;
    this.id = id;
    this.headers = headers;
    this.incoming = incoming;
    this.#sendWindow = session.peerInitialWindow;
    // Errors (a write after the peer reset the stream, ...) must never crash the process.
    this.on('error', () => { /* reported through 'close' */ });
  }

  get localFin(): boolean {
    return this.#localFin;
  }

  get remoteFin(): boolean {
    return this.#remoteFin;
  }

  get wasReset(): boolean {
    return this.#reset;
  }

  /** The first value of a request header. */
  header(name: string): string | undefined {
    return headerValue(this.headers, name);
  }

  /** Refuse the stream (RST_STREAM REFUSED_STREAM). */
  refuse(): void {
    if (this.#reset || this.destroyed) return;
    this.#reset = true;
    this.#session.sendRst(this.id, RstStatus.refusedStream);
    this.destroy();
  }

  // ---- called by the session ----

  markLocalFin(): void {
    this.#localFin = true;
    this.#checkDone();
  }

  dataReceived(data: Buffer): void {
    this.#recvUncounted += data.length;
    if (this.destroyed) {
      this.#countConsumed();
      return;
    }
    this.#recvUnacked += data.length;
    if (!this.push(data)) this.#session.pauseInput(this);
  }

  remoteFinished(): void {
    if (this.#remoteFin) return;
    this.#remoteFin = true;
    if (!this.destroyed) this.push(null);
    this.#checkDone();
  }

  peerReset(status: number): void {
    if (this.#reset) return;
    this.#reset = true;
    this.emit('reset', status);
    this.#releasePending(new Error(`stream reset by peer (status ${status})`));
    this.#session.streamDone(this);
    this.destroy();
  }

  transportGone(): void {
    this.#reset = true;
    this.#releasePending(new Error('SPDY session closed'));
    this.destroy();
  }

  windowUpdated(delta: number): void {
    this.#sendWindow += delta;
    this.#flushPending();
  }

  // ---- Duplex implementation ----

  override _read(): void {
    this.#session.resumeInput(this);
    // What was pushed before the reader asked for more counts as consumed.
    this.#countConsumed();
    if (this.#recvUnacked >= DEFAULT_WINDOW / 2 && !this.#remoteFin && !this.#reset) {
      this.#session.sendWindowUpdate(this.id, this.#recvUnacked);
      this.#recvUnacked = 0;
    }
  }

  #countConsumed(): void {
    if (this.#recvUncounted > 0 && !this.#session.closed) this.#session.consumed(this.#recvUncounted);
    this.#recvUncounted = 0;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.#reset || this.#session.closed) {
      cb(new Error('write on a reset SPDY stream'));
      return;
    }
    if (this.#localFin) {
      cb(new Error('write after FIN on SPDY stream'));
      return;
    }
    this.#pending = { data: chunk, cb };
    this.#flushPending();
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.#reset || this.#session.closed || this.#localFin) {
      cb();
      return;
    }
    this.#finalCb = cb;
    this.#flushPending();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.#reset && !(this.#localFin && this.#remoteFin) && !this.#session.closed) {
      this.#reset = true;
      this.#session.sendRst(this.id, RstStatus.cancel);
    }
    this.#releasePending(err ?? new Error('SPDY stream destroyed'));
    this.#countConsumed(); // unread data is dropped: the session window gets it back
    this.#session.streamDone(this);
    cb(err);
  }

  /** Send as much of the pending write as the windows allow; then the FIN if end() was called. */
  #flushPending(): void {
    while (this.#pending) {
      let room = this.#pending.data.length;
      if (this.#session.flowControl) room = Math.min(room, this.#sendWindow, this.#session.sessionSendWindow);
      if (room <= 0) return; // wait for WINDOW_UPDATE
      const n = Math.min(room, MAX_DATA_CHUNK);
      const piece = this.#pending.data.subarray(0, n);
      const rest = this.#pending.data.subarray(n);
      // Windows are counted even while not enforced, so they are right once the peer starts updating them.
      this.#sendWindow -= n;
      this.#session.sessionSendWindow -= n;
      if (rest.length === 0) {
        const { cb } = this.#pending;
        this.#pending = undefined;
        this.#session.enqueue({ frame: dataFrame(this.id, 0, piece), done: () => cb() });
      } else {
        this.#pending.data = rest;
        this.#session.enqueue({ frame: dataFrame(this.id, 0, piece) });
      }
    }
    if (this.#finalCb) {
      const cb = this.#finalCb;
      this.#finalCb = undefined;
      this.#localFin = true;
      this.#session.enqueue({ frame: dataFrame(this.id, FLAG_FIN, Buffer.alloc(0)), done: () => cb() });
      this.#checkDone();
    }
  }

  #releasePending(err: Error): void {
    const p = this.#pending;
    this.#pending = undefined;
    p?.cb(err);
    const f = this.#finalCb;
    this.#finalCb = undefined;
    f?.();
  }

  #checkDone(): void {
    if (this.#localFin && this.#remoteFin) {
      this.#countConsumed(); // nothing more comes on this stream: return all it used of the session window
      this.#session.streamDone(this);
    }
  }
}

/** Run a session over a raw upgraded socket. */
export function spdyOverSocket(socket: Duplex, head: Buffer, options: SpdySessionOptions): SpdySession {
  const session = new SpdySession({
    write: (frame) => (socket.destroyed ? true : socket.write(frame)),
    end: () => socket.end(),
    destroy: () => socket.destroy(),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  }, options);
  (socket as { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true);
  socket.on('data', (chunk: Buffer) => session.receive(chunk));
  socket.on('drain', () => session.transportDrained());
  socket.on('end', () => socket.end());
  socket.on('error', () => { /* 'close' follows */ });
  socket.on('close', () => session.transportClosed());
  if (head.length > 0) session.receive(head);
  return session;
}

/** Run a session over a WebSocket whose binary messages carry the SPDY byte stream. */
export function spdyOverWebSocket(ws: WebSocket, options: SpdySessionOptions): SpdySession {
  const session = new SpdySession({
    write: (frame) => (ws.open ? ws.send(frame) : true),
    end: () => ws.close(),
    destroy: () => ws.terminate(),
    pause: () => ws.pause(),
    resume: () => ws.resume(),
  }, options);
  ws.on('message', (data: Buffer, binary: boolean) => {
    if (binary) session.receive(data);
    else ws.close(1003, 'SPDY tunnel messages must be binary');
  });
  ws.on('drain', () => session.transportDrained());
  ws.on('close', () => session.transportClosed());
  return session;
}
