import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { toHex, utf8 } from "../core/bytes.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { LevelKey, publicLevelKey } from "./key-level.ts";
import { Storage } from "./storage.ts";

const names = ["a", "b", "c", "d.txt", "e-f", "e"];
const pathArb = fc
  .array(fc.constantFrom(...names), { minLength: 1, maxLength: 4 })
  .map((s) => `/${s.join("/")}`);
const opArb = fc.oneof(
  fc.record({ op: fc.constant("write" as const), path: pathArb, bytes: fc.uint8Array({ maxLength: 6 }) }),
  fc.record({ op: fc.constant("remove" as const), path: pathArb }),
  fc.record({ op: fc.constant("mkdir" as const), path: pathArb }),
);
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

function apply(storage: Storage, ops: readonly Op[]): void {
  for (const o of ops) {
    if (o.op === "write") storage.writeFile(o.path, o.bytes);
    else if (o.op === "remove") storage.removeTree(o.path);
    else storage.mkdir(o.path);
  }
}

/** The reference: both manifests as maps, every path whose (hash, size) differs or that one side lacks. */
function manifestDifference(a: Storage, b: Storage): string[] {
  const key = (e: { sha256: Uint8Array; size: number }) => `${toHex(e.sha256)}:${e.size}`;
  const left = new Map(a.manifest().map((e) => [e.path, key(e)]));
  const right = new Map(b.manifest().map((e) => [e.path, key(e)]));
  const out = new Set<string>();
  for (const [path, k] of left) if (right.get(path) !== k) out.add(path);
  for (const [path, k] of right) if (left.get(path) !== k) out.add(path);
  return [...out].sort();
}

test("storage: filesDiffering names exactly the files whose content differs or one side lacks (seeded)", () => {
  const levels = LevelKey.fromSecret(new Uint8Array(16).fill(7));
  fc.assert(
    fc.property(
      fc.array(opArb, { maxLength: 25 }),
      fc.array(opArb, { maxLength: 12 }),
      fc.array(opArb, { maxLength: 12 }),
      (base, left, right) => {
        // both start from one snapshot, so they share every node neither side rewrote (as a phone and its mirror)
        const origin = Storage.empty(nodeSha256, levels);
        apply(origin, base);
        const a = Storage.fromSnapshot(origin.snapshot(), nodeSha256);
        const b = Storage.fromSnapshot(origin.snapshot(), nodeSha256);
        apply(a, left);
        apply(b, right);
        const found = a.filesDiffering(b);
        assert.equal(new Set(found).size, found.length, "each path named once");
        assert.deepEqual([...found].sort(), manifestDifference(a, b));
        assert.deepEqual([...b.filesDiffering(a)].sort(), manifestDifference(a, b));
      },
    ),
    { numRuns: 400, seed: 8 },
  );
});

test("storage: filesDiffering names a rewritten file, and a file that became a directory with all below it; equal trees give none", () => {
  const a = Storage.empty(nodeSha256, publicLevelKey);
  a.writeFile("/data/x", utf8("one"));
  a.writeFile("/data/y", utf8("two"));
  const b = Storage.fromSnapshot(a.snapshot(), nodeSha256);
  b.writeFile("/data/x", utf8("ONE"));
  assert.deepEqual(a.filesDiffering(b), ["/data/x"]);
  assert.deepEqual(a.filesDiffering(Storage.fromSnapshot(a.snapshot(), nodeSha256)), []);
  // a file on one side, a directory of files on the other: the file and everything below
  const c = Storage.fromSnapshot(a.snapshot(), nodeSha256);
  c.removeTree("/data/y");
  c.writeFile("/data/y/z", utf8("three"));
  assert.deepEqual(a.filesDiffering(c), ["/data/y", "/data/y/z"]);
});
