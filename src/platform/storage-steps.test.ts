import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { utf8 } from "../core/bytes.ts";
import type { Sha256 } from "../core/ports.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { emptyDir } from "./fs-node.ts";
import { LevelKey } from "./key-level.ts";
import { Storage } from "./storage.ts";
import { StepOp, StepShare, StorageStep } from "./storage-steps.ts";
import { applyStorageOp, applyStorageOps, storageOpArb } from "./testing/storage-ops.ts";

const secret = new Uint8Array(16).fill(7);
const sharing = (capacity = 1024) => LevelKey.fromSecret(secret, capacity);
const plainKey = LevelKey.fromSecret(secret);

/** Everything a storage answers about its contents. */
function contents(s: Storage): string {
  const files = s.manifest().map((f) => `${f.path} ${Buffer.from(f.sha256).toString("hex")} ${f.size}`);
  return JSON.stringify({
    digest: [...s.digest()],
    files,
    empty: s.emptyDirs(),
    n: s.fileCount,
    b: s.bytesTotal,
  });
}

/** A phone's storage and its mirror, made from one snapshot under one key (as the simulator makes them). */
function pair(key: LevelKey): { phone: Storage; mirror: Storage } {
  const built = Storage.fromFiles([["/a/b", utf8("template")]], { sha256: nodeSha256, levels: key });
  assert.ok(built.ok);
  const base = built.value;
  return {
    phone: Storage.fromSnapshot(base.snapshot(), nodeSha256, "lead"),
    mirror: Storage.fromSnapshot(base.snapshot(), nodeSha256, "follow"),
  };
}

test("storage steps: a mirror replaying its phone's operations takes every step and ends on the phone's own state (property)", () => {
  fc.assert(
    fc.property(fc.array(storageOpArb, { maxLength: 40 }), (ops) => {
      const key = sharing();
      const { phone, mirror } = pair(key);
      applyStorageOps(phone, ops);
      applyStorageOps(mirror, ops);
      assert.equal(mirror.snapshot().root, phone.snapshot().root, "the mirror holds the phone's tree itself");
      assert.equal(key.steps?.size, 0, "every step the phone offered was taken");
      const alone = pair(plainKey).mirror;
      applyStorageOps(alone, ops);
      assert.equal(contents(mirror), contents(alone));
      assert.deepEqual(mirror.filesDiffering(alone), []);
    }),
    { numRuns: 300 },
  );
});

test("storage steps: sharing never changes a result: a mirror whose operations differ ends where it would alone (property)", () => {
  fc.assert(
    fc.property(
      fc.array(storageOpArb, { maxLength: 30 }),
      fc.array(storageOpArb, { maxLength: 30 }),
      fc.nat(30),
      fc.boolean(),
      fc.integer({ min: 1, max: 6 }),
      (phoneOps, otherOps, shared, interleave, digestEvery) => {
        // the mirror replays a prefix of the phone's operations, then its own
        const mirrorOps = [...phoneOps.slice(0, shared), ...otherOps];
        const { phone, mirror } = pair(sharing(8));
        if (interleave) {
          for (let i = 0; i < Math.max(phoneOps.length, mirrorOps.length); i++) {
            if (i < phoneOps.length) applyStorageOp(phone, phoneOps[i]!);
            if (i < mirrorOps.length) applyStorageOp(mirror, mirrorOps[i]!);
            // digests along the way: equal contents meet and swap state objects
            if (i % digestEvery === 0) assert.equal(phone.digest().length + mirror.digest().length, 64);
          }
        } else {
          applyStorageOps(phone, phoneOps);
          applyStorageOps(mirror, mirrorOps);
        }
        const phoneAlone = pair(plainKey).phone;
        applyStorageOps(phoneAlone, phoneOps);
        const mirrorAlone = pair(plainKey).mirror;
        applyStorageOps(mirrorAlone, mirrorOps);
        assert.equal(contents(phone), contents(phoneAlone));
        assert.equal(contents(mirror), contents(mirrorAlone));
        assert.deepEqual(mirror.filesDiffering(mirrorAlone), []);
      },
    ),
    { numRuns: 300 },
  );
});

test("storage steps: an operation rolled back and another made from the same state are both taken", () => {
  const key = sharing();
  const { phone, mirror } = pair(key);
  for (const s of [phone, mirror]) {
    const before = s.snapshot();
    assert.ok(s.writeFile("/x", utf8("undone")).ok);
    s.restore(before);
    assert.ok(s.writeFile("/y", utf8("kept")).ok);
    assert.ok(s.rename("/y", "/z/y").ok);
  }
  assert.equal(mirror.snapshot().root, phone.snapshot().root);
  assert.equal(key.steps?.size, 0);
  assert.equal(mirror.exists("/x"), false);
});

test("storage steps: a step dropped for capacity is computed by the mirror, which then shares nothing more but agrees", () => {
  const key = sharing(2);
  const { phone, mirror } = pair(key);
  const ops = ["/p/1", "/p/2", "/p/3"].map((path) => ({
    op: "write" as const,
    path,
    bytes: new Uint8Array(utf8(path)),
  }));
  applyStorageOps(phone, ops);
  assert.equal(key.steps?.size, 2, "the oldest of three steps was dropped");
  applyStorageOps(mirror, ops);
  assert.notEqual(mirror.snapshot().root, phone.snapshot().root);
  assert.equal(contents(mirror), contents(phone));
  assert.ok((key.steps?.size ?? 0) <= 2);
});

test("storage steps: a key made without sharing records nothing", () => {
  assert.equal(plainKey.steps, undefined);
  assert.throws(() => new StepShare(0), /capacity/);
});

test("storage steps: a state keeps its newest four alternatives, and each is taken once", () => {
  const share = new StepShare(16);
  const step = (path: string) =>
    new StorageStep(undefined, StepOp.put, path, "h", emptyDir, undefined, 0, 0, plainKey);
  for (const path of ["1", "2", "3", "4", "5", "6"]) share.record(emptyDir, step(path));
  assert.equal(share.take(emptyDir, undefined, StepOp.put, "1", "h"), undefined);
  assert.equal(share.take(emptyDir, undefined, StepOp.put, "2", "h"), undefined);
  for (const path of ["4", "6", "3", "5"])
    assert.equal(share.take(emptyDir, undefined, StepOp.put, path, "h")?.path, path);
  assert.equal(share.size, 0);
  share.record(emptyDir, step("7"));
  assert.equal(
    share.take(emptyDir, undefined, StepOp.put, "7", "other hash"),
    undefined,
    "the argument must match",
  );
  assert.equal(
    share.take(emptyDir, undefined, StepOp.remove, "7", "h"),
    undefined,
    "the operation must match",
  );
  assert.equal(share.take(emptyDir, undefined, StepOp.put, "7", "h")?.path, "7");
  assert.equal(share.take(emptyDir, undefined, StepOp.put, "7", "h"), undefined, "taken once");
});

test("storage steps: a follower that reaches its leader's contents by other steps takes the leader's state at a digest and shares from then on", () => {
  const key = sharing();
  const { phone, mirror } = pair(key);
  const write = (s: Storage, path: string) => assert.ok(s.writeFile(path, utf8(path)).ok);
  write(phone, "/m/1");
  write(phone, "/m/2");
  const before = mirror.snapshot();
  write(mirror, "/m/2"); // another order: other tree objects, equal contents
  write(mirror, "/m/1");
  assert.notEqual(mirror.snapshot().root, phone.snapshot().root);
  assert.equal(key.steps?.size, 2, "the follower records none of its own");
  const published = phone.digest(); // the phone cuts its batch first
  assert.deepEqual(mirror.digest(), published);
  assert.equal(phone.snapshot().root, mirror.snapshot().root, "the follower took the leader's state");
  assert.equal(key.steps?.size, 0, "steps made before the met state are dropped");
  write(phone, "/m/3");
  write(mirror, "/m/3");
  assert.equal(mirror.snapshot().root, phone.snapshot().root, "and the next step is shared again");
  // different contents never meet
  write(phone, "/m/4");
  write(mirror, "/m/5");
  assert.notDeepEqual(phone.digest(), mirror.digest());
  assert.notEqual(mirror.snapshot().root, phone.snapshot().root);
  assert.equal(mirror.exists("/m/4"), false);
  // a storage restored to an older state keeps it: meeting never moves a storage to other contents
  mirror.restore(before);
  assert.equal(mirror.fileCount, before.fileCount);
  assert.equal(contents(mirror), contents(pair(plainKey).mirror));
});

test("storage steps: only a phone's and a mirror's platform storages take part; other storages of the key share nothing", () => {
  const key = sharing();
  const { phone, mirror } = pair(key);
  const start = phone.snapshot();
  const copy = Storage.fromSnapshot(start, nodeSha256);
  assert.ok(copy.writeFile("/c", utf8("copy")).ok);
  assert.equal(key.steps?.size, 0, "a storage without a role records nothing");
  assert.ok(phone.writeFile("/c", utf8("copy")).ok);
  assert.equal(key.steps?.size, 1);
  const other = Storage.fromSnapshot(start, nodeSha256);
  assert.ok(other.writeFile("/c", utf8("copy")).ok);
  assert.equal(key.steps?.size, 1, "nor takes the phone's steps");
  assert.ok(mirror.writeFile("/c", utf8("copy")).ok);
  assert.equal(key.steps?.size, 0, "the mirror does");
  assert.equal(mirror.snapshot().root, phone.snapshot().root);
});

test("storage steps: a follower never takes a state on an equal root hash alone: contents are compared entry by entry", () => {
  // tree nodes (tag 4, and the empty directory, tag 2) all hash alike, contents truly: every
  // digest collides, so only the entry-by-entry comparison can refuse (a stale memoized hash looks so)
  const treeNode = (data: Uint8Array) => data[0] === 4 || (data.length === 1 && data[0] === 2);
  const collide: Sha256 = Object.assign(
    (data: Uint8Array) => (treeNode(data) ? new Uint8Array(32) : nodeSha256(data)),
    {
      binary: (data: Uint8Array) => (treeNode(data) ? "\0".repeat(32) : nodeSha256.binary!(data)),
    },
  );
  const key = sharing();
  const built = Storage.fromFiles([["/a/b", utf8("template")]], { sha256: collide, levels: key });
  assert.ok(built.ok);
  const start = built.value.snapshot();
  const phone = Storage.fromSnapshot(start, collide, "lead");
  const mirror = Storage.fromSnapshot(start, collide, "follow");
  assert.ok(phone.writeFile("/x", utf8("phone")).ok);
  assert.ok(mirror.writeFile("/y", utf8("mirror")).ok);
  assert.deepEqual(phone.digest(), mirror.digest(), "the roots collide");
  assert.notEqual(mirror.snapshot().root, phone.snapshot().root, "different files: no adoption");
  assert.deepEqual(mirror.filesDiffering(phone).sort(), ["/x", "/y"]);
  // an empty directory is contents too
  const a = Storage.fromSnapshot(start, collide, "lead");
  const b = Storage.fromSnapshot(start, collide, "follow");
  assert.ok(a.mkdir("/only-here").ok);
  assert.deepEqual(a.digest(), b.digest());
  assert.notEqual(b.snapshot().root, a.snapshot().root, "a different empty directory: no adoption");
  assert.equal(b.exists("/only-here"), false);
  // equal contents by other objects are taken
  const c = Storage.fromSnapshot(start, collide, "follow");
  assert.ok(c.mkdir("/only-here").ok);
  c.digest();
  assert.equal(c.snapshot().root, a.snapshot().root);
});
