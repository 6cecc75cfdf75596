import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { serverV8Flags, tuneV8ForServer } from "./v8-tuning.ts";

const modulePath = fileURLToPath(new URL("./v8-tuning.ts", import.meta.url));

/** Runs a child that tunes (or not), allocates, and prints V8's per-scavenge trace. */
function scavengeTrace(env: NodeJS.ProcessEnv): string[] {
  const script = `
    const { tuneV8ForServer } = await import(${JSON.stringify(modulePath)});
    console.log("applied", JSON.stringify(tuneV8ForServer()));
    const keep = [];
    for (let i = 0; i < 3_000_000; i++) { const o = { i, pair: [i, i + 1] }; if (i % 8 === 0) keep.push(o); }
    console.log("kept", keep.length);`;
  const child = spawnSync(
    process.execPath,
    ["--import", "tsx", "--trace-gc-nvp", "--input-type=module", "-e", script],
    { encoding: "utf8", env: { ...process.env, ...env }, timeout: 60_000 },
  );
  assert.equal(child.status, 0, child.stderr);
  return child.stdout.split("\n");
}

test("v8 tuning: a server process scavenges on its main thread only (flag set at run time takes effect)", () => {
  const lines = scavengeTrace({ MIRRORCELL_V8_DEFAULTS: "" });
  assert.ok(lines.includes(`applied ${JSON.stringify(serverV8Flags)}`));
  // V8's trace and console.log reach the pipe unordered: the last scavenges
  // are the allocation loop's, after the tuning (loading tsx scavenges a few times first).
  const scavenges = lines.filter((l) => l.includes("gc=s ")).slice(-20);
  assert.equal(scavenges.length, 20, "the loop scavenges at least 20 times");
  for (const line of scavenges) {
    const background = /background\.scavenge\.parallel=([\d.]+)/.exec(line);
    assert.ok(background !== null, `no background field in: ${line.slice(0, 120)}`);
    assert.equal(Number(background[1]), 0, "no scavenge work on helper threads");
  }
});

test("v8 tuning: MIRRORCELL_V8_DEFAULTS=1 keeps V8's defaults (for A/B runs)", () => {
  assert.deepEqual(tuneV8ForServer({ MIRRORCELL_V8_DEFAULTS: "1" }), []);
});
