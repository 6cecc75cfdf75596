// A seeded PRNG (sfc32, seeded through splitmix32): fast, 32-bit, and the
// same sequence on every machine, so one seed reproduces one run.
import { assert } from "./assert.ts";
import type { Rng } from "./ports.ts";

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  }
  return h >>> 0;
}

export class SeededRng implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    assert(Number.isSafeInteger(seed) && seed >= 0, `seed must be a non-negative safe integer, got ${seed}`);
    const high = Math.floor(seed / 0x1_0000_0000) >>> 0;
    const mix = splitmix32((seed >>> 0) ^ Math.imul(high, 0x9e3779b1));
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = 1;
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  float(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  int(min: number, max: number): number {
    assert(
      Number.isSafeInteger(min) && Number.isSafeInteger(max) && min <= max,
      `bad range [${min}, ${max}]`,
    );
    const span = max - min + 1;
    if (span <= 0x1_0000_0000) return min + Math.floor(this.float() * span);
    return min + Math.floor((this.nextU32() * 0x1_0000_0000 + this.nextU32()) % span);
  }

  bytes(length: number): Uint8Array {
    assert(Number.isSafeInteger(length) && length >= 0, `bad length ${length}`);
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      let word = this.nextU32();
      for (let j = i; j < Math.min(i + 4, length); j++) {
        out[j] = word & 0xff;
        word >>>= 8;
      }
    }
    return out;
  }

  fork(label: string): Rng {
    return new SeededRng((this.nextU32() ^ hashLabel(label)) >>> 0);
  }
}
