import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultOptions, faultKinds, type SimulationOptions } from "./options.ts";
import { deterministicPart } from "./report.ts";
import { runSimulation } from "./simulation.ts";
import { toyStack } from "./testing/toy-stack.ts";

const small: SimulationOptions = {
  ...defaultOptions,
  seed: 42,
  phones: 5,
  hours: 0.1,
  syncIntervalMs: 10_000,
  eventsPerSec: 1,
};

test("sim kernel: fault-free toy fleet converges with no violations (seed=42)", () => {
  const r = runSimulation(small, { stack: toyStack });
  assert.equal(r.invariantViolations, 0, JSON.stringify(r.violations));
  assert.ok(r.converged);
  assert.ok(r.userEvents > 1000 && r.networkInputs > 200, `${r.userEvents} ${r.networkInputs}`);
  assert.ok(r.lagMs.max <= 10_000 + 100 + 1_000, `lag ${r.lagMs.max}`);
  assert.ok(r.lagMs.p50 > 0);
});

test("sim kernel: same seed gives the same report, other seeds differ (seed=42)", () => {
  const options = { ...small, faults: [...faultKinds] };
  const a = JSON.stringify(deterministicPart(runSimulation(options, { stack: toyStack })));
  const b = JSON.stringify(deterministicPart(runSimulation(options, { stack: toyStack })));
  assert.equal(a, b);
  const c = JSON.stringify(deterministicPart(runSimulation({ ...options, seed: 43 }, { stack: toyStack })));
  assert.notEqual(a, c);
});

test("sim kernel: all faults on the toy stack still converge, faults are injected (seed=7)", () => {
  const r = runSimulation({ ...small, seed: 7, hours: 0.5, faults: [...faultKinds] }, { stack: toyStack });
  assert.equal(r.invariantViolations, 0, JSON.stringify(r.violations));
  const f = r.faults;
  assert.ok(f.messagesLost > 0 && f.messagesDuplicated > 0 && f.messagesReordered > 0, JSON.stringify(f));
  assert.ok(f.partitions > 0 && f.crashes > 0 && f.powerOffs > 0, JSON.stringify(f));
});

test("sim kernel: the checker catches a dropped replayed input (seed=5)", () => {
  const r = runSimulation({ ...small, seed: 5, bug: "drop-replayed-input" }, { stack: toyStack });
  assert.ok(r.invariantViolations > 0);
  assert.ok(r.violations.some((v) => v.invariant === 2));
  assert.match(r.reproduce, /--seed 5 .*--inject-bug drop-replayed-input/);
});

test("sim kernel: the checker catches a network input replayed out of the phone's order (seed=6)", () => {
  const r = runSimulation({ ...small, seed: 6, bug: "reorder-network-input" }, { stack: toyStack });
  assert.ok(
    r.violations.some((v) => v.invariant === 4),
    JSON.stringify(r.violations.slice(0, 3)),
  );
});
