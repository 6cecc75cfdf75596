import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { QueuedBatches } from "./queued-batches.ts";

interface Model {
  batchNo: number;
  dueMs: number;
  byteLength: number;
}

test("sync: queued batches: pushes and shifts read back like an array of records, across compactions (seed=83)", () => {
  // Long runs of pushes and shifts so the head passes the compaction threshold many times.
  const op = fc.oneof(fc.constant("shift" as const), fc.nat({ max: 1 << 20 }));
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 600 }), (ops) => {
      const queue = new QueuedBatches();
      const model: Model[] = [];
      let next = 1;
      for (const o of ops) {
        if (o === "shift") {
          if (model.length === 0) continue;
          assert.equal(queue.shift(), model.shift()!.byteLength);
        } else {
          const entry = { batchNo: next++, dueMs: 1_700_000_000_000 + o * 7, byteLength: o };
          queue.push(entry.batchNo, entry.dueMs, entry.byteLength);
          model.push(entry);
        }
        assert.equal(queue.length, model.length);
        assert.equal(queue.lastBatchNo(), model.at(-1)?.batchNo);
        for (let i = 0; i < model.length; i++) {
          assert.equal(queue.batchNoAt(i), model[i]!.batchNo);
          assert.equal(queue.dueMsAt(i), model[i]!.dueMs);
          assert.equal(queue.byteLengthAt(i), model[i]!.byteLength);
        }
      }
    }),
    { seed: 83, numRuns: 100 },
  );
});

test("sync: queued batches: reading past the end, shifting an empty queue or a gap in the numbers is a bug", () => {
  const queue = new QueuedBatches();
  assert.throws(() => queue.shift(), /empty replay queue/);
  queue.push(1, 10, 5);
  assert.throws(() => queue.batchNoAt(1), /out of range/);
  assert.throws(() => queue.push(3, 20, 5), /contiguous/);
  assert.equal(queue.shift(), 5);
  assert.equal(queue.lastBatchNo(), undefined);
});
