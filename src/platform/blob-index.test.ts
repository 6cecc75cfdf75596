import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { nodeSha256 } from "../node/sha256.ts";
import {
  BlobEntry,
  type BlobIndex,
  type BlobLeaf,
  BlobTrie,
  blobDelete,
  blobEntries,
  blobGet,
  blobIndexOf,
  blobSet,
  refsOf,
} from "./blob-index.ts";
import { binaryFromBytes, FileNode } from "./fs-node.ts";

/** A real SHA-256 per small integer, as the storage keys blobs. */
const shaOf = (n: number): string => binaryFromBytes(nodeSha256(new Uint8Array([n & 255, n >> 8])));

/** Hashes that share their first `prefix` nibbles, to force deep splits. */
function sharedPrefix(prefix: number, last: number): string {
  const chars = Array.from({ length: 32 }, (_, i) => (i < prefix / 2 ? 0xab : (last * 37 + i) & 255));
  return String.fromCharCode(...chars);
}

function depthOf(index: BlobIndex): number {
  if (!(index instanceof BlobTrie)) return 0;
  let deepest = 0;
  for (const slot of index.slots) deepest = Math.max(deepest, depthOf(slot));
  return deepest + 1;
}

function refsOrUndefined(leaf: BlobLeaf | undefined): number | undefined {
  return leaf === undefined ? undefined : refsOf(leaf);
}

test("blob index: set, get and delete agree with a Map over random operations (fast-check)", () => {
  const opArb = fc.record({ key: fc.integer({ min: 0, max: 300 }), refs: fc.integer({ min: 0, max: 3 }) });
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
      let index: BlobIndex;
      const model = new Map<string, number>();
      for (const { key, refs } of ops) {
        const sha = shaOf(key);
        if (refs === 0) {
          index = blobDelete(index, sha);
          model.delete(sha);
        } else {
          // a content one file holds is indexed by that file's node
          const bytes = new Uint8Array([key & 255]);
          index = blobSet(
            index,
            refs === 1 && key % 2 === 0 ? new FileNode(sha, bytes) : new BlobEntry(sha, bytes, refs),
          );
          model.set(sha, refs);
        }
      }
      for (let key = 0; key <= 300; key++)
        assert.equal(refsOrUndefined(blobGet(index, shaOf(key))), model.get(shaOf(key)));
      const listed = [...blobEntries(index)].map((e) => e.sha);
      assert.deepEqual([...listed].sort(), [...model.keys()].sort());
    }),
    { numRuns: 150 },
  );
});

test("blob index: old roots stay valid after writes and deletes (persistence)", () => {
  const first = blobIndexOf(
    Array.from({ length: 100 }, (_, i) => new BlobEntry(shaOf(i), new Uint8Array(1), 1)),
  );
  const second = blobDelete(blobSet(first, new BlobEntry(shaOf(500), new Uint8Array(1), 2)), shaOf(7));
  assert.equal(refsOrUndefined(blobGet(first, shaOf(7))), 1);
  assert.equal(blobGet(first, shaOf(500)), undefined);
  assert.equal(blobGet(second, shaOf(7)), undefined);
  assert.equal(refsOrUndefined(blobGet(second, shaOf(500))), 2);
  assert.equal(blobDelete(second, shaOf(9999)), second, "deleting an absent hash returns the same root");
});

test("blob index: stays about log16(n) deep; hashes sharing long prefixes split deep and collapse back", () => {
  const many = blobIndexOf(
    Array.from({ length: 4096 }, (_, i) => new BlobEntry(shaOf(i), new Uint8Array(1), 1)),
  );
  assert.ok(depthOf(many) <= 6, `depth ${depthOf(many)} for 4096 uniform hashes`);
  const a = new BlobEntry(sharedPrefix(20, 1), new Uint8Array(1), 1);
  const b = new BlobEntry(sharedPrefix(20, 2), new Uint8Array(1), 1);
  const pair = blobSet(blobSet(undefined, a), b);
  assert.ok(depthOf(pair) >= 20, "two hashes sharing 20 nibbles sit below 20 levels");
  assert.equal(blobGet(pair, a.sha), a);
  assert.equal(blobGet(pair, b.sha), b);
  assert.equal(blobDelete(pair, b.sha), a, "deleting one of two collapses the chain to the other entry");
  assert.equal(blobDelete(blobDelete(pair, a.sha), b.sha), undefined);
});

function popcount(x: number): number {
  let n = 0;
  for (let v = x; v !== 0; v &= v - 1) n++;
  return n;
}

/** Every trie node keeps exactly its occupied slots, and a lone entry never sits in a node of its own. */
function checkCompact(index: BlobIndex, isRoot = true): void {
  if (!(index instanceof BlobTrie)) return;
  assert.equal(index.slots.length, popcount(index.bitmap), "one slot per set bit");
  assert.ok(index.bitmap > 0 && index.bitmap < 1 << 16);
  if (!isRoot) assert.ok(index.slots.length > 1 || index.slots[0] instanceof BlobTrie, "collapsed");
  for (const slot of index.slots) checkCompact(slot, false);
}

test("blob index: nodes hold only occupied slots, entries come out in hash order (fast-check)", () => {
  const opArb = fc.record({ key: fc.integer({ min: 0, max: 500 }), keep: fc.boolean() });
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
      let index: BlobIndex;
      for (const { key, keep } of ops) {
        const sha = shaOf(key);
        index = keep ? blobSet(index, new BlobEntry(sha, new Uint8Array(1), 1)) : blobDelete(index, sha);
        checkCompact(index);
      }
      const shas = [...blobEntries(index)].map((e) => e.sha);
      assert.deepEqual(shas, [...shas].sort());
    }),
    { seed: 17, numRuns: 100 },
  );
});
