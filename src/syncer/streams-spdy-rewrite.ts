// SPDY/3.1 sessions passed through (exec, attach and port-forward from older
// kubectl, and port-forward tunnelled in WebSocket): the client opens every
// stream and names its kind in the `streamType` header of its SYN_STREAM, so
// the client's header blocks are read (one zlib context per direction) to
// know which streams are `error` streams; the host's DATA on those is held
// until the stream ends and re-worded as a whole. Everything else passes as it
// arrives.
//
// A re-worded frame changes length; the peers' flow-control windows then
// differ by that many bytes, a few per error message, which no window of a
// session's lifetime comes near.

import { ByteQueue } from '../server/streaming/bytes.ts';
import { decodeHeaderBlock, FrameType, headerValue, newDecompressor } from '../server/streaming/spdy.ts';
import type { BytesRewrite } from './streams-ws-rewrite.ts';
import type { ByteRewriter } from './streams-ws-frames.ts';

const FLAG_FIN = 0x01;
const FRAME_HEADER = 8;
/** Larger control frames are not header blocks we need: reading stops (everything then passes). */
const MAX_CONTROL_FRAME = 1024 * 1024;
/**
 * The most of one error stream held to re-word it (an error message is far
 * shorter): past it, what is held goes out and holding starts anew (a name
 * cut there is missed). Below the 64 KiB initial window, so a host that keeps
 * to its window never waits on what is held.
 */
const MAX_HELD = 32 * 1024;

/** Where the header block starts in the payload of the control frames that carry one. */
function headerBlockOffset(type: number): number | undefined {
  if (type === FrameType.synStream) return 10;
  if (type === FrameType.synReply || type === FrameType.headers) return 4;
  return undefined;
}

/** The `streamType` of each stream the client opened, from the client's side of a session. */
export class SpdyStreamTypes {
  readonly #q = new ByteQueue();
  readonly #inflate = newDecompressor();
  readonly #types = new Map<number, string>();
  #skip = 0;
  #read: Promise<void> = Promise.resolve();
  #broken = false;

  /** The client's next bytes (not changed). */
  watch(chunk: Buffer): void {
    if (this.#broken) return;
    this.#q.push(chunk);
    const q = this.#q;
    for (;;) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, q.length);
        q.take(n);
        this.#skip -= n;
        if (this.#skip > 0) return;
      }
      if (q.length < FRAME_HEADER) return;
      const h = q.peek(FRAME_HEADER);
      const length = h.readUInt32BE(4) & 0xffffff;
      const offset = (h[0]! & 0x80) !== 0 ? headerBlockOffset(h.readUInt16BE(2)) : undefined;
      if (offset === undefined) {
        q.take(FRAME_HEADER);
        this.#skip = length;
        continue;
      }
      if (length > MAX_CONTROL_FRAME || length < offset) {
        this.#stop();
        return;
      }
      if (q.length < FRAME_HEADER + length) return;
      const frame = Buffer.from(q.take(FRAME_HEADER + length));
      this.#readBlock(frame.readUInt16BE(2), frame.readUInt32BE(FRAME_HEADER) & 0x7fffffff, frame.subarray(FRAME_HEADER + offset));
    }
  }

  /** Every block has to go through the one context, in order, for the next to inflate. */
  #readBlock(type: number, id: number, block: Buffer): void {
    this.#read = this.#read.then(async () => {
      if (this.#broken) return;
      try {
        const headers = decodeHeaderBlock(await this.#inflate.process(block, MAX_CONTROL_FRAME));
        if (type === FrameType.synStream) this.#types.set(id, headerValue(headers, 'streamtype') ?? '');
      } catch {
        this.#stop();
      }
    });
  }

  #stop(): void {
    this.#broken = true;
    this.#types.clear();
    this.#inflate.close();
  }

  /** Resolves once the header blocks seen so far are read. */
  settled(): Promise<void> {
    return this.#read;
  }

  typeOf(id: number): string | undefined {
    return this.#types.get(id);
  }

  /** The streams of this type the client opened that have not ended. */
  open(type: string): number[] {
    return [...this.#types].filter(([, t]) => t === type).map(([id]) => id);
  }

  forget(id: number): void {
    this.#types.delete(id);
  }

  close(): void {
    if (!this.#broken) this.#stop();
  }
}

/** The DATA of one `error` stream held until the stream ends. */
interface HeldStream {
  /** The frames as they came, header and payload. */
  readonly raw: Buffer[];
  readonly payloads: Buffer[];
  size: number;
}

/**
 * The host's side of a session, with the DATA of `error` streams re-worded.
 * A stream's DATA frames are held until it ends (a FIN, the host's
 * RST_STREAM, the end of the session), then go out as one frame re-worded as
 * a whole, so a name split across frames is re-worded too; unchanged, they go
 * out as they came. The client reads an error stream to its end anyway, so it
 * waits no longer for it.
 */
export class SpdyErrorRewriter implements ByteRewriter {
  readonly #q = new ByteQueue();
  readonly #types: SpdyStreamTypes;
  readonly #rewrite: BytesRewrite;
  readonly #emit: (bytes: Buffer) => void;
  readonly #held = new Map<number, HeldStream>();
  /** Error streams the host has written to. */
  readonly #answered = new Set<number>();
  readonly #statusWhenCut: Buffer | undefined;
  #pass = 0;

  /**
   * `statusWhenCut`: what an exec or attach session (channel protocol v4, where
   * the host always ends with a status) gets on its error stream when the host's
   * bytes end before any status came: old kubectl (SPDY) reads an empty error
   * stream as success and exits 0 (kubernetes/kubectl#1208); this makes the cut
   * session the failure it is.
   */
  constructor(types: SpdyStreamTypes, rewrite: BytesRewrite, emit: (bytes: Buffer) => void, statusWhenCut?: Buffer) {
    this.#types = types;
    this.#rewrite = rewrite;
    this.#emit = emit;
    this.#statusWhenCut = statusWhenCut;
  }

  async push(chunk: Buffer): Promise<void> {
    const q = this.#q;
    q.push(chunk);
    for (;;) {
      if (this.#pass > 0) {
        if (q.length === 0) return;
        const part = q.take(Math.min(this.#pass, q.length));
        this.#pass -= part.length;
        this.#emit(part);
        continue;
      }
      if (q.length < FRAME_HEADER) return;
      const h = q.peek(FRAME_HEADER);
      const length = h.readUInt32BE(4) & 0xffffff;
      if ((h[0]! & 0x80) !== 0) {
        if (h.readUInt16BE(2) === FrameType.rstStream && length >= 8) {
          if (q.length < FRAME_HEADER + 4) return;
          const id = q.peek(FRAME_HEADER + 4).readUInt32BE(FRAME_HEADER) & 0x7fffffff;
          // What the host wrote on a stream it resets goes out before the reset (the kubelet resets every stream when an exec ends).
          this.#release(id, 0);
          this.#types.forget(id);
        }
        this.#passFrame(length);
        continue;
      }
      const id = h.readUInt32BE(0) & 0x7fffffff;
      const fin = (h[4]! & FLAG_FIN) !== 0;
      // The client's SYN_STREAM went by before the host could answer on it; its block may still be inflating.
      if (this.#types.typeOf(id) === undefined) await this.#types.settled();
      if (this.#types.typeOf(id) === 'error') this.#answered.add(id);
      if (this.#types.typeOf(id) !== 'error' || length > MAX_HELD) {
        // A frame too long to hold: what is held of its stream goes first.
        this.#release(id, 0);
        if (fin) this.#types.forget(id);
        this.#passFrame(length);
        continue;
      }
      if (q.length < FRAME_HEADER + length) return;
      const header = Buffer.from(q.take(FRAME_HEADER));
      const payload = Buffer.from(q.take(length));
      let held = this.#held.get(id);
      if (held && held.size + length > MAX_HELD) {
        // Never more than MAX_HELD: what is held goes out, holding starts anew with this frame.
        this.#release(id, 0);
        held = undefined;
      }
      if (!held) this.#held.set(id, held = { raw: [], payloads: [], size: 0 });
      held.raw.push(header, payload);
      held.payloads.push(payload);
      held.size += length;
      if (fin) {
        this.#types.forget(id);
        this.#release(id, FLAG_FIN);
      }
    }
  }

  /** The host's bytes end: what is held goes out (and the status of a cut session, see the constructor). */
  finish(): void {
    for (const id of [...this.#held.keys()]) this.#release(id, 0);
    if (!this.#statusWhenCut) return;
    for (const id of this.#types.open('error')) {
      if (this.#answered.has(id)) continue;
      const header = Buffer.alloc(FRAME_HEADER);
      header.writeUInt32BE(id & 0x7fffffff, 0);
      header.writeUInt32BE(((FLAG_FIN << 24) | this.#statusWhenCut.length) >>> 0, 4);
      this.#emit(header);
      this.#emit(this.#statusWhenCut);
      this.#types.forget(id);
    }
  }

  /** The held DATA of stream `id`, re-worded as one frame with `flags`, or as it came when nothing changed. */
  #release(id: number, flags: number): void {
    const held = this.#held.get(id);
    if (!held) return;
    this.#held.delete(id);
    const payload = Buffer.concat(held.payloads, held.size);
    const out = this.#rewrite(payload);
    if (out === payload) {
      for (const b of held.raw) if (b.length > 0) this.#emit(b);
      return;
    }
    const header = Buffer.alloc(FRAME_HEADER);
    header.writeUInt32BE(id & 0x7fffffff, 0);
    header.writeUInt32BE(((flags << 24) | out.length) >>> 0, 4);
    this.#emit(header);
    if (out.length > 0) this.#emit(out);
  }

  #passFrame(length: number): void {
    this.#emit(this.#q.take(FRAME_HEADER));
    this.#pass = length;
  }
}
