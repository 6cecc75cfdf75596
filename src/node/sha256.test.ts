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
