// The storage digest is a stored contract: mirrors saved on disk, templates
// and the phone's batch digests are compared across versions, so how the
// Merkle root is computed may change but its value must not. These tests pin
// digests and check that asking for the digest rarely or often gives the
// same roots. Re-pinned once in session 3, when directory levels became a
// keyed PRF of the name (key-level.ts): the tree shapes, so every root,
// changed; the node encoding did not. Pinned under the public level key
// (tests, tools, shared templates) and under one device's key.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { toHex, utf8 } from "../core/bytes.ts";
import { SeededRng } from "../core/rng.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { drivePhone, ManualClock, replayLog } from "./drive.ts";
import { factoryTemplate } from "./factory-template.ts";
import { LevelKey, levelKeyFromDeviceKey, publicLevelKey } from "./key-level.ts";
import { seededNondet } from "./nondet.ts";
import { Platform } from "./platform.ts";
import { Storage } from "./storage.ts";
import { Workload } from "./workload.ts";

/** SHA-256 over the concatenated digests, so one hex pins the whole sequence. */
function chain(digests: readonly Uint8Array[]): string {
  const all = new Uint8Array(digests.length * 32);
  digests.forEach((d, i) => {
    all.set(d, i * 32);
  });
  return toHex(nodeSha256(all));
}

/** A device's level key, as a live phone enrolled with key 0x42... would derive it. */
const deviceLevels = levelKeyFromDeviceKey(new Uint8Array(32).fill(0x42), nodeSha256);

/** A phone on the paper workload; the digest after every `every` events. */
function workloadDigests(seed: number, events: number, every: number, levelKey = publicLevelKey) {
  const clock = new ManualClock();
  const rng = new SeededRng(seed);
  const phone = Platform.create({
    mode: "phone",
    deviceId: "golden",
    model: "mc-one",
    sha256: nodeSha256,
    nondet: seededNondet({ rng: rng.fork("nondet"), clock, cameraBytes: 300 }),
    levelKey,
  });
  const stream = new Workload({ rng: rng.fork("workload"), sizeScale: 0.002 }).take(events);
  const digests: Uint8Array[] = [];
  const log = [];
  for (let i = 0; i < stream.length; i += every) {
    log.push(...drivePhone(phone, stream.slice(i, i + every), clock, log.length + 1).log);
    digests.push(phone.digest());
  }
  return { phone, digests, log };
}

test("digest: the factory template's root is the pinned value", () => {
  const template = factoryTemplate("mc-one", nodeSha256);
  const storage = Storage.fromSnapshot(template.storage, nodeSha256);
  assert.equal(toHex(storage.digest()), "afb43542e126d10da48e3f375b80a8a2e54a181d22eec0216ab00d7245233066");
});

test("digest: a device's factory template has its own pinned root: same files, its own tree shape", () => {
  const template = factoryTemplate("mc-one", nodeSha256);
  const phone = Platform.create({
    mode: "mirror",
    deviceId: "golden",
    model: "mc-one",
    sha256: nodeSha256,
    levelKey: deviceLevels,
  });
  assert.equal(toHex(phone.digest()), "55f1aab57f5ab983a8c7c5135d4977a4ef522adb3f4b70eb42668575f789bd10");
  assert.notEqual(toHex(phone.digest()), toHex(Storage.fromSnapshot(template.storage, nodeSha256).digest()));
  assert.deepEqual(phone.storage.manifest(), Storage.fromSnapshot(template.storage, nodeSha256).manifest());
  const other = LevelKey.fromSecret(new Uint8Array(16).fill(1));
  const stranger = Platform.create({
    mode: "mirror",
    deviceId: "other",
    model: "mc-one",
    sha256: nodeSha256,
    levelKey: other,
  });
  assert.notEqual(toHex(stranger.digest()), toHex(phone.digest()));
});

test("digest: a phone on the paper workload has the pinned root after every 30-input batch (seed=42)", () => {
  const { digests } = workloadDigests(42, 3_000, 30);
  assert.equal(digests.length, 100);
  assert.equal(chain(digests), "634c36688fbe5de933ded2e60f440502419482d9934e86a2a43ad72c93b4627a");
  assert.equal(
    toHex(digests[digests.length - 1]!),
    "84a924e3fb860faeb9e79334ca15d5ec8ab06161259d1466fd5d29c80e01c429",
  );
});

test("digest: a phone with a device level key has the pinned roots, and its mirror with the same key follows (seed=42)", () => {
  const { digests, log, phone } = workloadDigests(42, 3_000, 30, deviceLevels);
  assert.equal(chain(digests), "7a5bb9d02b02748e40296e2470287d9907bd8bc6d186df6894b9011dde8be096");
  const mirror = Platform.create({
    mode: "mirror",
    deviceId: "golden",
    model: "mc-one",
    sha256: nodeSha256,
    levelKey: deviceLevels,
  });
  const replayed = replayLog(mirror, log);
  assert.ok(replayed.ok, replayed.ok ? "" : replayed.error.message);
  assert.equal(toHex(mirror.digest()), toHex(phone.digest()));
  assert.deepEqual(mirror.storage.manifest(), phone.storage.manifest());
});

test("digest: asking after every input or once per batch gives the same roots, phone and mirror (seed=7)", () => {
  const perInput = workloadDigests(7, 600, 1);
  const perBatch = workloadDigests(7, 600, 30);
  for (let i = 0; i < perBatch.digests.length; i++) {
    const afterInput = Math.min((i + 1) * 30, perInput.digests.length) - 1;
    assert.equal(toHex(perBatch.digests[i]!), toHex(perInput.digests[afterInput]!), `batch ${i}`);
  }
  const mirror = Platform.create({
    mode: "mirror",
    deviceId: "golden",
    model: "mc-one",
    sha256: nodeSha256,
    levelKey: publicLevelKey,
  });
  const replayed = replayLog(mirror, perBatch.log);
  assert.ok(replayed.ok, replayed.ok ? "" : replayed.error.message);
  assert.equal(toHex(mirror.digest()), toHex(perBatch.phone.digest()));
});

const opArb = fc.record({
  op: fc.constantFrom("write", "remove", "rename", "mkdir", "copy"),
  a: fc.integer({ min: 0, max: 40 }),
  b: fc.integer({ min: 0, max: 40 }),
  size: fc.integer({ min: 0, max: 64 }),
});

/** Paths over a few directories, some deep, so writes share and do not share parents. */
function pathOf(n: number): string {
  const dirs = ["/a", "/a/b", "/a/b/c", "/d", "/d/e/f/g"];
  return `${dirs[n % dirs.length]}/n${n % 13}`;
}

test("digest: after random operations, the root asked every k operations equals a fresh rebuild's (fast-check)", () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 80 }), fc.integer({ min: 1, max: 9 }), (ops, k) => {
      const storage = Storage.empty(nodeSha256, publicLevelKey);
      ops.forEach((o, i) => {
        const from = pathOf(o.a);
        if (o.op === "write") storage.writeFile(from, utf8(`${o.b}:`.repeat(o.size)));
        else if (o.op === "remove") storage.removeTree(from.slice(0, from.lastIndexOf("/")) || "/a");
        else if (o.op === "rename") storage.rename(from, pathOf(o.b));
        else if (o.op === "mkdir") storage.mkdir(`${from}x`);
        else storage.copyFile(from, pathOf(o.b));
        if (i % k !== k - 1) return;
        const files = storage.manifest().map((e) => {
          const read = storage.readFile(e.path);
          assert.ok(read.ok);
          return [e.path, read.value] as const;
        });
        const rebuilt = Storage.fromFiles(files, {
          sha256: nodeSha256,
          levels: publicLevelKey,
          emptyDirs: storage.emptyDirs(),
        });
        assert.ok(rebuilt.ok);
        assert.equal(toHex(storage.digest()), toHex(rebuilt.value.digest()));
      });
    }),
    { numRuns: 120 },
  );
});
