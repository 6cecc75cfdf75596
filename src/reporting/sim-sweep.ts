// The simulator sweep (sync interval × event rate × network) behind an
// interface: the runtime loads `runSimulation` from src/sim when it exists and
// says plainly that the sweep is missing when it does not. Each run's uplink
// bytes per batch then go through the calibrated radio model for battery.
import { assert } from "../core/assert.ts";
import { limits } from "../core/limits.ts";
import { type BatteryModel, fitLine, type SyncTraffic, syncBatteryForBatchBytes } from "../model/index.ts";
import type { SweepMeasurement, SweepOutcome, SweepPoint } from "./report-types.ts";

/** The fields of src/sim's SimulationReport the sweep reads. */
export interface SimulationSummary {
  readonly phones: number;
  readonly simulatedSeconds: number;
  readonly userEvents: number;
  readonly batches: number;
  readonly uplinkBytes: number;
  readonly uplinkBytesPerUserEvent: number;
  readonly lagMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly invariantViolations: number;
  readonly reproduce: string;
}

export interface SweepPlan {
  readonly points: readonly SweepPoint[];
  readonly phones: number;
  readonly hours: number;
  readonly seed: number;
}

export type SimulationRunner = (
  point: SweepPoint,
  plan: SweepPlan,
  seed: number,
) => Promise<SimulationSummary>;

export function sweepPlan(quick: boolean, seed: number): SweepPlan {
  const intervalsS = quick ? [5, 30, 120] : [1, 5, 10, 20, 30, 60, 120, 300, 600];
  const rates = quick ? [0.5] : [0.5, 2];
  const points: SweepPoint[] = [];
  for (const network of ["3g", "edge"] as const) {
    for (const eventsPerSecond of rates) {
      for (const syncIntervalS of intervalsS) points.push({ network, syncIntervalS, eventsPerSecond });
    }
  }
  assert(points.length <= limits.reportSweepPointsMax, "sweep plan too large");
  // Small fleets: the sweep measures per-phone bytes, battery and lag, which
  // do not need many phones; the simulator's own bench covers fleet scale.
  return { points, phones: quick ? 2 : 4, hours: quick ? 0.1 : 0.5, seed };
}

const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** Checks a report from src/sim has what we read; returns why not otherwise. */
export function asSimulationSummary(value: unknown): SimulationSummary | string {
  if (typeof value !== "object" || value === null) return "runSimulation returned no object";
  const r = value as Record<string, unknown>;
  const fields = [
    "phones",
    "simulatedSeconds",
    "batches",
    "uplinkBytes",
    "uplinkBytesPerUserEvent",
    "invariantViolations",
  ];
  const missing = fields.filter((f) => !isNumber(r[f]));
  const lag = r.lagMs as Record<string, unknown> | undefined;
  if (lag === undefined || !isNumber(lag.p50) || !isNumber(lag.p99) || !isNumber(lag.max))
    missing.push("lagMs");
  if (missing.length > 0) return `simulation report lacks numeric ${missing.join(", ")}`;
  return {
    ...(r as unknown as SimulationSummary),
    reproduce: typeof r.reproduce === "string" ? r.reproduce : "",
  };
}

export function toMeasurement(
  model: BatteryModel,
  point: SweepPoint,
  seed: number,
  s: SimulationSummary,
): SweepMeasurement {
  assert(s.phones > 0 && s.simulatedSeconds > 0, "a simulation covers phones and time");
  const minutes = s.simulatedSeconds / 60;
  const bytesPerBatch = s.batches > 0 ? s.uplinkBytes / s.batches : 0;
  const battery = syncBatteryForBatchBytes(model, point.network, point.syncIntervalS, bytesPerBatch);
  return {
    point,
    seed,
    phones: s.phones,
    simulatedSeconds: s.simulatedSeconds,
    userEvents: s.userEvents,
    batches: s.batches,
    uplinkBytes: s.uplinkBytes,
    uplinkBytesPerUserEvent: s.uplinkBytesPerUserEvent,
    uplinkBytesPerPhonePerMin: s.uplinkBytes / s.phones / minutes,
    lagMsP50: s.lagMs.p50,
    lagMsP99: s.lagMs.p99,
    lagMsMax: s.lagMs.max,
    invariantViolations: s.invariantViolations,
    radioPctPerDay: battery.radioPctPerDay,
    reproduce: s.reproduce,
  };
}

export interface SweepClock {
  nowMs(): number;
}

export async function runSweep(
  plan: SweepPlan,
  runner: SimulationRunner,
  model: BatteryModel,
  clock: SweepClock,
): Promise<SweepOutcome> {
  const startMs = clock.nowMs();
  const measurements: SweepMeasurement[] = [];
  for (const [index, point] of plan.points.entries()) {
    const seed = plan.seed + index;
    const summary = await runner(point, plan, seed);
    measurements.push(toMeasurement(model, point, seed, summary));
  }
  assert(measurements.length === plan.points.length, "every sweep point must have a measurement");
  return { status: "ran", measurements, wallSeconds: (clock.nowMs() - startMs) / 1000 };
}

/**
 * The sync codec's real cost from the sweep: a least-squares line of uplink
 * bytes per batch against user events per batch gives the per-batch overhead
 * (intercept) and the bytes per event (slope). Undefined when the sweep has
 * fewer than two distinct batch sizes or the line is not physical.
 */
export function fitSyncTraffic(
  measurements: readonly SweepMeasurement[],
  fallback: SyncTraffic,
): SyncTraffic | undefined {
  const usable = measurements.filter((m) => m.batches > 0);
  const xs = usable.map((m) => m.userEvents / m.batches);
  if (new Set(xs.map((x) => x.toFixed(6))).size < 2) return undefined;
  const line = fitLine(
    xs,
    usable.map((m) => m.uplinkBytes / m.batches),
  );
  // A negative slope or intercept has no physical meaning: the runs were too
  // few or too noisy (rare large payloads) to separate the two costs.
  if (!(line.slope > 0 && line.intercept >= 0)) return undefined;
  const traffic = {
    uplinkBytesPerEvent: line.slope,
    uplinkBytesPerBatch: line.intercept,
    downlinkBytesPerBatch: fallback.downlinkBytesPerBatch,
  };
  assert(
    Number.isFinite(traffic.uplinkBytesPerEvent + traffic.uplinkBytesPerBatch),
    "traffic fit must be finite",
  );
  return traffic;
}

/** Recomputes each measurement's battery on another (re-calibrated) model. */
export function withModel(model: BatteryModel, outcome: SweepOutcome): SweepOutcome {
  if (outcome.status !== "ran") return outcome;
  const measurements = outcome.measurements.map((m) => ({
    ...m,
    radioPctPerDay: syncBatteryForBatchBytes(
      model,
      m.point.network,
      m.point.syncIntervalS,
      m.batches > 0 ? m.uplinkBytes / m.batches : 0,
    ).radioPctPerDay,
  }));
  return { ...outcome, measurements };
}
