/**
 * A FIFO of byte chunks that copies only when whole units (a record, a handshake message) are taken, so a
 * peer that dribbles one byte at a time costs linear, not quadratic, time.
 */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0; // bytes already consumed from chunks[0]
  length = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Byte at offset `i` from the front (i < length). */
  at(i: number): number {
    let off = this.head + i;
    for (const c of this.chunks) {
      if (off < c.length) return c[off];
      off -= c.length;
    }
    throw new RangeError('ByteQueue.at past end');
  }

  /** Removes and returns the first `n` bytes (n <= length) as one contiguous copy. */
  take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    let used = 0; // whole chunks consumed, removed in one splice
    while (filled < n) {
      const c = this.chunks[used];
      const k = Math.min(c.length - this.head, n - filled);
      out.set(c.subarray(this.head, this.head + k), filled);
      filled += k;
      this.head += k;
      if (this.head === c.length) {
        used++;
        this.head = 0;
      }
    }
    if (used > 0) this.chunks.splice(0, used);
    this.length -= n;
    return out;
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.length = 0;
  }
}
