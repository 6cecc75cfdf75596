import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { tempDataDir, testAdminToken } from "./live-harness.ts";
import { freePort, spawnServer } from "./server-process.ts";
import { serverNodeFlags, serverStartFlags, serverV8Flags, tuneV8ForServer } from "./v8-tuning.ts";

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

/** Runs a child with `flags` that builds old-generation garbage, forces full GCs and prints V8's per-GC trace. */
function markCompactTrace(flags: readonly string[]): string[] {
  const script = `
    const keep = [];
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 300_000; i++) keep.push({ i, pair: [i, i + 1] });
      keep.length = 0;
      globalThis.gc();
    }`;
  const child = spawnSync(process.execPath, [...flags, "--expose-gc", "--trace-gc-nvp", "-e", script], {
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(child.status, 0, child.stderr);
  return child.stdout.split("\n").filter((l) => l.includes("gc=mc "));
}

function backgroundMs(line: string, field: string): number {
  const match = new RegExp(`background\\.${field}=([\\d.]+)`).exec(line);
  assert.ok(match !== null, `no background.${field} in: ${line.slice(0, 120)}`);
  return Number(match[1]);
}

test("v8 tuning: a process started with serverNodeFlags() marks and sweeps on its main thread only", () => {
  const fullGcs = markCompactTrace(serverNodeFlags({}));
  assert.ok(fullGcs.length >= 6, `the script's forced full GCs: ${fullGcs.length}`);
  for (const line of fullGcs) {
    assert.equal(backgroundMs(line, "mark"), 0, "no marking on helper threads");
    assert.equal(backgroundMs(line, "sweep"), 0, "no sweeping on helper threads");
  }
});

test("v8 tuning: the spawned server child starts with serverNodeFlags(); MIRRORCELL_V8_DEFAULTS=1 gives none", {
  skip: existsSync("/proc/self/cmdline") ? false : "needs /proc",
}, async () => {
  assert.deepEqual(serverNodeFlags({ MIRRORCELL_V8_DEFAULTS: "1" }), []);
  assert.deepEqual(serverNodeFlags({}), serverStartFlags);
  assert.ok(serverStartFlags.length > 0, "the checks below look for at least one flag");
  const data = tempDataDir("v8-flags");
  const server = await spawnServer({
    dataDir: data.dir,
    port: await freePort(),
    proxyPort: await freePort(),
    adminToken: testAdminToken,
  });
  try {
    const argv = readFileSync(`/proc/${server.child.pid}/cmdline`, "utf8").split("\0");
    for (const flag of serverNodeFlags()) assert.ok(argv.includes(flag), `${flag} in ${argv.join(" ")}`);
  } finally {
    await server.stop();
    data.remove();
  }
});
