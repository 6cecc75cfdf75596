import assert from "node:assert/strict";
import { test } from "node:test";
import { LagHistogram } from "./lag-histogram.ts";
import { mergeShardReports } from "./merge-reports.ts";
import { defaultOptions, faultKinds, type SimulationOptions } from "./options.ts";
import { deterministicPart } from "./report.ts";
import { planShards, type ShardSpec, shardOptions } from "./shard-plan.ts";
import { runFleet } from "./sharded.ts";
import { runShard, runSimulation, type ShardResult } from "./simulation.ts";
import { toyStack } from "./testing/toy-stack.ts";

const small: SimulationOptions = {
  ...defaultOptions,
  seed: 11,
  phones: 4,
  hours: 0.05,
  syncIntervalMs: 10_000,
  faults: [...faultKinds],
};

test("sim: shards: phones split evenly, seeds derive from seed and shard count", () => {
  const shards = planShards({ ...small, phones: 10, workers: 3 });
  assert.deepEqual(
    shards.map((s) => [s.phones, s.phoneBase]),
    [
      [4, 0],
      [3, 4],
      [3, 7],
    ],
  );
  assert.equal(new Set(shards.map((s) => s.seed)).size, 3);
  assert.deepEqual(planShards({ ...small, phones: 10, workers: 3 }), shards);
  assert.notEqual(planShards({ ...small, phones: 10, workers: 2 })[0]!.seed, shards[0]!.seed);
  assert.equal(planShards({ ...small, workers: 1 })[0]!.seed, small.seed);
});

test("sim: shards: merged report sums counts and merges lag exactly (toy stack, seed=11)", () => {
  const options = { ...small, phones: 6, workers: 2 };
  const results = planShards(options).map((shard) =>
    runShard(shardOptions(options, shard), options, shard.phoneBase, { stack: toyStack }),
  );
  const lag = new LagHistogram();
  for (const r of results) lag.merge(r.lag);
  const merged = mergeShardReports(
    results.map((r) => r.report),
    lag,
    { resolved: options, reproduce: "r", wallSeconds: 1 },
  );
  const [a, b] = results.map((r) => r.report);
  assert.equal(merged.phones, 6);
  assert.equal(merged.userEvents, a!.userEvents + b!.userEvents);
  assert.equal(merged.faults.crashes, a!.faults.crashes + b!.faults.crashes);
  assert.equal(merged.lagMs.max, Math.max(a!.lagMs.max, b!.lagMs.max));
  assert.ok(merged.lagMs.p99 >= Math.min(a!.lagMs.p99, b!.lagMs.p99));
  assert.ok(merged.lagMs.p99 <= Math.max(a!.lagMs.p99, b!.lagMs.p99));
  assert.equal(merged.invariantViolations, 0, JSON.stringify(merged.violations));
});

test("sim: shards: same seed and workers give an identical report on the core (seed=11, workers=2)", async () => {
  const options = { ...small, workers: 2 };
  const a = await runFleet(options);
  const b = await runFleet(options);
  assert.equal(a.invariantViolations, 0, `${JSON.stringify(a.violations)}\nreproduce: ${a.reproduce}`);
  assert.equal(JSON.stringify(deterministicPart(a)), JSON.stringify(deterministicPart(b)));
  assert.equal(a.phones, 4);
  assert.match(a.reproduce, /--seed 11 .*--workers 2/);
  const one = runSimulation({ ...small, workers: 1 });
  assert.notEqual(JSON.stringify(deterministicPart(one)), JSON.stringify(deterministicPart(a)));
});

test("sim: shards: more shards than threads run in turn and give the same report (seed=11, workers=3)", async () => {
  const options = { ...small, phones: 6, workers: 3 };
  const seen: number[] = [];
  const shardReports = (into: string[]) => (shard: ShardSpec, result: ShardResult) => {
    into[shard.index] = JSON.stringify([
      deterministicPart(result.report),
      [...result.lag.buckets],
      [...result.lag.counts],
    ]);
  };
  const afterOthers: string[] = [];
  const pooled = await runFleet(options, {
    threadsMax: 1,
    onShard: (shard, result) => {
      seen.push(shard.index);
      shardReports(afterOthers)(shard, result);
    },
  });
  // each shard first on its own thread: a shard's report must not depend on the shards its thread ran before
  const first: string[] = [];
  const parallel = await runFleet(options, { threadsMax: 3, onShard: shardReports(first) });
  assert.equal(pooled.invariantViolations, 0, `reproduce: ${pooled.reproduce}`);
  assert.deepEqual(seen, [0, 1, 2]);
  assert.equal(pooled.phones, 6);
  assert.equal(first.length, 3);
  assert.deepEqual(afterOthers, first);
  assert.equal(JSON.stringify(deterministicPart(pooled)), JSON.stringify(deterministicPart(parallel)));
});

test("sim: shards: a violation in a worker shard is reported with the seed and worker count (seed=41)", async () => {
  const r = await runFleet({ ...small, seed: 41, faults: [], bug: "drop-replayed-input", workers: 2 });
  assert.ok(r.violations.some((v) => v.invariant === 2));
  assert.match(r.reproduce, /--seed 41 .*--workers 2 .*--inject-bug drop-replayed-input/);
});
