import assert from "node:assert/strict";
import { test } from "node:test";
import { deflateSync } from "fflate";
import { SeededRng } from "../core/rng.ts";
import { coveredByRepeats, worthDeflating } from "./deflate-gate.ts";

const text = (s: string) => new TextEncoder().encode(s);

test("deflate gate: a batch of repeated text is worth a try, and DEFLATE does shrink it", () => {
  const packed = text(
    "open path=/sdcard/notes.txt; open path=/sdcard/notes.txt; open path=/sdcard/notes.txt;",
  );
  assert.ok(coveredByRepeats(packed) >= 40);
  assert.ok(worthDeflating(packed, packed.length));
  assert.ok(deflateSync(packed, { level: 9 }).length < packed.length);
});

test("deflate gate: random bytes, little text or text in a big photo batch are not (seed=5)", () => {
  const rng = new SeededRng(5);
  const random = new Uint8Array(4000).map(() => rng.int(0, 255));
  assert.ok(coveredByRepeats(random) < 20, "random bytes barely repeat");
  assert.equal(worthDeflating(random, 0), false);
  const short = text("abcdabcdabcdabcdabcdabcdabcdabcd");
  assert.equal(worthDeflating(short, short.length), false, "below the text minimum");
  assert.equal(worthDeflating(random, 200), false, "text is a small share of the batch");
});
