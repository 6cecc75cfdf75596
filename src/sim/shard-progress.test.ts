import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  FleetProgress,
  progressStepsPerShard,
  runProgressSteps,
  ShardProgressGate,
} from "./shard-progress.ts";

test("sim: shard progress: a run posts about runProgressSteps messages whatever its shard count", () => {
  for (const count of [1, 2, 3, 7, 40, 99, 100, 101, 1_000, 10_000]) {
    const steps = progressStepsPerShard(count);
    assert.ok(steps >= 1, `count ${count}`);
    // a shard's result marks its end, so a shard posts steps - 1 progress messages
    const posts = count * (steps - 1);
    assert.ok(posts <= runProgressSteps, `count ${count}: ${posts} posts`);
    if (count <= runProgressSteps / 2) assert.ok(posts >= runProgressSteps / 2, `count ${count}: ${posts}`);
  }
  assert.equal(progressStepsPerShard(1), runProgressSteps);
  assert.equal(progressStepsPerShard(1_000), 1);
});

test("sim: shard progress: the gate lets one report through per step, never the end (property)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 200 }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 300 }),
      (steps, raw) => {
        const fractions = [...raw].sort((a, b) => a - b);
        const gate = new ShardProgressGate(steps);
        const passed = fractions.filter((f) => gate.due(f));
        const expected = new Set(fractions.filter((f) => f < 1).map((f) => Math.floor(f * steps)));
        expected.delete(0);
        assert.equal(passed.length, expected.size);
        assert.ok(passed.every((f) => f < 1 && Math.floor(f * steps) >= 1));
      },
    ),
    { numRuns: 300 },
  );
});

test("sim: shard progress: the gate at runPhases' 1 % reports posts about steps - 1 of them", () => {
  for (const steps of [1, 2, 10, 100]) {
    const gate = new ShardProgressGate(steps);
    let posted = 0;
    for (let i = 0; i <= 100; i++) if (gate.due(i / 100)) posted++;
    // i / 100 × steps rounds below an integer now and then (0.29 × 100): that step then goes with the next report
    assert.ok(posted <= steps - 1 && posted >= 0.9 * (steps - 1), `steps ${steps}: ${posted}`);
  }
});

test("sim: shard progress: the fleet mean equals the exact mean of the latest fractions (property)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 50 }),
      fc.array(fc.tuple(fc.nat(), fc.double({ min: 0, max: 1, noNaN: true })), { maxLength: 500 }),
      (count, reports) => {
        const fleet = new FleetProgress(count);
        const latest = new Array<number>(count).fill(0);
        let mean = 0;
        for (const [i, fraction] of reports) {
          const index = i % count;
          latest[index] = Math.max(latest[index]!, fraction);
          mean = fleet.set(index, fraction);
        }
        const exact = latest.reduce((a, b) => a + b, 0) / count;
        assert.ok(Math.abs(mean - exact) <= 2 ** -20, `${mean} vs ${exact}`);
        for (let i = 0; i < count; i++) mean = fleet.set(i, 1);
        assert.equal(mean, 1);
      },
    ),
    { numRuns: 300 },
  );
});
