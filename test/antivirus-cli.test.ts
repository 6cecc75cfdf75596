// `mirrorcell scan` as a user runs it: clamscan-compatible lines and exit
// codes (0 clean, 1 found, 2 error), --json, clear errors for malformed
// databases, skipped lines reported, and the optional clamd backend.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { zipSync } from "fflate";
import { clamdScanBytes } from "../src/live/antivirus/index.ts";
import { toolOrSkip } from "./support/system-tool.ts";

const root = mkdtempSync(join(tmpdir(), "mc-av-cli-"));
const files = join(root, "files");
const db = join(root, "t.ndb");
const enc = new TextEncoder();
const clamscan = toolOrSkip("clamscan");
const clamd = toolOrSkip("clamd");

function mirrorcell(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const main = new URL("../src/cli/main.ts", import.meta.url).pathname;
  return spawnSync(process.execPath, ["--import", "tsx", main, "scan", "--no-cache", ...args], {
    encoding: "utf8",
  });
}

before(() => {
  mkdirSync(join(files, "sub"), { recursive: true });
  writeFileSync(join(files, "clean.txt"), "nothing to see here, move along");
  writeFileSync(join(files, "sub", "bad.bin"), "header MALWARE-SAMPLE-1 trailer");
  writeFileSync(
    join(files, "app.apk"),
    zipSync({ "classes.dex": [enc.encode(`dex ${"x".repeat(200)} MALWARE-SAMPLE-2 end`), { level: 6 }] }),
  );
  writeFileSync(
    db,
    "Test.Sample.One:0:*:4d414c574152452d53414d504c452d31\nTest.Sample.Two:0:*:4d414c574152452d53414d504c452d32\nTest.Pe:1:*:4d5a9000\n",
  );
});

after(() => rmSync(root, { recursive: true, force: true }));

test("scan cli: prints PATH: NAME FOUND like clamscan -r -i and exits 1 when something is found", () => {
  const run = mirrorcell(["--db", db, files]);
  assert.equal(run.status, 1, run.stderr);
  assert.deepEqual(run.stdout.trim().split("\n"), [
    `${files}/app.apk: Test.Sample.Two FOUND`,
    `${files}/sub/bad.bin: Test.Sample.One FOUND`,
  ]);
  assert.match(run.stderr, /skipped .*t\.ndb:3: target type 1 is not supported/);
});

test("scan cli: the same lines as clamscan on the same files (without .UNOFFICIAL)", {
  skip: clamscan.skip,
}, () => {
  const theirs = spawnSync(clamscan.path!, ["--no-summary", "-r", "-i", "-d", db, files], {
    encoding: "utf8",
  });
  const ours = mirrorcell(["--db", db, files]);
  assert.equal(ours.status, theirs.status);
  const lines = (s: string) =>
    s
      .trim()
      .split("\n")
      .map((l) => l.replace(".UNOFFICIAL", ""))
      .sort();
  assert.deepEqual(lines(ours.stdout), lines(theirs.stdout));
});

test("scan cli: exit 0 when clean; --json reports every verdict and the database", () => {
  const clean = mirrorcell(["--db", db, join(files, "clean.txt")]);
  assert.equal(clean.status, 0);
  assert.equal(clean.stdout, "");
  const json = mirrorcell(["--json", "--db", db, files]);
  assert.equal(json.status, 1);
  const report = JSON.parse(json.stdout);
  assert.equal(report.files, 3);
  assert.equal(report.infected.length, 2);
  assert.equal(report.database.bodySignatures, 2);
  assert.equal(report.database.skipped[0].line, 3);
});

test("scan cli: a malformed database is exit 2 with file and line; a missing path is an error", () => {
  const bad = join(root, "bad.ndb");
  writeFileSync(bad, "Good:0:*:41424344\nBad:0:*:41424g44\n");
  const run = mirrorcell(["--db", bad, files]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /E_SIGNATURE_MALFORMED: .*bad\.ndb:2: bad hex/);
  const missing = mirrorcell(["--db", db, join(root, "nope")]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /nope: No such file or directory ERROR/);
});

test("scan cli: --engine clamd streams files to a running clamd (INSTREAM)", {
  skip: clamd.skip,
  timeout: 60_000,
}, async () => {
  const dir = join(root, "clamd");
  mkdirSync(join(dir, "db"), { recursive: true });
  writeFileSync(join(dir, "db", "t.ndb"), "Test.Sample.One:0:*:4d414c574152452d53414d504c452d31\n");
  const socket = join(dir, "clamd.sock");
  writeFileSync(
    join(dir, "clamd.conf"),
    `Foreground yes\nLocalSocket ${socket}\nDatabaseDirectory ${join(dir, "db")}\nPidFile ${join(dir, "clamd.pid")}\nLogFile ${join(dir, "clamd.log")}\n`,
  );
  const daemon: ChildProcess = spawn(clamd.path!, ["-c", join(dir, "clamd.conf")], { stdio: "ignore" });
  try {
    for (let i = 0; i < 200 && !existsSync(socket); i++) await sleep(100);
    assert.ok(existsSync(socket), "clamd came up");
    const answer = await clamdScanBytes(socket, enc.encode("x MALWARE-SAMPLE-1 y"));
    assert.deepEqual(answer, { infected: true, name: "Test.Sample.One" });
    assert.deepEqual(await clamdScanBytes(socket, enc.encode("clean bytes")), { infected: false });
    const run = mirrorcell(["--engine", "clamd", "--clamd-socket", socket, files]);
    assert.equal(run.status, 1, run.stderr);
    assert.deepEqual(run.stdout.trim().split("\n"), [`${files}/sub/bad.bin: Test.Sample.One FOUND`]);
  } finally {
    daemon.kill();
  }
});
