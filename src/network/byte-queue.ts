// A growable byte buffer for the incremental parsers (sans-IO, h11-style):
// bytes are appended as they arrive and consumed from the front once a whole
// message has been framed. The owner bounds its size; this class only stores.
import { assert } from "../core/assert.ts";

export class ByteQueue {
  private buffer = new Uint8Array(256);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  append(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.end + bytes.length > this.buffer.length) this.grow(bytes.length);
    this.buffer.set(bytes, this.end);
    this.end += bytes.length;
    assert(this.end <= this.buffer.length, "byte queue overflow");
  }

  /** A view of the unconsumed bytes; valid until the next append or consume. */
  view(): Uint8Array {
    return this.buffer.subarray(this.start, this.end);
  }

  /** Removes and returns (a copy of) the first `count` bytes. */
  take(count: number): Uint8Array {
    assert(count >= 0 && count <= this.length, `cannot take ${count} of ${this.length} bytes`);
    const out = this.buffer.slice(this.start, this.start + count);
    this.start += count;
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
    }
    return out;
  }

  private grow(extra: number): void {
    const live = this.length;
    let capacity = this.buffer.length;
    while (capacity < live + extra) capacity *= 2;
    const next = capacity === this.buffer.length ? this.buffer : new Uint8Array(capacity);
    next.set(this.buffer.subarray(this.start, this.end), 0);
    this.buffer = next;
    this.start = 0;
    this.end = live;
    assert(this.end + extra <= this.buffer.length, "byte queue grow too small");
  }
}

/** Index of `needle` in `haystack` at or after `from`, or -1. */
export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  assert(needle.length > 0, "empty needle");
  const first = needle[0]!;
  const last = haystack.length - needle.length;
  outer: for (let i = Math.max(0, from); i <= last; i++) {
    if (haystack[i] !== first) continue;
    for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
