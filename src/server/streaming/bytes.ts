// A queue of received bytes for the frame parsers (WebSocket, SPDY): chunks
// are kept as they arrive and joined only when a frame needs them, so a large
// frame that arrives in many pieces is copied once, not once per piece.

export class ByteQueue {
  #chunks: Buffer[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** The first n bytes without consuming them (n <= length). */
  peek(n: number): Buffer {
    this.#gather(n);
    return this.#chunks[0]!.subarray(0, n);
  }

  /** Remove and return the first n bytes (n <= length). */
  take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    this.#gather(n);
    const first = this.#chunks[0]!;
    const out = first.subarray(0, n);
    if (first.length === n) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(n);
    this.#length -= n;
    return out;
  }

  /** Make the first chunk at least n bytes long. */
  #gather(n: number): void {
    if (n > this.#length) throw new RangeError(`ByteQueue: ${n} bytes wanted, ${this.#length} held`);
    if (this.#chunks[0]!.length >= n) return;
    const parts: Buffer[] = [];
    let have = 0;
    while (have < n) {
      const c = this.#chunks.shift()!;
      parts.push(c);
      have += c.length;
    }
    this.#chunks.unshift(Buffer.concat(parts, have));
  }
}
