/**
 * A bounds-checked cursor over TLS wire structures (RFC 8446 §3: big-endian integers, vectors with a
 * 1-, 2- or 3-byte length prefix). Every read that would pass the end throws `MalformedWireError`, so a
 * truncated or hostile message can never make a parser read outside its own bytes.
 */

export class MalformedWireError extends Error {
  readonly code = 'MALFORMED_WIRE';
  constructor(what: string) {
    super(`malformed TLS structure: ${what}`);
    this.name = 'MalformedWireError';
  }
}

export class ByteReader {
  private pos = 0;

  constructor(private readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  u8(): number {
    this.need(1, 'uint8');
    return this.bytes[this.pos++];
  }

  u16(): number {
    this.need(2, 'uint16');
    const v = (this.bytes[this.pos] << 8) | this.bytes[this.pos + 1];
    this.pos += 2;
    return v;
  }

  u24(): number {
    this.need(3, 'uint24');
    const v = (this.bytes[this.pos] << 16) | (this.bytes[this.pos + 1] << 8) | this.bytes[this.pos + 2];
    this.pos += 3;
    return v;
  }

  /** A view (not a copy) of the next `n` bytes. */
  bytesView(n: number): Uint8Array {
    this.need(n, `${n} bytes`);
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** `opaque x<0..2^8-1>` */
  vec8(): Uint8Array {
    return this.bytesView(this.u8());
  }

  /** `opaque x<0..2^16-1>` */
  vec16(): Uint8Array {
    return this.bytesView(this.u16());
  }

  /** `opaque x<0..2^24-1>` */
  vec24(): Uint8Array {
    return this.bytesView(this.u24());
  }

  skip(n: number): void {
    this.bytesView(n);
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.bytes.length) throw new MalformedWireError(`truncated ${what}`);
  }
}
