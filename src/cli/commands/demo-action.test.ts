import assert from "node:assert/strict";
import { test } from "node:test";
import { runDemo } from "./demo-action.ts";

const base = { seed: "11", events: "800", sizeScale: "0.005", model: "mc-one" };

test("demo: the mirror replaying the phone's recorded inputs reports EQUAL digests (seed=11)", () => {
  const result = runDemo(base);
  assert.equal(result.verdict, "EQUAL");
  assert.equal(result.phoneDigest, result.mirrorDigest);
  assert.equal(result.differingPaths, 0);
  assert.equal(result.userInputs + result.networkInputs + result.rejectedByPhone, 800);
});

test("demo: --misorder replays network inputs one action late and reports DIVERGED (seed=11)", () => {
  const result = runDemo({ ...base, misorder: true });
  assert.equal(result.verdict, "DIVERGED");
  assert.notEqual(result.phoneDigest, result.mirrorDigest);
  assert.ok(result.differingPaths > 0);
});

test("demo: a bad option is a usage error", () => {
  assert.throws(() => runDemo({ ...base, events: "many" }), /E_USAGE|--events/);
});
