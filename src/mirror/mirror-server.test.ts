import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRng } from "../core/rng.ts";
import { nodeSha256 } from "../node/index.ts";
import { factoryTemplate, Platform, publicLevelKey, Storage, seededNondet } from "../platform/index.ts";
import { MemoryMirrorStore } from "./memory-store.ts";
import { MirrorServer } from "./mirror-server.ts";
import { exportUiState, parseUiState, platformFactory } from "./platform-adapter.ts";

const model = "mc-phone-1";

function server(store = new MemoryMirrorStore()) {
  return new MirrorServer({
    store,
    platforms: platformFactory(nodeSha256, { levelKeyOf: () => publicLevelKey }),
    sha256: nodeSha256,
  });
}

function usedPhone(seed: number): Platform {
  let now = 1_000;
  const phone = Platform.create({
    mode: "phone",
    deviceId: "phone",
    model,
    sha256: nodeSha256,
    levelKey: publicLevelKey,
    nondet: seededNondet({ rng: new SeededRng(seed), clock: { nowMs: () => now }, cameraBytes: 5_000 }),
  });
  for (let i = 1; i <= 20; i++) {
    now += 1_000;
    const shot = phone.applyUser({
      seq: i,
      timeMs: now,
      app: "camera",
      body: { kind: "action", name: "shoot", args: [] },
    });
    assert.ok(shot.ok, shot.ok ? "" : shot.error.message);
  }
  return phone;
}

test("mirror: first boot creates a mirror from the model's template, sharing its state", () => {
  const mirrors = server();
  assert.ok(mirrors.register("d1", model).ok);
  assert.ok(mirrors.register("d2", model).ok);
  const template = Storage.fromSnapshot(factoryTemplate(model, nodeSha256).storage, nodeSha256);
  assert.deepEqual(mirrors.running("d1")!.digest(), template.digest());
  assert.equal(mirrors.status("d1"), "running");
  const again = mirrors.register("d1", model);
  assert.ok(!again.ok && again.error.code === "E_DEVICE_EXISTS");
  assert.equal(mirrors.store.blobStats().blobs, 0, "a template mirror stores no blobs of its own");
});

test("mirror: power-off saves a checkpoint and stops; boot restores the same storage; blob refs do not leak", () => {
  const store = new MemoryMirrorStore();
  const mirrors = server(store);
  assert.ok(mirrors.register("d1", model).ok);
  const mirror = mirrors.running("d1")!;
  assert.ok(mirror.storage.writeFile("/sdcard/notes.txt", new TextEncoder().encode("hello")).ok);
  const digest = mirror.digest();
  const position = { batchNo: 0, lastSeq: 0, networkConsumed: 0, windowEndMs: 0 };
  assert.ok(mirrors.saveAndStop("d1", position).ok);
  assert.equal(mirrors.status("d1"), "stopped");
  const blobsAfterFirst = store.blobStats();
  const loaded = mirrors.load("d1");
  assert.ok(loaded.ok);
  assert.deepEqual(loaded.value.platform.digest(), digest);
  assert.ok(mirrors.saveAndStop("d1", position).ok);
  assert.deepEqual(
    store.blobStats(),
    blobsAfterFirst,
    "saving the same state twice keeps one reference per file",
  );
  const stopped = mirrors.saveAndStop("d1", position);
  assert.ok(!stopped.ok && stopped.error.code === "E_MIRROR_STOPPED");
  // A server restart (new object over the same store) restores it too.
  const restarted = server(store).load("d1");
  assert.ok(restarted.ok);
  assert.deepEqual(restarted.value.platform.digest(), digest);
});

test("mirror: clone transfers only the blobs the server lacks and checks them", () => {
  const mirrors = server();
  const phone = usedPhone(1);
  const view = Storage.fromSnapshot(phone.storage.snapshot(), nodeSha256);
  const offer = {
    position: { batchNo: 0, lastSeq: 20, networkConsumed: 0, windowEndMs: 21_000 },
    digest: phone.digest(),
    files: [...view.walk()],
    emptyDirs: view.emptyDirs(),
    volatileState: exportUiState(phone),
  };
  const begun = mirrors.beginClone("d1", model, offer);
  assert.ok(begun.ok);
  const template = Storage.fromSnapshot(factoryTemplate(model, nodeSha256).storage, nodeSha256);
  const fresh = new Set(
    offer.files
      .filter((f) => template.blob(f.sha256) === undefined)
      .map((f) => Buffer.from(f.sha256).toString("hex")),
  );
  assert.ok(fresh.size >= 20 && fresh.size < 40, `${fresh.size} new blobs`);
  assert.equal(begun.value.missing.length, fresh.size, "only new blobs travel; the template's never do");
  assert.equal(mirrors.status("d1"), "cloning");
  const blobs = begun.value.missing.map((sha) => view.blob(sha)!);
  const forged = mirrors.completeClone("d1", [new Uint8Array([1, 2, 3])]);
  assert.ok(!forged.ok && forged.error.code === "E_BLOB_CORRUPT");
  const short = mirrors.completeClone("d1", blobs.slice(1));
  assert.ok(!short.ok && short.error.code === "E_BLOB_MISSING");
  assert.equal(mirrors.status("d1"), "cloning", "failed completions change nothing");
  const done = mirrors.completeClone("d1", blobs);
  assert.ok(done.ok, done.ok ? "" : done.error.message);
  assert.equal(done.value.blobsSent, fresh.size);
  assert.ok(done.value.blobsDeduped > 100);
  assert.deepEqual(mirrors.running("d1")!.digest(), phone.digest());
  // A second phone with the same photos costs nothing new.
  const twin = mirrors.beginClone("d2", model, { ...offer });
  assert.ok(twin.ok);
  assert.equal(twin.value.missing.length, 0);
});

test("mirror: volatile state parses only when it is a UI state", () => {
  const phone = usedPhone(2);
  assert.ok(parseUiState(exportUiState(phone)) !== undefined);
  for (const bad of [
    "",
    "{}",
    "[]",
    '{"foreground":"nope","locked":false,"shadeOpen":false,"apps":{}}',
    "\u00ff",
  ]) {
    assert.equal(parseUiState(new TextEncoder().encode(bad)), undefined, bad);
  }
});

test("mirror: a checkpoint moves only the net blob references: kept files cost no store call, counts as one per manifest file", () => {
  const store = new MemoryMirrorStore();
  const calls = { retain: 0, release: 0 };
  const retain = store.retainBlob.bind(store);
  const release = store.releaseBlob.bind(store);
  store.retainBlob = (sha, count) => {
    calls.retain++;
    retain(sha, count);
  };
  store.releaseBlob = (sha) => {
    calls.release++;
    release(sha);
  };
  const mirrors = server(store);
  assert.ok(mirrors.register("d1", model).ok);
  const mirror = mirrors.running("d1")!;
  const position = (batchNo: number) => ({ batchNo, lastSeq: 0, networkConsumed: 0, windowEndMs: 0 });
  const text = (s: string) => new TextEncoder().encode(s);
  assert.ok(mirror.storage.writeFile("/sdcard/a.txt", text("same")).ok);
  assert.ok(mirror.storage.writeFile("/sdcard/b.txt", text("same")).ok);
  assert.ok(mirrors.save("d1", position(1)).ok);
  const files = [...mirror.storage.walk()].length;
  assert.ok(calls.retain < files, "one retain per distinct content, with its count");
  const expectRefs = () => {
    const byHash = new Map<string, { sha: Uint8Array; n: number }>();
    for (const f of mirror.storage.walk()) {
      const key = Buffer.from(f.sha256).toString("hex");
      byHash.set(key, { sha: f.sha256, n: (byHash.get(key)?.n ?? 0) + 1 });
    }
    for (const { sha, n } of byHash.values()) assert.equal(store.blobRefs(sha), n);
    assert.equal(store.blobStats().blobs, byHash.size, "no blob outlives the manifest");
  };
  expectRefs();
  calls.retain = 0;
  calls.release = 0;
  assert.ok(mirror.storage.writeFile("/sdcard/b.txt", text("changed")).ok);
  assert.ok(mirror.storage.writeFile("/sdcard/c.txt", text("new")).ok);
  assert.ok(mirrors.save("d1", position(2)).ok);
  assert.deepEqual(calls, { retain: 2, release: 1 }, "only the changed contents moved");
  expectRefs();
  assert.ok(mirrors.saveAndStop("d1", position(3)).ok);
  const restored = server(store).load("d1");
  assert.ok(restored.ok);
  assert.deepEqual(restored.value.platform.digest(), mirror.digest());
});
