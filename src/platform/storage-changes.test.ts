import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { toHex } from "../core/bytes.ts";
import { limits } from "../core/limits.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { DirNode, emptyDir } from "./fs-node.ts";
import { LevelKey } from "./key-level.ts";
import { sharedContent } from "./shared-content.ts";
import { Storage } from "./storage.ts";
import { ChangeQueue, changePut, StorageChange, sharedChanges } from "./storage-changes.ts";

const names = ["a", "b", "c", "e.txt", "f.bin"];
const pathArb = fc
  .array(fc.constantFrom(...names), { minLength: 1, maxLength: 3 })
  .map((s) => `/${s.join("/")}`);
const opArb = fc.oneof(
  fc.record({ op: fc.constant("write" as const), path: pathArb, bytes: fc.uint8Array({ maxLength: 8 }) }),
  fc.record({ op: fc.constant("delete" as const), path: pathArb }),
  fc.record({ op: fc.constant("remove" as const), path: pathArb }),
  fc.record({ op: fc.constant("mkdir" as const), path: pathArb }),
  fc.record({ op: fc.constant("rename" as const), path: pathArb, to: pathArb }),
  fc.record({ op: fc.constant("copy" as const), path: pathArb, to: pathArb }),
);
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;
/** An operation, and whether the input it belongs to is rolled back afterwards (a failed transaction). */
const stepArb = fc.record({ op: opArb, rollback: fc.boolean() });
type Step = { op: Op; rollback: boolean };

/** The operation's outcome as the caller sees it: ok, or the error code. */
function apply(storage: Storage, o: Op): string {
  const result =
    o.op === "write"
      ? storage.writeFile(o.path, o.bytes)
      : o.op === "delete"
        ? storage.deleteFile(o.path)
        : o.op === "remove"
          ? storage.removeTree(o.path)
          : o.op === "mkdir"
            ? storage.mkdir(o.path)
            : o.op === "rename"
              ? storage.rename(o.path, o.to)
              : storage.copyFile(o.path, o.to);
  return result.ok ? "ok" : result.error.code;
}

/** Applies the steps as a platform would: each step's changes undone when it is rolled back. */
function run(storage: Storage, steps: readonly Step[]): string[] {
  return steps.map(({ op, rollback }) => {
    const before = storage.snapshot();
    const outcome = apply(storage, op);
    if (rollback) storage.restore(before);
    return outcome;
  });
}

function withSharing(fn: () => void): void {
  sharedChanges.setEnabled(true);
  try {
    fn();
  } finally {
    sharedChanges.setEnabled(false);
  }
}

/** A phone's and its mirror's storage from one start state under one device key, both sharing. */
function pair(key: LevelKey): { phone: Storage; mirror: Storage } {
  const phone = Storage.empty(nodeSha256, key);
  assert.ok(phone.mkdir("/data").ok);
  const mirror = Storage.fromSnapshot(phone.snapshot(), nodeSha256);
  phone.shareChanges("offer");
  mirror.shareChanges("take");
  return { phone, mirror };
}

test("storage changes: a mirror replaying the phone's operations ends on the phone's own nodes (seed printed on failure)", () => {
  withSharing(() => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), (steps) => {
        const { phone, mirror } = pair(LevelKey.fromSecret(new Uint8Array(16).fill(7)));
        const alone = Storage.empty(nodeSha256, LevelKey.fromSecret(new Uint8Array(16).fill(7)));
        assert.ok(alone.mkdir("/data").ok);
        const { offered } = sharedChanges.counts;
        const phoneOutcomes = run(phone, steps);
        const offers = sharedChanges.counts.offered - offered;
        const { taken } = sharedChanges.counts;
        const mirrorOutcomes = run(mirror, steps);
        assert.deepEqual(mirrorOutcomes, phoneOutcomes);
        assert.deepEqual(run(alone, steps), phoneOutcomes);
        // the same objects: no node of the mirror's own, and the phone's memoized digest
        assert.equal(mirror.snapshot().root, phone.snapshot().root);
        assert.equal(toHex(mirror.digest()), toHex(alone.digest()));
        assert.equal(sharedChanges.counts.taken - taken, offers, "the mirror computed a change of its own");
      }),
      { numRuns: 200 },
    );
  });
});

test("storage changes: a mirror that does something else gets the results and digest it would compute alone", () => {
  withSharing(() => {
    fc.assert(
      fc.property(
        fc.array(stepArb, { maxLength: 30 }),
        fc.array(stepArb, { maxLength: 5 }),
        fc.nat(),
        (steps, extra, at) => {
          const key = LevelKey.fromSecret(new Uint8Array(16).fill(9));
          const { phone, mirror } = pair(key);
          run(phone, steps);
          // the mirror's sequence: the phone's with other operations spliced in somewhere
          const cut = at % (steps.length + 1);
          const diverged = [...steps.slice(0, cut), ...extra, ...steps.slice(cut)];
          const alone = Storage.empty(nodeSha256, key);
          assert.ok(alone.mkdir("/data").ok);
          assert.deepEqual(run(mirror, diverged), run(alone, diverged));
          assert.equal(toHex(mirror.digest()), toHex(alone.digest()));
          assert.deepEqual(mirror.manifest(), alone.manifest());
          assert.deepEqual(mirror.emptyDirs(), alone.emptyDirs());
        },
      ),
      { numRuns: 200 },
    );
  });
});

test("storage changes: a phone whose mirror never takes keeps at most the bound queued", () => {
  withSharing(() => {
    const key = LevelKey.fromSecret(new Uint8Array(16).fill(3));
    const { phone } = pair(key);
    const writes = limits.storageChangesQueuedMax * 3;
    for (let i = 0; i < writes; i++) assert.ok(phone.writeFile(`/data/f${i}`, new Uint8Array([i & 255])).ok);
    assert.equal(sharedChanges.queueOf(key)!.size, limits.storageChangesQueuedMax);
    // a mirror starting now finds nothing to take from its start state and computes its own
    const late = Storage.empty(nodeSha256, key);
    late.shareChanges("take");
    assert.ok(late.writeFile("/data/f0", new Uint8Array([0])).ok);
    assert.equal(sharedChanges.queueOf(key)!.size, 0);
  });
});

test("storage changes: off, a storage queues nothing and takes nothing", () => {
  const key = LevelKey.fromSecret(new Uint8Array(16).fill(5));
  const { phone, mirror } = pair(key);
  const { offered, taken } = sharedChanges.counts;
  assert.ok(phone.writeFile("/data/x", new Uint8Array([1])).ok);
  assert.ok(mirror.writeFile("/data/x", new Uint8Array([1])).ok);
  assert.equal(sharedChanges.counts.offered, offered);
  assert.equal(sharedChanges.counts.taken, taken);
  assert.notEqual(mirror.snapshot().root, phone.snapshot().root);
  assert.equal(toHex(mirror.digest()), toHex(phone.digest()));
});

test("storage changes: a mirror taking the phone's write leaves none of its content held in the shared contents", () => {
  withSharing(() => {
    sharedContent.setBounds(1 << 20, 1000);
    try {
      const { phone, mirror } = pair(LevelKey.fromSecret(new Uint8Array(16).fill(4)));
      const held = sharedContent.size;
      for (let i = 0; i < 10; i++) assert.ok(phone.writeFile(`/data/m${i}`, new Uint8Array([i, 1, 2])).ok);
      assert.equal(sharedContent.size, held + 10);
      for (let i = 0; i < 10; i++) assert.ok(mirror.writeFile(`/data/m${i}`, new Uint8Array([i, 1, 2])).ok);
      assert.equal(mirror.snapshot().root, phone.snapshot().root);
      assert.equal(sharedContent.size, held);
    } finally {
      sharedContent.setBounds(0, 0);
    }
  });
});

test("storage changes: a put is taken only for exactly the stored bytes, at any length and buffer offset", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 300 }),
      fc.nat(7),
      fc.nat(7),
      fc.option(fc.nat(), { nil: undefined }),
      (bytes, storedOffset, offset, flip) => {
        const view = (at: number) => {
          const buffer = new Uint8Array(bytes.length + at + 8);
          buffer.set(bytes, at);
          return buffer.subarray(at, at + bytes.length);
        };
        const stored = view(storedOffset);
        const content = view(offset);
        const differs = flip !== undefined && bytes.length > 0;
        if (differs) content[flip % bytes.length]! ^= 0x5a;
        const queue = new ChangeQueue({ offered: 0, taken: 0, left: 0 });
        const after = new DirNode(undefined, 1);
        queue.offer(
          new StorageChange(changePut, "/p", "sha", emptyDir, undefined, after, undefined, 1, 1, stored),
        );
        const taken = queue.take(emptyDir, undefined, changePut, "/p", "", content);
        assert.equal(taken !== undefined, !differs);
      },
    ),
    { numRuns: 500 },
  );
});
