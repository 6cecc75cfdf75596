// The body of a shard worker thread (issue 4: use both cores): runs the
// shards the parent sends, one at a time, with runShard, and posts progress
// and each result (report plus exact lag histogram) back. One thread serves
// several shards in turn, so a fleet bigger than the cores' share of memory
// runs in pieces and the JIT warms up once per thread. Started by sharded.ts.
import { parentPort, workerData } from "node:worker_threads";
import { assert } from "../core/assert.ts";
import type { SimulationOptions } from "./options.ts";
import { type ShardSpec, shardOptions } from "./shard-plan.ts";
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
const post = (message: FromWorker) => port.postMessage(message);

function run(task: ShardTask): void {
  let heapPeakBytes = 0;
  const result = runShard(shardOptions(task.resolved, task.shard), task.requested, task.shard.phoneBase, {
    onProgress: (fraction) => {
      // This isolate's heap: what one shard of phones and mirrors costs.
      heapPeakBytes = Math.max(heapPeakBytes, process.memoryUsage().heapUsed);
      post({ kind: "progress", fraction });
    },
  });
  post({ kind: "done", result: { ...result, heapPeakBytes } });
}

port.on("message", (message: ToWorker) => {
  if (message.kind === "exit") port.close();
  else run(message.task);
});
