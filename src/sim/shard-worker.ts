// The body of one shard's worker thread (issue 4: use both cores): runs its
// fleet with runShard and posts progress and the result (report plus exact
// lag histogram) back to the parent. Started by sharded.ts only.
import { parentPort, workerData } from "node:worker_threads";
import { assert } from "../core/assert.ts";
import type { SimulationOptions } from "./options.ts";
import { type ShardSpec, shardOptions } from "./shard-plan.ts";
import { runShard } from "./simulation.ts";

export interface ShardTask {
  resolved: SimulationOptions;
  requested: SimulationOptions;
  shard: ShardSpec;
}

const port = parentPort;
assert(port !== null, "shard-worker runs in a worker thread");
const task = workerData as ShardTask;
let heapPeakBytes = 0;
const result = runShard(shardOptions(task.resolved, task.shard), task.requested, task.shard.phoneBase, {
  onProgress: (fraction) => {
    // This isolate's heap: what one shard of phones and mirrors costs.
    heapPeakBytes = Math.max(heapPeakBytes, process.memoryUsage().heapUsed);
    port.postMessage({ kind: "progress", fraction });
  },
});
port.postMessage({ kind: "done", result: { ...result, heapPeakBytes } });
