// Choosing t_syn_int (paper §3.3.2 leaves it to the user): the longest
// interval that keeps the mirror's lag under a target, or the shortest whose
// sync drain fits a daily battery budget, or the shortest that does both.
// Worst-case lag is one full interval of waiting, the radio's promotion from
// IDLE, the batch's uplink time, t_max and the server's processing time.
import { assert } from "../core/assert.ts";
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import { type BatteryModel, type SyncBattery, syncBattery } from "./battery.ts";
import { type NetworkKind, paperLatencyMsMax } from "./paper.ts";

export interface IntervalGoal {
  readonly network: NetworkKind;
  readonly eventsPerSecond: number;
  readonly maxLagS?: number;
  readonly batteryBudgetPctPerDay?: number;
  readonly processingMs?: number;
}

export interface IntervalChoice {
  readonly syncIntervalS: number;
  readonly lagSMax: number;
  readonly battery: SyncBattery;
  /** The goal that decided: the other one, if given, had slack. */
  readonly decidedBy: "lag" | "battery";
  readonly candidates: number;
}

/** Candidate intervals: 0.1 s steps to 10 s, then 1 s steps to the maximum. */
export function candidateIntervalsS(): number[] {
  const out: number[] = [];
  const minS = limits.syncIntervalMsMin / 1000;
  const maxS = limits.syncIntervalMsMax / 1000;
  for (let tenths = Math.round(minS * 10); tenths < 100; tenths++) out.push(tenths / 10);
  for (let s = 10; s <= maxS; s++) out.push(s);
  assert(out.length <= limits.modelIntervalCandidatesMax, "too many interval candidates");
  assert(
    out.every((s, i) => i === 0 || s > out[i - 1]!),
    "candidates must increase",
  );
  return out;
}

export function worstLagS(model: BatteryModel, goal: IntervalGoal, syncIntervalS: number): number {
  const radio = model.radios[goal.network];
  const uplinkBytes =
    model.traffic.uplinkBytesPerBatch +
    model.traffic.uplinkBytesPerEvent * goal.eventsPerSecond * syncIntervalS;
  const uplinkS = (uplinkBytes * 8) / (radio.dchUplinkKbps * 1000);
  const promotionS =
    syncIntervalS * 1000 > radio.dchTailMs + radio.fachTailMs ? radio.promotionIdleToDchMs / 1000 : 0;
  return syncIntervalS + promotionS + uplinkS + (paperLatencyMsMax + (goal.processingMs ?? 0)) / 1000;
}

function validateGoal(goal: IntervalGoal): Result<IntervalGoal> {
  if (goal.maxLagS === undefined && goal.batteryBudgetPctPerDay === undefined) {
    return fail(ErrorCodes.USAGE, "Cannot choose an interval: give --max-lag, --battery-budget or both");
  }
  if (goal.maxLagS !== undefined && !(goal.maxLagS > 0)) {
    return fail(ErrorCodes.USAGE, `Cannot choose an interval: max lag ${goal.maxLagS} s is not positive`);
  }
  if (goal.batteryBudgetPctPerDay !== undefined && !(goal.batteryBudgetPctPerDay > 0)) {
    return fail(
      ErrorCodes.USAGE,
      `Cannot choose an interval: budget ${goal.batteryBudgetPctPerDay} %/day is not positive`,
    );
  }
  if (!(goal.eventsPerSecond >= 0))
    return fail(ErrorCodes.USAGE, "Cannot choose an interval: negative event rate");
  return ok(goal);
}

export function chooseSyncInterval(model: BatteryModel, goal: IntervalGoal): Result<IntervalChoice> {
  const valid = validateGoal(goal);
  if (!valid.ok) return valid;
  const candidates = candidateIntervalsS();
  const fits = (s: number) => goal.maxLagS === undefined || worstLagS(model, goal, s) <= goal.maxLagS;
  const withinLag = candidates.filter(fits);
  if (withinLag.length === 0) {
    const best = worstLagS(model, goal, candidates[0]!);
    return fail(
      ErrorCodes.USAGE,
      `No interval meets a lag of ${goal.maxLagS} s: the least possible is ${best.toFixed(2)} s`,
    );
  }
  const budget = goal.batteryBudgetPctPerDay;
  const drain = (s: number) =>
    syncBattery(model, { network: goal.network, eventsPerSecond: goal.eventsPerSecond, syncIntervalS: s });
  let chosenS: number | undefined;
  if (budget === undefined) chosenS = withinLag[withinLag.length - 1];
  else chosenS = withinLag.find((s) => drain(s).radioPctPerDay <= budget);
  if (chosenS === undefined) {
    const longest = withinLag[withinLag.length - 1]!;
    const least = drain(longest).radioPctPerDay;
    return fail(
      ErrorCodes.USAGE,
      `No interval meets ${budget} %/day${goal.maxLagS === undefined ? "" : ` within a lag of ${goal.maxLagS} s`}: the least drain is ${least.toFixed(2)} %/day at ${longest} s`,
    );
  }
  const battery = drain(chosenS);
  assert(budget === undefined || battery.radioPctPerDay <= budget, "chosen interval exceeds the budget");
  return ok({
    syncIntervalS: chosenS,
    lagSMax: worstLagS(model, goal, chosenS),
    battery,
    decidedBy: budget === undefined ? "lag" : "battery",
    candidates: candidates.length,
  });
}
