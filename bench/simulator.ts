// Simulator throughput (issue 4 "Numbers"): the target is 10,000 phones × 1
// simulated hour at 0.5 events/s in ≤ 60 s on a 2-core machine. Measures the
// kernel alone (toy stack, in-process) as the baseline, then the fleet on the
// real core sharded over worker threads (`--workers`, default as the CLI's:
// shards of at most phonesPerWorkerMax phones, at least one per core, at most one thread per core
// running at a time), and prints measured wall and CPU seconds — process-wide, so every worker
// counts — plus the heap each shard's phones and mirrors took.
// `node --import tsx bench/simulator.ts [--phones N] [--hours H] [--workers W] [--threads T] [--kernel-phones N] [--young-mb M] [--v8 FLAGS] [--breakdown] [--cli]`
// `--breakdown` adds an in-process run with every call into the core timed;
// `--young-mb` and `--v8` vary the shard workers' GC settings (A/B runs).
// `--cli` runs the fleet as the README's `npx mirrorcell simulate --phones N
// --hours H --seed 1 --json` does (bin/mirrorcell.js in a child process) and
// reads the report's wallSeconds: the figure a user sees.
// On Linux every run also prints the CPU-s other processes took meanwhile:
// on this shared 2-core VM a run's wall time follows that load more than
// anything in the run (docs/benchmarks.md "CLI and bench at 10k (session 11)").
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { coreStack } from "../src/sim/core-stack.ts";
import {
  defaultOptions,
  defaultWorkers,
  runFleet,
  runSimulation,
  type SimStackFactory,
  type SimulationOptions,
  type SimulationReport,
} from "../src/sim/index.ts";
import { toyStack } from "../src/sim/testing/toy-stack.ts";

const usage = `usage: node --import tsx bench/simulator.ts [--phones N] [--hours H] [--workers W] [--threads T] [--kernel-phones N] [--young-mb M] [--v8 FLAGS] [--breakdown] [--cli]
  --phones N         phones in the real-core fleet (default 2000)
  --hours H          simulated hours (default 1)
  --workers W        shards (default as the CLI's: none above 4 phones, at least one per core)
  --threads T        shards running at once (default one per core)
  --kernel-phones N  phones in the toy-stack baseline run (default 1000)
  --young-mb M       young generation of each shard worker, MB (default: runFleet's)
  --v8 FLAGS         V8 flags set (v8.setFlagsFromString) before the fleet starts, e.g. "--no-parallel-scavenge"
  --breakdown        add an in-process run with every call into the core timed
  --cli              run the fleet through bin/mirrorcell.js simulate --seed 1 --json in a child (the README's command)`;
if (process.argv.includes("--help") || process.argv.includes("-h")) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`--${name} needs a positive number, got ${process.argv[i + 1]}\n${usage}\n`);
    process.exit(2);
  }
  return value;
}

const phones = arg("phones", 2_000);
const hours = arg("hours", 1);
// Shards: the CLI's default (none above phonesPerWorkerMax phones, at least one per core); at most one thread per core runs at a time.
const workers = arg("workers", defaultWorkers(phones, availableParallelism()));
const kernelPhones = arg("kernel-phones", 1_000);
// Threads running shards at once (runFleet's default: one per core); more shows the cost of oversubscription.
const threads = arg("threads", availableParallelism());
const breakdown = process.argv.includes("--breakdown");
const youngMb = process.argv.includes("--young-mb") ? arg("young-mb", 1) : undefined;
const v8Flags = process.argv.indexOf("--v8") < 0 ? undefined : process.argv[process.argv.indexOf("--v8") + 1];
const viaCli = process.argv.includes("--cli");
if (viaCli && (youngMb !== undefined || v8Flags !== undefined || process.argv.includes("--threads"))) {
  process.stderr.write(`--cli runs the README's command: no --threads, --young-mb or --v8\n${usage}\n`);
  process.exit(2);
}
const targetPhones = 10_000;
const targetSeconds = 60;
/** Linux's USER_HZ: the unit of /proc's CPU times. */
const procTicksPerSecond = 100;

const fleetOptions = (fleet: number, shards: number): SimulationOptions => ({
  ...defaultOptions,
  seed: 1,
  phones: fleet,
  hours,
  eventsPerSec: 0.5,
  syncIntervalMs: 60_000,
  workers: shards,
});

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
}

// 1. Baseline: the kernel and checker driving the toy stack, one thread.
const kernelCpu = process.cpuUsage();
const kernel = runSimulation(fleetOptions(kernelPhones, 1), { stack: toyStack });
const kernelCpuS = cpuSeconds(kernelCpu);
const kernelPerPhoneHourS = kernelCpuS / kernelPhones / hours;
console.log(`kernel (toy stack) phones: ${kernelPhones} × ${hours} h, ${kernel.simEvents} events`);
console.log(`kernel + toy cpu seconds per phone-hour: ${kernelPerPhoneHourS.toFixed(4)} s (baseline)`);

// 2. The real core, sharded: in this process, or as the CLI in a child (`--cli`).
const busyBefore = machineBusySeconds();
const fleet = viaCli ? runViaCli() : await runInProcess();
const { r, wallS, cpuS } = fleet;
const othersCpuS = othersCpuSeconds(busyBefore, cpuS);
if (r.invariantViolations > 0) throw new Error(`violations in the bench run: ${r.reproduce}`);
const perPhoneHourS = cpuS / phones / hours;
console.log(
  `core fleet phones: ${phones} × ${hours} h at 0.5 events/s, 60 s interval, 3G, ${workers} workers, at most ${threads} at once${youngMb === undefined ? "" : `, young ${youngMb} MB`}${v8Flags === undefined ? "" : `, v8 ${v8Flags}`}${viaCli ? ", via bin/mirrorcell.js" : ""}`,
);
console.log(`core user events: ${r.userEvents}`);
console.log(
  viaCli
    ? `core wall seconds: ${wallS.toFixed(1)} s (the CLI's wallSeconds; its process ran ${fleet.processWallS.toFixed(1)} s)`
    : `core wall seconds: ${wallS.toFixed(1)} s (measured)`,
);
console.log(`core cpu seconds: ${cpuS.toFixed(1)} s (${viaCli ? "the CLI's whole process" : "all threads"})`);
console.log(`core cpu per wall: ${(cpuS / wallS).toFixed(2)} cores busy`);
if (othersCpuS !== undefined) {
  console.log(
    `other processes' cpu seconds meanwhile: ${othersCpuS.toFixed(1)} s (this machine's load, not the run's)`,
  );
}
console.log(
  `core cpu seconds per phone-hour: ${perPhoneHourS.toFixed(4)} s (${(perPhoneHourS / kernelPerPhoneHourS).toFixed(1)}× kernel + toy)`,
);
console.log(`core user events per cpu second: ${Math.round(r.userEvents / cpuS)} events/s`);
if (phones * hours < targetPhones) {
  const scale = (targetPhones / phones) * (1 / hours);
  console.log(
    `projected 10k phones × 1 h: ${(wallS * scale).toFixed(0)} s wall, ${(cpuS * scale).toFixed(0)} cpu s (${((wallS * scale) / targetSeconds).toFixed(1)}× the ${targetSeconds} s target)`,
  );
} else {
  console.log(
    `10k-phone-hour target: ${wallS.toFixed(0)} s wall measured (${(wallS / targetSeconds).toFixed(1)}× the ${targetSeconds} s target)`,
  );
}
if (fleet.heapLine !== undefined) console.log(fleet.heapLine);
console.log(`uplink bytes per user event: ${r.uplinkBytesPerUserEvent.toFixed(2)} B`);
console.log(
  `uplink bytes per user event without photos: ${r.uplinkBytesPerUserEventWithoutPhotos.toFixed(2)} B`,
);
console.log(`lag p50/p99/max: ${r.lagMs.p50}/${r.lagMs.p99}/${r.lagMs.max} ms`);

interface FleetRun {
  r: SimulationReport;
  wallS: number;
  cpuS: number;
  /** The CLI's process from spawn to exit (start-up and report included). */
  processWallS: number;
  heapLine?: string;
}

async function runInProcess(): Promise<FleetRun> {
  // V8 flags are process-wide: set now, every shard worker's isolate starts with them.
  if (v8Flags !== undefined)
    for (const flag of v8Flags.split(/\s+/).filter(Boolean)) setFlagsFromString(flag);
  let rssPeakBytes = 0;
  let heapPeakBytes = 0;
  const shardHeaps: number[] = [];
  const cpu = process.cpuUsage();
  const wallStartMs = performance.now();
  const r = await runFleet(fleetOptions(phones, workers), {
    threadsMax: threads,
    ...(youngMb === undefined ? {} : { workerYoungMb: youngMb }),
    onProgress: () => {
      const m = process.memoryUsage();
      rssPeakBytes = Math.max(rssPeakBytes, m.rss);
      heapPeakBytes = Math.max(heapPeakBytes, m.heapUsed);
    },
    onShard: (_shard, result) => shardHeaps.push(result.heapPeakBytes ?? 0),
  });
  const wallS = (performance.now() - wallStartMs) / 1000;
  // A worker's heap holds its shard plus the isolate's fixed part (code, modules), which is
  // most of it for small shards: the in-process run (--workers 1) gives a per-phone figure.
  const heapBytes = workers === 1 ? heapPeakBytes : Math.max(...shardHeaps);
  const heapLine =
    workers === 1
      ? `heap peak: ${(heapBytes / 1e6).toFixed(0)} MB, ${(heapBytes / 1e3 / phones).toFixed(0)} KB per phone (phone + mirror + logs); rss peak ${(rssPeakBytes / 1e6).toFixed(0)} MB`
      : `heap peak: ${(heapBytes / 1e6).toFixed(0)} MB in the biggest of ${workers} shards (isolate included); rss peak ${(rssPeakBytes / 1e6).toFixed(0)} MB`;
  return { r, wallS, cpuS: cpuSeconds(cpu), processWallS: wallS, heapLine };
}

/** The README's command in a child: `mirrorcell simulate --phones N --hours H --seed 1 --json` (`--workers` only if given). */
function runViaCli(): FleetRun {
  const bin = fileURLToPath(new URL("../bin/mirrorcell.js", import.meta.url));
  const args = [
    bin,
    "simulate",
    "--phones",
    String(phones),
    "--hours",
    String(hours),
    "--seed",
    "1",
    "--json",
  ];
  if (process.argv.includes("--workers")) args.push("--workers", String(workers));
  const cpuBefore = childrenCpuSeconds();
  const wallStartMs = performance.now();
  const child = spawnSync(process.execPath, args, {
    encoding: "utf8",
    maxBuffer: 64 * 2 ** 20,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const processWallS = (performance.now() - wallStartMs) / 1000;
  if (child.status !== 0)
    throw new Error(`bin/mirrorcell.js simulate exited with ${child.status ?? child.signal}`);
  const r = JSON.parse(child.stdout) as SimulationReport;
  return { r, wallS: r.wallSeconds, cpuS: childrenCpuSeconds() - cpuBefore, processWallS };
}

/** CPU-s of this process's waited-for children (/proc/self/stat cutime + cstime); NaN off Linux. */
function childrenCpuSeconds(): number {
  try {
    const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[13]) + Number(fields[14])) / procTicksPerSecond;
  } catch {
    return Number.NaN;
  }
}

/** CPU-s every core has been busy since boot (/proc/stat); undefined off Linux. */
function machineBusySeconds(): number | undefined {
  try {
    const ticks = readFileSync("/proc/stat", "utf8")
      .split("\n", 1)[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    // user nice system idle iowait irq softirq steal
    const busy = [0, 1, 2, 5, 6, 7].reduce((sum, i) => sum + (ticks[i] ?? 0), 0);
    return busy / procTicksPerSecond;
  } catch {
    return undefined;
  }
}

/** What the machine was busy with beyond this run's own `runCpuS` since `before`. */
function othersCpuSeconds(before: number | undefined, runCpuS: number): number | undefined {
  const after = machineBusySeconds();
  if (before === undefined || after === undefined || Number.isNaN(runCpuS)) return undefined;
  return Math.max(0, after - before - runCpuS);
}

// 3. Optional: where the time goes, in-process with every call into the core timed.
if (breakdown) printBreakdown(Math.min(phones, 200));

/** Wraps every method of an object so its time is added to `bucket`. */
function timed<T extends object>(target: T, prefix: string, buckets: Map<string, number>): T {
  return new Proxy(target, {
    get(obj, key, receiver) {
      const value = Reflect.get(obj, key, receiver);
      if (typeof value !== "function") return value;
      const name = `${prefix}.${String(key)}`;
      return (...args: unknown[]) => {
        const t0 = performance.now();
        try {
          return value.apply(obj, args);
        } finally {
          buckets.set(name, (buckets.get(name) ?? 0) + performance.now() - t0);
        }
      };
    },
  });
}

function printBreakdown(fleet: number): void {
  const buckets = new Map<string, number>();
  const inner = coreStack();
  const stack: SimStackFactory = {
    createServer: (observer, options) => timed(inner.createServer(observer, options), "server", buckets),
    createPhone: (index, options) => timed(inner.createPhone(index, options), "phone", buckets),
  };
  const run = runSimulation(fleetOptions(fleet, 1), { stack });
  const totalMs = run.wallSeconds * 1000;
  let coreMs = 0;
  console.log(`breakdown (in-process, ${fleet} phones):`);
  for (const [name, ms] of [...buckets].sort((a, b) => b[1] - a[1])) {
    coreMs += ms;
    if (ms / totalMs >= 0.01) console.log(`time in ${name}: ${((100 * ms) / totalMs).toFixed(1)} % of wall`);
  }
  console.log(
    `time in kernel + checker (the rest): ${((100 * (totalMs - coreMs)) / totalMs).toFixed(1)} % of wall`,
  );
}
