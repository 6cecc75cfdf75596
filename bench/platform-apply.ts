// Platform cost per applied input (issue 4 throughput: the platform runs
// twice per user event, on the phone and on the mirror, and must stay near
// 1.5 µs per input). Applies the paper workload (src/platform/workload.ts,
// 0.5 user events/s, payloads at the simulator's size scale 0.01) to a phone,
// then replays the phone's log on a mirror, each with the storage digest asked
// after every input (the baseline: what an eager Merkle tree pays) and once
// per 30-input sync batch (what the Syn-Client and Syn-Server ask). Times
// are CPU time of this process, median of a few rounds; SHA-256 calls and
// bytes hashed per input are exact counts. Events are generated before the
// clock starts. One line per figure.
//   node --import tsx bench/platform-apply.ts        (EVENTS=20000 ROUNDS=5)
import { SeededRng } from "../src/core/rng.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import { drivePhone, ManualClock, type RecordedInput, replayLog } from "../src/platform/drive.ts";
import { factoryTemplate, Platform, type PlatformSnapshot, seededNondet } from "../src/platform/index.ts";
import { Workload, type WorkloadEvent } from "../src/platform/workload.ts";

const events = Number(process.env.EVENTS ?? 20_000);
const rounds = Number(process.env.ROUNDS ?? 5);
const batchInputs = 30;
const seed = 42;

const hashed = { calls: 0, bytes: 0 };
const countingSha256 = (data: Uint8Array): Uint8Array => {
  hashed.calls++;
  hashed.bytes += data.length;
  return nodeSha256(data);
};

function cpuUs(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

type Cost = { us: number; calls: number; bytes: number };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** CPU µs, SHA-256 calls and bytes hashed per input of one run of `body`. */
function measureOnce(inputs: number, body: () => void): Cost {
  const calls = hashed.calls;
  const bytes = hashed.bytes;
  const started = cpuUs();
  body();
  return {
    us: (cpuUs() - started) / inputs,
    calls: (hashed.calls - calls) / inputs,
    bytes: (hashed.bytes - bytes) / inputs,
  };
}

/**
 * Runs every variant `rounds` times, interleaved so that heap growth and JIT
 * state favour none of them; returns the median per variant.
 */
function measureAll(inputs: number, variants: readonly (() => void)[]): Cost[] {
  const samples: Cost[][] = variants.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let v = 0; v < variants.length; v++) samples[v]!.push(measureOnce(inputs, variants[v]!));
  }
  return samples.map((runs) => ({
    us: median(runs.map((s) => s.us)),
    calls: median(runs.map((s) => s.calls)),
    bytes: median(runs.map((s) => s.bytes)),
  }));
}

function newPhone(template: PlatformSnapshot): { phone: Platform; clock: ManualClock } {
  const clock = new ManualClock();
  const rng = new SeededRng(seed).fork("nondet");
  const phone = Platform.create({
    mode: "phone",
    deviceId: "bench",
    model: "mc-one",
    sha256: countingSha256,
    nondet: seededNondet({ rng, clock, cameraBytes: 15_000 }),
    from: template,
  });
  return { phone, clock };
}

function newMirror(template: PlatformSnapshot): Platform {
  return Platform.create({
    mode: "mirror",
    deviceId: "bench",
    model: "mc-one",
    sha256: countingSha256,
    from: template,
  });
}

/** Phone: events in chunks of `every`, digest after each chunk. */
function phoneRun(template: PlatformSnapshot, stream: readonly WorkloadEvent[], every: number): void {
  const { phone, clock } = newPhone(template);
  let seq = 1;
  for (let i = 0; i < stream.length; i += every) {
    const driven = drivePhone(phone, stream.slice(i, i + every), clock, seq);
    seq += driven.log.filter((e) => e.kind === "user").length;
    phone.digest();
  }
}

function mirrorRun(template: PlatformSnapshot, log: readonly RecordedInput[], every: number): void {
  const mirror = newMirror(template);
  for (let i = 0; i < log.length; i += every) {
    const replayed = replayLog(mirror, log.slice(i, i + every));
    if (!replayed.ok) throw replayed.error;
    mirror.digest();
  }
}

function line(name: string, cost: Cost, baseline: Cost): void {
  const ratio = (cost.us / baseline.us).toFixed(2);
  console.log(`${name}: ${cost.us.toFixed(2)} us/input (${ratio}x vs digest after every input)`);
  console.log(
    `${name} sha256: ${cost.calls.toFixed(2)} calls/input, ${Math.round(cost.bytes)} bytes hashed/input`,
  );
}

function main(): void {
  // the template is built and hashed once, outside every measurement, as a fleet shares it
  const template = factoryTemplate("mc-one", nodeSha256);
  const stream = new Workload({ rng: new SeededRng(seed).fork("workload"), sizeScale: 0.01 }).take(events);
  const { phone, clock } = newPhone(template);
  const { log, rejectedUser, rejectedNetwork } = drivePhone(phone, stream, clock);
  const kinds = { tap: 0, key: 0, action: 0, network: 0 };
  for (const entry of log) kinds[entry.kind === "network" ? "network" : entry.input.body.kind]++;
  console.log(
    `workload: ${log.length} inputs applied (${kinds.tap} taps, ${kinds.key} keys, ${kinds.action} actions, ${kinds.network} network; ${rejectedUser + rejectedNetwork} refused)`,
  );
  // warm up both paths so the first measured round is not the JIT's
  phoneRun(template, stream, batchInputs);
  mirrorRun(template, log, batchInputs);
  const [phoneEager, phoneBatch, mirrorEager, mirrorBatch] = measureAll(log.length, [
    () => phoneRun(template, stream, 1),
    () => phoneRun(template, stream, batchInputs),
    () => mirrorRun(template, log, 1),
    () => mirrorRun(template, log, batchInputs),
  ]) as [Cost, Cost, Cost, Cost];
  line("phone apply, digest after every input", phoneEager, phoneEager);
  line(`phone apply, digest per ${batchInputs}-input batch`, phoneBatch, phoneEager);
  line("mirror replay, digest after every input", mirrorEager, mirrorEager);
  line(`mirror replay, digest per ${batchInputs}-input batch`, mirrorBatch, mirrorEager);
}

main();
