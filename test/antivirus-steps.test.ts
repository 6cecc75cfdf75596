// Antivirus scans run in bounded steps, not inside the replay hook (issue 8
// follow-up, paper §5.2): a scan larger than one step's budget finishes over
// several steps with the one-shot scan's detections; the result describes the
// mirror's storage as of the request even though the mirror keeps replaying;
// other phones' replay proceeds between steps; requests beyond the queue
// bound get a clear E_QUEUE_FULL result.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ok } from "../src/core/errors.ts";
import { limits } from "../src/core/limits.ts";
import { SeededRng } from "../src/core/rng.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import { publicLevelKey, Storage } from "../src/platform/index.ts";
import { AntivirusMirrorService, ScanQueue, scanResultError } from "../src/services/antivirus/index.ts";
import type { StepBudget } from "../src/services/index.ts";
import {
  apk,
  drainScans,
  evilDex,
  hostAntivirus,
  knownBad,
  resultFile,
  settleScanning,
  testAntivirus,
} from "./antivirus-rig.ts";
import { SyncRig } from "./support/sync-rig.ts";

const tiny: StepBudget = { filesMax: 2, bytesMax: 1024 };

/** A random tree: `count` files up to 20 KB, some holding a body or hash signature. */
function randomTree(seed: number, count: number): Storage {
  const rng = new SeededRng(seed);
  const files: [string, Uint8Array][] = [];
  for (let i = 0; i < count; i++) {
    const pick = rng.int(0, 9);
    const bytes = pick === 0 ? evilDex : pick === 1 ? knownBad : rng.bytes(rng.int(0, 20 * 1024));
    files.push([`/d${rng.int(0, 4)}/f${i}.bin`, bytes]);
  }
  const built = Storage.fromFiles(files, { sha256: nodeSha256, levels: publicLevelKey });
  assert.ok(built.ok);
  return built.value;
}

test("antivirus steps: a scan over a tree larger than one step's budget completes over several steps with the one-shot scan's detections", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.integer({ min: 20, max: 120 }),
      fc.integer({ min: 1, max: 16 }),
      fc.integer({ min: 1, max: 64 * 1024 }),
      fc.constantFrom("/", "/d1", "/d3"),
      (seed, count, filesMax, bytesMax, scope) => {
        const tree = randomTree(seed, count);
        const oneShot = testAntivirus();
        const expected = oneShot.scanStorage(tree, scope);
        const stepped = testAntivirus();
        const queue = new ScanQueue((task) =>
          stepped.beginScan(task.source, "scope" in task ? task.scope : "/"),
        );
        assert.ok(queue.offer({ kind: "request", deviceId: "p", requestId: "r", source: tree, scope }));
        const largest = Math.max(0, ...[...tree.walk()].map((f) => f.size));
        let steps = 0;
        let report: typeof expected | undefined;
        for (; steps < 100_000 && report === undefined; steps++) {
          const { usage, finished } = queue.step({ filesMax, bytesMax });
          assert.ok(usage.files <= filesMax, `step ${steps}: ${usage.files} files > ${filesMax}`);
          assert.ok(usage.bytes <= Math.max(bytesMax, largest), `step ${steps}: ${usage.bytes} bytes`);
          report = finished[0]?.report;
        }
        assert.ok(report !== undefined, "the job finished");
        assert.deepEqual(report.detections, expected.detections);
        assert.equal(report.filesScanned, expected.filesScanned);
        assert.equal(report.blobsScanned, expected.blobsScanned);
        if (expected.filesScanned > filesMax) assert.ok(steps > 1, "a big tree takes several steps");
      },
    ),
    { numRuns: 40, seed: 8 },
  );
});

test("antivirus steps: files written after the request are not in the result, files before it are (seed=11)", () => {
  const rig = new SyncRig(11);
  const { host, av } = hostAntivirus(rig, false);
  rig.addPhone("p1");
  rig.runWorkload("p1", 60_000);
  rig.network("p1", "installer", "package", ["name=game", "version=1"], apk({ "classes.dex": evilDex }));
  rig.user("p1", "antivirus-hook", { kind: "action", name: "scan", args: ["path=/"] });
  const atRequest = Storage.fromSnapshot(rig.phone("p1").platform.storage.snapshot(), nodeSha256);
  rig.settle("p1");
  assert.equal(av.scansPending, 1, "replay queued the scan instead of running it");
  assert.equal(host.step(rig.nowMs, tiny), true, "one tiny step does not finish it");
  rig.network("p1", "installer", "package", ["name=tool", "version=2"], apk({ "assets/bad.bin": knownBad }));
  rig.settle("p1");
  const mirror = rig.mirrors.view("p1");
  assert.ok(mirror?.stat("/apps/tool/assets/bad.bin").ok, "the mirror kept replaying while the job ran");
  assert.ok(host.hasStepWork(), "the scan is still running");
  const steps = settleScanning(rig, host, "p1", tiny);
  assert.ok(steps > 1, `several steps (${steps})`);
  assert.equal(av.requestsAnswered, 1);
  const expected = testAntivirus().scanStorage(atRequest);
  const result = resultFile(rig, "p1");
  assert.deepEqual(
    result,
    expected.detections.map((d) => ({ path: d.path, name: d.name })),
  );
  assert.deepEqual(result, [{ path: "/apps/game/classes.dex", name: "Android.Evil.Body" }]);
  assert.ok(rig.mirrorDigestEquals("p1"), "the result input keeps phone and mirror equal");
  assert.deepEqual(rig.errors, []);
});

test("antivirus steps: replay of other phones proceeds between the steps of a scan (seed=12)", () => {
  const rig = new SyncRig(12, { syncIntervalMs: 1_000 });
  const { host, av } = hostAntivirus(rig, false);
  rig.addPhone("p1");
  rig.addPhone("p2");
  rig.user("p1", "antivirus-hook", { kind: "action", name: "scan", args: ["path=/"] });
  rig.settle("p1");
  assert.equal(av.scansPending, 1);
  let steps = 0;
  let replayedBetween = 0;
  for (; steps < 10_000 && host.hasStepWork(); steps++) {
    host.step(rig.nowMs, tiny);
    const before = rig.server.applied("p2");
    rig.runWorkload("p2", rig.nowMs + 3_000);
    rig.advance(2_500); // the last window closes and replays (t_syn_int 1 s + t_max)
    if (rig.server.applied("p2") > before && host.hasStepWork()) replayedBetween++;
    assert.ok(rig.mirrorDigestEquals("p2"), `p2's mirror keeps up between steps (step ${steps})`);
  }
  assert.ok(steps >= 3, `the scan took several steps (${steps})`);
  assert.ok(replayedBetween >= 2, `p2 replayed batches between steps (${replayedBetween} times)`);
  assert.ok(host.stepStats().stepFilesMax <= tiny.filesMax, "no step scanned more than its budget");
  rig.settle("p1");
  assert.ok(av.requestsAnswered >= 1, "p1's request (p2's workload may ask for scans too)");
  assert.deepEqual(resultFile(rig, "p1"), []);
  assert.ok(rig.mirrorDigestEquals("p1") && rig.mirrorDigestEquals("p2"));
  assert.deepEqual(rig.errors, []);
});

test("antivirus steps: a request beyond the waiting-scan bound is answered with E_QUEUE_FULL (seed=13)", () => {
  const rig = new SyncRig(13);
  const { host, av, notices } = hostAntivirus(rig, false);
  rig.addPhone("p1");
  const requests = limits.scanRequestsQueuedMax + 1;
  for (let i = 0; i < requests; i++)
    rig.user("p1", "antivirus-hook", { kind: "action", name: "scan", args: ["path=/apps"] });
  rig.settle("p1");
  assert.equal(av.requestsRefused, 1, "the last request found the queue full");
  drainScans(host, rig.nowMs);
  rig.settle("p1");
  assert.equal(av.requestsAnswered, limits.scanRequestsQueuedMax);
  const results = rig.phone("p1").platform.storage.list("/data/antivirus/results");
  assert.ok(results.ok && results.value.length === requests, "every request got a result");
  const errors = results.value.flatMap((name) => {
    const file = rig.phone("p1").platform.storage.readFile(`/data/antivirus/results/${name}`);
    assert.ok(file.ok);
    const error = scanResultError(file.value);
    return error === undefined ? [] : [error];
  });
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /^E_QUEUE_FULL: /);
  assert.equal(notices.filter((n) => n.kind.case === "text").length, 1, "the refusal is a notice too");
  assert.ok(rig.mirrorDigestEquals("p1"));
  assert.deepEqual(rig.errors, []);
});

test("antivirus steps: on the fly, writes merge into one waiting job and are scanned as written, even once deleted", () => {
  const built = Storage.fromFiles([["/system/clean.txt", new TextEncoder().encode("a clean system file")]], {
    sha256: nodeSha256,
    levels: publicLevelKey,
  });
  assert.ok(built.ok);
  const storage = built.value;
  const delivered: string[] = [];
  const av = new AntivirusMirrorService(
    {
      sha256: nodeSha256,
      outbox: { send: () => assert.fail("nothing leaves the server") },
      fetcher: { fetch: () => assert.fail("nothing is fetched") },
      notices: { queueNotice: () => ok(undefined) },
      network: {
        deliver: (_id, input) => {
          delivered.push(`${input.args[0]}\n${new TextDecoder().decode(input.payload)}`);
          return ok({ ...input, index: delivered.length });
        },
      },
    },
    {
      service: testAntivirus(),
      storageOf: () => storage,
      onTheFly: true,
    },
  );
  av.replayed("d", 0);
  assert.equal(av.scansPending, 1, "the first look queues a scan of every file");
  assert.ok(storage.writeFile("/apps/game/classes.dex", evilDex).ok);
  av.replayed("d", 1);
  assert.ok(storage.writeFile("/apps/tool/bad.bin", knownBad).ok);
  av.replayed("d", 2);
  assert.equal(av.scansPending, 2, "the second write joined the waiting on-the-fly job");
  assert.ok(storage.deleteFile("/apps/game/classes.dex").ok);
  av.replayed("d", 3);
  assert.equal(av.scansPending, 2, "a deletion writes nothing to scan");
  for (let guard = 0; guard < 100 && av.hasStepWork(); guard++) av.onStep(4, tiny);
  assert.equal(av.hasStepWork(), false);
  assert.equal(av.onTheFlyAlerts, 1, "one alert for the merged job; the clean first look sends none");
  assert.equal(delivered.length, 1);
  assert.match(delivered[0]!, /^id=onthefly-1\n/);
  assert.match(delivered[0]!, /\/apps\/game\/classes\.dex: Android\.Evil\.Body FOUND/);
  assert.match(delivered[0]!, /\/apps\/tool\/bad\.bin: Android\.Evil\.Hash FOUND/);
});
