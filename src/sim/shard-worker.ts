// The body of a shard worker thread (issue 4: use both cores): runs the
// shards the parent sends, one at a time, with runShard, and posts progress
// and each result (report plus exact lag histogram) back. One thread serves
// several shards in turn, so a fleet bigger than the cores' share of memory
// runs in pieces and the JIT warms up once per thread. Started by sharded.ts.
// Progress goes up only in the shard's share of the run's bar steps
// (shard-progress.ts): a message per per cent of a small shard cost more
// than the shard's own start.
import { getHeapSpaceStatistics } from "node:v8";
import { parentPort, workerData } from "node:worker_threads";
import { assert } from "../core/assert.ts";
import type { SimulationOptions } from "./options.ts";
import { type ShardSpec, shardOptions } from "./shard-plan.ts";
import { progressStepsPerShard, ShardProgressGate } from "./shard-progress.ts";
import type { FromWorker, ToWorker } from "./sharded.ts";
import { runShard } from "./simulation.ts";

export interface ShardTask {
  resolved: SimulationOptions;
  requested: SimulationOptions;
  shard: ShardSpec;
}

const port = parentPort;
assert(port !== null, "shard-worker runs in a worker thread");
assert(workerData === null || workerData === undefined, "shards arrive as messages");
const post = (message: FromWorker, transfer: readonly ArrayBuffer[] = []) =>
  port.postMessage(message, transfer);

/** The heap's peak is sampled at least this often per shard (at the shard's progress steps, if more). */
const heapSamplesPerShard = 10;

/**
 * This isolate's heap in use: what one shard of phones and mirrors costs.
 * The spaces' sum (≈ 3 µs), not process.memoryUsage(), which also reads
 * /proc for the RSS and asks malloc for its statistics (≈ 16 µs).
 */
function heapUsedBytes(): number {
  let bytes = 0;
  for (const space of getHeapSpaceStatistics()) bytes += space.space_used_size;
  return bytes;
}

function run(task: ShardTask): void {
  let heapPeakBytes = heapUsedBytes();
  const steps = progressStepsPerShard(task.shard.count);
  const progress = new ShardProgressGate(steps);
  const heapSample = new ShardProgressGate(Math.max(steps, heapSamplesPerShard));
  const result = runShard(shardOptions(task.resolved, task.shard), task.requested, task.shard.phoneBase, {
    onProgress: (fraction) => {
      if (heapSample.due(fraction)) heapPeakBytes = Math.max(heapPeakBytes, heapUsedBytes());
      if (progress.due(fraction)) post({ kind: "progress", fraction });
    },
  });
  heapPeakBytes = Math.max(heapPeakBytes, heapUsedBytes());
  // The histogram's arrays move to the parent instead of being copied.
  const moved = [result.lag.buckets.buffer as ArrayBuffer, result.lag.counts.buffer as ArrayBuffer];
  post({ kind: "done", result: { ...result, heapPeakBytes } }, moved);
}

port.on("message", (message: ToWorker) => {
  if (message.kind === "exit") port.close();
  else run(message.task);
});
