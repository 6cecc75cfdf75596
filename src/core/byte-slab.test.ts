import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { isSlabView, setSlabViews, slabBytes, slabUtf8 } from "./byte-slab.ts";
import { utf8 } from "./bytes.ts";
import { limits } from "./limits.ts";

test("byte-slab: a view keeps its bytes while later views are taken and filled (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: limits.byteSlabViewBytesMax + 200 }), { maxLength: 120 }),
      (sizes) => {
        const taken = sizes.map((size, k) => {
          const bytes = slabBytes(size);
          assert.equal(bytes.length, size);
          assert.ok(
            bytes.every((b) => b === 0),
            "a new view is zero-filled",
          );
          bytes.fill((k % 255) + 1);
          return bytes;
        });
        taken.forEach((bytes, k) => {
          assert.ok(
            bytes.every((b) => b === (k % 255) + 1),
            `view ${k} was overwritten`,
          );
        });
      },
    ),
    { seed: 42, numRuns: 100 },
  );
});

test("byte-slab: views share slabs without overlapping and start 8-byte aligned", () => {
  const views = Array.from({ length: 200 }, (_, k) => slabBytes(65 + (k % 190)));
  const bySlab = new Map<ArrayBufferLike, Uint8Array[]>();
  for (const v of views) {
    assert.equal(v.byteOffset % 8, 0);
    assert.ok(isSlabView(v));
    bySlab.set(v.buffer, [...(bySlab.get(v.buffer) ?? []), v]);
  }
  assert.ok(bySlab.size < views.length / 10, "many views per slab");
  for (const [buffer, list] of bySlab) {
    assert.equal(buffer.byteLength, limits.byteSlabBytes);
    const sorted = [...list].sort((a, b) => a.byteOffset - b.byteOffset);
    for (let i = 1; i < sorted.length; i++)
      assert.ok(sorted[i - 1]!.byteOffset + sorted[i - 1]!.length <= sorted[i]!.byteOffset, "views overlap");
  }
});

test("byte-slab: large arrays get buffers of their own; foreign views are not slab views", () => {
  const big = slabBytes(limits.byteSlabViewBytesMax + 1);
  assert.equal(big.byteOffset, 0);
  assert.equal(big.buffer.byteLength, limits.byteSlabViewBytesMax + 1);
  assert.equal(isSlabView(big), false);
  assert.equal(isSlabView(new Uint8Array(300).subarray(10, 20)), false);
});

test("byte-slab: slabUtf8 gives utf8's bytes for ASCII, multi-byte, surrogate pairs and long text", () => {
  const texts = [
    "",
    "read 3\n",
    "héllo wörld €",
    "emoji 😀 pair",
    "x".repeat(limits.byteSlabViewBytesMax + 5),
    "€".repeat(limits.byteSlabViewBytesMax),
  ];
  for (const text of texts) assert.deepEqual(slabUtf8(text), utf8(text), text.slice(0, 20));
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", maxLength: 400 }), (text) => {
      assert.deepEqual(slabUtf8(text), utf8(text));
    }),
    { seed: 7, numRuns: 200 },
  );
});

test("byte-slab: with views off, arrays are their own and hold the same bytes; earlier views stay intact", () => {
  const before = slabUtf8("kept from before");
  assert.ok(isSlabView(before));
  setSlabViews(false);
  try {
    for (const size of [0, 1, 64, 65, limits.byteSlabViewBytesMax]) {
      const bytes = slabBytes(size);
      assert.equal(bytes.length, size);
      assert.equal(bytes.byteOffset, 0);
      assert.equal(bytes.buffer.byteLength, size, `size ${size}: a buffer of its own`);
      assert.equal(isSlabView(bytes), false);
      bytes.fill(7);
    }
    const text = slabUtf8("héllo, 世界");
    assert.deepEqual(text, utf8("héllo, 世界"));
    assert.equal(isSlabView(text), false);
    assert.deepEqual(before, utf8("kept from before"));
  } finally {
    setSlabViews(true);
  }
  const after = slabBytes(100);
  assert.ok(isSlabView(after), "views on again");
  assert.deepEqual(before, utf8("kept from before"));
});
