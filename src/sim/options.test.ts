import assert from "node:assert/strict";
import { test } from "node:test";
import {
  defaultOptions,
  defaultWorkers,
  parseFaults,
  reproduceCommand,
  simulationBounds,
  swarmOptions,
  validateOptions,
} from "./options.ts";

test("sim: options: --faults accepts none, all and lists, rejects unknown names", () => {
  assert.deepEqual(parseFaults("none"), { ok: true, value: [] });
  const all = parseFaults("all");
  assert.ok(all.ok && all.value.length === 6);
  const list = parseFaults("loss, crash,loss");
  assert.ok(list.ok);
  assert.deepEqual(list.value, ["loss", "crash"]);
  const bad = parseFaults("loss,meteor");
  assert.ok(!bad.ok && bad.error.code === "E_USAGE" && /meteor/.test(bad.error.message));
});

test("sim: options: out-of-range values are usage errors", () => {
  assert.ok(validateOptions(defaultOptions).ok);
  for (const patch of [
    { phones: 0 },
    { hours: -1 },
    { syncIntervalMs: 1 },
    { eventsPerSec: 0 },
    { seed: -3 },
  ]) {
    const r = validateOptions({ ...defaultOptions, ...patch });
    assert.ok(!r.ok && r.error.code === "E_USAGE", JSON.stringify(patch));
  }
});

test("sim: options: swarm derives the same configuration from the same seed", () => {
  const all = parseFaults("all");
  assert.ok(all.ok);
  const base = { ...defaultOptions, swarm: true, faults: all.value };
  const a = swarmOptions({ ...base, seed: 77 });
  const b = swarmOptions({ ...base, seed: 77 });
  assert.deepEqual(a, b);
  const differs = [78, 79, 80, 81].some(
    (seed) => JSON.stringify(swarmOptions({ ...base, seed })) !== JSON.stringify(a),
  );
  assert.ok(differs, "different seeds explore different configurations");
  assert.ok(validateOptions(a).ok);
});

test("sim: options: the reproduce command names every option", () => {
  const cmd = reproduceCommand({ ...defaultOptions, seed: 9, faults: ["loss", "crash"] });
  for (const part of [
    "--seed 9",
    "--phones 100",
    "--hours 1",
    "--faults loss,crash",
    "--network 3g",
    "--sync-interval 60",
    "--events-per-sec 0.5",
  ]) {
    assert.ok(cmd.includes(part), `${part} missing from ${cmd}`);
  }
});

test("sim: options: default shards: one in-process below the sharded minimum, else small shards, at least one per core", () => {
  const { shardedPhonesMin: min, phonesPerWorkerMax: max } = simulationBounds;
  assert.equal(defaultWorkers(min - 1, 2), 1);
  assert.equal(defaultWorkers(min, 2), Math.ceil(min / max));
  assert.equal(defaultWorkers(10_000, 2), Math.ceil(10_000 / max));
  assert.equal(defaultWorkers(min, 64), 64, "a core's thread never waits for lack of shards");
  // the measured choice (docs/benchmarks.md "Small shards (session 8)"): the 10k run is 2,500 shards of 4
  assert.equal(defaultWorkers(10_000, 2), 2_500);
  for (const phones of [1, 249, 250, 999, 2_001, 10_000, 99_999, 100_000]) {
    for (const cores of [1, 2, 8]) {
      const shards = defaultWorkers(phones, cores);
      const size = Math.ceil(phones / shards);
      assert.ok(shards >= 1 && shards <= phones, `${phones} phones: ${shards} shards`);
      if (phones < min) assert.equal(shards, 1, `${phones} phones run in-process`);
      else assert.ok(size <= max, `${phones} phones on ${cores} cores: shards of ${size}`);
      assert.ok(
        validateOptions({ ...defaultOptions, phones, workers: shards }).ok,
        `${phones}: ${shards} valid`,
      );
    }
  }
});
