import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { BitReader, BitWriter } from "./bits.ts";
import { RecentStrings, readString, skipString, writeString } from "./codec-strings.ts";

// ASCII with non-ASCII characters at any place, lengths around the 64-byte short-string path.
const text = fc.oneof(
  fc.string({ maxLength: 70 }),
  fc
    .tuple(
      fc.string({ maxLength: 66 }),
      fc.constantFrom("é", "ß", "日", "😀", "\u0080"),
      fc.string({ maxLength: 6 }),
    )
    .map(([a, b, c]) => a + b + c),
);

test("codec-strings: strings with non-ASCII characters anywhere read back exactly, and skipString steps over the same bits (seed=10)", () => {
  fc.assert(
    fc.property(fc.nat({ max: 7 }), fc.array(text, { maxLength: 24 }), (lead, texts) => {
      const w = new BitWriter(1);
      w.writeBits(0, lead);
      const writeTable = new RecentStrings();
      for (const t of texts) writeString(w, writeTable, t);
      const bytes = w.finish();
      const r = new BitReader(bytes);
      const skipper = new BitReader(bytes);
      r.readBits(lead);
      skipper.readBits(lead);
      const readTable = new RecentStrings();
      let recentSize = 0;
      for (const t of texts) {
        assert.equal(readString(r, readTable, 1024), t);
        recentSize = skipString(skipper, recentSize, 1024);
        assert.equal(skipper.mark(), r.mark());
        assert.equal(recentSize, readTable.size);
      }
      assert.ok(r.atPaddedEnd());
    }),
    { numRuns: 500, seed: 10 },
  );
});
