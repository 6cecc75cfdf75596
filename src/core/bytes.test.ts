import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  bytesEqual,
  concatBytes,
  fromHex,
  fromUtf8,
  spansBuffer,
  toHex,
  u64FromBytes,
  u64ToBytes,
  utf8,
} from "./bytes.ts";

test("bytes: hex round-trips", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      assert.ok(bytesEqual(fromHex(toHex(bytes))!, bytes));
    }),
  );
});

test("bytes: fromHex rejects odd length and non-hex", () => {
  assert.equal(fromHex("abc"), undefined);
  assert.equal(fromHex("zz"), undefined);
});

// The string-concatenation encoder and regex + parseInt decoder that the
// table-driven ones replaced: their output is the contract.
function toHexReference(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += "0123456789abcdef"[b >> 4]! + "0123456789abcdef"[b & 15]!;
  return out;
}

function fromHexReference(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

test("bytes: toHex gives the reference encoder's string for any bytes, subarrays included", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), fc.nat(), (bytes, cut) => {
      assert.equal(toHex(bytes), toHexReference(bytes));
      const tail = bytes.subarray(cut % (bytes.length + 1));
      assert.equal(toHex(tail), toHexReference(tail));
    }),
  );
  assert.equal(toHex(new Uint8Array([0, 9, 10, 15, 16, 160, 255])), "00090a0f10a0ff");
});

test("bytes: fromHex agrees with the reference decoder on hex of either case and on any other string", () => {
  const hexChar = fc.constantFrom(..."0123456789abcdefABCDEF");
  const hexText = fc.array(hexChar, { maxLength: 200 }).map((chars) => chars.join(""));
  // Near-misses: hex with one character swapped for anything (non-ASCII, 'g', '+', ' ', a code whose low byte is a digit).
  const odd = fc.constantFrom("g", "G", "+", "-", " ", "x", "\u0130", "\u0661", "\uff10", "\0", "é");
  const nearMiss = fc
    .tuple(hexText, fc.nat(), fc.oneof(odd, fc.string({ minLength: 1, maxLength: 1 })))
    .map(([text, at, c]) => {
      const i = text.length === 0 ? 0 : at % text.length;
      return text.slice(0, i) + c + text.slice(i + 1);
    });
  fc.assert(
    fc.property(fc.oneof(hexText, nearMiss, fc.string({ maxLength: 40 })), (text) => {
      assert.deepEqual(fromHex(text), fromHexReference(text), JSON.stringify(text));
    }),
    { numRuns: 1000 },
  );
});

test("bytes: spansBuffer is true only for a view over its whole buffer", () => {
  const whole = new Uint8Array(8);
  assert.equal(spansBuffer(whole), true);
  assert.equal(spansBuffer(whole.subarray(0, 8)), true);
  assert.equal(spansBuffer(whole.subarray(0, 7)), false, "a prefix pins the rest");
  assert.equal(spansBuffer(whole.subarray(1)), false, "a suffix pins the start");
  assert.equal(spansBuffer(new Uint8Array(whole.buffer, 2, 4)), false);
  assert.equal(spansBuffer(new Uint8Array(0)), true);
});

test("bytes: concat keeps order", () => {
  assert.deepEqual(concatBytes([utf8("ab"), utf8(""), utf8("c")]), utf8("abc"));
});

test("bytes: invalid UTF-8 decodes to undefined", () => {
  assert.equal(fromUtf8(new Uint8Array([0xff, 0xfe])), undefined);
  assert.equal(fromUtf8(utf8("héllo")), "héllo");
});

test("bytes: u64 round-trips every safe integer and rejects what is not one", () => {
  fc.assert(
    fc.property(fc.maxSafeNat(), (value) => {
      const bytes = u64ToBytes(value);
      assert.equal(bytes.length, 8);
      assert.equal(u64FromBytes(bytes), value);
    }),
  );
  assert.deepEqual([...u64ToBytes(258)], [0, 0, 0, 0, 0, 0, 1, 2]);
  assert.equal(u64FromBytes(new Uint8Array(8).fill(255)), undefined);
  assert.equal(u64FromBytes(new Uint8Array([0, 32, 0, 0, 0, 0, 0, 0])), undefined); // 2^53
  assert.equal(u64FromBytes(new Uint8Array(7)), undefined);
});
