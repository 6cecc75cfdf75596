import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { EventQueue, type Scheduled } from "./event-queue.ts";

interface Tagged extends Scheduled {
  tag: number;
}

test("sim: event queue: pops by time, ties in insertion order", () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }), (times) => {
      const q = new EventQueue<Tagged>(1000);
      for (const [tag, t] of times.entries()) q.push(t, { atMs: 0, order: 0, tag });
      const expected = times.map((t, tag) => ({ t, tag })).sort((a, b) => a.t - b.t || a.tag - b.tag);
      for (const e of expected) {
        const got = q.pop()!;
        assert.equal(got.atMs, e.t);
        assert.equal(got.tag, e.tag);
      }
      assert.equal(q.pop(), undefined);
    }),
  );
});

test("sim: event queue: refuses to grow past its capacity", () => {
  const q = new EventQueue<Tagged>(2);
  q.push(1, { atMs: 0, order: 0, tag: 0 });
  q.push(1, { atMs: 0, order: 0, tag: 1 });
  assert.throws(() => q.push(1, { atMs: 0, order: 0, tag: 2 }), /full/);
});
