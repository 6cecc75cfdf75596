// The simulator sweep: its plumbing (plan, summary checks, battery from
// measured batch sizes) and a real run against src/sim when it is there; when
// it is not, the report must say the sweep is missing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { calibrateBatteryModel, syncBatteryForBatchBytes } from "../src/model/index.ts";
import {
  asSimulationSummary,
  fitSyncTraffic,
  loadSimulator,
  runSweep,
  sweepPlan,
  toMeasurement,
  withModel,
} from "../src/reporting/index.ts";

const model = calibrateBatteryModel();

test("sweep: the plan covers sync interval × event rate × network within bounds", () => {
  const full = sweepPlan(false, 7);
  const networks = new Set(full.points.map((p) => p.network));
  const rates = new Set(full.points.map((p) => p.eventsPerSecond));
  const intervals = new Set(full.points.map((p) => p.syncIntervalS));
  assert.deepEqual([...networks].sort(), ["3g", "edge"]);
  assert.equal(full.points.length, networks.size * rates.size * intervals.size);
  assert.ok(sweepPlan(true, 7).points.length < full.points.length);
});

test("sweep: a simulation report without the fields we read is refused with the names", () => {
  assert.match(String(asSimulationSummary({ phones: 1 })), /simulatedSeconds.*lagMs/);
  assert.equal(typeof asSimulationSummary(null), "string");
});

test("sweep: a measurement's battery is the radio model applied to the measured bytes per batch", () => {
  const point = { network: "3g" as const, syncIntervalS: 60, eventsPerSecond: 0.5 };
  const summary = {
    phones: 10,
    simulatedSeconds: 3600,
    userEvents: 18_000,
    batches: 600,
    uplinkBytes: 600 * 300,
    uplinkBytesPerUserEvent: 10,
    lagMs: { p50: 30_000, p99: 59_000, max: 60_100 },
    invariantViolations: 0,
    reproduce: "x",
  };
  const m = toMeasurement(model, point, 3, summary);
  assert.equal(m.uplinkBytesPerPhonePerMin, (600 * 300) / 10 / 60);
  assert.equal(m.radioPctPerDay, syncBatteryForBatchBytes(model, "3g", 60, 300).radioPctPerDay);
});

test("sweep: the codec fit recovers per-batch overhead and bytes per event from runs", () => {
  const run = (events: number, batches: number) =>
    toMeasurement(model, { network: "3g", syncIntervalS: 60, eventsPerSecond: 0.5 }, 1, {
      phones: 1,
      simulatedSeconds: 3600,
      userEvents: events,
      batches,
      uplinkBytes: batches * 150 + events * 40,
      uplinkBytesPerUserEvent: 0,
      lagMs: { p50: 0, p99: 0, max: 0 },
      invariantViolations: 0,
      reproduce: "",
    });
  const traffic = fitSyncTraffic([run(1800, 60), run(1800, 720), run(7200, 60)], model.traffic);
  assert.ok(traffic);
  assert.ok(
    Math.abs(traffic.uplinkBytesPerBatch - 150) < 1e-6 && Math.abs(traffic.uplinkBytesPerEvent - 40) < 1e-6,
  );
  assert.equal(fitSyncTraffic([run(1800, 60)], model.traffic), undefined, "one batch size cannot fit a line");
  const refitted = calibrateBatteryModel({ traffic });
  const sweep = withModel(refitted, { status: "ran", measurements: [run(1800, 60)], wallSeconds: 1 });
  assert.ok(sweep.status === "ran" && sweep.measurements[0]!.radioPctPerDay > 0);
});

test("sweep: against src/sim, runs give real uplink and lag, or the sweep is reported missing", {
  timeout: 120_000,
}, async () => {
  const loaded = await loadSimulator();
  if (!loaded.ok) {
    assert.match(loaded.reason, /runSimulation|sim/);
    return;
  }
  const plan = {
    ...sweepPlan(true, 11),
    points: [
      { network: "3g" as const, syncIntervalS: 5, eventsPerSecond: 0.5 },
      { network: "3g" as const, syncIntervalS: 60, eventsPerSecond: 0.5 },
    ],
    phones: 2,
    hours: 0.05,
  };
  let outcome: Awaited<ReturnType<typeof runSweep>>;
  try {
    outcome = await runSweep(plan, loaded.runner, model, { nowMs: () => performance.now() });
  } catch (error) {
    // The report turns this into "missing"; here it must at least be the simulator's own error.
    assert.ok(error instanceof Error);
    console.log(`sweep test: simulator present but failing: ${error.message.split("\n")[0]}`);
    return;
  }
  assert.equal(outcome.status, "ran");
  if (outcome.status !== "ran") return;
  const [fast, slow] = outcome.measurements;
  assert.ok(fast && slow);
  assert.ok(fast.uplinkBytes > 0 && slow.uplinkBytes > 0, "runs must put bytes on the uplink");
  assert.ok(fast.batches > slow.batches, "a shorter interval sends more batches");
  assert.ok(slow.lagMsP50 > fast.lagMsP50, "a longer interval lags more");
  assert.equal(fast.invariantViolations + slow.invariantViolations, 0);
});
