// runFleet: a simulation run on any number of shards (issue 4: use both
// cores). One shard runs in this thread (the `--workers 1` path, exactly
// runSimulation); more start one worker thread per shard, each an independent
// fleet with its own mirror server, and merge their reports exactly.
import { availableParallelism, totalmem } from "node:os";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { assert } from "../core/assert.ts";
import { LagHistogram } from "./lag-histogram.ts";
import { mergeShardReports } from "./merge-reports.ts";
import { reproduceCommand, type SimulationOptions } from "./options.ts";
import type { SimulationReport } from "./report.ts";
import { planShards, type ShardSpec } from "./shard-plan.ts";
import { FleetProgress } from "./shard-progress.ts";
import type { ShardTask } from "./shard-worker.ts";
import { effectiveOptions, type RunHooks, runSimulation, type ShardResult } from "./simulation.ts";
import { shardWorkerSource } from "./worker-source.ts";

export interface FleetHooks {
  /** Fraction (0..1) of the whole run's safety phase done: the mean over shards. */
  onProgress?: (fraction: number) => void;
  /** Heap ceiling of each worker thread, in MB (default: 3/4 of the machine's memory, shared by the threads). */
  workerHeapMbMax?: number;
  /** Worker threads running at once (default: one per core); shards beyond that wait for a free thread. */
  threadsMax?: number;
  /** Young generation of each worker thread, in MB (default workerYoungGenerationMb; benchmarks vary it). */
  workerYoungMb?: number;
  /** Each shard's result as it arrives (benchmarks read the shards' heap peaks). */
  onShard?: (shard: ShardSpec, result: ShardResult) => void;
}

/** Parent → worker: run this shard, or exit. Worker → parent: progress, or the shard's result. */
export type ToWorker = { kind: "run"; task: ShardTask } | { kind: "exit" };
export type FromWorker = { kind: "progress"; fraction: number } | { kind: "done"; result: ShardResult };

/**
 * Young generation of a worker (MB). The fleet keeps many medium-lived
 * objects (open batch windows, session plans, fresh tree nodes): a bigger
 * nursery lets more of them die before a scavenge copies them.
 */
const workerYoungGenerationMb = 96;

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
  const progress = new FleetProgress(shards.length);
  const threads = Math.min(shards.length, hooks.threadsMax ?? availableParallelism());
  assert(threads >= 1, "a sharded run needs a thread");
  // V8's default old-space ceiling (~2–4 GB) is below what a 5,000-phone shard needs.
  const heapMb = hooks.workerHeapMbMax ?? Math.floor(((totalmem() / 2 ** 20) * 0.75) / threads);
  const reports: (SimulationReport | undefined)[] = shards.map(() => undefined);
  // Merged on arrival: 2,500 shards' histograms kept to the end were most of the parent's GC.
  const lag = new LagHistogram();
  const queue = shards.map((shard) => ({ resolved, requested, shard }));
  // Each thread takes the next shard until none is left; a thread's JIT-warm
  // code serves all its shards, and at most `threads` fleets are in memory.
  await Promise.all(
    Array.from({ length: threads }, () =>
      runThread(
        queue,
        threads,
        { heapMb, youngMb: hooks.workerYoungMb ?? workerYoungGenerationMb },
        {
          progress: (shard, fraction) => hooks.onProgress?.(progress.set(shard.index, fraction)),
          done: (shard, result) => {
            assert(reports[shard.index] === undefined, "a shard reports once");
            reports[shard.index] = result.report;
            lag.merge(result.lag);
            hooks.onShard?.(shard, result);
            hooks.onProgress?.(progress.set(shard.index, 1));
          },
        },
      ),
    ),
  );
  const reported = reports.filter((r): r is SimulationReport => r !== undefined);
  assert(reported.length === shards.length, "every shard reported");
  const wallSeconds = (performance.now() - wallStartMs) / 1000;
  return mergeShardReports(reported, lag, { resolved, reproduce: reproduceCommand(requested), wallSeconds });
}

/**
 * Shards a thread holds at once: the one it runs plus one waiting in its
 * message queue, so it starts the next without a round trip through the
 * parent (on a loaded machine each wake-up of the parent and then of the
 * worker waited for a time slice: 2,500 small shards ran 0.64 cores busy).
 */
const shardsInFlightMax = 2;

/** One worker thread running shards from the shared queue, one at a time, until it is empty. */
function runThread(
  queue: ShardTask[],
  threads: number,
  memory: { heapMb: number; youngMb: number },
  on: {
    progress: (shard: ShardSpec, fraction: number) => void;
    done: (shard: ShardSpec, result: ShardResult) => void;
  },
): Promise<void> {
  assert(threads >= 1, "a thread among at least one");
  return new Promise((resolve, reject) => {
    // The shard body bundled into one script (worker-source.ts); no flags of the parent leak into it.
    const worker = new Worker(shardWorkerSource(), {
      eval: true,
      execArgv: [],
      resourceLimits: {
        maxOldGenerationSizeMb: memory.heapMb,
        maxYoungGenerationSizeMb: memory.youngMb,
      },
    });
    // In the order sent: the worker runs them in that order, so the first is the one reporting.
    const inFlight: ShardTask[] = [];
    const send = () => {
      // A waiting shard only while more are left than threads: near the end a
      // shard held here could run sooner on a thread that has nothing to do.
      while (
        queue.length > 0 &&
        (inFlight.length === 0 || (inFlight.length < shardsInFlightMax && queue.length > threads))
      ) {
        const task = queue.shift()!;
        inFlight.push(task);
        worker.postMessage({ kind: "run", task } satisfies ToWorker);
      }
      if (inFlight.length === 0) worker.postMessage({ kind: "exit" } satisfies ToWorker);
    };
    const where = () =>
      inFlight.length === 0 ? "a worker" : `shard ${inFlight[0]!.shard.index}/${inFlight[0]!.shard.count}`;
    worker.on("message", (message: FromWorker) => {
      const current = inFlight[0];
      assert(current !== undefined, "a worker reports only while it runs a shard");
      if (message.kind === "progress") {
        on.progress(current.shard, message.fraction);
        return;
      }
      inFlight.shift();
      on.done(current.shard, message.result);
      send();
    });
    worker.on("error", (error) => {
      queue.length = 0; // the run has failed: other threads stop after their current shard
      reject(new Error(`${where()}: ${error.message}`));
    });
    worker.on("exit", (code) => {
      if (inFlight.length === 0 && code === 0) resolve();
      else reject(new Error(`${where()} exited with code ${code} and no report`));
    });
    send();
  });
}
