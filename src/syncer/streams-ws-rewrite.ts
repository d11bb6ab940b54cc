// The host's WebSocket messages to the client, with the host pod's names
// re-worded where the host writes its own text: whole messages of an error
// channel (channel protocols), or the SPDY byte stream a tunnel carries. Any
// other message passes through as it arrives, untouched.

import {
  isControlFrame, wsFrameHeader, WsOpcode, type ByteRewriter, type WsFrame, type WsFrameHandler,
} from './streams-ws-frames.ts';

/** Bytes with the host pod's names re-worded; the same Buffer when nothing changed. */
export type BytesRewrite = (bytes: Buffer) => Buffer;

/** The most of one error message held to re-word it; a longer one passes as it came. */
const MAX_HELD = 256 * 1024;

export interface ChannelRewriteOptions {
  /** Messages are text: the channel as an ASCII digit, then base64 data. */
  readonly base64: boolean;
  /** Whether a channel carries the host's own text. */
  readonly errorChannel: (channel: number) => boolean;
  readonly rewrite: BytesRewrite;
  readonly emit: (bytes: Buffer) => void;
}

type MessageRoute = 'pass' | 'hold' | 'undecided';

/**
 * Channel protocols (`v5.channel.k8s.io` and the like): each message starts
 * with its channel; messages of an error channel are gathered and re-worded.
 */
export class WsChannelRewriter implements WsFrameHandler {
  readonly #o: ChannelRewriteOptions;
  /** How the data message under way goes; undefined between messages. */
  #message: MessageRoute | undefined;
  /** How the current frame goes (a control frame inside a message always passes). */
  #frame: MessageRoute = 'pass';
  #opcode = 0;
  /** The frames of a held message as they came, and their payloads unmasked. */
  #raw: Buffer[] = [];
  #data: Buffer[] = [];
  #held = 0;
  #pendingHeader: Buffer | undefined;

  constructor(options: ChannelRewriteOptions) {
    this.#o = options;
  }

  start(f: WsFrame): void {
    if (isControlFrame(f)) {
      this.#frame = 'pass';
      this.#o.emit(f.header);
      return;
    }
    if (f.opcode !== WsOpcode.continuation) {
      this.#opcode = f.opcode;
      // Masked or extension frames are not the host's to send: leave them be.
      this.#message = f.rsv === 0 && f.mask === undefined ? 'undecided' : 'pass';
    }
    this.#frame = this.#message ?? 'pass';
    if (this.#frame === 'pass') this.#o.emit(f.header);
    else if (this.#frame === 'hold') this.#raw.push(f.header);
    else this.#pendingHeader = f.header;
  }

  payload(_f: WsFrame, data: Buffer, raw: Buffer): void {
    if (this.#frame === 'undecided') {
      const channel = this.#o.base64 ? data[0]! - 48 : data[0]!;
      const header = this.#pendingHeader!;
      this.#pendingHeader = undefined;
      this.#frame = this.#message = this.#o.errorChannel(channel) ? 'hold' : 'pass';
      if (this.#frame === 'pass') this.#o.emit(header);
      else this.#raw.push(header);
    }
    if (this.#frame === 'pass') {
      this.#o.emit(raw);
      return;
    }
    this.#raw.push(raw);
    this.#data.push(data);
    this.#held += data.length;
    if (this.#held > MAX_HELD) {
      for (const b of this.#raw) this.#o.emit(b);
      this.#frame = this.#message = 'pass';
      this.#clear();
    }
  }

  end(f: WsFrame): void {
    if (isControlFrame(f)) return;
    if (this.#frame === 'undecided') {
      // An empty first frame: nothing to read its channel from.
      this.#o.emit(this.#pendingHeader!);
      this.#pendingHeader = undefined;
      this.#message = 'pass';
    }
    if (!f.fin) return;
    if (this.#message === 'hold') this.#emitHeld();
    this.#message = undefined;
  }

  #emitHeld(): void {
    const payload = Buffer.concat(this.#data, this.#held);
    const rewritten = this.#o.base64 ? rewriteBase64(payload, this.#o.rewrite) : rewriteAfterChannel(payload, this.#o.rewrite);
    if (rewritten === payload) {
      for (const b of this.#raw) this.#o.emit(b);
    } else {
      this.#o.emit(wsFrameHeader(this.#opcode, rewritten.length));
      this.#o.emit(rewritten);
    }
    this.#clear();
  }

  #clear(): void {
    this.#raw = [];
    this.#data = [];
    this.#held = 0;
  }
}

function rewriteAfterChannel(payload: Buffer, rewrite: BytesRewrite): Buffer {
  const body = payload.subarray(1);
  const out = rewrite(body);
  return out === body ? payload : Buffer.concat([payload.subarray(0, 1), out]);
}

function rewriteBase64(payload: Buffer, rewrite: BytesRewrite): Buffer {
  const body = Buffer.from(payload.toString('latin1', 1), 'base64');
  const out = rewrite(body);
  return out === body ? payload : Buffer.concat([payload.subarray(0, 1), Buffer.from(out.toString('base64'), 'latin1')]);
}

/**
 * A tunnel (`SPDY/3.1+portforward.k8s.io`): the payloads of data messages
 * are one byte stream, read by `inner`; what it hands on goes out as binary
 * messages (a tunnel's message boundaries mean nothing).
 */
export class WsTunnelRewriter implements WsFrameHandler {
  readonly #emit: (bytes: Buffer) => void;
  readonly #inner: ByteRewriter;
  #out: Buffer[] = [];
  #passing = false;

  constructor(inner: (emit: (bytes: Buffer) => void) => ByteRewriter, emit: (bytes: Buffer) => void) {
    this.#emit = emit;
    this.#inner = inner((b) => { this.#out.push(b); });
  }

  start(f: WsFrame): void {
    this.#passing = isControlFrame(f) || f.rsv !== 0 || f.mask !== undefined;
    if (this.#passing) this.#emit(f.header);
  }

  async payload(_f: WsFrame, data: Buffer, raw: Buffer): Promise<void> {
    if (this.#passing) {
      this.#emit(raw);
      return;
    }
    await this.#inner.push(data);
    if (this.#out.length === 0) return;
    const bytes = Buffer.concat(this.#out);
    this.#out = [];
    this.#emit(wsFrameHeader(WsOpcode.binary, bytes.length));
    this.#emit(bytes);
  }

  end(): void { /* messages are re-made as the bytes come */ }
}

/** The client's side of a tunnel, watched: the data payloads go to `watch`, unmasked. */
export class WsTunnelWatcher implements WsFrameHandler {
  readonly #watch: (bytes: Buffer) => void;
  #reading = false;

  constructor(watch: (bytes: Buffer) => void) {
    this.#watch = watch;
  }

  start(f: WsFrame): void {
    this.#reading = !isControlFrame(f) && f.rsv === 0;
  }

  payload(_f: WsFrame, data: Buffer): void {
    if (this.#reading) this.#watch(data);
  }

  end(): void { /* nothing */ }
}
