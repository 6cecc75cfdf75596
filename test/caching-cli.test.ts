// `mirrorcell cache savings`: the CLI edge of the savings model (paper §5.1);
// the phone's caching options (`mirrorcell phone`).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { Command } from "commander";
import { addCachingPhoneOptions, type CachingPhoneCliOptions } from "../src/cli/commands/live-phone-flags.ts";
import { cachingPhoneRunOptions } from "../src/cli/commands/live-phone-options.ts";
import { MirrorcellError } from "../src/core/errors.ts";

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

function phoneCachingOf(args: string[]) {
  const command = addCachingPhoneOptions(new Command().exitOverride());
  command.parse(args, { from: "user" });
  return cachingPhoneRunOptions(command.opts<CachingPhoneCliOptions>());
}

test("caching cli: phone options: threshold, service off, fetch policy, downloads", () => {
  const defaults = phoneCachingOf([]);
  assert.deepEqual(defaults.settings, { enabled: true, bulkUploadThresholdBytes: 500 * 1024 });
  assert.equal(defaults.fetchCached, "on-notice");
  assert.equal(defaults.fetchLaterMs, 300_000, "later: five minutes after the notice by default");
  assert.equal(phoneCachingOf(["--fetch-cached", "later", "--fetch-later", "2.5"]).fetchLaterMs, 2_500);
  assert.deepEqual(defaults.downloads, []);
  const set = phoneCachingOf([
    "--bulk-upload-threshold",
    "1000",
    "--no-bulk-upload",
    "--fetch-cached",
    "never",
    "--download",
    "http://127.0.0.1:1/a",
    "--download",
    "http://127.0.0.1:1/b",
    "--recipient-url",
    "http://127.0.0.1:2/inbox",
  ]);
  assert.deepEqual(set.settings, { enabled: false, bulkUploadThresholdBytes: 1000 });
  assert.equal(set.fetchCached, "never");
  assert.deepEqual(set.downloads, ["http://127.0.0.1:1/a", "http://127.0.0.1:1/b"]);
  assert.equal(set.recipientUrlOf?.("bob"), "http://127.0.0.1:2/inbox/bob");
});

test("caching cli: phone options: a bad threshold, policy or URL is E_USAGE", () => {
  const code = (args: string[]) => {
    try {
      phoneCachingOf(args);
      return "accepted";
    } catch (error) {
      return error instanceof MirrorcellError ? error.code : String(error);
    }
  };
  assert.equal(code(["--bulk-upload-threshold", "-1"]), "E_USAGE");
  assert.equal(code(["--bulk-upload-threshold", "lots"]), "E_USAGE");
  assert.equal(code(["--fetch-cached", "sometimes"]), "E_USAGE");
  assert.equal(code(["--fetch-cached", "later", "--fetch-later", "soon"]), "E_USAGE");
  assert.equal(code(["--fetch-later", "-3"]), "E_USAGE");
  assert.equal(code(["--download", "ftp://x/y"]), "E_USAGE");
});
