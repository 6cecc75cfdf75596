// CPU of the workload generator (issue 4: `phone.nextStep` was 11 % of an
// in-process fleet's wall). Drives the Workload of N phones (each its
// generator as CorePhone makes it: the phone's Rng forked "workload", the
// simulator's payload scale 0.01, 0.5 user events/s) through H hours of
// virtual time, the phones taking turns a minute at a time as they do in a
// fleet, each phone's last --hold events (64, the fleet's user steps held
// ahead) kept alive, and drops them. Nothing else of the simulator runs. A
// tree whose Workload has nextIntent() is driven through it (CorePhone's
// entry since session 12), an older one through next().
//   node --import tsx bench/workload-speed.ts [--dir TREE] [--phones 200] [--hours 1] [--passes 8] [--warm 2] [--hold 64] [--seed 1]
// prints CPU ns per generated event (main thread: /proc/thread-self/schedstat;
// process: process.cpuUsage, GC helper threads included), best and median of
// the passes after the first --warm ones (JIT), and a sha256 over every
// event's fields (time, kind, app, body, args, payload bytes): two trees that
// generate the same sequence print the same digest.
// A/B of two source trees in this one process, each arm's modules and
// harness loaded apart (bench/support/workload-speed-arm.ts), one pass each
// in alternating order per round (A B, B A, ...), so the machine's load
// reaches both alike:
//   node --import tsx bench/workload-speed.ts --ab A_DIR B_DIR [--rounds 20] [--phones 200] [--hours 1]
// prints per arm the median ns per event (main thread and process) and the
// median of the round pairs' B/A, and fails if the arms' digests differ.
// --alloc: V8's sampling heap profiler over one pass instead (bytes allocated
// per event by the generator, by allocating function; an estimate at the
// sampling interval's granularity).
import { readFileSync } from "node:fs";
import { Session } from "node:inspector";
import { resolve } from "node:path";
import { argText, exitOnHelp } from "./support/cli-args.ts";
import { type ProfileNode, post } from "./support/inspector-post.ts";
import { median } from "./support/median.ts";
import type { Arm, DriveOptions } from "./support/workload-speed-arm.ts";

exitOnHelp(`usage: node --import tsx bench/workload-speed.ts [--dir TREE] [--phones 200] [--hours 1] [--passes 8] [--warm 2] [--hold 64] [--seed 1] [--alloc]
       node --import tsx bench/workload-speed.ts --ab A_DIR B_DIR [--rounds 20] [--phones 200] [--hours 1]`);

const options: DriveOptions = {
  phones: Number(argText("phones", "200")),
  hours: Number(argText("hours", "1")),
  seed: Number(argText("seed", "1")),
  hold: Number(argText("hold", "64")),
};
const passes = Number(argText("passes", "8"));
/** Passes left out of the figures: the first ones run while the generator is still being compiled. */
const warmPasses = Number(argText("warm", "2"));

async function loadArm(name: string, dir: string): Promise<Arm> {
  const url = `${new URL("./support/workload-speed-arm.ts", import.meta.url).href}?arm=${name}`;
  const module = (await import(url)) as typeof import("./support/workload-speed-arm.ts");
  return module.loadArm(dir, options);
}

function threadCpuNs(): number {
  return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]);
}

function processCpuNs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) * 1000;
}

/** One timed pass: ns per event on the main thread and in the whole process. */
function timePass(arm: Arm): { thread: number; process: number } {
  const thread = threadCpuNs();
  const proc = processCpuNs();
  const events = arm.drive();
  return { thread: (threadCpuNs() - thread) / events, process: (processCpuNs() - proc) / events };
}

async function runOne(dir: string): Promise<void> {
  if (!(passes > warmPasses)) throw new Error(`--passes ${passes} must exceed --warm ${warmPasses}`);
  const arm = await loadArm("one", dir);
  const thread: number[] = [];
  const proc: number[] = [];
  for (let pass = 0; pass < passes; pass++) {
    const t = timePass(arm);
    if (pass < warmPasses) continue;
    thread.push(t.thread);
    proc.push(t.process);
  }
  console.log(
    `${options.phones} phones x ${options.hours} h (${arm.intents ? "nextIntent" : "next"}): main thread ns/event best ${Math.min(...thread).toFixed(0)} median ${median(thread).toFixed(0)}; process ns/event median ${median(proc).toFixed(0)}; sequence ${arm.digest()}`,
  );
}

async function runAb(dirA: string, dirB: string, rounds: number): Promise<void> {
  const arms = [await loadArm("A", dirA), await loadArm("B", dirB)];
  for (let pass = 0; pass < warmPasses; pass++) for (const arm of arms) timePass(arm);
  const thread: number[][] = [[], []];
  const proc: number[][] = [[], []];
  for (let round = 0; round < rounds; round++) {
    for (const which of round % 2 === 0 ? [0, 1] : [1, 0]) {
      const t = timePass(arms[which]!);
      thread[which]!.push(t.thread);
      proc[which]!.push(t.process);
    }
  }
  const pairs = (values: number[][]) => values[0]!.map((a, i) => values[1]![i]! / a);
  const threadPairs = pairs(thread);
  console.log(
    `${options.phones} phones x ${options.hours} h, ${rounds} alternating rounds (A ${arms[0]!.intents ? "nextIntent" : "next"}, B ${arms[1]!.intents ? "nextIntent" : "next"}): main thread A ${median(thread[0]!).toFixed(0)} ns/event, B ${median(thread[1]!).toFixed(0)} ns/event, round pairs B/A median ${median(threadPairs).toFixed(3)} (${Math.min(...threadPairs).toFixed(2)}-${Math.max(...threadPairs).toFixed(2)}, B lower in ${threadPairs.filter((r) => r < 1).length} of ${rounds}); process A ${median(proc[0]!).toFixed(0)}, B ${median(proc[1]!).toFixed(0)} ns/event, pairs B/A median ${median(pairs(proc)).toFixed(3)}`,
  );
  const digests = arms.map((arm) => arm.digest());
  if (digests[0] !== digests[1]) {
    console.log(`DIFFERENT SEQUENCES: A ${digests[0]} B ${digests[1]}`);
    process.exitCode = 1;
  } else console.log(`same sequence in both arms: ${digests[0]}`);
}

async function runAlloc(dir: string): Promise<void> {
  const arm = await loadArm("alloc", dir);
  arm.drive(); // warm: the profile is of steady-state code
  const session = new Session();
  session.connect();
  post(session, "HeapProfiler.enable");
  post(session, "HeapProfiler.startSampling", {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  const events = arm.drive();
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

if (process.argv.includes("--ab")) {
  const at = process.argv.indexOf("--ab");
  const dirA = process.argv[at + 1];
  const dirB = process.argv[at + 2];
  if (dirA === undefined || dirB === undefined) throw new Error("usage: --ab A_DIR B_DIR");
  await runAb(resolve(dirA), resolve(dirB), Number(argText("rounds", "20")));
} else if (process.argv.includes("--alloc")) await runAlloc(resolve(argText("dir", ".")));
else await runOne(resolve(argText("dir", ".")));
