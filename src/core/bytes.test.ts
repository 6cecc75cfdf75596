import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  bytesEqual,
  concatBytes,
  fromHex,
  fromUtf8,
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
