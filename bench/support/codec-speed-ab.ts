// In-process A/B of the sync codec between two source trees (issue 4: the
// phone's encode and the mirror's replay decode per simulated event; issue 5:
// the live server's intake check per batch). Both trees' src/sync modules are
// loaded side by side in ONE process and timed over the same real batches in
// alternating rounds (A B, B A, ...), so the machine's load reaches both alike.
// Per arm and round, CPU µs per event of:
//   intake  decodeFrame + validateBatchMessage of the batch frame (the server's
//           intake after ws, src/live/session + core.receive)
//   validate  validateBatchMessage alone, of the decoded message
//   replay  syncBatchFromBinary of the frame's batch bytes, unpackBatch, the
//           batch header and every input through an EventCursor (decodeHead +
//           replay's nextInput, src/sync/replay-schedule.ts)
//   encode  EventWindow.add per input + encodeWindowBatchFrame into a frame
//           (SyncClient.record and its window close, src/sync/sync-client.ts)
// The clock is the main thread's CPU time (/proc/thread-self/schedstat): the
// GC and JIT helper threads are left out, since they also run for garbage
// the other arm left (process.cpuUsage spread A/A round pairs 0.5-1.7).
// Used by bench/codec-speed.ts --ab A_DIR B_DIR [--rounds N].
import { readFileSync } from "node:fs";
import type { BatchData } from "../../src/sync/batch.ts";
import type { Arm, Body } from "./codec-speed-arm.ts";
import { median } from "./median.ts";

/** Each timed measurement runs this long at least (passes over every batch), so the CPU clock resolves it. */
const measureMicrosMin = 100_000;
const passesMax = 200;

/**
 * The arm's bodies from a module instance of its own (a query string per
 * arm): closures made at one source site share V8's feedback, and the arm
 * compiled second then ran ~1.5x slower than the same code in the first.
 */
async function loadArm(name: string, dir: string, batches: readonly BatchData[]): Promise<Arm> {
  const url = `${new URL("./codec-speed-arm.ts", import.meta.url).href}?arm=${name}`;
  const module = (await import(url)) as typeof import("./codec-speed-arm.ts");
  return module.loadArm(name, dir, batches);
}

function cpuMicros(): number {
  return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]) / 1000;
}

/** CPU µs per event of `body` over every batch, `passes` times. */
function timeBody(body: Body, passes: number, batchCount: number, events: number): number {
  let sink = 0;
  const start = cpuMicros();
  for (let pass = 0; pass < passes; pass++) for (let i = 0; i < batchCount; i++) sink += body(i);
  const spent = cpuMicros() - start;
  if (sink === -1) console.log("unreachable");
  return spent / (passes * events);
}

/** Prints per function A and B µs per event (medians of rounds) and B/A (median of round pairs). */
export async function runCodecAb(
  dirA: string | undefined,
  dirB: string | undefined,
  batches: readonly BatchData[],
  options: { rounds: number },
): Promise<void> {
  if (dirA === undefined || dirB === undefined)
    throw new Error("usage: codec-speed.ts --ab A_DIR B_DIR [--rounds N]");
  const arms = [await loadArm("A", dirA, batches), await loadArm("B", dirB, batches)];
  for (const [i, wire] of arms[0]!.wires.entries()) {
    const other = arms[1]!.wires[i]!;
    if (wire.length !== other.length || wire.some((b, j) => b !== other[j]))
      throw new Error(`batch ${i}: A and B encode different bytes`);
  }
  const events = batches.reduce((sum, b) => sum + b.inputs.length, 0);
  const names = Object.keys(arms[0]!.bodies);
  const perEvent = arms.map(() => new Map<string, number[]>(names.map((n) => [n, []])));
  // Warm-up (the JIT) and the passes that make one measurement last measureMicrosMin.
  const passes = new Map<string, number>();
  for (const n of names) {
    for (const arm of arms) timeBody(arm.bodies[n]!, 10, batches.length, events);
    let slowest = 0;
    for (const arm of arms) slowest = Math.max(slowest, timeBody(arm.bodies[n]!, 2, batches.length, events));
    // Capped: a calibration read near zero (the clock) once asked for hours of passes.
    passes.set(n, Math.min(passesMax, Math.max(1, Math.ceil(measureMicrosMin / (slowest * events)))));
  }
  for (let round = 0; round < options.rounds; round++) {
    for (const n of names) {
      for (const which of round % 2 === 0 ? [0, 1] : [1, 0]) {
        perEvent[which]!.get(n)!.push(
          timeBody(arms[which]!.bodies[n]!, passes.get(n)!, batches.length, events),
        );
      }
    }
  }
  console.log(
    `codec_ab.workload: ${events} events in ${batches.length} batches, ${options.rounds} alternating rounds; passes per measurement ${names.map((n) => `${n} ${passes.get(n)}`).join(", ")}`,
  );
  for (const n of names) {
    const a = perEvent[0]!.get(n)!;
    const b = perEvent[1]!.get(n)!;
    const pairs = a.map((x, i) => b[i]! / x);
    console.log(
      `codec_ab.${n}: A ${median(a).toFixed(4)} us/event, B ${median(b).toFixed(4)} us/event (ratio B/A ${median(pairs).toFixed(3)}, round pairs ${Math.min(...pairs).toFixed(2)}-${Math.max(...pairs).toFixed(2)})`,
    );
  }
}
