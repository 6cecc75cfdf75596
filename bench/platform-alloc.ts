// Where an in-process fleet allocates (issue 4: GC is the largest single
// category of the simulator's CPU): V8's sampling heap profiler over one
// `runSimulation`, summed by allocating function (self) and by source file,
// per simulated user event. Sampling: each figure is an estimate with the
// sampling interval's granularity, not an exact count.
//   node --import tsx bench/platform-alloc.ts [--phones 300] [--hours 0.1] [--seed 7] [--interval 512] [--top 40] [--survivors]
// --survivors: only allocation that survived a scavenge (objects collected by
// a minor GC left out). What survives the young generation is what costs: it
// is copied, then promoted, marked and swept. Run it with the shard workers'
// young generation, or the survivors are those of the main thread's small
// default:
//   node --max-semi-space-size=32 --import tsx bench/platform-alloc.ts --survivors --phones 250 --hours 0.5
// Noise of --survivors: a mark-compact also collects the young generation,
// and what dies there counts as "collected by a major GC", so kept: whichever
// function allocates most young garbage (the tap/key path) moves by up to
// ~100 B per user event between runs. Compare rows that hold still, or
// several seeds.
import { Session } from "node:inspector";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { defaultOptions, runSimulation } from "../src/sim/index.ts";
import { exitOnHelp } from "./support/cli-args.ts";
import { type ProfileNode, post } from "./support/inspector-post.ts";

exitOnHelp(
  "usage: node [--max-semi-space-size=32] --import tsx bench/platform-alloc.ts [--phones 300] [--hours 0.1] [--seed 7] [--interval 512] [--top 40] [--survivors]",
);

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1]! : fallback;
}

const survivors = process.argv.includes("--survivors");
const phones = Number(arg("phones", survivors ? "250" : "300"));
const hours = Number(arg("hours", survivors ? "0.5" : "0.1"));
const seed = Number(arg("seed", "7"));
const interval = Number(arg("interval", "512"));
const top = Number(arg("top", "40"));

const session = new Session();
session.connect();
post(session, "HeapProfiler.enable");
post(session, "HeapProfiler.startSampling", {
  samplingInterval: interval,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: !survivors,
});
const report = runSimulation({
  ...defaultOptions,
  seed,
  phones,
  hours,
  eventsPerSec: 0.5,
  syncIntervalMs: 60_000,
});
if (survivors) {
  // Without a scavenge here, whatever the young generation holds at the end
  // (up to a semi-space of garbage, depending on where the last scavenge fell)
  // would count as surviving: ±100 B per user event between two runs.
  setFlagsFromString("--expose-gc");
  const collect = runInNewContext("gc") as (options: { type: "minor" | "major" }) => void;
  collect({ type: "minor" });
}
const { profile } = post<{ profile: { head: ProfileNode } }>(session, "HeapProfiler.stopSampling");
session.disconnect();

const root = `file://${process.cwd()}/`;
const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
let total = 0;
const fileOf = (url: string) =>
  url.replace(root, "").replace(/^file:\/\/.*node_modules\//, "node_modules/") || "(native)";
const nameOf = ({ callFrame: { functionName, url, lineNumber } }: ProfileNode) =>
  `${functionName || "(anonymous)"} ${fileOf(url)}:${lineNumber + 1}`;
// a native allocator (push, Map.set, slice) is named with its JS caller: "push" alone says nothing
const stack: { node: ProfileNode; caller: string }[] = [{ node: profile.head, caller: "" }];
for (let visited = 0; stack.length > 0; visited++) {
  if (visited > 10_000_000) throw new Error("profile tree too large");
  const { node, caller } = stack.pop()!;
  const own = nameOf(node);
  for (const child of node.children) stack.push({ node: child, caller: own });
  if (node.selfSize === 0) continue;
  const { url } = node.callFrame;
  const where = url === "" ? `${own} < ${caller}` : own;
  byFunction.set(where, (byFunction.get(where) ?? 0) + node.selfSize);
  byFile.set(fileOf(url), (byFile.get(fileOf(url)) ?? 0) + node.selfSize);
  total += node.selfSize;
}
const perEvent = (bytes: number) => (bytes / report.userEvents).toFixed(0).padStart(7);
const what = survivors ? "surviving a scavenge" : "allocated";
console.log(
  `${phones} phones x ${hours} h, seed ${seed}: ${report.userEvents} user events, ${(total / 2 ** 20).toFixed(0)} MiB ${what} (sampled every ${interval} B), ${perEvent(total).trim()} B per user event`,
);
console.log("\nB/user event  by file");
for (const [file, bytes] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 25))
  console.log(`${perEvent(bytes)}  ${file}`);
console.log("\nB/user event  by allocating function");
for (const [where, bytes] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`${perEvent(bytes)}  ${where}`);
