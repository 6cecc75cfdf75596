import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { isMirrorcellError } from "../../core/errors.ts";
import { simulationOptionsFrom } from "./simulate-action.ts";

const base = {
  phones: "2",
  hours: "0.02",
  seed: "5",
  network: "3g",
  rates: "tested",
  syncInterval: "10",
  eventsPerSec: "0.5",
  faults: "none",
  payloadScale: "0.01",
};

test("cli: simulate: bad options are usage errors naming the option", () => {
  for (const [patch, name] of [
    [{ phones: "0" }, "--phones"],
    [{ syncInterval: "abc" }, "--sync-interval"],
    [{ faults: "meteor" }, "meteor"],
    [{ network: "5g" }, "--network"],
    [{ injectBug: "nope" }, "--inject-bug"],
    [{ workers: "3" }, "--workers"],
    [{ workers: "0" }, "--workers"],
  ] as const) {
    assert.throws(
      () => simulationOptionsFrom({ ...base, ...patch }),
      (e: unknown) => isMirrorcellError(e) && e.code === "E_USAGE" && e.message.includes(name),
    );
  }
  const o = simulationOptionsFrom({ ...base, faults: "loss,crash", swarm: true });
  assert.deepEqual([o.seed, o.syncIntervalMs, o.faults, o.swarm], [5, 10_000, ["loss", "crash"], true]);
  assert.equal(o.workers, 1, "two phones: one in-process shard by default");
  assert.equal(simulationOptionsFrom({ ...base, workers: "2" }).workers, 2);
  assert.equal(simulationOptionsFrom({ ...base, phones: "5000" }).workers! >= 1, true);
  // commander's --no-shared-steps sets sharedSteps false; absent, the run shares (the default)
  assert.equal(simulationOptionsFrom({ ...base, sharedSteps: false }).sharedSteps, false);
  assert.equal(simulationOptionsFrom({ ...base, sharedSteps: true }).sharedSteps, undefined);
});

test("cli: simulate --json prints exactly one JSON object with the issue's metrics", () => {
  const run = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/cli/main.ts",
      "simulate",
      "--phones",
      "2",
      "--hours",
      "0.02",
      "--seed",
      "3",
      "--json",
    ],
    { encoding: "utf8" },
  );
  assert.equal(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  for (const key of [
    "seed",
    "phones",
    "simulatedSeconds",
    "userEvents",
    "networkInputs",
    "batches",
    "uplinkBytes",
    "uplinkBytesPerUserEvent",
    "divergences",
    "repairs",
    "invariantViolations",
    "wallSeconds",
    "simEventsPerWallSecond",
  ]) {
    assert.equal(typeof report[key], "number", key);
  }
  assert.deepEqual(Object.keys(report.lagMs), ["p50", "p99", "max"]);
  assert.match(run.stderr, /^SEED=3 workers=1$/m);
});

test("cli: simulate exits 1 and prints the reproduce command on a violation", () => {
  const args = [
    "simulate",
    "--phones",
    "2",
    "--hours",
    "0.05",
    "--seed",
    "41",
    "--sync-interval",
    "10",
    "--inject-bug",
    "drop-replayed-input",
  ];
  const run = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    encoding: "utf8",
  });
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stdout, /^SEED=41 workers=1$/m);
  assert.match(run.stdout, /VIOLATION invariant 2/);
  assert.match(run.stdout, /reproduce: npx mirrorcell simulate --seed 41 .*--inject-bug drop-replayed-input/);
});
