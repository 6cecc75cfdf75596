// A seeded PRNG (sfc32, seeded through splitmix32): fast, 32-bit, and the
// same sequence on every machine, so one seed reproduces one run.
import { assert } from "./assert.ts";
import type { Rng } from "./ports.ts";

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const blockFillBytesMin = 64;
/** Words per fillBlock call: short enough that its loop is not compiled mid-run (see fillWords). */
const fillBlockWords = 64;

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
  /**
   * sfc32's a, b, c, d as raw int32 elements rather than four number fields:
   * measured 5.9 -> 3.0 ns per rng.float() in a loop (email bodies draw one
   * per word). Why the fields were slower is not verified (declared fields
   * start as `undefined`, so their representation was generic).
   */
  private readonly state = new Int32Array(4);

  constructor(seed: number) {
    assert(Number.isSafeInteger(seed) && seed >= 0, `seed must be a non-negative safe integer, got ${seed}`);
    const high = Math.floor(seed / 0x1_0000_0000) >>> 0;
    const mix = splitmix32((seed >>> 0) ^ Math.imul(high, 0x9e3779b1));
    const state = this.state;
    state[0] = mix();
    state[1] = mix();
    state[2] = mix();
    state[3] = 1;
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  /** sfc32 step, int32 throughout; `>>> 0` only on return. */
  nextU32(): number {
    const state = this.state;
    const b = state[1]!;
    const c = state[2]!;
    const d = state[3]!;
    const t = (((state[0]! + b) | 0) + d) | 0;
    state[3] = d + 1;
    state[0] = b ^ (b >>> 9);
    state[1] = c + (c << 3);
    state[2] = ((c << 21) | (c >>> 11)) + t;
    return t >>> 0;
  }

  /**
   * nextU32() target.length times, in index order, in blocks of at most
   * fillBlockWords (fillBlock). A whole long fill in one loop was compiled
   * while that loop ran (on-stack replacement), before the state stores
   * after it had ever run: that code had no type feedback for them and
   * deoptimized at the end of every long fill (--trace-deopt: hundreds per
   * shard). Short blocks make fillBlock an ordinary hot function.
   */
  fillWords(target: Uint32Array): void {
    assert(target instanceof Uint32Array, "fillWords: target must be a Uint32Array");
    const n = target.length;
    for (let from = 0; from < n; from += fillBlockWords)
      this.fillBlock(target, from, Math.min(n, from + fillBlockWords));
  }

  /**
   * target[from, to) from the sfc32 step on int32 locals, one state write
   * per block. (When the state was four number fields, loading them without
   * `| 0` gave a double-typed loop variable, and the loop ran 4-5x slower:
   * 7 vs 1.6 us per 1,250 words.)
   */
  private fillBlock(target: Uint32Array, from: number, to: number): void {
    const state = this.state;
    let a = state[0]!;
    let b = state[1]!;
    let c = state[2]!;
    let d = state[3]!;
    for (let i = from; i < to; i++) {
      const t = (((a + b) | 0) + d) | 0;
      d = (d + 1) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (((c << 21) | (c >>> 11)) + t) | 0;
      target[i] = t;
    }
    state[0] = a;
    state[1] = b;
    state[2] = c;
    state[3] = d;
  }

  float(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  int(min: number, max: number): number {
    // Called per simulated event: the message is built only on failure.
    if (!(Number.isSafeInteger(min) && Number.isSafeInteger(max) && min <= max))
      assert(false, `bad range [${min}, ${max}]`);
    const span = max - min + 1;
    if (span <= 0x1_0000_0000) return min + Math.floor(this.float() * span);
    return min + Math.floor((this.nextU32() * 0x1_0000_0000 + this.nextU32()) % span);
  }

  bytes(length: number): Uint8Array {
    if (!(Number.isSafeInteger(length) && length >= 0)) assert(false, `bad length ${length}`);
    const out = new Uint8Array(length);
    const whole = length - (length % 4);
    // On little-endian hosts a word view gives the same bytes as the shifts
    // below; worth its allocation only past a few words (sensor reads are 4 B).
    if (littleEndian && whole >= blockFillBytesMin) this.fillWords(new Uint32Array(out.buffer, 0, whole / 4));
    else this.wordsLittleEndian(out, whole);
    if (whole < length) {
      let word = this.nextU32();
      for (let j = whole; j < length; j++, word >>>= 8) out[j] = word;
    }
    return out;
  }

  /** out[0, whole) from whole / 4 words, each little-endian. */
  private wordsLittleEndian(out: Uint8Array, whole: number): void {
    for (let i = 0; i < whole; i += 4) {
      const word = this.nextU32();
      out[i] = word;
      out[i + 1] = word >>> 8;
      out[i + 2] = word >>> 16;
      out[i + 3] = word >>> 24;
    }
  }

  fork(label: string): Rng {
    return new SeededRng((this.nextU32() ^ hashLabel(label)) >>> 0);
  }
}
