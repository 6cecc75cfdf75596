// Platform cost per applied input (issue 4 throughput: the platform runs
// twice per user event, on the phone and on the mirror). Applies the paper
// workload (src/platform/workload.ts, 0.5 user events/s, payloads at the
// simulator's size scale 0.01) to a phone, then replays the phone's log on a
// mirror, each with the storage digest asked after every input (the
// baseline: what an eager Merkle tree pays) and once per 30-input sync batch
// (what the Syn-Client and Syn-Server ask).
//
// The fleet figures run PHONES phones at once, their events interleaved in
// time as the simulator delivers them, each with its own level key and the
// shared-content table on (as the simulator has it); mirrors replay in
// 30-input batches, one phone after another. A phone's state is then cold
// in the CPU caches at each of its inputs, as in a real fleet run — the
// single-phone figures keep everything hot and flatter the tap/key path.
// The last figure runs each phone with its mirror as the simulator does: one
// level key object per device, the mirror replaying a batch behind and
// building its own storage from the replayed inputs.
//
// Times are CPU time of this process, median of ROUNDS rounds; SHA-256
// calls and bytes hashed per input are exact counts. Events are generated
// before the clock starts. One line per figure.
//
// A/B: BASELINE=<dir> loads a second copy of the platform from <dir> (a
// tree with src/, e.g. `git archive <commit> src | tar -x -C <dir>` and a
// node_modules symlink) and runs both in alternating rounds of one process;
// every figure then gets an "(x.xx x baseline)" ratio. Bytes allocated per
// input are JS heap bytes: the used heap's growth over a run plus what each
// GC in it freed (v8.GCProfiler); file contents live outside the JS heap
// and are not counted.
//   node --import tsx bench/platform-apply.ts   (EVENTS=20000 ROUNDS=5 PHONES=500 FLEET_EVENTS=100000)
//   BASELINE=/tmp/base node --import tsx bench/platform-apply.ts
import { GCProfiler, getHeapStatistics } from "node:v8";
import { SeededRng } from "../src/core/rng.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import type {
  LevelKey,
  NetworkInput,
  PlatformSnapshot,
  RecordedInput,
  UserInput,
} from "../src/platform/index.ts";
import * as current from "../src/platform/index.ts";
import { Workload, type WorkloadEvent } from "../src/platform/workload.ts";
import { countingSha256, hashed } from "./counting-sha256.ts";
import { median } from "./support/median.ts";

type PlatformModule = typeof current;
type AnyPlatform = current.Platform;

const events = Number(process.env.EVENTS ?? 20_000);
const rounds = Number(process.env.ROUNDS ?? 5);
const fleetPhones = Number(process.env.PHONES ?? 500);
const fleetEventsTotal = Number(process.env.FLEET_EVENTS ?? 100_000);
const batchInputs = 30;
const seed = 42;

function cpuUs(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/** Per input: CPU µs, SHA-256 calls, bytes hashed, JS heap bytes allocated. */
type Cost = { us: number; calls: number; bytes: number; allocated: number };

/** A run: set-up outside the clock, then the measured body, which returns how many inputs it applied. */
type Variant = () => () => number;

function measureOnce(variant: Variant): Cost {
  const body = variant();
  const calls = hashed.calls;
  const bytes = hashed.bytes;
  const gcs = new GCProfiler();
  gcs.start();
  const heapBefore = getHeapStatistics().used_heap_size;
  const started = cpuUs();
  const inputs = body();
  const us = cpuUs() - started;
  const heapAfter = getHeapStatistics().used_heap_size;
  // allocated = growth of the used heap plus what every GC in between freed
  let freed = 0;
  for (const gc of gcs.stop().statistics) {
    freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
  }
  return {
    us: us / inputs,
    calls: (hashed.calls - calls) / inputs,
    bytes: (hashed.bytes - bytes) / inputs,
    allocated: (heapAfter - heapBefore + freed) / inputs,
  };
}

/**
 * Runs every variant `rounds` times, interleaved so that heap growth and JIT
 * state favour none of them; returns the median per variant.
 */
function measureAll(variants: readonly Variant[]): Cost[] {
  const samples: Cost[][] = variants.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let v = 0; v < variants.length; v++) samples[v]!.push(measureOnce(variants[v]!));
  }
  return samples.map((runs) => ({
    us: median(runs.map((s) => s.us)),
    calls: median(runs.map((s) => s.calls)),
    bytes: median(runs.map((s) => s.bytes)),
    allocated: median(runs.map((s) => s.allocated)),
  }));
}

/** What one copy of the platform (current or baseline) needs to run every scenario. */
class Subject {
  readonly template: PlatformSnapshot;

  constructor(readonly m: PlatformModule) {
    // built and hashed once, outside every measurement, as a fleet shares it
    this.template = m.factoryTemplate("mc-one", nodeSha256);
  }

  phone(deviceId: string, levelKey?: LevelKey) {
    const clock = new this.m.ManualClock();
    const rng = new SeededRng(seed).fork(`nondet-${deviceId}`);
    const nondet = this.m.seededNondet({ rng, clock, cameraBytes: 15_000 });
    const from = this.template;
    const options = {
      mode: "phone" as const,
      deviceId,
      model: "mc-one",
      sha256: countingSha256,
      nondet,
      from,
    };
    const phone = this.m.Platform.create(levelKey === undefined ? options : { ...options, levelKey });
    return { phone, clock };
  }

  mirror(deviceId: string, levelKey?: LevelKey): AnyPlatform {
    const options = { mode: "mirror" as const, deviceId, model: "mc-one", sha256: countingSha256 };
    const from = this.template;
    return this.m.Platform.create(
      levelKey === undefined ? { ...options, from } : { ...options, from, levelKey },
    );
  }

  /** Phone: events in chunks of `every`, digest after each chunk. */
  phoneRun(stream: readonly WorkloadEvent[], every: number): () => number {
    const { phone, clock } = this.phone("bench");
    return () => {
      let seq = 1;
      let applied = 0;
      for (let i = 0; i < stream.length; i += every) {
        const driven = this.m.drivePhone(phone, stream.slice(i, i + every), clock, seq);
        seq += driven.log.filter((e) => e.kind === "user").length;
        applied += driven.log.length;
        phone.digest();
      }
      return applied;
    };
  }

  mirrorRun(log: readonly RecordedInput[], every: number): () => number {
    const mirror = this.mirror("bench");
    return () => {
      for (let i = 0; i < log.length; i += every) {
        const replayed = this.m.replayLog(mirror, log.slice(i, i + every));
        if (!replayed.ok) throw replayed.error;
        mirror.digest();
      }
      return log.length;
    };
  }
}

type FleetEvent = { phone: number; event: WorkloadEvent };
type Fleet = { merged: FleetEvent[]; secrets: Uint8Array[] };
type FleetLogs = { user: UserInput; network?: undefined } | { user?: undefined; network: NetworkInput };

function fleetEvents(phones: number, perPhone: number): Fleet {
  const merged: FleetEvent[] = [];
  const secrets: Uint8Array[] = [];
  for (let phone = 0; phone < phones; phone++) {
    const rng = new SeededRng(seed + phone);
    secrets.push(rng.fork("level").bytes(16));
    const stream = new Workload({ rng: rng.fork("workload"), sizeScale: 0.01 }).take(perPhone);
    for (const event of stream) merged.push({ phone, event });
  }
  merged.sort((a, b) => a.event.atMs - b.event.atMs || a.phone - b.phone);
  return { merged, secrets };
}

/** The fleet's phones (made before the clock starts) apply their events in time order; logs go to the mirrors. */
function fleetPhonesRun(subject: Subject, fleet: Fleet, logsOut: FleetLogs[][]): () => number {
  const { m } = subject;
  const phones = fleet.secrets.map((secret, i) => ({
    ...subject.phone(`d${i}`, m.LevelKey.fromSecret(secret)),
    seq: 1,
  }));
  return () => fleetPhonesApply(phones, fleet, logsOut);
}

function fleetPhonesApply(
  phones: { phone: AnyPlatform; clock: current.ManualClock; seq: number }[],
  fleet: Fleet,
  logsOut: FleetLogs[][],
  onCut?: (phone: number, log: readonly FleetLogs[]) => void,
): number {
  logsOut.length = 0;
  for (let i = 0; i < phones.length; i++) logsOut.push([]);
  let applied = 0;
  for (const { phone: p, event } of fleet.merged) {
    const s = phones[p]!;
    const log = logsOut[p]!;
    s.clock.set(Math.max(s.clock.nowMs(), event.atMs));
    if (event.kind === "user") {
      const result = s.phone.applyUser({ seq: s.seq, timeMs: event.atMs, app: event.app, body: event.body });
      if (!result.ok) continue;
      s.seq++;
      log.push({ user: result.value });
    } else {
      const { app, networkKind: kind, args, payload } = event;
      const input = { index: s.phone.networkConsumed + 1, timeMs: event.atMs, app, kind, args, payload };
      if (!s.phone.applyNetwork(input).ok) continue;
      log.push({ network: input });
    }
    applied++;
    if (log.length % batchInputs === 0) {
      s.phone.digest();
      onCut?.(p, log);
    }
  }
  return applied;
}

/** Each phone's mirror replays its log in 30-input batches, phones taking turns per batch. */
function fleetMirrorsRun(subject: Subject, fleet: Fleet, logs: readonly FleetLogs[][]): () => number {
  const mirrors = fleet.secrets.map((secret, i) =>
    subject.mirror(`d${i}`, subject.m.LevelKey.fromSecret(secret)),
  );
  return () => fleetMirrorsApply(mirrors, logs);
}

function fleetMirrorsApply(mirrors: readonly AnyPlatform[], logs: readonly FleetLogs[][]): number {
  let replayed = 0;
  const longest = Math.max(...logs.map((log) => log.length));
  for (let start = 0; start < longest; start += batchInputs) {
    for (let p = 0; p < mirrors.length; p++) {
      const log = logs[p]!;
      const mirror = mirrors[p]!;
      for (let i = start; i < Math.min(start + batchInputs, log.length); i++) {
        const entry = log[i]!;
        const result =
          entry.user !== undefined ? mirror.applyUser(entry.user) : mirror.applyNetwork(entry.network);
        if (!result.ok) throw result.error;
        replayed++;
      }
      if (start < log.length) mirror.digest();
    }
  }
  return replayed;
}

/**
 * Phones and their mirrors as the simulator holds them: one level key object
 * per device, shared by the pair, each mirror replaying its phone's batch once
 * the phone has cut the next one. Per phone input, both sides included.
 */
function fleetPairsRun(subject: Subject, fleet: Fleet): () => number {
  const keys = fleet.secrets.map((secret) => subject.m.LevelKey.fromSecret(secret));
  const phones = keys.map((key, i) => ({ ...subject.phone(`d${i}`, key), seq: 1 }));
  const mirrors = keys.map((key, i) => subject.mirror(`d${i}`, key));
  return () => {
    const logs: FleetLogs[][] = [];
    const applied = fleetPhonesApply(phones, fleet, logs, (p, log) => {
      // the phone just cut a batch: its mirror replays the one before
      if (log.length >= 2 * batchInputs) replayBatch(mirrors[p]!, log, log.length - 2 * batchInputs);
    });
    for (let p = 0; p < mirrors.length; p++) {
      const log = logs[p]!;
      const cut = log.length - (log.length % batchInputs);
      for (let start = Math.max(0, cut - batchInputs); start < log.length; start += batchInputs)
        replayBatch(mirrors[p]!, log, start);
    }
    return applied;
  };
}

function replayBatch(mirror: AnyPlatform, log: readonly FleetLogs[], start: number): void {
  for (let i = start; i < Math.min(start + batchInputs, log.length); i++) {
    const entry = log[i]!;
    const result =
      entry.user !== undefined ? mirror.applyUser(entry.user) : mirror.applyNetwork(entry.network);
    if (!result.ok) throw result.error;
  }
  mirror.digest();
}

function ratio(cost: Cost, baseline: Cost | undefined, label: string): string {
  if (baseline === undefined) return "";
  return ` (${(cost.us / baseline.us).toFixed(2)}x ${label})`;
}

function line(name: string, cost: Cost, eager: Cost, baseline: Cost | undefined): void {
  const vsEager = eager === cost ? "" : ` (${(cost.us / eager.us).toFixed(2)}x vs digest after every input)`;
  console.log(`${name}: ${cost.us.toFixed(2)} us/input${vsEager}${ratio(cost, baseline, "baseline")}`);
  console.log(
    `${name} sha256: ${cost.calls.toFixed(2)} calls/input, ${Math.round(cost.bytes)} bytes hashed/input`,
  );
  const allocatedBase =
    baseline === undefined ? "" : ` (${(cost.allocated / baseline.allocated).toFixed(2)}x baseline)`;
  console.log(`${name} allocated: ${Math.round(cost.allocated)} JS heap bytes/input${allocatedBase}`);
}

async function loadSubjects(): Promise<{ now: Subject; base: Subject | undefined }> {
  const now = new Subject(current);
  const dir = process.env.BASELINE;
  if (dir === undefined) return { now, base: undefined };
  const m = (await import(`${dir}/src/platform/index.ts`)) as PlatformModule;
  return { now, base: new Subject(m) };
}

async function main(): Promise<void> {
  const { now, base } = await loadSubjects();
  const subjects = base === undefined ? [now] : [now, base];
  const stream = new Workload({ rng: new SeededRng(seed).fork("workload"), sizeScale: 0.01 }).take(events);
  const { phone, clock } = now.phone("bench");
  const { log, rejectedUser, rejectedNetwork } = now.m.drivePhone(phone, stream, clock);
  const kinds = { tap: 0, key: 0, action: 0, network: 0 };
  for (const entry of log) kinds[entry.kind === "network" ? "network" : entry.input.body.kind]++;
  console.log(
    `workload: ${log.length} inputs applied (${kinds.tap} taps, ${kinds.key} keys, ${kinds.action} actions, ${kinds.network} network; ${rejectedUser + rejectedNetwork} refused)`,
  );
  const fleet = fleetEvents(fleetPhones, Math.max(1, Math.round(fleetEventsTotal / fleetPhones)));
  const fleetLogs = subjects.map(() => [] as FleetLogs[][]);
  for (const s of subjects) s.m.enableSharedContent();
  // warm up every path so the first measured round is not the JIT's
  subjects.forEach((s, i) => {
    s.phoneRun(stream, batchInputs)();
    s.mirrorRun(log, batchInputs)();
    fleetPhonesRun(s, fleet, fleetLogs[i]!)();
    fleetMirrorsRun(s, fleet, fleetLogs[i]!)();
    fleetPairsRun(s, fleet)();
  });
  const variants = subjects.flatMap((s, i) => [
    () => s.phoneRun(stream, 1),
    () => s.phoneRun(stream, batchInputs),
    () => s.mirrorRun(log, 1),
    () => s.mirrorRun(log, batchInputs),
    () => fleetPhonesRun(s, fleet, fleetLogs[i]!),
    () => fleetMirrorsRun(s, fleet, fleetLogs[i]!),
    () => fleetPairsRun(s, fleet),
  ]);
  const costs = measureAll(variants);
  const mine = costs.slice(0, 7);
  const theirs = base === undefined ? [] : costs.slice(7);
  const names = [
    "phone apply, digest after every input",
    `phone apply, digest per ${batchInputs}-input batch`,
    "mirror replay, digest after every input",
    `mirror replay, digest per ${batchInputs}-input batch`,
    `fleet of ${fleetPhones} phones, phone apply, digest per ${batchInputs}-input batch`,
    `fleet of ${fleetPhones} mirrors, replay, digest per ${batchInputs}-input batch`,
    `fleet of ${fleetPhones} phones and their mirrors (one key object each, mirror a batch behind), per phone input`,
  ];
  const eagerOf = [0, 0, 2, 2, 4, 5, 6];
  for (let i = 0; i < names.length; i++) line(names[i]!, mine[i]!, mine[eagerOf[i]!]!, theirs[i]);
}

await main();
