// Simulator throughput (issue 4 "Numbers"): the target is 10,000 phones × 1
// simulated hour at 0.5 events/s in ≤ 60 s on a 2-core machine. Runs the
// kernel alone (toy stack) as the baseline, then the fleet on the real core
// with every call into it timed, so the report says where the time goes.
// `node --import tsx bench/simulator.ts [--phones N] [--hours H] [--kernel-phones N]`
import { performance } from "node:perf_hooks";
import { coreStack } from "../src/sim/core-stack.ts";
import { defaultOptions, runSimulation, type SimStackFactory } from "../src/sim/index.ts";
import { toyStack } from "../src/sim/testing/toy-stack.ts";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const phones = arg("phones", 100);
const hours = arg("hours", 1);
const kernelPhones = arg("kernel-phones", 1000);
const targetPhones = 10_000;
const targetSeconds = 60;

/** Wraps every method of an object so its self time is added to `bucket`. */
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

function timedStack(inner: SimStackFactory, buckets: Map<string, number>): SimStackFactory {
  return {
    createServer: (observer, options) => timed(inner.createServer(observer, options), "server", buckets),
    createPhone: (index, options) => timed(inner.createPhone(index, options), "phone", buckets),
  };
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
}

function run(stack: SimStackFactory, fleet: number) {
  const options = {
    ...defaultOptions,
    seed: 1,
    phones: fleet,
    hours,
    eventsPerSec: 0.5,
    syncIntervalMs: 60_000,
  };
  const cpu = process.cpuUsage();
  let heapPeakBytes = 0;
  const sample = () => {
    heapPeakBytes = Math.max(heapPeakBytes, process.memoryUsage().heapUsed);
  };
  const report = runSimulation(options, { stack, onProgress: sample });
  const cpuS = cpuSeconds(cpu);
  if (report.invariantViolations > 0) throw new Error(`violations in the bench run: ${report.reproduce}`);
  return { report, cpuS, heapPeakMb: heapPeakBytes / 1e6 };
}

const buckets = new Map<string, number>();
const core = run(timedStack(coreStack(), buckets), phones);
const r = core.report;
const toyBuckets = new Map<string, number>();
const kernel = run(timedStack(toyStack, toyBuckets), kernelPhones);
const kernelRate = kernel.report.simEvents / kernel.cpuS;
const toyShare = [...toyBuckets.values()].reduce((a, b) => a + b, 0) / (kernel.report.wallSeconds * 1000);
console.log(`kernel (toy stack) phones: ${kernelPhones} × ${hours} h, ${kernel.report.simEvents} events`);
console.log(`kernel + toy sim events per cpu second: ${Math.round(kernelRate)} events/s (baseline)`);
console.log(
  `kernel + checker alone: ${Math.round(kernelRate / Math.max(0.01, 1 - toyShare))} events/s (toy stack took ${(100 * toyShare).toFixed(1)} % of wall)`,
);
console.log(`kernel + toy cpu seconds per phone-hour: ${(kernel.cpuS / kernelPhones / hours).toFixed(4)} s`);

const coreRate = r.simEvents / core.cpuS;
const perPhoneHourS = core.cpuS / phones / hours;
const projectedS = perPhoneHourS * targetPhones;
console.log(`core fleet phones: ${phones} × ${hours} h at 0.5 events/s, 60 s interval, 3G`);
console.log(`core wall seconds: ${r.wallSeconds.toFixed(2)} s`);
console.log(`core cpu seconds: ${core.cpuS.toFixed(2)} s`);
console.log(
  `core sim events per cpu second: ${Math.round(coreRate)} events/s (${(coreRate / kernelRate).toFixed(3)}× kernel)`,
);
console.log(`core user events per cpu second: ${Math.round(r.userEvents / core.cpuS)} events/s`);
console.log(`core cpu seconds per phone-hour: ${perPhoneHourS.toFixed(4)} s`);
console.log(
  `projected 10k phones × 1 h: ${projectedS.toFixed(0)} cpu s (${(projectedS / targetSeconds).toFixed(1)}× the ${targetSeconds} s target)`,
);
console.log(
  `heap peak: ${core.heapPeakMb.toFixed(0)} MB, ${((core.heapPeakMb * 1e3) / phones).toFixed(0)} KB per phone (phone + mirror + logs)`,
);
console.log(`uplink bytes per user event: ${r.uplinkBytesPerUserEvent.toFixed(2)} B`);
console.log(
  `uplink bytes per user event without photos: ${r.uplinkBytesPerUserEventWithoutPhotos.toFixed(2)} B`,
);
console.log(`lag p50/p99/max: ${r.lagMs.p50}/${r.lagMs.p99}/${r.lagMs.max} ms`);
// Call timers read the wall clock, so shares are of the run's wall time.
const totalMs = r.wallSeconds * 1000;
const sorted = [...buckets].sort((a, b) => b[1] - a[1]);
let coreMs = 0;
for (const [name, ms] of sorted) {
  coreMs += ms;
  if (ms / totalMs >= 0.01) console.log(`time in ${name}: ${((100 * ms) / totalMs).toFixed(1)} % of wall`);
}
console.log(
  `time in kernel + checker (the rest): ${((100 * (totalMs - coreMs)) / totalMs).toFixed(1)} % of wall`,
);
