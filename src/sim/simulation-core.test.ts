// The simulator on the real core (platform, sync, mirror): determinism, a
// clean fault-free run, and the checker catching bugs injected on purpose.
import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultOptions, faultKinds, type SimulationOptions } from "./options.ts";
import { deterministicPart } from "./report.ts";
import { runSimulation } from "./simulation.ts";

const small: SimulationOptions = {
  ...defaultOptions,
  phones: 3,
  hours: 0.05,
  syncIntervalMs: 10_000,
  eventsPerSec: 1,
};

test("sim: same seed gives byte-identical JSON reports except wall figures (seed=11)", () => {
  const options = { ...small, seed: 11, faults: [...faultKinds], swarm: true };
  const a = runSimulation(options);
  const b = runSimulation(options);
  assert.equal(JSON.stringify(deterministicPart(a)), JSON.stringify(deterministicPart(b)));
  assert.equal(a.invariantViolations, 0, `${JSON.stringify(a.violations)}\nreproduce: ${a.reproduce}`);
  const c = runSimulation({ ...options, seed: 12 });
  assert.notEqual(JSON.stringify(deterministicPart(a)), JSON.stringify(deterministicPart(c)));
});

test("sim: fault-free fleet replays every input in order with no divergence (seed=21)", () => {
  const r = runSimulation({ ...small, seed: 21 });
  assert.equal(r.invariantViolations, 0, `${JSON.stringify(r.violations)}\nreproduce: ${r.reproduce}`);
  assert.ok(r.converged);
  assert.equal(r.divergences, 0);
  assert.equal(r.framesRejected, 0, r.firstRejection);
  assert.ok(r.userEvents > 300, `user events ${r.userEvents}`);
  assert.ok(r.batches >= 3 * 15, `batches ${r.batches}`);
  // Fig 4: an input waits at most t_syn_int + t_max (+ its uplink time) before replay
  assert.ok(r.lagMs.max <= 10_000 + 100 + 1_000, `lag max ${r.lagMs.max}`);
  assert.ok(r.lagMs.p50 >= 2_000 && r.lagMs.p50 <= 8_000, `lag p50 ${r.lagMs.p50}`);
});

test("sim: all faults at once still converge with every invariant holding (seed=31)", () => {
  const r = runSimulation({ ...small, seed: 31, hours: 0.1, faults: [...faultKinds] });
  assert.equal(r.invariantViolations, 0, `${JSON.stringify(r.violations)}\nreproduce: ${r.reproduce}`);
  assert.ok(r.converged);
  const f = r.faults;
  assert.ok(f.crashes + f.powerOffs + f.partitions > 0, JSON.stringify(f));
});

test("sim: injected bug: a batch that loses an input is reported with the seed (seed=41)", () => {
  const r = runSimulation({ ...small, seed: 41, bug: "drop-replayed-input" });
  assert.ok(r.invariantViolations > 0, "the checker must notice a lost input");
  assert.ok(
    r.violations.some((v) => v.invariant === 2 && /user inputs|lost/.test(v.message)),
    JSON.stringify(r.violations),
  );
  assert.match(r.reproduce, /--seed 41 .*--inject-bug drop-replayed-input/);
});

test("sim: injected bug: a network input replayed ahead of its user input breaks invariant 4 (seed=51)", () => {
  const r = runSimulation({ ...small, seed: 51, hours: 0.1, bug: "reorder-network-input" });
  assert.ok(
    r.violations.some((v) => v.invariant === 4),
    `expected an interleaving violation, got ${JSON.stringify(r.violations.slice(0, 3))}`,
  );
  assert.match(r.reproduce, /--seed 51 /);
});

test("sim: a corrupted mirror file is detected as a divergence and repaired from the phone (seed=61)", () => {
  const r = runSimulation({ ...small, seed: 61, bug: "corrupt-mirror-file" });
  assert.ok(r.divergences >= 1, `divergences ${r.divergences}`);
  assert.ok(r.repairs >= 1, `repairs ${r.repairs}`);
  assert.ok(r.converged);
  // In a fault-free run any divergence is itself a violation of invariant 1;
  // after the repair the fleet ends level, so nothing else is reported.
  assert.ok(
    r.violations.length > 0 && r.violations.every((v) => v.invariant === 1 && /after batch/.test(v.message)),
  );
});

test("sim: server crash before the group commit loses un-acked batches; phones resend them, none lost or doubled (seed=7)", () => {
  const r = runSimulation({
    ...small,
    seed: 7,
    phones: 6,
    hours: 0.1,
    syncIntervalMs: 5_000,
    eventsPerSec: 0.5,
    faults: ["crash"],
    faultRates: { ...defaultOptions.faultRates, crashIntervalMsMean: 20_000, restartDelayMsMax: 2_000 },
  });
  assert.ok(
    r.faults.crashes > 0 && r.batchesLostOnCrash > 0,
    `crashes ${r.faults.crashes}, lost ${r.batchesLostOnCrash}`,
  );
  assert.equal(r.invariantViolations, 0, `${JSON.stringify(r.violations)}\nreproduce: ${r.reproduce}`);
  assert.ok(r.converged);
  // Catch-up after each restart replays many batches in one step: each one is still digest-checked.
  assert.equal(r.batchesDigestChecked, r.batches, "invariant 1 checked on every batch");
});

test("sim: mirrors that take their phones' storage steps report exactly what mirrors computing alone do (seeds 11, 31, 71)", () => {
  for (const [seed, extra] of [
    [11, { faults: [...faultKinds], swarm: true }],
    [31, { faults: [...faultKinds] }],
    [71, { services: "all" as const }],
  ] as const) {
    const options: SimulationOptions = { ...small, seed, ...extra };
    const shared = runSimulation(options);
    const alone = runSimulation({ ...options, sharedSteps: false });
    assert.equal(
      shared.invariantViolations,
      0,
      `${JSON.stringify(shared.violations)}\nreproduce: ${shared.reproduce}`,
    );
    assert.ok(shared.userEvents > 100, `seed ${seed}: user events ${shared.userEvents}`);
    // the reports differ only where they echo the switch
    assert.match(alone.reproduce, /--no-shared-steps$/);
    const withoutSwitch = (r: typeof shared) => ({
      ...deterministicPart(r),
      options: undefined,
      reproduce: undefined,
    });
    assert.equal(JSON.stringify(withoutSwitch(shared)), JSON.stringify(withoutSwitch(alone)), `seed ${seed}`);
  }
});
