// `mirrorcell flows` at the CLI edge: JSON output, Mermaid output, usage errors.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

function mirrorcell(...args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8" });
}

test("cli: flows web --mirror on --json prints the trace and the mirror's record", () => {
  const run = mirrorcell("flows", "web", "--mirror", "on", "--json");
  assert.equal(run.status, 0, run.stderr);
  const data = JSON.parse(run.stdout);
  assert.equal(data.flow, "web");
  assert.equal(data.mirror, true);
  assert.deepEqual(data.errors, []);
  assert.ok(data.trace.some((t: { to: string }) => t.to === "mirror"));
  assert.equal(data.recorded[0].app, "browser");
  assert.equal(data.recorded[0].payloadBytes, data.received[0].payloadBytes);
});

test("cli: flows mms --format mermaid prints a sequence diagram; bad options are usage errors", () => {
  const run = mirrorcell("flows", "mms", "--format", "mermaid");
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^sequenceDiagram\n/);
  assert.match(run.stdout, /mobile2->>sgsn: MSRP VISIT/);
  const bad = mirrorcell("flows", "fax");
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /E_USAGE: flow must be one of mms, web, email, got fax/);
});
