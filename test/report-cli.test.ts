// `mirrorcell model ...` and `mirrorcell report` from the command line: JSON
// output, typed usage errors with exit code 2, and the report's three files.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

function mirrorcell(...args: string[]) {
  const result = spawnSync(process.execPath, ["bin/mirrorcell.js", ...args], {
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test("cli: model cost --json reproduces 194 mirrors and $8.07, and flags the $15 claim", () => {
  const r = mirrorcell("model", "cost", "--alpha", "6", "--beta", "0.5", "--json");
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.ok(Math.abs(out.paper.mirrorsPerServer - 194) < 0.5);
  assert.ok(Math.abs(out.paper.costUsdPerMirror - 8.07) < 0.005);
  assert.ok(out.paperClaimAt6x1.formulaUsd > out.paperClaimAt6x1.claimedUsdMax);
});

test("cli: an impossible interval goal exits 2 with a typed usage error", () => {
  const impossible = mirrorcell("model", "interval", "--max-lag", "20", "--battery-budget", "1");
  assert.equal(impossible.code, 2);
  assert.match(impossible.stderr, /E_USAGE: No interval meets 1 %\/day/);
});

test("cli: report --quick --no-sweep writes HTML, Markdown and JSON and says the sweep was skipped", () => {
  const out = mkdtempSync(join(tmpdir(), "mirrorcell-report-cli-"));
  const r = mirrorcell("report", "--quick", "--no-sweep", "--out", out, "--json");
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.sweep.status, "skipped");
  for (const file of ["report.html", "report.md", "report.json"])
    assert.ok(existsSync(join(out, file)), file);
  assert.match(readFileSync(join(out, "report.md"), "utf8"), /Sweep skipped/);
  assert.ok(summary.claims.some((c: { status: string }) => c.status === "contradiction"));
});
