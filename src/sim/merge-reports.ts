// Merges the reports of a sharded run into one (issue 4: use both cores):
// counts are summed, the lag histograms are added bucket by bucket (by the
// caller, as each shard's arrives) so p50 and p99 are those of the whole
// fleet (never an average of percentiles), and the run's identity (seed,
// phones, options, reproduce command) is the parent's.
import { assert } from "../core/assert.ts";
import type { LagHistogram } from "./lag-histogram.ts";
import type { SimulationOptions } from "./options.ts";
import type { SimulationReport } from "./report.ts";

const violationsKeptMax = 100;

type Counts = Record<string, number>;

/** Adds every numeric field of `add` into `into` (both flat records of counts). */
function addCounts<T extends object>(into: T, add: T): T {
  const out = { ...into } as Counts;
  for (const [key, value] of Object.entries(add)) {
    if (typeof value === "number") out[key] = (out[key] ?? 0) + value;
  }
  return out as T;
}

function perEvent(bytes: number, events: number): number {
  return events === 0 ? 0 : Math.round((bytes / events) * 1000) / 1000;
}

/** `lag` holds every shard's lag samples (merged as they arrived: a shard's histogram is not kept). */
export function mergeShardReports(
  reports: readonly SimulationReport[],
  lag: LagHistogram,
  run: { resolved: SimulationOptions; reproduce: string; wallSeconds: number },
): SimulationReport {
  assert(reports.length >= 1, "a run has at least one shard");
  assert(run.wallSeconds >= 0, "wall time is non-negative");
  let merged: SimulationReport | undefined;
  for (const report of reports) merged = merged === undefined ? { ...report } : addShard(merged, report);
  assert(merged !== undefined, "merged at least one shard");
  const { faultRates, ...shown } = run.resolved;
  return {
    ...merged,
    seed: run.resolved.seed,
    phones: run.resolved.phones,
    uplinkBytesPerUserEvent: perEvent(merged.uplinkBytes, merged.userEvents),
    uplinkBytesPerUserEventWithoutPhotos: perEvent(merged.uplinkBytes - merged.photoBytes, merged.userEvents),
    lagMs: { p50: lag.quantile(0.5), p99: lag.quantile(0.99), max: lag.max },
    options: run.resolved.faults.length > 0 ? { ...shown, faultRates } : shown,
    reproduce: run.reproduce,
    wallSeconds: Math.round(run.wallSeconds * 1000) / 1000,
    simEventsPerWallSecond: Math.round(merged.simEvents / Math.max(run.wallSeconds, 1e-6)),
  };
}

function addShard(a: SimulationReport, b: SimulationReport): SimulationReport {
  assert(a.simulatedSeconds === b.simulatedSeconds, "shards simulate the same horizon");
  return {
    ...addCounts(a, b),
    simulatedSeconds: a.simulatedSeconds,
    violations: [...a.violations, ...b.violations].slice(0, violationsKeptMax),
    converged: a.converged && b.converged,
    convergenceSeconds: Math.max(a.convergenceSeconds, b.convergenceSeconds),
    faults: { ...addCounts(a.faults, b.faults), enabled: a.faults.enabled },
    firstRejection: a.firstRejection !== "" ? a.firstRejection : b.firstRejection,
    options: a.options,
    reproduce: a.reproduce,
    lagMs: a.lagMs,
    ...(a.services === undefined || b.services === undefined
      ? {}
      : { services: addCounts(a.services, b.services) }),
  };
}
