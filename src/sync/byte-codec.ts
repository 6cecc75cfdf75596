// Byte-aligned varint writer/reader for small control payloads (repair
// listings, clone manifests). The reader is bounded and throws only
// ByteCodecError, which callers turn into typed errors.
import { assert } from "../core/assert.ts";
import { fromUtf8, utf8 } from "../core/bytes.ts";

export class ByteCodecError extends Error {
  override name = "ByteCodecError";
}

export class ByteWriter {
  private readonly parts: number[] = [];
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  varint(value: number): void {
    assert(Number.isSafeInteger(value) && value >= 0, `varint ${value} invalid`);
    let rest = value;
    while (rest >= 0x80) {
      this.parts.push((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    this.parts.push(rest);
  }

  bytes(data: Uint8Array): void {
    this.flushParts();
    this.chunks.push(data);
    this.length += data.length;
  }

  string(text: string): void {
    const encoded = utf8(text);
    this.varint(encoded.length);
    this.bytes(encoded);
  }

  finish(): Uint8Array {
    this.flushParts();
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  private flushParts(): void {
    if (this.parts.length === 0) return;
    this.chunks.push(Uint8Array.from(this.parts));
    this.length += this.parts.length;
    this.parts.length = 0;
  }
}

export class ByteReader {
  private offset = 0;
  constructor(private readonly data: Uint8Array) {}

  get done(): boolean {
    return this.offset >= this.data.length;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.offset >= this.data.length) throw new ByteCodecError("truncated varint");
      const b = this.data[this.offset++]!;
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(value)) throw new ByteCodecError("varint overflows");
        return value;
      }
      scale *= 0x80;
    }
    throw new ByteCodecError("varint too long");
  }

  bytes(length: number): Uint8Array {
    if (length > this.data.length - this.offset) throw new ByteCodecError("truncated bytes");
    const out = this.data.slice(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  string(bytesMax: number): string {
    const length = this.varint();
    if (length > bytesMax) throw new ByteCodecError(`string of ${length} bytes exceeds ${bytesMax}`);
    const text = fromUtf8(this.bytes(length));
    if (text === undefined) throw new ByteCodecError("string is not UTF-8");
    return text;
  }
}
