import assert from "node:assert/strict";
import { test } from "node:test";
import { toHex } from "../core/bytes.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { binaryFromBytes } from "../platform/fs-node.ts";
import { levelKeyFromDeviceKey, publicLevelKey } from "../platform/key-level.ts";
import { Storage } from "../platform/storage.ts";
import { LivePhoneCore } from "./phone-core-adapter.ts";
import type { SavedPhone } from "./phone-state.ts";

const deviceKey = new Uint8Array(32).fill(0x61);

function phoneOptions(clock: { nowMs(): number }) {
  return {
    deviceId: "d1",
    model: "pixel",
    sha256: nodeSha256,
    clock,
    seed: 7,
    eventsPerSecond: 20,
    networkPerSecond: 0,
    syncIntervalMs: 200,
    sizeScale: 0.01,
  };
}

test("live phone: a phone restored from its last commit point rebuilds its storage under its device's level key (seed=7)", () => {
  const levelKey = levelKeyFromDeviceKey(deviceKey, nodeSha256);
  let nowMs = 1_000_000;
  const clock = { nowMs: () => nowMs };
  let saved: SavedPhone | undefined;
  let digestAtCommit = "";
  const phone: LivePhoneCore = new LivePhoneCore({
    ...phoneOptions(clock),
    levelKey,
    commit: (state, blobOf) => {
      // the store's copy: blobs read now, as a later write may drop them from the phone
      const blobs = new Map(state.files.map((f) => [binaryFromBytes(f.sha256), blobOf(f.sha256)!]));
      saved = { ...state, blobOf: (sha) => blobs.get(binaryFromBytes(sha)) };
      digestAtCommit = toHex(phone.digest());
    },
  });
  for (let i = 0; i < 100; i++) {
    nowMs += 50;
    phone.runWorkload(nowMs);
    phone.tick(nowMs);
  }
  assert.ok(saved !== undefined && saved.files.length > 0, "the phone reached a commit point");
  const restored = new LivePhoneCore({ ...phoneOptions(clock), levelKey, saved });
  assert.equal(toHex(restored.digest()), digestAtCommit);
  // the same files under the public key are another tree: the key, not luck, made the digests equal
  const publicTree = Storage.fromManifest(saved.files, saved.blobOf, {
    sha256: nodeSha256,
    levels: publicLevelKey,
    emptyDirs: saved.emptyDirs,
  });
  assert.ok(publicTree.ok);
  assert.notEqual(toHex(publicTree.value.digest()), digestAtCommit);
});

test("live phone: one cannot be made without a level key (type error; assertion for untyped callers)", () => {
  const clock = { nowMs: () => 1_000_000 };
  // @ts-expect-error levelKey is required: a live phone never falls back to the public key
  assert.throws(() => new LivePhoneCore(phoneOptions(clock)), /level key/);
});
