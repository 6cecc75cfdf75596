// Antivirus on mirrors, end to end over the sync engine (issue 8 "Must
// show"): a scan request from the phone's hook app travels through sync, the
// mirror scans its storage, and the result comes back as a network input —
// equal to scanning the phone's own storage; on-the-fly detection of an
// infected package installed by a network input; and a fleet of 1000
// mirrors from one template scanned with each distinct blob scanned once.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { zipSync } from "fflate";
import { MemoryMirrorStore, MirrorServer, platformFactory } from "../src/mirror/index.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import { Storage } from "../src/platform/index.ts";
import {
  AntivirusMirrorService,
  AntivirusService,
  compileDatabase,
  DatabaseHolder,
  emptyParsedDatabase,
  type HashFactory,
  parseDatabaseText,
  parseScanResult,
  type ScanEngine,
} from "../src/services/antivirus/index.ts";
import { defaultStepBudget } from "../src/services/index.ts";
import type { Notice } from "../src/sync/index.ts";
import { SyncRig } from "./support/sync-rig.ts";

const hash: HashFactory = (algorithm) => {
  const h = createHash(algorithm);
  return { update: (c) => void h.update(c), digestHex: () => h.digest("hex") };
};
const enc = new TextEncoder();
const evilDex = enc.encode(`dex\n035\0${"\u0001".repeat(300)}EVIL-PAYLOAD-9f3a${"\u0002".repeat(300)}`);
const knownBad = enc.encode("a known bad resource, matched by its MD5");

function engine(): ScanEngine {
  const parsed = emptyParsedDatabase();
  const md5 = createHash("md5").update(knownBad).digest("hex");
  assert.ok(
    parseDatabaseText("t.ndb", "Android.Evil.Body:0:*:4556494c2d5041594c4f4144{1-8}3966\n", parsed).ok,
  );
  assert.ok(parseDatabaseText("t.hdb", `${md5}:${knownBad.length}:Android.Evil.Hash\n`, parsed).ok);
  const compiled = compileDatabase(parsed, "db-1");
  assert.ok(compiled.ok);
  return compiled.value;
}

function wire(rig: SyncRig, onTheFly: boolean): { av: AntivirusMirrorService; notices: Notice[] } {
  const notices: Notice[] = [];
  const service = new AntivirusService({ database: new DatabaseHolder(engine()), hash });
  const av = new AntivirusMirrorService(
    {
      sha256: nodeSha256,
      outbox: { send: () => assert.fail("the antivirus sends nothing out of the server") },
      fetcher: { fetch: () => assert.fail("the antivirus fetches nothing") },
      notices: {
        queueNotice: (id, notice) => {
          notices.push(notice);
          return rig.server.queueNotice(id, notice);
        },
      },
      network: {
        deliver: (id, input) => {
          const recorded = rig.monitor.deliver(id, input);
          assert.ok(recorded.ok);
          const phone = rig.phone(id);
          rig.tickPhone(phone);
          assert.ok(phone.platform.applyNetwork(recorded.value).ok);
          return recorded;
        },
      },
    },
    { service, storageOf: (id) => rig.mirrors.view(id), onTheFly },
  );
  rig.server.onReplayedInput((id, event, nowMs) =>
    av.replayed(id, nowMs, event.kind === "user" ? event.input.app : undefined),
  );
  return { av, notices };
}

/** Replay, then the scan jobs' steps (what a runtime's tick does), then replay of the result. */
function settleScanning(rig: SyncRig, av: AntivirusMirrorService, id: string): void {
  rig.settle(id);
  for (let guard = 0; guard < 10_000 && av.hasStepWork(); guard++) av.onStep(rig.nowMs, defaultStepBudget);
  assert.equal(av.hasStepWork(), false, "scan jobs finish in a bounded number of steps");
  rig.settle(id);
}

function apk(entries: Record<string, Uint8Array>): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, [v, { level: 6 }]])));
}

function resultFile(rig: SyncRig, id: string): { path: string; name: string }[] {
  const dir = rig.phone(id).platform.storage.list("/data/antivirus/results");
  assert.ok(dir.ok && dir.value.length > 0, "the phone holds a scan result");
  const file = rig.phone(id).platform.storage.readFile(`/data/antivirus/results/${dir.value.at(-1)}`);
  assert.ok(file.ok);
  return parseScanResult(file.value);
}

test("antivirus: scan request via sync returns the verdicts of scanning the phone's storage directly (seed=8)", () => {
  const rig = new SyncRig(8);
  const { av, notices } = wire(rig, false);
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
  settleScanning(rig, av, "p1");
  assert.equal(av.requestsAnswered, 1);
  const direct = new AntivirusService({ database: new DatabaseHolder(engine()), hash }).scanStorage(
    rig.phone("p1").platform.storage,
  );
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
  const { av, notices } = wire(rig, true);
  rig.addPhone("p1");
  rig.runWorkload("p1", 2 * 60_000);
  settleScanning(rig, av, "p1");
  assert.equal(av.onTheFlyAlerts, 0, "the factory image and workload files are clean");
  assert.ok(
    rig.mirrors.view("p1") instanceof Storage,
    "mirrors are platform storages: written files come from a Merkle diff",
  );
  rig.network("p1", "installer", "package", ["name=game", "version=1"], apk({ "classes.dex": evilDex }));
  rig.runWorkload("p1", 4 * 60_000);
  settleScanning(rig, av, "p1");
  assert.equal(av.onTheFlyAlerts, 1);
  assert.deepEqual(resultFile(rig, "p1"), [{ path: "/apps/game/classes.dex", name: "Android.Evil.Body" }]);
  assert.equal(notices.length, 1);
  assert.ok(rig.mirrorDigestEquals("p1"));
  assert.deepEqual(rig.errors, []);
});

test("antivirus: fleet of 1000 mirrors from one template: each distinct blob scanned once", () => {
  const mirrors = new MirrorServer({
    store: new MemoryMirrorStore(),
    platforms: platformFactory(nodeSha256),
    sha256: nodeSha256,
  });
  const service = new AntivirusService({ database: new DatabaseHolder(engine()), hash });
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
