import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { SeededRng } from "./rng.ts";

test("rng: same seed gives the same sequence", () => {
  const a = new SeededRng(42);
  const b = new SeededRng(42);
  for (let i = 0; i < 1000; i++) assert.equal(a.nextU32(), b.nextU32());
});

test("rng: different seeds and forks diverge", () => {
  const a = new SeededRng(1);
  const b = new SeededRng(2);
  const fork1 = new SeededRng(7).fork("phone-1");
  const fork2 = new SeededRng(7).fork("phone-2");
  assert.notDeepEqual(a.bytes(32), b.bytes(32));
  assert.notDeepEqual(fork1.bytes(32), fork2.bytes(32));
});

test("rng: seeds above 2^32 are distinct from their low bits", () => {
  assert.notEqual(new SeededRng(5).nextU32(), new SeededRng(5 + 2 ** 32).nextU32());
});

test("rng: int stays in range and covers it", () => {
  const rng = new SeededRng(9);
  const seen = new Set<number>();
  for (let i = 0; i < 10_000; i++) {
    const v = rng.int(3, 9);
    assert.ok(v >= 3 && v <= 9);
    seen.add(v);
  }
  assert.equal(seen.size, 7);
});

test("rng: float mean is near one half", () => {
  const rng = new SeededRng(11);
  let sum = 0;
  const n = 100_000;
  for (let i = 0; i < n; i++) sum += rng.float();
  assert.ok(Math.abs(sum / n - 0.5) < 0.01, `mean ${sum / n}`);
});

test("rng: rejects a bad seed", () => {
  assert.throws(() => new SeededRng(-1), /seed/);
  assert.throws(() => new SeededRng(1.5), /seed/);
});

// Pinned: every recorded seed in issues and docs names a run only while the
// generator's sequence stays exactly this (values from the first release).
test("rng: the sequence for a seed is pinned (nextU32, bytes, fork, seeds above 2^32)", () => {
  const r = new SeededRng(42);
  assert.deepEqual(
    Array.from({ length: 5 }, () => r.nextU32()),
    [2476999517, 2284424721, 914527439, 3398404915, 1005869237],
  );
  const big = new SeededRng(2 ** 40 + 7);
  assert.equal(big.nextU32(), 281215073);
  assert.deepEqual(Array.from(big.bytes(7)), [230, 101, 242, 68, 15, 175, 73]);
  assert.equal(big.fork("x").nextU32(), 4036436068);
});

test("rng: fillWords draws what as many nextU32 calls would, in order, and leaves the stream in step (property)", () => {
  fc.assert(
    fc.property(fc.nat(), fc.nat({ max: 40 }), fc.nat({ max: 300 }), (seed, before, length) => {
      const block = new SeededRng(seed);
      const single = new SeededRng(seed);
      for (let i = 0; i < before; i++) assert.equal(block.nextU32(), single.nextU32());
      const words = new Uint32Array(length);
      block.fillWords(words);
      const expected = Array.from({ length }, () => single.nextU32());
      assert.deepEqual(Array.from(words), expected, `seed=${seed}`);
      for (let i = 0; i < 3; i++)
        assert.equal(block.nextU32(), single.nextU32(), `seed=${seed}: stream after the block`);
    }),
  );
});

test("rng: bytes are each word little-endian, the tail from one more word, at every length (property)", () => {
  fc.assert(
    fc.property(fc.nat(), fc.nat({ max: 400 }), (seed, length) => {
      const words = new SeededRng(seed);
      const expected = new Uint8Array(length);
      const view = new DataView(expected.buffer);
      const whole = length - (length % 4);
      for (let i = 0; i < whole; i += 4) view.setUint32(i, words.nextU32(), true);
      if (whole < length) {
        const last = words.nextU32();
        for (let j = whole; j < length; j++) expected[j] = (last >>> (8 * (j - whole))) & 255;
      }
      const rng = new SeededRng(seed);
      assert.deepEqual(rng.bytes(length), expected, `seed=${seed} length=${length}`);
      assert.equal(rng.nextU32(), words.nextU32(), `seed=${seed}: stream after bytes`);
    }),
  );
});
