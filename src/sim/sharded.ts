// runFleet: a simulation run on any number of shards (issue 4: use both
// cores). One shard runs in this thread (the `--workers 1` path, exactly
// runSimulation); more start one worker thread per shard, each an independent
// fleet with its own mirror server, and merge their reports exactly.
import { totalmem } from "node:os";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { assert } from "../core/assert.ts";
import { mergeShardReports } from "./merge-reports.ts";
import { reproduceCommand, type SimulationOptions } from "./options.ts";
import type { SimulationReport } from "./report.ts";
import { planShards, type ShardSpec } from "./shard-plan.ts";
import type { ShardTask } from "./shard-worker.ts";
import { effectiveOptions, type RunHooks, runSimulation, type ShardResult } from "./simulation.ts";

export interface FleetHooks {
  /** Fraction (0..1) of the whole run's safety phase done: the mean over shards. */
  onProgress?: (fraction: number) => void;
  /** Heap ceiling of each worker thread, in MB (default: 3/4 of the machine's memory, shared by the workers). */
  workerHeapMbMax?: number;
  /** Each shard's result as it arrives (benchmarks read the shards' heap peaks). */
  onShard?: (shard: ShardSpec, result: ShardResult) => void;
}

type WorkerMessage = { kind: "progress"; fraction: number } | { kind: "done"; result: ShardResult };

export async function runFleet(
  requested: SimulationOptions,
  hooks: FleetHooks = {},
): Promise<SimulationReport> {
  const resolved = effectiveOptions(requested);
  const shards = planShards(resolved);
  if (shards.length === 1) {
    const runHooks: RunHooks = hooks.onProgress === undefined ? {} : { onProgress: hooks.onProgress };
    return runSimulation(requested, runHooks);
  }
  const wallStartMs = performance.now();
  const fractions = shards.map(() => 0);
  const report = () => hooks.onProgress?.(fractions.reduce((a, b) => a + b, 0) / fractions.length);
  // V8's default old-space ceiling (~2–4 GB) is below what a 5,000-phone shard needs.
  const heapMb = hooks.workerHeapMbMax ?? Math.floor(((totalmem() / 2 ** 20) * 0.75) / shards.length);
  const results = await Promise.all(
    shards.map(async (shard) => {
      const result = await runWorker({ resolved, requested, shard }, heapMb, (f) => {
        fractions[shard.index] = f;
        report();
      });
      hooks.onShard?.(shard, result);
      return result;
    }),
  );
  const wallSeconds = (performance.now() - wallStartMs) / 1000;
  return mergeShardReports(results, { resolved, reproduce: reproduceCommand(requested), wallSeconds });
}

/**
 * The worker registers tsx itself (the CLI may run without `--import tsx`),
 * then loads the shard body; no flags of the parent leak into it.
 */
function bootstrap(): string {
  const tsx = import.meta.resolve("tsx/esm/api");
  const body = new URL("./shard-worker.ts", import.meta.url).href;
  return `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(body)}); });`;
}

function runWorker(
  task: ShardTask,
  heapMbMax: number,
  onProgress: (fraction: number) => void,
): Promise<ShardResult> {
  const shard: ShardSpec = task.shard;
  assert(shard.count > 1, "one shard runs in-process");
  return new Promise((resolve, reject) => {
    const worker = new Worker(bootstrap(), {
      eval: true,
      execArgv: [],
      workerData: task,
      resourceLimits: { maxOldGenerationSizeMb: heapMbMax },
    });
    let result: ShardResult | undefined;
    worker.on("message", (message: WorkerMessage) => {
      if (message.kind === "progress") onProgress(message.fraction);
      else result = message.result;
    });
    worker.on("error", (error) => reject(new Error(`shard ${shard.index}/${shard.count}: ${error.message}`)));
    worker.on("exit", (code) => {
      if (result !== undefined && code === 0) resolve(result);
      else reject(new Error(`shard ${shard.index}/${shard.count} exited with code ${code} and no report`));
    });
  });
}
