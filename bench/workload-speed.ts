// CPU of the workload generator (issue 4: `phone.nextStep` was 11 % of an
// in-process fleet's wall). Drives the Workload of N phones (each its
// generator as CorePhone makes it: the phone's Rng forked "workload", the
// simulator's payload scale 0.01, 0.5 user events/s) through H hours of
// virtual time, the phones taking turns a minute at a time as they do in a
// fleet, each phone's last --hold events (64, the fleet's user steps held
// ahead) kept alive, and drops them. Nothing else of the simulator runs. A
// tree whose Workload has nextIntent() is driven through it (CorePhone's
// entry since session 12), an older one through next().
//   node --import tsx bench/workload-speed.ts [--phones 200] [--hours 1] [--passes 8] [--warm 2] [--hold 64] [--seed 1]
// prints CPU ns per generated event (main thread: /proc/thread-self/schedstat;
// process: process.cpuUsage, GC helper threads included), best and median of
// the passes after the first --warm ones (JIT), and a sha256 over every
// event's fields (time, kind, app, body, args, payload bytes): two trees that
// generate the same sequence print the same digest.
// A/B of two source trees, each arm's run a child process of its own (this
// script with --arm DIR), alternating A B, B A, ... (the machine's load
// reaches both arms alike):
//   node --import tsx bench/workload-speed.ts --ab A_DIR B_DIR [--pairs 6] [--phones 200] [--hours 1]
// prints per arm the median ns per event and the median of the pair ratios
// B/A, and fails if the arms' digests differ.
// --alloc: V8's sampling heap profiler over one pass instead (bytes allocated
// per event by the generator, by allocating function; an estimate at the
// sampling interval's granularity).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Session } from "node:inspector";
import { resolve } from "node:path";
import { median } from "./support/median.ts";

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1]! : fallback;
}

const phones = Number(arg("phones", "200"));
const hours = Number(arg("hours", "1"));
const passes = Number(arg("passes", "8"));
/** Passes left out of the figures: the first ones run while the generator is still being compiled. */
const warmPasses = Number(arg("warm", "2"));
const seed = Number(arg("seed", "1"));
const windowMs = 60_000;

/**
 * User steps a fleet phone holds ahead (src/sim/fleet.ts userStepsAheadMax):
 * the bench keeps each phone's last `hold` events alive as long, so what a
 * step leaves on the heap survives scavenges as it does in a simulation.
 */
const hold = Number(arg("hold", "64"));

interface WorkloadLike {
  next(): { atMs: number; kind: string };
  /** Since session 12: the simulator's entry (a typed key's intent is shared, the time in intentAtMs). */
  nextIntent?: () => unknown;
  intentAtMs?: number;
}
interface Loaded {
  makeWorkload: (phone: number) => WorkloadLike;
  /** The tree's workload has nextIntent(), which CorePhone.nextStep calls: the bench drives that. */
  intents: boolean;
}

async function load(dir: string): Promise<Loaded> {
  const rngModule = (await import(resolve(dir, "src/core/rng.ts"))) as typeof import("../src/core/rng.ts");
  const workloadModule = (await import(
    resolve(dir, "src/platform/workload.ts")
  )) as typeof import("../src/platform/workload.ts");
  return {
    makeWorkload: (phone) => {
      // CorePhone forks "nondet" first, then "workload" from the phone's Rng
      const rng = new rngModule.SeededRng(seed * 100_003 + phone);
      rng.fork("nondet");
      return new workloadModule.Workload({
        rng: rng.fork("workload"),
        eventsPerSecond: 0.5,
        sizeScale: 0.01,
        startMs: 0,
      });
    },
    intents: typeof (workloadModule.Workload.prototype as WorkloadLike).nextIntent === "function",
  };
}

/**
 * Every phone's events through `hours`, a window of virtual time per phone
 * in turn, each phone's last `hold` events kept alive; `visit` (next()
 * only) sees each event. Returns the number of events generated.
 */
function drive(loaded: Loaded, visit: ((event: unknown) => void) | undefined): number {
  const useIntents = loaded.intents && visit === undefined;
  const workloads = Array.from({ length: phones }, (_, i) => loaded.makeWorkload(i));
  const held = workloads.map(() => new Array<unknown>(hold).fill(undefined));
  const heldCount = new Array<number>(phones).fill(0);
  let takenAtMs = 0;
  const take = (workload: WorkloadLike): unknown => {
    if (useIntents) {
      const intent = workload.nextIntent!();
      takenAtMs = workload.intentAtMs!;
      return intent;
    }
    const event = workload.next();
    takenAtMs = event.atMs;
    return event;
  };
  const aheadEvent: unknown[] = [];
  const aheadMs: number[] = [];
  for (const workload of workloads) {
    aheadEvent.push(take(workload));
    aheadMs.push(takenAtMs);
  }
  const endMs = hours * 3_600_000;
  let events = phones;
  for (let windowEndMs = windowMs; windowEndMs < endMs + windowMs; windowEndMs += windowMs) {
    const limitMs = Math.min(windowEndMs, endMs);
    for (let i = 0; i < phones; i++) {
      const workload = workloads[i]!;
      while (aheadMs[i]! < limitMs) {
        const event = aheadEvent[i]!;
        if (visit !== undefined) visit(event);
        if (hold > 0) held[i]![heldCount[i]!++ % hold] = event;
        aheadEvent[i] = take(workload);
        aheadMs[i] = takenAtMs;
        events++;
      }
    }
  }
  return events;
}

function threadCpuNs(): number {
  return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]);
}

function processCpuNs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) * 1000;
}

function digestOf(loaded: Loaded): string {
  const hash = createHash("sha256");
  const put = (value: unknown): void => {
    if (value instanceof Uint8Array) {
      hash.update(`b${value.length}:`);
      hash.update(value);
    } else if (Array.isArray(value)) {
      hash.update(`a${value.length}:`);
      for (const item of value) put(item);
    } else hash.update(`${typeof value}:${String(value)};`);
  };
  drive(loaded, (event) => {
    const e = event as Record<string, unknown>;
    put(e.atMs);
    put(e.kind);
    put(e.app);
    if (e.kind === "user") {
      const body = e.body as Record<string, unknown>;
      for (const key of Object.keys(body).sort()) {
        put(key);
        put(body[key]);
      }
    } else {
      put(e.networkKind);
      put(e.args);
      put(e.payload);
    }
  });
  return hash.digest("hex");
}

interface ArmResult {
  threadNsPerEvent: number[];
  processNsPerEvent: number[];
  events: number;
  digest: string;
}

async function runArm(dir: string): Promise<ArmResult> {
  const loaded = await load(dir);
  const result: ArmResult = { threadNsPerEvent: [], processNsPerEvent: [], events: 0, digest: "" };
  if (!(passes > warmPasses)) throw new Error(`--passes ${passes} must exceed --warm ${warmPasses}`);
  for (let pass = 0; pass < passes; pass++) {
    const thread = threadCpuNs();
    const proc = processCpuNs();
    const events = drive(loaded, undefined);
    if (pass < warmPasses) continue;
    result.threadNsPerEvent.push((threadCpuNs() - thread) / events);
    result.processNsPerEvent.push((processCpuNs() - proc) / events);
    result.events = events;
  }
  result.digest = digestOf(loaded);
  return result;
}

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

function post<T>(session: Session, method: string, params: object = {}): T {
  let result: T | undefined;
  let failure: Error | null = null;
  session.post(method, params, (error, value) => {
    failure = error;
    result = value as T;
  });
  if (failure !== null) throw failure;
  if (result === undefined) throw new Error(`${method}: no synchronous answer`);
  return result;
}

async function runAlloc(dir: string): Promise<void> {
  const loaded = await load(dir);
  drive(loaded, undefined); // warm: the profile is of steady-state code
  const session = new Session();
  session.connect();
  post(session, "HeapProfiler.enable");
  post(session, "HeapProfiler.startSampling", {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  const events = drive(loaded, undefined);
  const { profile } = post<{ profile: { head: ProfileNode } }>(session, "HeapProfiler.stopSampling");
  session.disconnect();
  const byFunction = new Map<string, number>();
  let total = 0;
  const stack: { node: ProfileNode; caller: string }[] = [{ node: profile.head, caller: "" }];
  while (stack.length > 0) {
    const { node, caller } = stack.pop()!;
    const { functionName, url, lineNumber } = node.callFrame;
    const own = `${functionName || "(anonymous)"} ${url.replace(/^.*\/src\//, "src/")}:${lineNumber + 1}`;
    for (const child of node.children) stack.push({ node: child, caller: own });
    if (node.selfSize === 0) continue;
    const where = url === "" ? `${own} < ${caller}` : own;
    byFunction.set(where, (byFunction.get(where) ?? 0) + node.selfSize);
    total += node.selfSize;
  }
  console.log(`${events} events, ${(total / events).toFixed(0)} B allocated per event (sampled every 256 B)`);
  for (const [where, bytes] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 25))
    console.log(`${(bytes / events).toFixed(1).padStart(8)}  ${where}`);
}

function child(dir: string): ArmResult {
  const out = execFileSync(
    process.execPath,
    [
      "--import",
      "tsx",
      new URL(import.meta.url).pathname,
      "--arm",
      dir,
      "--phones",
      String(phones),
      "--hours",
      String(hours),
      "--passes",
      String(passes),
      "--seed",
      String(seed),
      "--warm",
      String(warmPasses),
      "--hold",
      String(hold),
    ],
    { encoding: "utf8", maxBuffer: 1 << 20 },
  );
  return JSON.parse(out.trim().split("\n").at(-1)!) as ArmResult;
}

async function runAb(dirA: string, dirB: string, pairs: number): Promise<void> {
  const arms: Record<"A" | "B", number[]> = { A: [], B: [] };
  const processArms: Record<"A" | "B", number[]> = { A: [], B: [] };
  const ratios: number[] = [];
  const processRatios: number[] = [];
  const digests = new Set<string>();
  for (let pair = 0; pair < pairs; pair++) {
    const order: ("A" | "B")[] = pair % 2 === 0 ? ["A", "B"] : ["B", "A"];
    const got: Partial<Record<"A" | "B", ArmResult>> = {};
    for (const arm of order) got[arm] = child(arm === "A" ? dirA : dirB);
    const a = got.A!;
    const b = got.B!;
    digests.add(a.digest).add(b.digest);
    const aNs = median(a.threadNsPerEvent);
    const bNs = median(b.threadNsPerEvent);
    arms.A.push(aNs);
    arms.B.push(bNs);
    processArms.A.push(median(a.processNsPerEvent));
    processArms.B.push(median(b.processNsPerEvent));
    ratios.push(bNs / aNs);
    processRatios.push(median(b.processNsPerEvent) / median(a.processNsPerEvent));
    console.log(
      `pair ${pair + 1} (${order.join(" ")}): A ${aNs.toFixed(0)} ns/event, B ${bNs.toFixed(0)} ns/event, B/A ${(bNs / aNs).toFixed(3)} (process ${processRatios.at(-1)!.toFixed(3)})`,
    );
  }
  console.log(
    `median: A ${median(arms.A).toFixed(0)} ns/event, B ${median(arms.B).toFixed(0)} ns/event (main thread); pair B/A ${median(ratios).toFixed(3)}, process CPU pair B/A ${median(processRatios).toFixed(3)}; ${pairs} pairs`,
  );
  if (digests.size !== 1) {
    console.log(`DIFFERENT SEQUENCES: ${[...digests].join(" ")}`);
    process.exitCode = 1;
  } else console.log(`same sequence in both arms: ${[...digests][0]}`);
}

const armDir = process.argv.includes("--arm") ? arg("arm", ".") : undefined;
if (armDir !== undefined) console.log(JSON.stringify(await runArm(armDir)));
else if (process.argv.includes("--ab")) {
  const at = process.argv.indexOf("--ab");
  const dirA = process.argv[at + 1];
  const dirB = process.argv[at + 2];
  if (dirA === undefined || dirB === undefined) throw new Error("usage: --ab A_DIR B_DIR");
  await runAb(resolve(dirA), resolve(dirB), Number(arg("pairs", "6")));
} else if (process.argv.includes("--alloc")) await runAlloc(resolve(arg("dir", ".")));
else {
  const result = await runArm(resolve(arg("dir", ".")));
  console.log(
    `${phones} phones x ${hours} h: ${result.events} events per pass; main thread ns/event best ${Math.min(...result.threadNsPerEvent).toFixed(0)} median ${median(result.threadNsPerEvent).toFixed(0)}; process ns/event median ${median(result.processNsPerEvent).toFixed(0)}; sequence ${result.digest}`,
  );
}
