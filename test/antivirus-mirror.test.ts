// Antivirus on mirrors, end to end over the sync engine (issue 8 "Must
// show"): a scan request from the phone's hook app travels through sync, the
// mirror scans its storage, and the result comes back as a network input —
// equal to scanning the phone's own storage; on-the-fly detection of an
// infected package installed by a network input; and a fleet of 1000
// mirrors from one template scanned with each distinct blob scanned once.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryMirrorStore, MirrorServer, platformFactory } from "../src/mirror/index.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import { publicLevelKey, Storage } from "../src/platform/index.ts";
import {
  apk,
  evilDex,
  hostAntivirus,
  knownBad,
  resultFile,
  settleScanning,
  testAntivirus,
} from "./antivirus-rig.ts";
import { SyncRig } from "./support/sync-rig.ts";

const enc = new TextEncoder();

test("antivirus: scan request via sync returns the verdicts of scanning the phone's storage directly (seed=8)", () => {
  const rig = new SyncRig(8);
  const { host, av, notices } = hostAntivirus(rig, false);
  rig.addPhone("p1");
  rig.runWorkload("p1", 3 * 60_000);
  rig.network(
    "p1",
    "installer",
    "package",
    ["name=game", "version=1"],
    apk({ "classes.dex": evilDex, "res/a.txt": enc.encode("fine") }),
  );
  rig.network("p1", "installer", "package", ["name=tool", "version=2"], apk({ "assets/bad.bin": knownBad }));
  rig.runWorkload("p1", 5 * 60_000);
  rig.user("p1", "antivirus-hook", { kind: "action", name: "scan", args: ["path=/"] });
  settleScanning(rig, host, "p1");
  assert.equal(av.requestsAnswered, 1);
  const direct = testAntivirus().scanStorage(rig.phone("p1").platform.storage);
  const expected = direct.detections.map((d) => ({ path: d.path, name: d.name }));
  assert.deepEqual(expected.map((d) => d.name).sort(), ["Android.Evil.Body", "Android.Evil.Hash"]);
  assert.deepEqual(resultFile(rig, "p1"), expected);
  assert.equal(notices.length, 1);
  assert.equal(notices[0]!.kind.case, "scanResult");
  assert.ok(rig.mirrorDigestEquals("p1"), "the result input keeps phone and mirror equal");
  assert.deepEqual(rig.errors, []);
});

test("antivirus: on-the-fly mode detects an infected package as replay installs it (seed=4)", () => {
  const rig = new SyncRig(4);
  const { host, av, notices } = hostAntivirus(rig, true);
  rig.addPhone("p1");
  rig.runWorkload("p1", 2 * 60_000);
  settleScanning(rig, host, "p1");
  assert.equal(av.onTheFlyAlerts, 0, "the factory image and workload files are clean");
  assert.ok(
    rig.mirrors.view("p1") instanceof Storage,
    "mirrors are platform storages: written files come from a Merkle diff",
  );
  rig.network("p1", "installer", "package", ["name=game", "version=1"], apk({ "classes.dex": evilDex }));
  rig.runWorkload("p1", 4 * 60_000);
  settleScanning(rig, host, "p1");
  assert.equal(av.onTheFlyAlerts, 1);
  assert.deepEqual(resultFile(rig, "p1"), [{ path: "/apps/game/classes.dex", name: "Android.Evil.Body" }]);
  assert.equal(notices.length, 1);
  assert.ok(rig.mirrorDigestEquals("p1"));
  assert.deepEqual(rig.errors, []);
});

test("antivirus: fleet of 1000 mirrors from one template: each distinct blob scanned once", () => {
  const mirrors = new MirrorServer({
    store: new MemoryMirrorStore(),
    platforms: platformFactory(nodeSha256, { levelKeyOf: () => publicLevelKey }),
    sha256: nodeSha256,
  });
  const service = testAntivirus();
  let files = 0;
  const first = { blobs: 0 };
  for (let i = 0; i < 1000; i++) {
    assert.ok(mirrors.register(`m${i}`, "fleet-phone").ok);
    const view = mirrors.view(`m${i}`);
    assert.ok(view !== undefined);
    const report = service.scanStorage(view);
    files += report.filesScanned;
    if (i === 0) first.blobs = report.blobsScanned;
    else assert.equal(report.blobsScanned, 0, `mirror ${i} re-scanned nothing`);
  }
  assert.ok(first.blobs > 10, `the template has blobs (${first.blobs})`);
  assert.equal(service.blobsScanned, first.blobs, "1000 mirrors cost the engine what one costs");
  assert.equal(service.cacheHits, files - first.blobs);
});
