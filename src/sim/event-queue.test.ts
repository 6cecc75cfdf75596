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

test("sim: event queue: interleaved pushes and pops match a sorted reference, past the first growth", () => {
  const op = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constant(-1));
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1500 }), fc.array(op, { maxLength: 600 }), (prefill, ops) => {
      const q = new EventQueue<Tagged>(10_000);
      const reference: { t: number; tag: number }[] = [];
      let tag = 0;
      let nowMs = 0;
      const push = (t: number) => {
        q.push(nowMs + t, { atMs: 0, order: 0, tag });
        reference.push({ t: nowMs + t, tag: tag++ });
      };
      for (let i = 0; i < prefill; i++) push(i % 97);
      for (const o of ops) {
        if (o >= 0) {
          push(o);
          continue;
        }
        reference.sort((a, b) => a.t - b.t || a.tag - b.tag);
        const want = reference.shift();
        assert.equal(q.peekMs(), want?.t);
        const got = q.pop();
        assert.equal(got?.tag, want?.tag);
        if (got !== undefined) nowMs = got.atMs;
        assert.equal(q.size, reference.length);
      }
    }),
    { numRuns: 60 },
  );
});

test("sim: event queue: refuses to grow past its capacity", () => {
  const q = new EventQueue<Tagged>(2);
  q.push(1, { atMs: 0, order: 0, tag: 0 });
  q.push(1, { atMs: 0, order: 0, tag: 1 });
  assert.throws(() => q.push(1, { atMs: 0, order: 0, tag: 2 }), /full/);
});
