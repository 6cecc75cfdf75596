import assert from "node:assert/strict";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { cachedBundle, shardWorkerSource } from "./worker-source.ts";

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

test("sim: worker source: a cached bundle is used until one of its inputs changes content", () => {
  const dir = mkdtempSync(join(tmpdir(), "mc-bundle-"));
  try {
    const entry = join(dir, "entry.ts");
    const dep = join(dir, "dep.ts");
    const cache = join(dir, "bundle.json");
    const old = new Date(Date.now() - 60_000); // inputs written just now are not cached
    const write = (path: string, text: string) => {
      writeFileSync(path, text);
      utimesSync(path, old, old);
    };
    write(entry, 'import { answer } from "./dep.ts";\nconsole.log(answer);\n');
    write(dep, "export const answer: number = 41;\n");
    const first = cachedBundle(entry, cache);
    assert.equal(first.fromCache, false);
    assert.match(first.code, /41/);
    const second = cachedBundle(entry, cache);
    assert.deepEqual(second, { code: first.code, fromCache: true });
    write(dep, "export const answer: number = 42;\n");
    const third = cachedBundle(entry, cache);
    assert.equal(third.fromCache, false);
    assert.match(third.code, /42/);
    assert.equal(cachedBundle(entry, cache).fromCache, true);
    writeFileSync(dep, "export const answer: number = 43;\n"); // mtime now: serves this run only
    assert.match(cachedBundle(entry, cache).code, /43/);
    assert.equal(cachedBundle(entry, cache).fromCache, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
