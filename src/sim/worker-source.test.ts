import assert from "node:assert/strict";
import { test } from "node:test";
import { shardWorkerSource } from "./worker-source.ts";

test("sim: worker source: the shard body is one CommonJS bundle, built once per process", () => {
  const bundle = shardWorkerSource();
  assert.ok(bundle.includes("function runShard("), "the bundle holds the shard body");
  assert.ok(!bundle.includes("tsx/esm/api"), "a bundled worker does not load tsx");
  assert.ok(!/^\s*(import|export)\s/m.test(bundle), "no ESM statements: Worker eval runs it as a script");
  assert.equal(shardWorkerSource(), bundle);
});

test("sim: worker source: MIRRORCELL_SHARD_WORKER=tsx loads the modules one by one (profiles by file)", () => {
  process.env.MIRRORCELL_SHARD_WORKER = "tsx";
  try {
    const source = shardWorkerSource();
    assert.match(source, /tsx/);
    assert.match(source, /shard-worker\.ts/);
  } finally {
    delete process.env.MIRRORCELL_SHARD_WORKER;
  }
});
