import assert from "node:assert/strict";
import { test } from "node:test";
import { paperTable2 } from "./paper.ts";
import { fitLine, fitScanModel, scanCost } from "./scan.ts";

test("scan: the Table 2 fit reproduces phone time within 5 % and battery within 0.6 points", () => {
  const model = fitScanModel();
  for (const row of paperTable2) {
    const cost = scanCost(model, row.folderMb);
    const timeErr = Math.abs(cost.phoneTimeS - row.phoneTimeS) / row.phoneTimeS;
    assert.ok(timeErr < 0.05, `${row.folderMb} MB: ${cost.phoneTimeS} s vs ${row.phoneTimeS} s`);
    // The paper reports whole percent, so ±0.5 is its own rounding.
    assert.ok(Math.abs(cost.phoneBatteryPct - row.phoneBatteryPct) < 0.6, `${row.folderMb} MB battery`);
    assert.ok(Math.abs(cost.pcTimeS - row.pcTimeS) / row.pcTimeS < 0.1, `${row.folderMb} MB on PC`);
  }
});

test("scan: 200 MB on the phone takes more than 39 minutes and about 10 % battery (§5.2)", () => {
  const cost = scanCost(fitScanModel(), 200);
  assert.ok(cost.phoneTimeS > 39 * 60 - 60);
  assert.ok(Math.abs(cost.phoneBatteryPct - 10) < 0.5);
});

test("scan: a least-squares line through exact points is exact", () => {
  const line = fitLine([1, 2, 3], [5, 7, 9]);
  assert.ok(Math.abs(line.slope - 2) < 1e-12 && Math.abs(line.intercept - 3) < 1e-12);
});
