// The lag histogram's cost per recorded lag (issue 4: the simulator's own
// CPU), as a 4-phone shard records them: a batch's 30 lags (1-60 s) at a
// time, and between batches the core's allocation sweeps the caches
// (simulated: `--sweep-kb` of other memory written per batch; 0 = a warm
// histogram). Two lag-histogram modules (A, B: paths in two trees) run
// alternately in one process, a fresh histogram per shard, read at the
// shard's end (toSparse, as runShard does). Only the histogram's calls are
// timed (the clock read per batch adds the same ~1 ns per lag to both arms).
// `node --import tsx bench/lag-record-speed.ts [--a PATH] [--b PATH] [--rounds R] [--sweep-kb K]`
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import type { LagHistogram } from "../src/sim/lag-histogram.ts";
import { argText, exitOnHelp } from "./support/cli-args.ts";
import { median } from "./support/median.ts";

const usage =
  "usage: node --import tsx bench/lag-record-speed.ts [--a PATH/lag-histogram.ts] [--b PATH/lag-histogram.ts] [--rounds R] [--sweep-kb K]";
exitOnHelp(usage);

function count(name: string, fallback: number): number {
  if (!process.argv.includes(`--${name}`)) return fallback;
  const value = Number(argText(name, ""));
  if (!Number.isSafeInteger(value) || value < 0) {
    process.stderr.write(`--${name} needs a non-negative integer\n${usage}\n`);
    process.exit(2);
  }
  return value;
}

const here = new URL("../src/sim/lag-histogram.ts", import.meta.url).pathname;
const paths = { A: argText("a", here), B: argText("b", here) };
const rounds = Math.max(3, count("rounds", 15));
const sweepKb = count("sweep-kb", 256);
const shards = 20;
const batchesPerShard = 240;
const lagsPerBatch = 30;

type HistogramClass = new () => LagHistogram;

async function load(path: string): Promise<HistogramClass> {
  return ((await import(pathToFileURL(path).href)) as { LagHistogram: HistogramClass }).LagHistogram;
}

let seed = 12_345;
const lags = Float64Array.from({ length: batchesPerShard * lagsPerBatch }, () => {
  seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
  return 100 + Math.floor((seed / 2 ** 32) * 60_000);
});
/** Written a cache line at a time, round the whole 32 MB: the caches' other tenants. */
const sweepArea = new Float64Array(4 << 20);
let sweepAt = 0;
function sweep(): void {
  for (let line = 0; line < (sweepKb * 1024) / 64; line++) {
    sweepArea[sweepAt]! += 1;
    sweepAt = (sweepAt + 8) & (sweepArea.length - 1);
  }
}

/** ns per recorded lag: only the histogram's calls are timed (a batch's records, the shard's toSparse), not the sweeps. */
function round(Histogram: HistogramClass): number {
  let buckets = 0;
  let timedMs = 0;
  for (let shard = 0; shard < shards; shard++) {
    let startMs = performance.now();
    const histogram = new Histogram();
    timedMs += performance.now() - startMs;
    for (let batch = 0; batch < batchesPerShard; batch++) {
      sweep();
      startMs = performance.now();
      for (let i = batch * lagsPerBatch; i < (batch + 1) * lagsPerBatch; i++) histogram.record(lags[i]!);
      timedMs += performance.now() - startMs;
    }
    startMs = performance.now();
    buckets += histogram.toSparse().buckets.length;
    timedMs += performance.now() - startMs;
  }
  if (buckets === 0) throw new Error("the histograms hold samples");
  return (timedMs * 1e6) / (shards * lags.length);
}

const histograms = { A: await load(paths.A), B: await load(paths.B) };
const results = { A: [] as number[], B: [] as number[] };
const ratios: number[] = [];
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? (["A", "B"] as const) : (["B", "A"] as const);
  for (const arm of order) results[arm].push(round(histograms[arm]));
  ratios.push(results.B[r]! / results.A[r]!);
}
const skip = 2; // JIT warm-up rounds
const line = (arm: "A" | "B") =>
  `${arm} ${paths[arm]}: ${median(results[arm].slice(skip)).toFixed(1)} ns per lag (median of ${rounds - skip} rounds)`;
process.stdout.write(
  `${line("A")}\n${line("B")}\nB/A per round: median ${median(ratios.slice(skip)).toFixed(3)} (sweep ${sweepKb} KB per batch of ${lagsPerBatch} lags)\n`,
);
