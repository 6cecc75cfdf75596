import assert from "node:assert/strict";
import { test } from "node:test";
import { calibrateBatteryModel } from "../../model/index.ts";
import { downloadSavings, uploadActionBytes, uploadSavings } from "./savings.ts";

const model = calibrateBatteryModel();
const mb20 = 20_000_000;

test("caching: savings: a 20 MB upload over EDGE costs the paper's ≥10 % battery without caching, far less with", () => {
  const s = uploadSavings(model, { sizeBytes: mb20, recipients: 1, network: "edge" });
  assert.ok(s.withoutCaching.batteryPct >= 9.9, `without ${s.withoutCaching.batteryPct}`);
  assert.ok(s.withCaching.batteryPct < s.withoutCaching.batteryPct / 100, `with ${s.withCaching.batteryPct}`);
  // 20 MB at 150 kbps tested EDGE uplink: 20e6*8/150e3 s.
  assert.ok(Math.abs(s.withoutCaching.radioTimeS - (mb20 * 8) / 150_000) < 1e-6);
  assert.equal(s.withCaching.radioBytes, s.actionBytes);
});

test("caching: savings: without caching the phone pays per recipient, with caching it does not", () => {
  const one = uploadSavings(model, { sizeBytes: 1_000_000, recipients: 1, network: "3g" });
  const five = uploadSavings(model, { sizeBytes: 1_000_000, recipients: 5, network: "3g" });
  assert.equal(five.withoutCaching.radioBytes, 5 * one.withoutCaching.radioBytes);
  assert.ok(five.withCaching.radioBytes < 300, `action bytes ${five.withCaching.radioBytes}`);
  assert.ok(uploadActionBytes(5) > uploadActionBytes(1));
});

test("caching: savings: a cached download moves the same bytes, faster on a better link, free while charging", () => {
  const s = downloadSavings(model, {
    sizeBytes: mb20,
    nowNetwork: "edge",
    laterNetwork: "3g",
    laterCharging: false,
  });
  assert.equal(s.withCaching.radioBytes, s.withoutCaching.radioBytes);
  assert.ok(s.withCaching.radioTimeS < s.withoutCaching.radioTimeS / 5);
  const charging = downloadSavings(model, {
    sizeBytes: mb20,
    nowNetwork: "edge",
    laterNetwork: "edge",
    laterCharging: true,
  });
  assert.equal(charging.withCaching.batteryPct, 0);
});
