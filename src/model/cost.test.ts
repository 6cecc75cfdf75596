import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { measuredCostEstimate, paperCostCoefficientUsd, paperCostEstimate, powerEdge1900 } from "./cost.ts";
import { paperCost } from "./paper.ts";

test("cost: about 194 mirrors per server and $8.07 per mirror at alpha = 6, beta = 0.5 (§6.2)", () => {
  const est = paperCostEstimate({ alphaHours: 6, beta: 0.5 });
  assert.ok(
    Math.abs(est.mirrorsPerServer - paperCost.mirrorsPerServerAtAlpha6Beta05) < 0.5,
    `${est.mirrorsPerServer}`,
  );
  assert.ok(
    Math.abs(est.costUsdPerMirror - paperCost.costUsdAtAlpha6Beta05) < 0.005,
    `${est.costUsdPerMirror}`,
  );
});

test("cost: C = 2.69 · alpha · beta for every alpha and beta (M = H = 0)", () => {
  const k = paperCostCoefficientUsd();
  assert.ok(Math.abs(k - paperCost.costCoefficientUsd) < 0.005, `coefficient ${k}`);
  fc.assert(
    fc.property(
      fc.double({ min: 0.1, max: 24, noNaN: true }),
      fc.double({ min: 0.01, max: 1, noNaN: true }),
      (a, b) => {
        const c = paperCostEstimate({ alphaHours: a, beta: b }).costUsdPerMirror;
        return Math.abs(c - k * a * b) <= 1e-9 * c;
      },
    ),
  );
});

test("cost: the paper contradicts itself: it claims at most $15 at alpha = 6, beta = 1, its formula gives $16.14", () => {
  const c = paperCostEstimate({ alphaHours: 6, beta: 1 }).costUsdPerMirror;
  const byRoundedCoefficient = paperCost.costCoefficientUsd * 6 * 1;
  assert.ok(Math.abs(byRoundedCoefficient - 16.14) < 1e-9);
  assert.ok(Math.abs(c - 16.15) < 0.005, `exact formula gives ${c}`);
  assert.ok(c > paperCost.claimedCostUsdMaxAtAlpha6Beta1, "the claim of at most $15 does not hold");
});

test("cost: savings M raise mirrors per server, overhead H lowers them", () => {
  const base = paperCostEstimate({ alphaHours: 6, beta: 0.5 }).mirrorsPerServer;
  assert.ok(paperCostEstimate({ alphaHours: 6, beta: 0.5, savedShare: 0.3 }).mirrorsPerServer > base);
  assert.ok(paperCostEstimate({ alphaHours: 6, beta: 0.5, overheadShare: 0.2 }).mirrorsPerServer < base);
});

test("cost: measured estimate takes the tighter of memory and CPU", () => {
  const memBound = measuredCostEstimate({
    memoryBytesPerMirror: 64 * 1024 * 1024,
    cpuCoreSecondsPerSecond: 1e-4,
    source: "t",
  });
  assert.equal(memBound.boundBy, "memory");
  assert.equal(memBound.mirrorsPerServer, Math.floor((powerEdge1900.memoryBytes * 0.8) / (64 * 1024 * 1024)));
  const cpuBound = measuredCostEstimate({
    memoryBytesPerMirror: 1024,
    cpuCoreSecondsPerSecond: 0.1,
    source: "t",
  });
  assert.equal(cpuBound.boundBy, "cpu");
  assert.equal(cpuBound.mirrorsPerServer, 64);
  assert.ok(Math.abs(cpuBound.costUsdPerMirror - 1566 / 64) < 1e-9);
});
