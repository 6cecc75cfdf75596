import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { toHex } from "../../core/bytes.ts";
import { nodeSha256 } from "../../node/sha256.ts";
import { factoryTemplate, Platform, publicLevelKey, Storage } from "../../platform/index.ts";
import { AntivirusService } from "./antivirus-service.ts";
import { compileDatabase } from "./compile.ts";
import { DatabaseHolder } from "./database-holder.ts";
import { emptyParsedDatabase, parseDatabaseText } from "./database-parser.ts";
import type { HashFactory } from "./hash-ports.ts";
import type { ScanEngine } from "./scan-engine.ts";
import { formatScanResult, parseScanRequest, parseScanResult } from "./scan-request.ts";
import { VerdictCache } from "./verdict-cache.ts";

const testHash: HashFactory = (algorithm) => {
  const h = createHash(algorithm);
  return { update: (c) => void h.update(c), digestHex: () => h.digest("hex") };
};
const enc = new TextEncoder();

function engineOf(ndb: string, version: string): ScanEngine {
  const parsed = emptyParsedDatabase();
  assert.ok(parseDatabaseText("s.ndb", ndb, parsed).ok);
  const engine = compileDatabase(parsed, version);
  assert.ok(engine.ok);
  return engine.value;
}

const v1 = engineOf("Mal.Dropper:0:*:6d616c7761726521\n", "v1");
const v2 = engineOf("Mal.Dropper:0:*:6d616c7761726521\nMal.Template:0:*:53595354454d\n", "v2");

function storageWith(files: Record<string, string>): Storage {
  const built = Storage.fromFiles(
    Object.entries(files).map(([p, t]) => [p, enc.encode(t)] as const),
    { sha256: nodeSha256, levels: publicLevelKey },
  );
  assert.ok(built.ok);
  return built.value;
}

test("antivirus service: scans a storage under a scope and reports paths", () => {
  const service = new AntivirusService({ database: new DatabaseHolder(v1), hash: testHash });
  const storage = storageWith({
    "/apps/a/classes.dex": "header malware! trailer",
    "/downloads/b.bin": "another malware! copy",
    "/downloads/c.txt": "clean text file",
  });
  const all = service.scanStorage(storage);
  assert.deepEqual(
    all.detections.map((d) => `${d.path}:${d.name}`),
    ["/apps/a/classes.dex:Mal.Dropper", "/downloads/b.bin:Mal.Dropper"],
  );
  assert.equal(all.filesScanned, 3);
  const scoped = service.scanStorage(storage, "/downloads");
  assert.deepEqual(
    scoped.detections.map((d) => d.path),
    ["/downloads/b.bin"],
  );
  assert.equal(scoped.filesScanned, 2);
  assert.equal(scoped.blobsScanned, 0, "verdicts for the same blobs and version come from the cache");
  assert.equal(service.scanStorage(storage, "/down").filesScanned, 0, "a scope is a directory, not a prefix");
});

test("antivirus service: fleet of 1000 mirrors from one template scans each distinct blob once", () => {
  const service = new AntivirusService({ database: new DatabaseHolder(v1), hash: testHash });
  const template = factoryTemplate("fleet-model", nodeSha256);
  const distinct = new Set<string>();
  let files = 0;
  for (let i = 0; i < 1000; i++) {
    const mirror = Platform.create({
      mode: "mirror",
      deviceId: `m${i}`,
      model: "fleet-model",
      sha256: nodeSha256,
      from: template,
    });
    if (i % 100 === 0)
      assert.ok(mirror.storage.writeFile("/downloads/game.apk", enc.encode("packed malware! here")).ok);
    const report = service.scanStorage(mirror.storage);
    files += report.filesScanned;
    for (const f of mirror.storage.walk()) distinct.add(toHex(f.sha256));
    assert.equal(report.detections.length, i % 100 === 0 ? 1 : 0);
  }
  assert.equal(service.blobsScanned, distinct.size, "engine runs = distinct blobs in the fleet");
  assert.equal(service.cacheHits, files - distinct.size);
  assert.ok(files >= 1000 * 10, `the template holds files (${files})`);
});

test("antivirus service: database swap leaves a scan in flight on its version; new scans rescan lazily", () => {
  const holder = new DatabaseHolder(v1);
  const service = new AntivirusService({ database: holder, hash: testHash });
  const storage = storageWith({
    "/a": "SYSTEM image",
    "/b": "x malware! y",
    "/c": "SYSTEM again",
    "/d": "clean",
  });
  const job = service.beginScan(storage);
  assert.equal(job.step(2), false);
  holder.swap(v2);
  while (!job.step(1));
  assert.equal(job.report.version, "v1");
  assert.deepEqual(
    job.report.detections.map((d) => d.name),
    ["Mal.Dropper"],
  );
  const fresh = service.scanStorage(storage);
  assert.equal(fresh.version, "v2");
  assert.deepEqual(
    fresh.detections.map((d) => `${d.path}:${d.name}`),
    ["/a:Mal.Template", "/b:Mal.Dropper", "/c:Mal.Template"],
  );
  assert.equal(fresh.blobsScanned, 4, "a new version misses the cache for every blob");
  assert.equal(service.scanStorage(storage).blobsScanned, 0);
});

test("antivirus service: on-the-fly verdicts for written files", () => {
  const service = new AntivirusService({ database: new DatabaseHolder(v1), hash: testHash });
  const storage = storageWith({ "/apps/x/lib.so": "so malware! so", "/apps/x/res.txt": "fine" });
  const written = [...storage.walk()].map((f) => ({ path: f.path, sha256: f.sha256 }));
  assert.deepEqual(
    service.scanWritten(storage, written).map((d) => d.path),
    ["/apps/x/lib.so"],
  );
});

test("verdict cache: keyed by version, least recently used evicted at capacity", () => {
  const cache = new VerdictCache(2);
  const a = "a".repeat(64);
  const b = "b".repeat(64);
  cache.set(a, { version: "v1", detections: [] });
  cache.set(b, { version: "v1", detections: [] });
  assert.equal(cache.get(a, "v2"), undefined);
  assert.ok(cache.get(a, "v1"));
  cache.set("c".repeat(64), { version: "v1", detections: [] });
  assert.equal(cache.size, 2);
  assert.equal(cache.get(b, "v1"), undefined, "b was least recently used");
  assert.ok(cache.get(a, "v1"));
});

test("scan request and result text round-trip", () => {
  const req = parseScanRequest("r1", enc.encode("path=/apps\nrequested=5\n"));
  assert.deepEqual(req.ok && req.value, { id: "r1", scope: "/apps" });
  assert.ok(!parseScanRequest("r2", enc.encode("path=apps\n")).ok);
  const payload = formatScanResult({
    version: "v1",
    filesScanned: 3,
    detections: [{ path: "/a b/c", name: "X.Y", inside: [] }],
  });
  assert.deepEqual(parseScanResult(payload), [{ path: "/a b/c", name: "X.Y" }]);
});
