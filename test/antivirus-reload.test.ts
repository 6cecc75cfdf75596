// The server keeps its database loaded and swaps a new version in without
// stopping scans in flight (issue 8); a bad new database leaves the old one.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadDatabases, nodeHashFactory, reloadDatabases } from "../src/live/antivirus/index.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import { publicLevelKey, Storage } from "../src/platform/index.ts";
import { AntivirusService, DatabaseHolder } from "../src/services/antivirus/index.ts";

test("antivirus: reload swaps a changed database atomically; scans in flight finish on the old one", () => {
  const dir = mkdtempSync(join(tmpdir(), "mc-av-reload-"));
  try {
    const db = join(dir, "live.ndb");
    const cacheDir = join(dir, "cache");
    writeFileSync(db, "Old.Sig:0:*:4f4c442d4d414c57415245\n");
    const holder = new DatabaseHolder(loadDatabases([db], { cacheDir }).engine);
    const service = new AntivirusService({ database: holder, hash: nodeHashFactory });
    const files = [...Array(40).keys()].map(
      (i) =>
        [
          `/f${i}`,
          new TextEncoder().encode(i % 2 === 0 ? `x OLD-MALWARE ${i}` : `y NEW-MALWARE ${i}`),
        ] as const,
    );
    const built = Storage.fromFiles(files, { sha256: nodeSha256, levels: publicLevelKey });
    assert.ok(built.ok);
    const job = service.beginScan(built.value);
    job.step(10);
    assert.equal(reloadDatabases(holder, [db], { cacheDir }).swapped, false, "same content, no swap");
    writeFileSync(db, "Old.Sig:0:*:4f4c442d4d414c57415245\nNew.Sig:0:*:4e45572d4d414c57415245\n");
    const outcome = reloadDatabases(holder, [db], { cacheDir });
    assert.equal(outcome.swapped, true);
    while (!job.step(7));
    assert.equal(job.report.filesScanned, 40);
    assert.deepEqual(
      new Set(job.report.detections.map((d) => d.name)),
      new Set(["Old.Sig"]),
      "the job kept its engine",
    );
    const after = service.scanStorage(built.value);
    assert.equal(after.version, outcome.version);
    assert.equal(after.detections.length, 40);
    writeFileSync(db, "Broken:0:*:4g\n");
    assert.throws(() => reloadDatabases(holder, [db], { cacheDir }), /live\.ndb:1/);
    assert.equal(holder.version, outcome.version, "a bad database leaves the loaded one in place");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("antivirus: a database directory loads every .ndb/.hdb/.hsb in it and reports the rest", () => {
  const dir = mkdtempSync(join(tmpdir(), "mc-av-dbdir-"));
  try {
    writeFileSync(join(dir, "a.ndb"), "A.Sig:0:*:41414141\n");
    writeFileSync(join(dir, "b.hdb"), `${"0".repeat(32)}:7:B.Sig\n`);
    writeFileSync(join(dir, "c.ldb"), "C;Engine:51-255;Target:0;0;41414141\n");
    for (const cacheDir of [join(dir, "cache"), join(dir, "cache")]) {
      const db = loadDatabases([dir], { cacheDir });
      assert.equal(db.engine.body.size + db.engine.hashes.size, 2);
      assert.deepEqual(
        db.skipped.map((s) => [s.file.endsWith("c.ldb"), s.line]),
        [[true, 0]],
        `fromCache=${db.fromCache}`,
      );
    }
    rmSync(join(dir, "a.ndb"));
    rmSync(join(dir, "b.hdb"));
    assert.throws(() => loadDatabases([dir], { cacheDir: false }), /no database files/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
