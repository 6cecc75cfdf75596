// Simulator locality experiment (issue 4, session 5): does applying a
// phone's user and network steps in bursts, instead of in the simulator's
// interleaved time order, make the phone side cheaper? Real Platform +
// SyncClient + workload (CorePhone), no kernel, no server: every batch the
// client cuts is acked at once. Each mode runs the SAME steps per phone, in
// the same per-phone order, on a fresh fleet, so the phones end in the same
// states (checked: the fleets' digests must match) and only the order in
// which the fleet's phones take turns differs:
//   interleaved  the simulator's order: all phones' steps sorted by time
//   burst K      each phone applies its next K steps in a row, phones in turn
// Modes alternate in one process (A B A B ...), CPU-s from process.cpuUsage
// (all threads: GC helpers count), so the ratio is measured under one load.
// `node --expose-gc --import tsx bench/sim-locality.ts [--phones N] [--hours H] [--bursts 30,1000] [--rounds R]`
import { SeededRng } from "../src/core/rng.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import { enableSharedContent } from "../src/platform/index.ts";
import { Workload } from "../src/platform/workload.ts";
import { CorePhone } from "../src/sim/core-phone.ts";
import { defaultOptions } from "../src/sim/index.ts";
import type { PhoneOptions, WorkloadStep } from "../src/sim/stack.ts";
import { PROTOCOL_VERSION } from "../src/sync/frame.ts";
import { encodeAck } from "../src/sync/frame-batch-wire.ts";
import { argText, exitOnHelp } from "./support/cli-args.ts";

const usage =
  "usage: node --expose-gc --import tsx bench/sim-locality.ts [--phones N] [--hours H] [--bursts 30,1000] [--rounds R] [--seed S]";
exitOnHelp(usage);

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`--${name} needs a positive number, got ${text}\n${usage}\n`);
    process.exit(2);
  }
  return value;
}

const phones = positive("phones", argText("phones", "1000"));
const hours = positive("hours", argText("hours", "0.25"));
const rounds = positive("rounds", argText("rounds", "2"));
const seed = positive("seed", argText("seed", "7"));
const bursts = argText("bursts", "30")
  .split(",")
  .map((b) => positive("bursts", b));
const horizonMs = Math.round(hours * 3_600_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined)
  process.stderr.write("note: run with --expose-gc for a collected heap before each mode\n");

/** One phone of the experiment: the real core, its next step, and the batches it cut but not yet got acked. */
interface Node {
  phone: CorePhone;
  step: WorkloadStep | undefined;
  toAck: number;
}

/** The rng a phone's stack gets in runShard, so the workload is the simulator's. */
function stackRng(i: number): { phoneRng: SeededRng; startMs: number } {
  const root = new SeededRng(seed);
  root.fork("fleet");
  for (let k = 0; k < i; k++) root.fork(`phone-${k}`);
  const phoneRng = root.fork(`phone-${i}`) as SeededRng;
  return { phoneRng, startMs: phoneRng.int(0, defaultOptions.syncIntervalMs - 1) };
}

function phoneOptions(i: number, onCut: (batchNo: number) => void): PhoneOptions {
  const { phoneRng, startMs } = stackRng(i);
  return {
    syncIntervalMs: defaultOptions.syncIntervalMs,
    latencyMsMax: defaultOptions.latencyMsMax,
    eventsPerSec: defaultOptions.eventsPerSec,
    payloadScale: defaultOptions.payloadScale,
    rng: phoneRng.fork("stack"),
    onBatchCut: (_id, batchNo) => onCut(batchNo),
    startMs,
  };
}

function buildFleet(count: number): Node[] {
  const fleet: Node[] = [];
  for (let i = 0; i < count; i++) {
    const node: Node = { phone: undefined as unknown as CorePhone, step: undefined, toAck: 0 };
    const model = ["mc-phone-a", "mc-phone-b", "mc-phone-c"][i % 3]!;
    node.phone = new CorePhone(
      `phone-${i}`,
      model,
      phoneOptions(i, (b) => {
        node.toAck = b;
      }),
      nodeSha256,
    );
    node.step = node.phone.nextStep(0);
    fleet.push(node);
  }
  return fleet;
}

/** Each phone's step times, from a twin of its workload (the same forks as CorePhone's). */
function stepTimes(count: number): number[][] {
  const times: number[][] = [];
  for (let i = 0; i < count; i++) {
    const o = phoneOptions(i, () => {});
    o.rng.fork("nondet");
    const workload = new Workload({
      rng: o.rng.fork("workload"),
      eventsPerSecond: o.eventsPerSec,
      sizeScale: o.payloadScale,
      startMs: o.startMs,
    });
    const mine: number[] = [];
    let atMs = 0;
    for (;;) {
      atMs = Math.max(workload.next().atMs, atMs);
      if (atMs >= horizonMs) break;
      mine.push(atMs);
    }
    times.push(mine);
  }
  return times;
}

function interleavedOrder(times: number[][]): Int32Array {
  const all: [number, number][] = [];
  times.forEach((mine, phone) => {
    for (const t of mine) all.push([t, phone]);
  });
  all.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return Int32Array.from(all, ([, phone]) => phone);
}

function burstOrder(times: number[][], burst: number): Int32Array {
  const left = times.map((m) => m.length);
  const out: number[] = [];
  for (let busy = true; busy; ) {
    busy = false;
    for (let phone = 0; phone < left.length; phone++) {
      const n = Math.min(burst, left[phone]!);
      for (let k = 0; k < n; k++) out.push(phone);
      left[phone]! -= n;
      if (left[phone]! > 0) busy = true;
    }
  }
  return Int32Array.from(out);
}

let userEvents = 0;

function applyStep(node: Node): void {
  const step = node.step!;
  const phone = node.phone;
  if (step.kind === "user") {
    const { input, frames } = phone.applyUser(step.intent, step.atMs);
    if (input !== undefined) userEvents++;
    if (frames.length > 0 && node.toAck > 0) {
      phone.receive(encodeAck(PROTOCOL_VERSION, phone.deviceId, BigInt(node.toAck))!, step.atMs);
      node.toAck = 0;
    }
  } else {
    const input = { ...step.delivery, index: phone.networkConsumed + 1, timeMs: step.atMs };
    if (!phone.applyNetwork(input, step.atMs)) throw new Error(`${phone.deviceId} refused a network input`);
  }
  node.step = phone.nextStep(step.atMs);
}

function fleetDigest(fleet: Node[]): string {
  const all = new Uint8Array(32 * fleet.length);
  for (let i = 0; i < fleet.length; i++) all.set(fleet[i]!.phone.digest(), 32 * i);
  return Buffer.from(nodeSha256(all)).toString("hex").slice(0, 16);
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
}

function runMode(
  name: string,
  order: Int32Array,
  count: number,
): { cpuS: number; digest: string; events: number } {
  gc?.();
  enableSharedContent();
  const fleet = buildFleet(count);
  gc?.();
  userEvents = 0;
  const before = process.cpuUsage();
  for (let j = 0; j < order.length; j++) applyStep(fleet[order[j]!]!);
  const cpuS = cpuSeconds(before);
  const digest = fleetDigest(fleet);
  const heapMb = process.memoryUsage().heapUsed / 1e6;
  console.log(
    `  ${name}: ${cpuS.toFixed(2)} CPU-s, ${((cpuS * 1e6) / userEvents).toFixed(2)} µs per user event, ${userEvents} user events, heap ${heapMb.toFixed(0)} MB, fleet digest ${digest}`,
  );
  return { cpuS, digest, events: userEvents };
}

function ordersFor(times: number[][]): [string, Int32Array][] {
  const list: [string, Int32Array][] = [["interleaved", interleavedOrder(times)]];
  for (const b of bursts) list.push([`burst ${b}`, burstOrder(times, b)]);
  return list;
}

// Warm-up on a tenth of the fleet, not counted: the JIT compiles the phone's code before round 1.
const warmPhones = Math.max(1, Math.round(phones / 10));
console.log(`warm-up (${warmPhones} phones, not counted)`);
for (const [name, order] of ordersFor(stepTimes(warmPhones))) runMode(name, order, warmPhones);
const orders = ordersFor(stepTimes(phones));
console.log(
  `sim-locality: ${phones} phones × ${hours} h, seed ${seed}, ${orders[0]![1].length} steps, modes ${orders.map(([n]) => n).join(" / ")}, ${rounds} rounds`,
);
const cpu = new Map<string, number[]>();
let reference: string | undefined;
for (let r = 0; r < rounds; r++) {
  console.log(`round ${r + 1}`);
  // Alternate which mode goes first, so a load change during a round hits both.
  const inRound = r % 2 === 0 ? orders : [...orders].reverse();
  for (const [name, order] of inRound) {
    const result = runMode(name, order, phones);
    reference ??= result.digest;
    if (result.digest !== reference) throw new Error(`${name}: the fleet ended in other states`);
    cpu.set(name, [...(cpu.get(name) ?? []), result.cpuS]);
  }
}
const base = cpu.get("interleaved")!;
for (const [name, list] of cpu) {
  const ratios = list.map((s, i) => (base[i]! / s).toFixed(2)).join(" / ");
  console.log(
    `${name}: ${list.map((s) => s.toFixed(2)).join(" / ")} CPU-s (${ratios}× vs interleaved, per round)`,
  );
}
