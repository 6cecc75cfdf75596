import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { paperTable1 } from "./paper.ts";
import { bytesPerMb, rateKbpsMid, transferTime, transferTimeS } from "./transfer.ts";

test("transfer: Table 1 tested and advertised rates are the paper's", () => {
  assert.deepEqual(paperTable1.edge.up.tested, { minKbps: 140, maxKbps: 160 });
  assert.deepEqual(paperTable1.edge.down.tested, { minKbps: 170, maxKbps: 190 });
  assert.deepEqual(paperTable1.edge.up.advertised, { minKbps: 75, maxKbps: 135 });
  assert.deepEqual(paperTable1["3g"].up.advertised, { minKbps: 500, maxKbps: 1200 });
  assert.deepEqual(paperTable1["3g"].down.advertised, { minKbps: 700, maxKbps: 1700 });
  assert.equal(rateKbpsMid("3g", "up"), 708);
  assert.equal(rateKbpsMid("3g", "down"), 1259);
  assert.equal(rateKbpsMid("edge", "up"), 150);
  assert.equal(rateKbpsMid("edge", "down"), 180);
});

test("transfer: a 20 MB upload takes 1000–1143 s on tested EDGE and about 226 s on tested 3G", () => {
  const edge = transferTime(20 * bytesPerMb, "edge", "up");
  // 160e6 bits at 160 kbps and 140 kbps; tolerance 0.5 s.
  assert.ok(Math.abs(edge.timeSMin - 1000) < 0.5);
  assert.ok(Math.abs(edge.timeSMax - 1142.9) < 0.5);
  const g3 = transferTime(20 * bytesPerMb, "3g", "up");
  assert.ok(Math.abs(g3.timeSMid - 226) < 0.5, `3G upload ${g3.timeSMid} s`);
  assert.equal(g3.timeSMin, g3.timeSMax, "3G tested rate is a single value");
});

test("transfer: advertised EDGE is slower than tested EDGE for every size (Fig 11 draws tested)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 100 * bytesPerMb }),
      fc.constantFrom("up" as const, "down" as const),
      (size, dir) => {
        const tested = transferTime(size, "edge", dir, "tested");
        const advertised = transferTime(size, "edge", dir, "advertised");
        return advertised.timeSMid > tested.timeSMid && tested.timeSMin <= tested.timeSMid;
      },
    ),
  );
});

test("transfer: time is linear in size and inverse in rate", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 1, max: 100_000 }), (size, kbps) => {
      const t = transferTimeS(size, kbps);
      return (
        Math.abs(transferTimeS(2 * size, kbps) - 2 * t) <= 1e-9 * (t + 1) &&
        Math.abs(transferTimeS(size, 2 * kbps) - t / 2) <= 1e-9 * (t + 1)
      );
    }),
  );
});
