// WebSocket frames (RFC 6455) read as they pass through a spliced session:
// headers parsed, payloads handed on in the pieces they arrive in (unmasked
// when the sender masked them), never gathered here.

import { ByteQueue } from '../server/streaming/bytes.ts';

export const WsOpcode = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8 } as const;

/** The most a control frame carries (RFC 6455 5.5). */
export const MAX_CONTROL_PAYLOAD = 125;

/** Bytes of one direction of a session, handed on through a function given when it is made. */
export interface ByteRewriter {
  push(chunk: Buffer): void | Promise<void>;
  /** No more bytes come: what is held goes out. */
  finish?(): void | Promise<void>;
}

export interface WsFrame {
  readonly fin: boolean;
  readonly rsv: number;
  readonly opcode: number;
  readonly length: number;
  readonly mask: Buffer | undefined;
  /** The header bytes as they came. */
  readonly header: Buffer;
}

export function isControlFrame(f: WsFrame): boolean {
  return (f.opcode & 0x8) !== 0;
}

/** What a reader does with each frame; returned promises hold the reader (and so its input) until they settle. */
export interface WsFrameHandler {
  start(f: WsFrame): void;
  /** A piece of the payload: `data` unmasked, `raw` as it came. */
  payload(f: WsFrame, data: Buffer, raw: Buffer): void | Promise<void>;
  /** The frame's last byte was read (at once after start() for an empty frame). */
  end(f: WsFrame): void | Promise<void>;
  /** No more bytes come: what is held goes out. */
  finish?(): void | Promise<void>;
}

/** An unmasked, unfragmented frame header for a payload of `length` bytes (the server's own). */
export { frameHeader as wsFrameHeader } from '../server/streaming/websocket.ts';

function readHeader(q: ByteQueue): WsFrame | undefined {
  if (q.length < 2) return undefined;
  const b = q.peek(2);
  const masked = (b[1]! & 0x80) !== 0;
  const short = b[1]! & 0x7f;
  const size = (short === 126 ? 4 : short === 127 ? 10 : 2) + (masked ? 4 : 0);
  if (q.length < size) return undefined;
  const header = Buffer.from(q.take(size));
  const length = short === 126 ? header.readUInt16BE(2) : short === 127 ? Number(header.readBigUInt64BE(2)) : short;
  return {
    fin: (header[0]! & 0x80) !== 0, rsv: header[0]! & 0x70, opcode: header[0]! & 0x0f, length,
    mask: masked ? header.subarray(size - 4) : undefined, header,
  };
}

function unmask(raw: Buffer, mask: Buffer, offset: number): Buffer {
  const out = Buffer.allocUnsafe(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw[i]! ^ mask[(offset + i) & 3]!;
  return out;
}

export class WsFrameReader implements ByteRewriter {
  readonly #q = new ByteQueue();
  readonly #handler: WsFrameHandler;
  #frame: WsFrame | undefined;
  #left = 0;

  constructor(handler: WsFrameHandler) {
    this.#handler = handler;
  }

  /** Synchronous while the handler is: a promise only when one of its calls returned one. */
  push(chunk: Buffer): void | Promise<void> {
    this.#q.push(chunk);
    return this.#run();
  }

  /** The input ended (a frame cut short stays unread). */
  finish(): void | Promise<void> {
    return this.#handler.finish?.();
  }

  #run(): void | Promise<void> {
    for (;;) {
      const step = this.#step();
      if (step === false) return;
      if (step !== true) return step.then(() => this.#run());
    }
  }

  /** One header, payload piece or frame end: false when more input is needed. */
  #step(): boolean | Promise<void> {
    let f = this.#frame;
    if (!f) {
      f = readHeader(this.#q);
      if (!f) return false;
      this.#frame = f;
      this.#left = f.length;
      this.#handler.start(f);
    }
    if (this.#left > 0) {
      if (this.#q.length === 0) return false;
      const raw = this.#q.take(Math.min(this.#left, this.#q.length));
      const data = f.mask ? unmask(raw, f.mask, f.length - this.#left) : raw;
      this.#left -= raw.length;
      return this.#handler.payload(f, data, raw) ?? true;
    }
    this.#frame = undefined;
    return this.#handler.end(f) ?? true;
  }
}
