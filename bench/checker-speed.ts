// The invariant checker's cost per input (issue 4: the simulator's own CPU).
// Drives InvariantChecker as one 4-phone shard of a nominal run does: each
// phone applies user inputs (a network input every 20th), cuts a batch of
// 30, and the mirror replays the batch 1-60 s later; the lag-bound
// allowance is looked up as simulation.ts's hook does (device id -> phone
// index in a Map -> its uplink's longest frame). Two checker modules (A, B:
// paths to checker.ts in two trees) run alternately in one process, a fresh
// checker per round, so their ratio is measured under one load.
// `--inputs-per-batch 2` weighs the per-batch work (digest kept, compared) more.
// `node --import tsx bench/checker-speed.ts [--a PATH] [--b PATH] [--rounds R] [--batches N] [--inputs-per-batch K]`
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import type { InvariantChecker } from "../src/sim/checker.ts";
import { argText, exitOnHelp } from "./support/cli-args.ts";
import { median } from "./support/median.ts";

const usage =
  "usage: node --import tsx bench/checker-speed.ts [--a PATH/checker.ts] [--b PATH/checker.ts] [--rounds R] [--batches N] [--inputs-per-batch K]";
exitOnHelp(usage);

function positive(name: string): number {
  const value = Number(argText(name, "0"));
  if (!Number.isSafeInteger(value) || value <= 0) {
    process.stderr.write(`--${name} needs a positive integer\n${usage}\n`);
    process.exit(2);
  }
  return value;
}

const here = new URL("../src/sim/checker.ts", import.meta.url).pathname;
const paths = { A: argText("a", here), B: argText("b", here) };
const rounds = process.argv.includes("--rounds") ? positive("rounds") : 20;
const batchesPerPhone = process.argv.includes("--batches") ? positive("batches") : 2_000;
const phones = 4;
const inputsPerBatch = process.argv.includes("--inputs-per-batch") ? positive("inputs-per-batch") : 30;
const networkEvery = 20;
const syncIntervalMs = 60_000;
const lagBoundMs = syncIntervalMs + 100 + 1;

type CheckerClass = new (options: ConstructorParameters<typeof InvariantChecker>[0]) => InvariantChecker;

async function load(path: string): Promise<CheckerClass> {
  const module = (await import(pathToFileURL(path).href)) as { InvariantChecker: CheckerClass };
  return module.InvariantChecker;
}

/** One shard's worth of checking; returns ns per user input (phone side + mirror side). */
function round(Checker: CheckerClass): number {
  const deviceIds = Array.from({ length: phones }, (_, i) => `phone-${i}`);
  const index = new Map(deviceIds.map((id, i) => [id, i]));
  const transmitMsMax = deviceIds.map((_, i) => 120.5 + i);
  const checker = new Checker({
    nominal: true,
    lagBoundMs,
    uplinkDelayMs: (deviceId) => Math.ceil(transmitMsMax[index.get(deviceId)!] ?? 0),
  });
  const digest = new Uint8Array(32);
  const seq = new Array<number>(phones).fill(0);
  const consumed = new Array<number>(phones).fill(0);
  const mirrorConsumed = new Array<number>(phones).fill(0);
  let inputs = 0;
  const startMs = performance.now();
  for (let batch = 1; batch <= batchesPerPhone; batch++) {
    const cutMs = batch * syncIntervalMs;
    for (let p = 0; p < phones; p++) {
      const id = deviceIds[p]!;
      for (let k = 0; k < inputsPerBatch; k++) {
        if ((seq[p]! + 1) % networkEvery === 0) checker.phoneAppliedNetwork(id, ++consumed[p]!);
        checker.phoneAppliedUser(id, ++seq[p]!, consumed[p]!);
      }
      digest[0] = batch & 0xff;
      checker.phoneCutBatch(id, batch, seq[p]!, consumed[p]!, digest);
    }
    for (let p = 0; p < phones; p++) {
      const id = deviceIds[p]!;
      const first = seq[p]! - inputsPerBatch + 1;
      for (let s = first; s <= seq[p]!; s++) {
        if (s % networkEvery === 0) checker.mirrorAppliedNetwork(id, ++mirrorConsumed[p]!, cutMs);
        const timeMs = cutMs - syncIntervalMs + ((s - first) * syncIntervalMs) / inputsPerBatch;
        checker.mirrorAppliedUser(id, s, mirrorConsumed[p]!, timeMs, cutMs + 100);
        inputs++;
      }
      checker.mirrorBatchDone(id, batch, digest, cutMs + 100);
    }
  }
  const elapsedMs = performance.now() - startMs;
  if (checker.violationsTotal !== 0)
    throw new Error(`a faithful replay raised ${checker.violationsTotal} violations`);
  if (checker.batchesChecked !== phones * batchesPerPhone) throw new Error("every batch is checked");
  return (elapsedMs * 1e6) / inputs;
}

const checkers = { A: await load(paths.A), B: await load(paths.B) };
const results = { A: [] as number[], B: [] as number[] };
const ratios: number[] = [];
for (let r = 0; r < rounds; r++) {
  // A B then B A: neither arm always runs first.
  const order = r % 2 === 0 ? (["A", "B"] as const) : (["B", "A"] as const);
  for (const arm of order) results[arm].push(round(checkers[arm]));
  ratios.push(results.B[r]! / results.A[r]!);
}
const skip = Math.min(2, rounds - 1); // JIT warm-up rounds
const line = (arm: "A" | "B") =>
  `${arm} ${paths[arm]}: ${median(results[arm].slice(skip)).toFixed(1)} ns per user input (median of ${rounds - skip} rounds)`;
process.stdout.write(
  `${line("A")}\n${line("B")}\nB/A per round: median ${median(ratios.slice(skip)).toFixed(3)} (${phones} phones × ${batchesPerPhone} batches × ${inputsPerBatch} inputs per round)\n`,
);
