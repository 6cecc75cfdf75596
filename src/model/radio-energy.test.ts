import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { periodicTransmissions, radioEnergy } from "./radio-energy.ts";
import { edgeReference, umtsQian2010 } from "./radio-profile.ts";

const p = umtsQian2010;
const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test("radio: one small packet from IDLE pays promotion, DCH tail and FACH tail (Qian et al.)", () => {
  const e = radioEnergy(p, [{ atMs: 0, uplinkBytes: 0, downlinkBytes: 0 }], "until-idle");
  // 2 s × 550 mW + 5 s × 800 mW + 12 s × 460 mW
  close(e.energyJ, 1.1 + 4 + 5.52);
  assert.equal(e.horizonMs, 19_000);
  assert.equal(e.promotions, 1);
});

test("radio: a second packet inside the DCH tail needs no promotion and restarts the tail", () => {
  const e = radioEnergy(
    p,
    [
      { atMs: 0, uplinkBytes: 0, downlinkBytes: 0 },
      { atMs: 4_000, uplinkBytes: 0, downlinkBytes: 0 },
    ],
    "until-idle",
  );
  assert.equal(e.promotions, 1);
  // promotion ends at 2 s; DCH from 2 s to 4 s, then a fresh 5 s tail, then 12 s FACH
  close(e.dchMs, 2_000 + 5_000);
  close(e.energyJ, 1.1 + 7 * 0.8 + 5.52);
});

test("radio: on FACH a small packet stays on FACH, a large one promotes to DCH", () => {
  const small = radioEnergy(
    p,
    [
      { atMs: 0, uplinkBytes: 0, downlinkBytes: 0 },
      { atMs: 10_000, uplinkBytes: 100, downlinkBytes: 0 },
    ],
    "until-idle",
  );
  assert.equal(small.promotions, 1);
  const large = radioEnergy(
    p,
    [
      { atMs: 0, uplinkBytes: 0, downlinkBytes: 0 },
      { atMs: 10_000, uplinkBytes: 541, downlinkBytes: 0 },
    ],
    "until-idle",
  );
  assert.equal(large.promotions, 2);
  assert.ok(large.energyJ > small.energyJ);
});

test("radio: after both tails the radio is IDLE and costs nothing", () => {
  const short = radioEnergy(p, [{ atMs: 0, uplinkBytes: 10, downlinkBytes: 10 }], "until-idle");
  const long = radioEnergy(p, [{ atMs: 0, uplinkBytes: 10, downlinkBytes: 10 }], 3_600_000);
  close(short.energyJ, long.energyJ);
  assert.equal(long.horizonMs, 3_600_000);
});

test("radio: EDGE has no FACH, the tail goes straight to IDLE", () => {
  const e = radioEnergy(edgeReference, [{ atMs: 0, uplinkBytes: 0, downlinkBytes: 0 }], "until-idle");
  assert.equal(e.fachMs, 0);
  assert.equal(e.horizonMs, edgeReference.promotionIdleToDchMs + edgeReference.dchTailMs);
});

test("radio: energy is bounded by DCH power over the horizon, and promotions by transmissions", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          gapMs: fc.integer({ min: 0, max: 60_000 }),
          bytes: fc.integer({ min: 0, max: 100_000 }),
        }),
        { maxLength: 50 },
      ),
      (steps) => {
        let t = 0;
        const trace = steps.map((s) => {
          t += s.gapMs;
          return { atMs: t, uplinkBytes: s.bytes, downlinkBytes: s.bytes >> 1 };
        });
        const e = radioEnergy(p, trace, t);
        const maxPowerW =
          Math.max(p.dchPowerMw, p.promotionFachToDchPowerMw, p.promotionIdleToDchPowerMw) / 1000;
        return (
          e.energyJ >= 0 &&
          e.energyJ <= (maxPowerW * e.horizonMs) / 1000 + 1e-9 &&
          e.promotions <= trace.length
        );
      },
    ),
  );
});

test("radio: periodic syncing faster than the DCH tail keeps the radio in DCH all the time", () => {
  const e = radioEnergy(p, periodicTransmissions(3_000, 100, 200, 80), 300_000);
  assert.equal(e.promotions, 1);
  assert.ok(e.dchMs + e.promotionMs >= 300_000 - 1);
});
