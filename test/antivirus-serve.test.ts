// `mirrorcell serve --services antivirus` as an operator runs it: the
// signature database is loaded before the server listens (a missing or empty
// one stops start-up with a clear error), and with --scan-on-the-fly a phone
// syncing to the served process receives the scan result for a file of its
// factory template that a hash signature names.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Notice } from "../src/gen/mirrorcell/v1/sync_pb.ts";
import { quickTestWorkload, tempDataDir, waitFor } from "../src/live/live-harness.ts";
import { markedTemplateFile } from "./support/marked-template-file.ts";
import { ServedRig } from "./support/served-rig.ts";

const seed = Number(process.env.SEED ?? 7);
const model = "pixel";

function serve(args: string[]): { status: number | null; stderr: string } {
  const main = new URL("../src/cli/main.ts", import.meta.url).pathname;
  return spawnSync(process.execPath, ["--import", "tsx", main, "serve", "--port", "0", ...args], {
    encoding: "utf8",
    timeout: 60_000,
  });
}

test("serve: --services antivirus without --scan-db refuses to start and says what is missing", () => {
  const data = tempDataDir("av-serve-usage");
  try {
    const run = serve(["--data", data.dir, "--services", "antivirus"]);
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /--scan-db/);
  } finally {
    data.remove();
  }
});

test("serve: --scan-db naming a directory without signature files refuses to start", () => {
  const data = tempDataDir("av-serve-empty");
  try {
    const empty = join(data.dir, "no-signatures");
    mkdirSync(empty);
    const run = serve(["--data", data.dir, "--services", "antivirus", "--scan-db", empty]);
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /no database files/);
  } finally {
    data.remove();
  }
});

test(`serve: --services antivirus --scan-on-the-fly sends the phone a scan result naming the marked template file (seed=${seed})`, async () => {
  const { hdbLine: line, path } = markedTemplateFile(model, "Serve.Template.Marked");
  const rig = await ServedRig.start("av-serve", ["phone-av"], {
    syncNormal: true,
    serveArgs: (dataDir) => {
      const db = join(dataDir, "marked.hdb");
      writeFileSync(db, line);
      return ["--services", "antivirus", "--scan-db", db, "--scan-on-the-fly"];
    },
  });
  let exitCode: number | null | undefined;
  try {
    const { phones } = await rig.startPhones({ seed, ...quickTestWorkload, model, networkPerSecond: 0 });
    const detected: string[] = [];
    const phone = phones[0]!;
    phone.onNotices = (notices: Notice[]) => {
      for (const n of notices)
        if (n.kind.case === "scanResult")
          for (const d of n.kind.value.detections) detected.push(`${d.path}: ${d.signature}`);
    };
    const found = await waitFor(() => detected.length > 0, 45_000);
    assert.ok(found, `a scan result reached the phone (stderr: ${rig.server.stderr().slice(-400)})`);
    assert.ok(detected.includes(`${path}: Serve.Template.Marked`), JSON.stringify(detected.slice(0, 5)));
    assert.deepEqual(phone.errors, [], `seed=${seed}`);
  } finally {
    exitCode = await rig.close();
  }
  assert.equal(exitCode, 0, "SIGTERM stops the server cleanly");
});
