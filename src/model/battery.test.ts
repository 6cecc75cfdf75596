import assert from "node:assert/strict";
import { test } from "node:test";
import {
  bulkTransferBattery,
  calibrateBatteryModel,
  singleExchangeBatteryPct,
  syncBattery,
} from "./battery.ts";
import { paperBattery } from "./paper.ts";
import { umtsQian2010 } from "./radio-profile.ts";
import { bytesPerMb } from "./transfer.ts";

const model = calibrateBatteryModel();
const periodic = { network: "3g" as const, syncIntervalS: 60, eventsPerSecond: 0.5 };

test("battery: standby drains 0.09 %/min (Fig 14, 15), tolerance 1e-9", () => {
  const drain = syncBattery(model, periodic);
  assert.ok(Math.abs(drain.standbyPctPerMin - paperBattery.standbyPctPerMin) < 1e-9);
});

test("battery: syncing every 60 s at 0.5 events/s drains 0.116835 %/min on 3G, tolerance 1e-9", () => {
  const drain = syncBattery(model, periodic);
  assert.ok(
    Math.abs(drain.totalPctPerMin - paperBattery.periodicSyncPctPerMin) < 1e-9,
    `${drain.totalPctPerMin}`,
  );
});

test("battery: the calibration holds for any sync encoding size, not only the default", () => {
  for (const uplinkBytesPerEvent of [2, 40, 400]) {
    const traffic = { uplinkBytesPerEvent, uplinkBytesPerBatch: 64, downlinkBytesPerBatch: 40 };
    const m = calibrateBatteryModel({ traffic });
    assert.ok(Math.abs(syncBattery(m, periodic).totalPctPerMin - paperBattery.periodicSyncPctPerMin) < 1e-9);
  }
});

test("battery: the fitted 3G radio power is below Qian et al.'s TyTn II but of the same order", () => {
  // A sanity bound on the single fitted parameter, not the fit itself.
  assert.ok(model.umtsPowerScale > 0.1 && model.umtsPowerScale < 2, `scale ${model.umtsPowerScale}`);
  assert.ok(model.radios["3g"].dchPowerMw < umtsQian2010.dchPowerMw);
});

test("battery: a 20 MB upload over EDGE costs at least 10 % (§1, Fig 15); over 3G the model predicts far less", () => {
  const size = paperBattery.bulkUploadFileMb * bytesPerMb;
  const edge = bulkTransferBattery(model, { network: "edge", direction: "up", sizeBytes: size });
  assert.ok(edge.batteryPct >= paperBattery.bulkUploadBatteryPctMin - 1e-9, `${edge.batteryPct}`);
  const g3 = bulkTransferBattery(model, { network: "3g", direction: "up", sizeBytes: size });
  assert.ok(g3.batteryPct < edge.batteryPct / 5, `3G ${g3.batteryPct} vs EDGE ${edge.batteryPct}`);
  const down = bulkTransferBattery(model, { network: "edge", direction: "down", sizeBytes: size });
  assert.ok(down.batteryPct < edge.batteryPct, "EDGE downlink is faster than uplink, so cheaper");
});

test("battery: syncing instead of uploading 20 MB saves almost all of the upload's cost (§5.1.2)", () => {
  const upload = bulkTransferBattery(model, { network: "edge", direction: "up", sizeBytes: 20 * bytesPerMb });
  const exchange = singleExchangeBatteryPct(model, "edge");
  assert.ok(exchange > 0 && exchange < upload.batteryPct / 100);
});

test("battery: beyond both tails, a longer interval always drains less", () => {
  const tailsS = 2 + 5 + 12;
  let previous = Number.POSITIVE_INFINITY;
  for (const syncIntervalS of [tailsS + 1, 30, 60, 120, 300, 900, 3600]) {
    const drain = syncBattery(model, { network: "3g", syncIntervalS, eventsPerSecond: 0.5 }).radioPctPerDay;
    assert.ok(drain < previous, `${syncIntervalS} s: ${drain} %/day`);
    previous = drain;
  }
});

test("battery: an interval shorter than the DCH tail keeps the radio always on", () => {
  const drain = syncBattery(model, { network: "3g", syncIntervalS: 2, eventsPerSecond: 0.5 });
  assert.equal(drain.radioActiveShare, 1);
  const expectedPctPerMin = (100 * (model.radios["3g"].dchPowerMw / 1000) * 60) / model.capacityJ;
  assert.ok(Math.abs(drain.radioPctPerMin - expectedPctPerMin) / expectedPctPerMin < 0.01);
});
