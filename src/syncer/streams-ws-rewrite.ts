// The host's WebSocket messages to the client, with the host pod's names
// re-worded where the host writes its own text: whole messages of an error
// channel (channel protocols), or the SPDY byte stream a tunnel carries, and
// the reason of its close frame. Any other message passes through as it
// arrives, untouched.

import {
  isControlFrame, MAX_CONTROL_PAYLOAD, wsFrameHeader, WsOpcode, type ByteRewriter, type WsFrame, type WsFrameHandler,
} from './streams-ws-frames.ts';

/** Bytes with the host pod's names re-worded; the same Buffer when nothing changed. */
export type BytesRewrite = (bytes: Buffer) => Buffer;

/** The most of one error message (or of a channel's gathered messages) held to re-word it; past it, it goes out as it came. */
const MAX_HELD = 256 * 1024;

export interface ChannelRewriteOptions {
  /** Messages are text: the channel as an ASCII digit, then base64 data. */
  readonly base64: boolean;
  /** Whether a channel carries the host's own text. */
  readonly errorChannel: (channel: number) => boolean;
  /**
   * Error channels whose messages are gathered until the host closes (a
   * close frame, or the end of its bytes) and re-worded as one: exec's
   * status channel, which the client reads to its end anyway. The messages
   * of other error channels are re-worded one at a time.
   */
  readonly gatherChannel?: (channel: number) => boolean;
  readonly rewrite: BytesRewrite;
  /** The payload of the host's close frame (code and reason) re-worded; without it, close frames pass as they come. */
  readonly rewriteClose?: BytesRewrite;
  readonly emit: (bytes: Buffer) => void;
}

type MessageRoute = 'pass' | 'hold' | 'undecided';

/** The host's close frame, read whole to re-word its reason. */
interface HeldClose {
  readonly header: Buffer;
  readonly data: Buffer[];
}

/** Whether `f` is a close frame the host may send, small enough to hold (as all valid ones are). */
function isHostClose(f: WsFrame): boolean {
  return f.opcode === WsOpcode.close && f.rsv === 0 && f.mask === undefined && f.length <= MAX_CONTROL_PAYLOAD;
}

/** A close frame's payload re-worded: the frame as it came when nothing changed. */
function closeFrame(close: HeldClose, rewriteClose: BytesRewrite): Buffer[] {
  const payload = Buffer.concat(close.data);
  const out = rewriteClose(payload);
  const frame = out === payload ? [close.header, payload] : [wsFrameHeader(WsOpcode.close, out.length), out];
  return frame.filter((b) => b.length > 0);
}

/** The messages of one gathered channel: as they came, and their data (decoded, after the channel). */
interface Gathered {
  readonly raw: Buffer[];
  readonly bodies: Buffer[];
  size: number;
  /** The first message's opcode and channel prefix, for the message they become. */
  readonly opcode: number;
  readonly prefix: Buffer;
}

/**
 * Channel protocols (`v5.channel.k8s.io` and the like): each message starts
 * with its channel; messages of an error channel are gathered and re-worded.
 */
export class WsChannelRewriter implements WsFrameHandler {
  readonly #o: ChannelRewriteOptions;
  /** How the data message under way goes; undefined between messages. */
  #message: MessageRoute | undefined;
  /** How the current frame goes (a control frame inside a message passes, or is a close frame read whole). */
  #frame: MessageRoute | 'close' = 'pass';
  #opcode = 0;
  #channel = 0;
  /** The frames of a held message as they came, and their payloads unmasked. */
  #raw: Buffer[] = [];
  #data: Buffer[] = [];
  #held = 0;
  #pendingHeader: Buffer | undefined;
  #close: HeldClose | undefined;
  readonly #gathered = new Map<number, Gathered>();

  constructor(options: ChannelRewriteOptions) {
    this.#o = options;
  }

  start(f: WsFrame): void {
    if (isControlFrame(f)) {
      if (this.#o.rewriteClose && isHostClose(f)) {
        this.#frame = 'close';
        this.#close = { header: f.header, data: [] };
        return;
      }
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
    if (this.#frame === 'close') {
      this.#close!.data.push(Buffer.from(data));
      return;
    }
    if (this.#frame === 'undecided') {
      const channel = this.#o.base64 ? data[0]! - 48 : data[0]!;
      const header = this.#pendingHeader!;
      this.#pendingHeader = undefined;
      this.#channel = channel;
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
      this.#releaseMessage();
      this.#frame = this.#message = 'pass';
    }
  }

  end(f: WsFrame): void {
    if (this.#frame === 'close') {
      // The host closes: what it wrote before goes out first.
      this.#releaseAll();
      for (const b of closeFrame(this.#close!, this.#o.rewriteClose!)) this.#o.emit(b);
      this.#close = undefined;
      return;
    }
    if (isControlFrame(f)) return;
    if (this.#frame === 'undecided') {
      // An empty first frame: nothing to read its channel from.
      this.#o.emit(this.#pendingHeader!);
      this.#pendingHeader = undefined;
      this.#message = 'pass';
    }
    if (!f.fin) return;
    if (this.#message === 'hold') this.#endHeld();
    this.#message = undefined;
  }

  /** The host's bytes end (or it closes): gathered messages go out re-worded, a message under way as it came. */
  finish(): void {
    this.#releaseAll();
    if (this.#close) {
      // A close frame cut short: as it came.
      this.#o.emit(this.#close.header);
      for (const b of this.#close.data) this.#o.emit(b);
      this.#close = undefined;
    }
  }

  #releaseAll(): void {
    for (const channel of [...this.#gathered.keys()]) this.#releaseGathered(channel);
    if (this.#message === 'hold') {
      this.#releaseMessage();
      this.#message = 'pass';
    }
    if (this.#pendingHeader) {
      this.#o.emit(this.#pendingHeader);
      this.#pendingHeader = undefined;
      this.#message = 'pass';
    }
  }

  /** A held message is complete: re-worded now, or gathered with its channel's earlier ones. */
  #endHeld(): void {
    const payload = Buffer.concat(this.#data, this.#held);
    if (this.#o.gatherChannel?.(this.#channel)) {
      const body = this.#o.base64 ? Buffer.from(payload.toString('latin1', 1), 'base64') : payload.subarray(1);
      let g = this.#gathered.get(this.#channel);
      if (!g) this.#gathered.set(this.#channel, g = { raw: [], bodies: [], size: 0, opcode: this.#opcode, prefix: payload.subarray(0, 1) });
      g.raw.push(...this.#raw);
      g.bodies.push(body);
      g.size += body.length;
      this.#clear();
      if (g.size > MAX_HELD) this.#releaseGathered(this.#channel);
      return;
    }
    const rewritten = this.#o.base64 ? rewriteBase64(payload, this.#o.rewrite) : rewriteAfterChannel(payload, this.#o.rewrite);
    if (rewritten === payload) {
      this.#releaseMessage();
    } else {
      this.#o.emit(wsFrameHeader(this.#opcode, rewritten.length));
      this.#o.emit(rewritten);
      this.#clear();
    }
  }

  /** A channel's gathered messages as one, re-worded; as they came when nothing changed. */
  #releaseGathered(channel: number): void {
    const g = this.#gathered.get(channel);
    if (!g) return;
    this.#gathered.delete(channel);
    const body = Buffer.concat(g.bodies, g.size);
    const out = this.#o.rewrite(body);
    if (out === body) {
      for (const b of g.raw) this.#o.emit(b);
      return;
    }
    const payload = Buffer.concat([g.prefix, this.#o.base64 ? Buffer.from(out.toString('base64'), 'latin1') : out]);
    this.#o.emit(wsFrameHeader(g.opcode, payload.length));
    this.#o.emit(payload);
  }

  /** The frames of the held message out as they came. */
  #releaseMessage(): void {
    for (const b of this.#raw) this.#o.emit(b);
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
 * messages (a tunnel's message boundaries mean nothing). When the host
 * closes, what `inner` holds goes out before the close frame.
 */
export class WsTunnelRewriter implements WsFrameHandler {
  readonly #emit: (bytes: Buffer) => void;
  readonly #inner: ByteRewriter;
  readonly #rewriteClose: BytesRewrite | undefined;
  #out: Buffer[] = [];
  #frame: 'pass' | 'read' | 'close' = 'pass';
  #close: HeldClose | undefined;

  constructor(inner: (emit: (bytes: Buffer) => void) => ByteRewriter, emit: (bytes: Buffer) => void, rewriteClose?: BytesRewrite) {
    this.#emit = emit;
    this.#inner = inner((b) => { this.#out.push(b); });
    this.#rewriteClose = rewriteClose;
  }

  start(f: WsFrame): void {
    if (this.#rewriteClose && isHostClose(f)) {
      this.#frame = 'close';
      this.#close = { header: f.header, data: [] };
      return;
    }
    this.#frame = isControlFrame(f) || f.rsv !== 0 || f.mask !== undefined ? 'pass' : 'read';
    if (this.#frame === 'pass') this.#emit(f.header);
  }

  async payload(_f: WsFrame, data: Buffer, raw: Buffer): Promise<void> {
    if (this.#frame === 'close') {
      this.#close!.data.push(Buffer.from(data));
      return;
    }
    if (this.#frame === 'pass') {
      this.#emit(raw);
      return;
    }
    await this.#inner.push(data);
    this.#sendOut();
  }

  async end(): Promise<void> {
    if (this.#frame !== 'close') return; // messages are re-made as the bytes come
    await this.#finishInner();
    for (const b of closeFrame(this.#close!, this.#rewriteClose!)) this.#emit(b);
    this.#close = undefined;
  }

  async finish(): Promise<void> {
    await this.#finishInner();
    if (this.#close) {
      this.#emit(this.#close.header);
      for (const b of this.#close.data) this.#emit(b);
      this.#close = undefined;
    }
  }

  async #finishInner(): Promise<void> {
    await this.#inner.finish?.();
    this.#sendOut();
  }

  /** What `inner` handed on, as one binary message. */
  #sendOut(): void {
    if (this.#out.length === 0) return;
    const bytes = Buffer.concat(this.#out);
    this.#out = [];
    this.#emit(wsFrameHeader(WsOpcode.binary, bytes.length));
    this.#emit(bytes);
  }
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
