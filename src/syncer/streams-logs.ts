// A host pod's log on its way to the client. The body is the container's
// output and passes as it comes, but for the text the host itself appends
// when a log it has begun fails: the kubelet, its 200 already sent, writes the
// error's text at the end of the body (go-restful's WriteError, no newline
// after it), e.g. `failed to watch file "/var/log/pods/NS_NAME_UID/c/0.log":
// ...`, and the API server passes it on as more of the body. (A log that
// fails before its first byte is a non-2xx answer instead: a HostError,
// re-worded by virtualPodError.)
//
// So the unterminated rest of the body, after its last newline, is held (at
// most MAX_TAIL bytes of it) and re-worded if the body ends there. Complete
// lines pass at once, untouched. A held rest that more bytes do not follow
// within QUIET_MS goes out as it is (a followed log shows a partial line
// without waiting for its newline); bytes after it are held anew.
//
// Re-worded too, then: a container's own last line when it ends without a
// newline and names the host pod (its host name, say); not when the host cut
// the log at the `limitBytes` asked, which it does without an error.

import { Transform, type TransformCallback } from 'node:stream';
import type { BytesRewrite } from './streams-ws-rewrite.ts';

/** The most of an unterminated line held: more than any error message the host appends. */
const MAX_TAIL = 4096;
/** How long a held partial line waits for more bytes before it goes out as it is. */
const QUIET_MS = 200;

const NEWLINE = 0x0a;

export interface LogTailOptions {
  readonly rewrite: BytesRewrite;
  /** The `limitBytes` the host was asked for: a body of exactly that length was cut there, not failed. */
  readonly limitBytes?: number;
  readonly maxTail?: number;
  readonly quietMs?: number;
}

/** The host's log body, with what the host appended to a failed log re-worded (see above). */
export class LogTailRewriter extends Transform {
  readonly #rewrite: BytesRewrite;
  readonly #limitBytes: number | undefined;
  readonly #maxTail: number;
  readonly #quietMs: number;
  #held: Buffer[] = [];
  #heldLength = 0;
  #total = 0;
  #timer: NodeJS.Timeout | undefined;
  #released = false;

  constructor(options: LogTailOptions) {
    super();
    this.#rewrite = options.rewrite;
    this.#limitBytes = options.limitBytes;
    this.#maxTail = options.maxTail ?? MAX_TAIL;
    this.#quietMs = options.quietMs ?? QUIET_MS;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#total += chunk.length;
    if (this.#released) {
      done(null, chunk);
      return;
    }
    const nl = chunk.lastIndexOf(NEWLINE);
    let rest = chunk;
    if (nl >= 0) {
      // The held bytes end with this chunk's first line: all complete lines go out.
      this.#held.push(chunk.subarray(0, nl + 1));
      this.#heldLength += nl + 1;
      this.#emitHeld();
      rest = chunk.subarray(nl + 1);
    }
    if (rest.length > 0) {
      this.#held.push(rest);
      this.#heldLength += rest.length;
      if (this.#heldLength > this.#maxTail) {
        // A long line under way: its start goes out, the last bytes stay held.
        const all = Buffer.concat(this.#held, this.#heldLength);
        this.push(all.subarray(0, all.length - this.#maxTail));
        this.#held = [all.subarray(all.length - this.#maxTail)];
        this.#heldLength = this.#maxTail;
      }
    }
    this.#arm();
    done();
  }

  override _flush(done: TransformCallback): void {
    this.#disarm();
    if (this.#heldLength > 0 && !this.#released) {
      const held = Buffer.concat(this.#held, this.#heldLength);
      this.#held = [];
      this.#heldLength = 0;
      const cut = this.#limitBytes !== undefined && this.#total === this.#limitBytes;
      this.push(cut ? held : this.#rewrite(held));
    }
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.#disarm();
    done(error);
  }

  /** The log ends here though the host did not end it (shutdown): what is held goes out as it is, and all after. */
  release(): void {
    this.#released = true;
    this.#emitHeld();
  }

  #emitHeld(): void {
    this.#disarm();
    if (this.#heldLength === 0) return;
    const out = this.#held.length === 1 ? this.#held[0]! : Buffer.concat(this.#held, this.#heldLength);
    this.#held = [];
    this.#heldLength = 0;
    this.push(out);
  }

  #arm(): void {
    this.#disarm();
    if (this.#heldLength === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#emitHeld();
    }, this.#quietMs);
    this.#timer.unref();
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** The `limitBytes` of a log query, when it is a whole number above 0. */
export function limitBytesOf(query: URLSearchParams): number | undefined {
  const v = query.get('limitBytes');
  return v !== null && /^\d+$/.test(v) && Number(v) > 0 ? Number(v) : undefined;
}
