// `mirrorcell cache savings`: the CLI edge of the savings model (paper §5.1).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

function run(args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "cache", "savings", ...args], {
    encoding: "utf8",
  });
}

test("caching cli: savings --json for the paper's 20 MB file on EDGE to 5 recipients", () => {
  const result = run(["--size-mb", "20", "--network", "edge", "--recipients", "5", "--json"]);
  assert.equal(result.status, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  const [row] = report.rows;
  assert.equal(report.rows.length, 1);
  assert.equal(row.upload.withoutCaching.radioBytes, 100_000_000);
  assert.ok(row.upload.withCaching.radioBytes < 300);
  assert.ok(row.upload.withoutCaching.batteryPct > 40, `${row.upload.withoutCaching.batteryPct}`);
  assert.ok(row.upload.withCaching.batteryPct < 0.1, `${row.upload.withCaching.batteryPct}`);
});

test("caching cli: bad options are usage errors with exit code 2", () => {
  const result = run(["--recipients", "0"]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /E_USAGE: --recipients must be an integer/);
  assert.equal(run(["--network", "wifi"]).status, 2);
});
