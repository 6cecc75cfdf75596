import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import { nodeSha256 } from "./sha256.ts";

test("nodeSha256: equals createHash for any input, including views into larger buffers", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(16), (bytes, offset) => {
      const padded = new Uint8Array(bytes.length + offset);
      padded.set(bytes, offset);
      const view = padded.subarray(offset);
      const expected = createHash("sha256").update(bytes).digest();
      assert.deepEqual(Buffer.from(nodeSha256(view)), expected);
    }),
  );
});

test("nodeSha256: each call answers a fresh 32-byte array of its own (callers may keep or change it)", () => {
  const data = new TextEncoder().encode("abc");
  const first = nodeSha256(data);
  const second = nodeSha256(data);
  assert.notEqual(first, second);
  assert.equal(first.length, 32);
  assert.equal(first.byteOffset, 0);
  assert.equal(first.buffer.byteLength, 32, "no view into a shared pool");
  first[0] = first[0]! ^ 0xff;
  assert.deepEqual(Buffer.from(second), createHash("sha256").update(data).digest());
  assert.equal(nodeSha256.binary?.(data), createHash("sha256").update(data).digest("binary"));
});
