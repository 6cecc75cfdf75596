import assert from "node:assert/strict";
import { test } from "node:test";
import { calibrateBatteryModel, syncBattery } from "./battery.ts";
import { candidateIntervalsS, chooseSyncInterval, worstLagS } from "./interval.ts";

const model = calibrateBatteryModel();

test("interval: --max-lag picks the longest interval whose worst lag fits", () => {
  const goal = { network: "3g" as const, eventsPerSecond: 0.5, maxLagS: 30 };
  const r = chooseSyncInterval(model, goal);
  assert.ok(r.ok);
  assert.ok(r.value.lagSMax <= 30);
  const next = candidateIntervalsS().find((s) => s > r.value.syncIntervalS)!;
  assert.ok(worstLagS(model, goal, next) > 30, "the next longer interval must break the lag target");
  assert.equal(r.value.decidedBy, "lag");
});

test("interval: --battery-budget picks the shortest interval whose sync drain fits", () => {
  const goal = { network: "3g" as const, eventsPerSecond: 0.5, batteryBudgetPctPerDay: 10 };
  const r = chooseSyncInterval(model, goal);
  assert.ok(r.ok);
  assert.ok(r.value.battery.radioPctPerDay <= 10);
  const shorter = candidateIntervalsS().filter((s) => s < r.value.syncIntervalS);
  for (const s of shorter.slice(-50)) {
    assert.ok(
      syncBattery(model, { network: "3g", eventsPerSecond: 0.5, syncIntervalS: s }).radioPctPerDay > 10,
    );
  }
});

test("interval: lag and budget together, and an impossible budget is a usage error", () => {
  const both = chooseSyncInterval(model, {
    network: "3g",
    eventsPerSecond: 0.5,
    maxLagS: 600,
    batteryBudgetPctPerDay: 10,
  });
  assert.ok(both.ok && both.value.lagSMax <= 600 && both.value.battery.radioPctPerDay <= 10);
  const impossible = chooseSyncInterval(model, {
    network: "3g",
    eventsPerSecond: 0.5,
    maxLagS: 20,
    batteryBudgetPctPerDay: 1,
  });
  assert.ok(!impossible.ok);
  assert.equal(impossible.error.code, "E_USAGE");
  const none = chooseSyncInterval(model, { network: "3g", eventsPerSecond: 0.5 });
  assert.ok(!none.ok && none.error.code === "E_USAGE");
  const tooTight = chooseSyncInterval(model, { network: "3g", eventsPerSecond: 0.5, maxLagS: 0.05 });
  assert.ok(!tooTight.ok && /least possible/.test(tooTight.error.message));
});
