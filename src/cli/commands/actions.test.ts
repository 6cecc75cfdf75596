// The commands whose actions no other test runs end to end: each loads its
// implementation (<name>-action.ts) only when it runs, so run them.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

function mirrorcell(...args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8" });
}

test("cli: enroll --json prints the new device's key; enrolling it again is refused", () => {
  const data = mkdtempSync(join(tmpdir(), "mirrorcell-enroll-"));
  try {
    const first = mirrorcell("enroll", "--device", "phone-1", "--data", data, "--json");
    assert.equal(first.status, 0, first.stderr);
    const printed = JSON.parse(first.stdout);
    assert.equal(printed.deviceId, "phone-1");
    assert.match(printed.key, /^[0-9a-f]{64}$/);
    const again = mirrorcell("enroll", "--device", "phone-1", "--data", data);
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /E_DEVICE_EXISTS: Device phone-1 is enrolled already/);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

test("cli: load checks --phones in its action and exits 2 with a usage error", () => {
  const run = mirrorcell("load", "--phones", "0");
  assert.equal(run.status, 2);
  assert.equal(run.stderr, 'mirrorcell: E_USAGE: Cannot use --phones "0": expected a positive number\n');
});
