// Options of one simulation run, their defaults and validation, and swarm
// mode (TigerBeetle's VOPR): with --swarm the seed also draws the fault set,
// fault rates, network and sync interval, so many seeds explore many
// configurations. `reproduceCommand` prints the exact command to rerun.
import { assert } from "../core/assert.ts";
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { Rng } from "../core/ports.ts";
import { SeededRng } from "../core/rng.ts";
import type { NetworkKind, RateSource } from "./network-profiles.ts";

export const servicesModes = ["none", "caching", "antivirus", "all"] as const;
export type ServicesMode = (typeof servicesModes)[number];

export const faultKinds = ["loss", "dup", "reorder", "partition", "crash", "poweroff"] as const;
export type FaultKind = (typeof faultKinds)[number];

/** Test-only bugs injected on purpose to show the checker is not vacuous. */
export const injectedBugs = ["drop-replayed-input", "reorder-network-input", "corrupt-mirror-file"] as const;
export type InjectedBug = (typeof injectedBugs)[number];

export interface FaultRates {
  lossProbability: number;
  duplicateProbability: number;
  reorderProbability: number;
  reorderDelayMsMax: number;
  /** Mean time between partitions of one phone's link. */
  partitionIntervalMsMean: number;
  partitionDurationMsMax: number;
  /** Mean time between server crashes. */
  crashIntervalMsMean: number;
  restartDelayMsMax: number;
  /** Mean time between power-offs of one phone. */
  powerOffIntervalMsMean: number;
  powerOffDurationMsMax: number;
}

export interface SimulationOptions {
  seed: number;
  phones: number;
  hours: number;
  network: NetworkKind;
  rates: RateSource;
  syncIntervalMs: number;
  eventsPerSec: number;
  latencyMsMax: number;
  faults: readonly FaultKind[];
  swarm: boolean;
  faultRates: FaultRates;
  /** Scales network payload sizes (fleet runs keep them small). */
  payloadScale: number;
  bug?: InjectedBug;
  /** Services on the mirror server and their workload; absent or "none": the run is as without them. */
  services?: ServicesMode;
  /**
   * Shards, each an independent fleet with its own mirror server on its own
   * worker thread (1 or absent: one fleet, in-process). Part of the run's
   * identity: the seed and the shard count together fix every shard's seed.
   */
  workers?: number;
  /**
   * Whether a mirror takes the storage steps its phone already made from the
   * same state instead of computing them again (platform/storage-steps.ts;
   * absent: true). The report is the same either way; false is for checking that.
   */
  sharedSteps?: boolean;
}

export const simulationBounds = {
  phonesMax: 100_000,
  hoursMax: 24 * 7,
  eventsPerSecMax: 100,
  eventsQueuedMax: 50_000_000,
  /** The convergence phase ends within this many sync intervals plus the slack, or the run fails. */
  convergenceIntervalsMax: 20,
  convergenceSlackMs: 10 * 60_000,
  /** At most one shard per phone. */
  workersMax: 100_000,
  /**
   * A smaller fleet runs in-process as one shard: starting a worker thread
   * (tsx, module loading, compiling) costs ≈ 1.5 CPU-s, more than small
   * shards save on a short or small run.
   */
  shardedPhonesMin: 250,
  /**
   * Default shard size ceiling: a shard's cost per event grows with its heap
   * (caches and TLBs miss more, GC walks more), so a big fleet runs as many
   * small shards, one per core at a time on long-lived threads (sharded.ts).
   * Measured, 10,000 phones × 1 h on 2 threads, wall s by phones per shard:
   * 250 → 128, 125 → 125, 31 → 105, 10 → 91, 4 → 89, 1 → 137
   * (docs/benchmarks.md "Shard size (session 8)"). A shard's progress
   * messages were most of the small shards' extra cost; with ~100 per run
   * (shard-progress.ts) 4 phones per shard took 0.90–0.92 of 10's CPU-s
   * and 2 the same as 4 (2,000 × 1 h pairs, "Small shards (session 8)").
   */
  phonesPerWorkerMax: 4,
} as const;

export const defaultFaultRates: FaultRates = {
  lossProbability: 0.02,
  duplicateProbability: 0.02,
  reorderProbability: 0.02,
  reorderDelayMsMax: 2_000,
  partitionIntervalMsMean: 20 * 60_000,
  partitionDurationMsMax: 3 * 60_000,
  crashIntervalMsMean: 15 * 60_000,
  restartDelayMsMax: 10_000,
  powerOffIntervalMsMean: 30 * 60_000,
  powerOffDurationMsMax: 5 * 60_000,
};

export const defaultOptions: SimulationOptions = {
  seed: 0,
  phones: 100,
  hours: 1,
  network: "3g",
  rates: "tested",
  syncIntervalMs: limits.syncIntervalMsDefault,
  eventsPerSec: 0.5,
  latencyMsMax: limits.latencyMsMaxDefault,
  faults: [],
  swarm: false,
  faultRates: defaultFaultRates,
  payloadScale: 0.01,
};

/** Parses `none`, `all` or a comma list such as `loss,dup,crash`. */
export function parseFaults(text: string): Result<FaultKind[]> {
  const trimmed = text.trim();
  if (trimmed === "none" || trimmed === "") return ok([]);
  if (trimmed === "all") return ok([...faultKinds]);
  const out: FaultKind[] = [];
  for (const part of trimmed.split(",")) {
    const name = part.trim();
    if (!(faultKinds as readonly string[]).includes(name)) {
      return fail(
        ErrorCodes.USAGE,
        `Cannot parse --faults: unknown fault "${name}" (known: ${faultKinds.join(", ")})`,
      );
    }
    if (!out.includes(name as FaultKind)) out.push(name as FaultKind);
  }
  return ok(out);
}

export function validateOptions(o: SimulationOptions): Result<SimulationOptions> {
  const bad = (message: string): Result<SimulationOptions> => fail(ErrorCodes.USAGE, message);
  if (!Number.isSafeInteger(o.seed) || o.seed < 0)
    return bad(`--seed must be a non-negative integer, got ${o.seed}`);
  if (!Number.isSafeInteger(o.phones) || o.phones < 1 || o.phones > simulationBounds.phonesMax) {
    return bad(`--phones must be an integer in [1, ${simulationBounds.phonesMax}], got ${o.phones}`);
  }
  if (!(o.hours > 0 && o.hours <= simulationBounds.hoursMax)) {
    return bad(`--hours must be in (0, ${simulationBounds.hoursMax}], got ${o.hours}`);
  }
  if (
    !Number.isSafeInteger(o.syncIntervalMs) ||
    o.syncIntervalMs < limits.syncIntervalMsMin ||
    o.syncIntervalMs > limits.syncIntervalMsMax
  ) {
    return bad(
      `--sync-interval must be between ${limits.syncIntervalMsMin / 1000} and ${limits.syncIntervalMsMax / 1000} s, got ${o.syncIntervalMs / 1000}`,
    );
  }
  if (!(o.eventsPerSec > 0 && o.eventsPerSec <= simulationBounds.eventsPerSecMax)) {
    return bad(`--events-per-sec must be in (0, ${simulationBounds.eventsPerSecMax}], got ${o.eventsPerSec}`);
  }
  if (o.network !== "3g" && o.network !== "edge")
    return bad(`--network must be 3g or edge, got ${o.network}`);
  if (o.rates !== "tested" && o.rates !== "advertised") return bad(`--rates must be tested or advertised`);
  if (!Number.isSafeInteger(o.latencyMsMax) || o.latencyMsMax < 1 || o.latencyMsMax > 10_000) {
    return bad(`latency bound must be in [1, 10000] ms, got ${o.latencyMsMax}`);
  }
  if (!(o.payloadScale > 0 && o.payloadScale <= 1)) return bad(`payload scale must be in (0, 1]`);
  if (o.services !== undefined && !servicesModes.includes(o.services)) {
    return bad(`--services must be one of ${servicesModes.join(", ")}, got ${o.services}`);
  }
  const workers = o.workers ?? 1;
  if (
    !Number.isSafeInteger(workers) ||
    workers < 1 ||
    workers > Math.min(o.phones, simulationBounds.workersMax)
  ) {
    return bad(
      `--workers must be an integer in [1, ${Math.min(o.phones, simulationBounds.workersMax)}] (at most one per phone), got ${workers}`,
    );
  }
  return ok(o);
}

/**
 * The default shard count: one in-process shard below shardedPhonesMin
 * phones, else enough shards that none exceeds phonesPerWorkerMax, and at
 * least one per core.
 */
export function defaultWorkers(phones: number, cores: number): number {
  assert(Number.isSafeInteger(phones) && phones >= 1, "phones must be positive");
  assert(Number.isSafeInteger(cores) && cores >= 1, "cores must be positive");
  if (phones < simulationBounds.shardedPhonesMin) return 1;
  const byCeiling = Math.ceil(phones / simulationBounds.phonesPerWorkerMax);
  return Math.min(Math.max(cores, byCeiling), phones, simulationBounds.workersMax);
}

/**
 * Swarm testing: the seed decides which faults are on, how often they fire,
 * the network and the sync interval. Fault intervals scale with the horizon,
 * so even a five-minute run sees crashes and partitions.
 */
export function swarmOptions(base: SimulationOptions): SimulationOptions {
  assert(base.swarm, "swarm options need --swarm");
  const rng: Rng = new SeededRng(base.seed).fork("swarm");
  const horizonMs = base.hours * 3_600_000;
  const faults = base.faults.filter(() => rng.float() < 0.75);
  const pick = <T>(values: readonly T[]): T => values[rng.int(0, values.length - 1)]!;
  const syncIntervalMs = pick([1_000, 5_000, 10_000, 30_000, 60_000]);
  const faultRates: FaultRates = {
    lossProbability: pick([0.001, 0.01, 0.05, 0.2]),
    duplicateProbability: pick([0.001, 0.01, 0.05, 0.2]),
    reorderProbability: pick([0.001, 0.01, 0.05, 0.2]),
    reorderDelayMsMax: pick([100, 1_000, 10_000]),
    partitionIntervalMsMean: Math.max(1_000, Math.round(horizonMs / rng.int(1, 8))),
    partitionDurationMsMax: pick([1_000, 10_000, 60_000]),
    crashIntervalMsMean: Math.max(1_000, Math.round(horizonMs / rng.int(1, 6))),
    restartDelayMsMax: pick([100, 1_000, 10_000]),
    powerOffIntervalMsMean: Math.max(1_000, Math.round(horizonMs / rng.int(1, 6))),
    powerOffDurationMsMax: pick([1_000, 10_000, 60_000]),
  };
  return {
    ...base,
    faults,
    faultRates,
    network: pick(["3g", "edge"] as const),
    rates: pick(["tested", "advertised"] as const),
    syncIntervalMs,
    eventsPerSec: pick([0.1, 0.5, 1, 2]),
  };
}

/** The command that reruns exactly this run (swarm re-derives from the seed). */
export function reproduceCommand(o: SimulationOptions): string {
  const parts = [
    "npx mirrorcell simulate",
    `--seed ${o.seed}`,
    `--phones ${o.phones}`,
    `--hours ${o.hours}`,
    `--faults ${o.faults.length === 0 ? "none" : o.faults.join(",")}`,
    `--workers ${o.workers ?? 1}`,
  ];
  if (o.swarm) parts.push("--swarm");
  else {
    parts.push(`--network ${o.network}`, `--rates ${o.rates}`);
    parts.push(`--sync-interval ${o.syncIntervalMs / 1000}`, `--events-per-sec ${o.eventsPerSec}`);
  }
  if (o.payloadScale !== defaultOptions.payloadScale) parts.push(`--payload-scale ${o.payloadScale}`);
  if (o.bug !== undefined) parts.push(`--inject-bug ${o.bug}`);
  if (o.services !== undefined && o.services !== "none") parts.push(`--services ${o.services}`);
  if (o.sharedSteps === false) parts.push("--no-shared-steps");
  return parts.join(" ");
}
