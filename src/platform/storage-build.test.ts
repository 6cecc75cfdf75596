import assert from "node:assert/strict";
import { test } from "node:test";
import { toHex, utf8 } from "../core/bytes.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { factoryTemplate } from "./factory-template.ts";
import { DirNode, dirGet, FileNode, type FsNode } from "./fs-node.ts";
import { LevelKey, publicLevelKey } from "./key-level.ts";
import { Platform } from "./platform.ts";
import { Storage, type StorageSnapshot } from "./storage.ts";
import { rekeySnapshot } from "./storage-build.ts";

const deviceKey = LevelKey.fromSecret(new Uint8Array(16).fill(0x33));

function contents(storage: Storage): [string, Uint8Array][] {
  return storage.manifest().map((e) => {
    const read = storage.readFile(e.path);
    assert.ok(read.ok);
    return [e.path, read.value];
  });
}

test("rekey: a template under a device key has the same files, shared file nodes and blobs, and the device's digest", () => {
  const template = factoryTemplate("mc-rekey", nodeSha256).storage;
  const rekeyed = rekeySnapshot(template, deviceKey);
  assert.equal(rekeySnapshot(template, publicLevelKey), template, "the template's own key: nothing to do");
  assert.equal(rekeyed.levels, deviceKey);
  assert.equal(rekeyed.blobs, template.blobs, "the blob index is shared");
  assert.equal(rekeyed.fileCount, template.fileCount);
  const view = Storage.fromSnapshot(rekeyed, nodeSha256);
  const templateView = Storage.fromSnapshot(template, nodeSha256);
  assert.deepEqual(view.manifest(), templateView.manifest());
  assert.deepEqual(view.emptyDirs(), templateView.emptyDirs());
  const fresh = Storage.fromFiles(contents(templateView), {
    sha256: nodeSha256,
    levels: deviceKey,
    emptyDirs: templateView.emptyDirs(),
  });
  assert.ok(fresh.ok);
  assert.equal(
    toHex(view.digest()),
    toHex(fresh.value.digest()),
    "rekeyed = built from scratch under the key",
  );
  assert.notEqual(toHex(view.digest()), toHex(templateView.digest()));
  // file nodes are the template's own objects, not copies
  const at = (snapshot: StorageSnapshot, path: readonly string[]): FsNode | undefined => {
    let node: FsNode | undefined = snapshot.root;
    for (const name of path) node = node instanceof DirNode ? dirGet(node, name) : undefined;
    return node;
  };
  const file = at(template, ["system", "build.prop"]);
  assert.ok(file instanceof FileNode);
  assert.equal(at(rekeyed, ["system", "build.prop"]), file);
});

test("storage: writes, snapshots, clones, restores and manifests keep the storage's level key", () => {
  const s = Storage.empty(nodeSha256, deviceKey);
  for (let i = 0; i < 300; i++) s.writeFile(`/data/mms/part-${i}.bin`, utf8(`content ${i}`));
  s.mkdir("/sdcard/empty");
  const rebuilt = () => {
    const built = Storage.fromFiles(contents(s), {
      sha256: nodeSha256,
      levels: deviceKey,
      emptyDirs: s.emptyDirs(),
    });
    assert.ok(built.ok);
    return toHex(built.value.digest());
  };
  assert.equal(toHex(s.digest()), rebuilt());
  const clone = Storage.fromSnapshot(s.snapshot(), nodeSha256);
  clone.writeFile("/data/mms/part-new.bin", utf8("new"));
  s.writeFile("/data/mms/part-new.bin", utf8("new"));
  assert.equal(toHex(clone.digest()), toHex(s.digest()), "a clone writes under the snapshot's key");
  assert.equal(toHex(s.digest()), rebuilt());
  const saved = s.snapshot();
  const other = Storage.empty(nodeSha256, publicLevelKey);
  other.restore(saved);
  other.writeFile("/data/mms/after.bin", utf8("x"));
  s.writeFile("/data/mms/after.bin", utf8("x"));
  assert.equal(toHex(other.digest()), toHex(s.digest()), "restore adopts the snapshot's key");
  const keyed = Storage.fromManifest(s.manifest(), (h) => s.blob(h), {
    sha256: nodeSha256,
    levels: deviceKey,
    emptyDirs: s.emptyDirs(),
  });
  const unkeyed = Storage.fromManifest(s.manifest(), (h) => s.blob(h), {
    sha256: nodeSha256,
    levels: publicLevelKey,
    emptyDirs: s.emptyDirs(),
  });
  assert.ok(keyed.ok && unkeyed.ok);
  assert.equal(toHex(keyed.value.digest()), toHex(s.digest()));
  assert.notEqual(toHex(unkeyed.value.digest()), toHex(s.digest()), "the public key shapes another tree");
  assert.deepEqual(
    unkeyed.value.diff(s).map((c) => c.path),
    [],
    "a diff across keys still finds no changed path",
  );
});

test("rekey: a phone and its mirror in one process with one key object share the rebuilt template", () => {
  const template = factoryTemplate("mc-rekey", nodeSha256).storage;
  const key = LevelKey.fromSecret(new Uint8Array(16).fill(0x44));
  const first = rekeySnapshot(template, key);
  assert.equal(rekeySnapshot(template, key), first, "same key object, same template: the same tree");
  const twin = LevelKey.fromSecret(new Uint8Array(16).fill(0x44));
  const separate = rekeySnapshot(template, twin);
  assert.notEqual(separate.root, first.root, "another key object rebuilds");
  assert.equal(
    toHex(Storage.fromSnapshot(separate, nodeSha256).digest()),
    toHex(Storage.fromSnapshot(first, nodeSha256).digest()),
    "equal secrets, equal digests",
  );
});

test("level key: no platform from the template and no new storage without one (type errors; assertions for untyped callers)", () => {
  const mirror = { mode: "mirror", deviceId: "m", model: "mc-rekey", sha256: nodeSha256 } as const;
  // @ts-expect-error levelKey is required when the platform starts from the factory template
  assert.throws(() => Platform.create(mirror), /level key/);
  // @ts-expect-error Storage.empty has no default key
  assert.throws(() => Storage.empty(nodeSha256), /level key/);
  // @ts-expect-error neither has fromFiles
  assert.throws(() => Storage.fromFiles([], { sha256: nodeSha256 }), /level key/);
  // @ts-expect-error nor fromManifest
  assert.throws(() => Storage.fromManifest([], () => undefined, { sha256: nodeSha256 }), /level key/);
  // a platform started from a snapshot keeps the key the snapshot carries
  const keyed = Platform.create({ ...mirror, levelKey: deviceKey });
  const clone = Platform.create({ ...mirror, from: keyed.snapshot() });
  assert.equal(clone.snapshot().storage.levels, deviceKey);
  assert.equal(toHex(clone.digest()), toHex(keyed.digest()));
});
