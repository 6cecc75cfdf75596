import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { bytesEqual, utf8 } from "../core/bytes.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { binaryFromBytes } from "./fs-node.ts";
import { publicLevelKey } from "./key-level.ts";
import { contentKey, enableSharedContent, SharedContent, sharedContent } from "./shared-content.ts";
import { Storage } from "./storage.ts";

const shaOf = (bytes: Uint8Array): string => binaryFromBytes(nodeSha256(bytes));

test("shared content: the second store of a content takes the first one's bytes, then the table forgets them", () => {
  const table = new SharedContent(1024, 10);
  const first = utf8("hello mirror");
  const second = utf8("hello mirror");
  const a = table.take(shaOf(first), first, false);
  assert.equal(table.size, 1);
  assert.equal(table.bytes, first.length);
  const b = table.take(shaOf(second), second, false);
  assert.equal(a, first);
  assert.equal(b, first, "the second storage holds the first one's array");
  assert.equal(table.hits, 1);
  assert.equal(table.size, 0, "a pair is complete: nothing stays pinned");
  assert.equal(table.bytes, 0);
  const third = utf8("hello mirror");
  assert.equal(table.take(shaOf(third), third, false), third, "a third store starts a new pair");
});

test("shared content: the second store of a content takes the first one's file node (hash string and bytes)", () => {
  const table = new SharedContent(1024, 10);
  const first = utf8("a message both keep");
  const phoneNode = table.takeFile(shaOf(first), first, false);
  const mirrorNode = table.takeFile(shaOf(utf8("a message both keep")), utf8("a message both keep"), false);
  assert.equal(mirrorNode, phoneNode);
  assert.equal(mirrorNode.bytes, first);
  assert.equal(table.size, 0);
  const off = new SharedContent(0, 0);
  const alone = off.takeFile(shaOf(first), first, false);
  assert.notEqual(off.takeFile(shaOf(first), first, false), alone, "nothing shared when off");
});

test("shared content: a copied store keeps nothing the caller can change", () => {
  const table = new SharedContent(1024, 10);
  const caller = utf8("scratch buffer");
  const sha = shaOf(caller);
  const held = table.take(sha, caller, true);
  assert.notEqual(held, caller);
  caller.fill(0);
  assert.ok(bytesEqual(table.take(sha, utf8("scratch buffer"), true), utf8("scratch buffer")));
});

test("shared content: bounded by bytes and entries, the oldest offer forgotten first", () => {
  const table = new SharedContent(10, 3);
  const contents = ["aaaa", "bbbb", "cc", "dd"].map(utf8);
  for (const c of contents.slice(0, 3)) table.take(shaOf(c), c, false);
  assert.equal(table.size, 3);
  table.take(shaOf(contents[3]!), contents[3]!, false); // four entries: the oldest ("aaaa") goes
  assert.equal(table.size, 3);
  assert.equal(table.bytes, 8);
  const again = utf8("aaaa");
  assert.equal(table.take(shaOf(again), again, false), again, "the forgotten entry is stored anew");
  assert.equal(table.hits, 0);
  assert.ok(table.bytes <= 10 && table.size <= 3);
  const hits = table.hits;
  const dd = utf8("dd");
  assert.equal(table.take(shaOf(dd), dd, false), contents[3], "a recent entry is still shared");
  assert.equal(table.hits, hits + 1);
});

test("shared content: bounds of 0, 0 (the default, as in a live server) hold nothing; lowering the bounds lets go", () => {
  const table = new SharedContent(0, 0);
  const bytes = utf8("a mirror file");
  assert.equal(table.take(shaOf(bytes), bytes, false), bytes);
  assert.equal(table.size, 0);
  const on = new SharedContent(1024, 10);
  on.take(shaOf(bytes), bytes, false);
  assert.equal(on.size, 1);
  on.setBounds(0, 0);
  assert.equal(on.size, 0);
  assert.equal(on.bytes, 0);
});

test("shared content: a content larger than the byte budget is stored but not held", () => {
  const table = new SharedContent(4, 10);
  const big = utf8("too big to hold");
  assert.equal(table.take(shaOf(big), big, false), big);
  assert.equal(table.size, 0);
  assert.equal(table.bytes, 0);
});

test("shared content: storages that share bytes read, list and digest exactly as alone (property)", () => {
  enableSharedContent();
  const files = fc.array(
    fc.record({ name: fc.constantFrom("a", "b", "c", "d"), bytes: fc.uint8Array({ maxLength: 16 }) }),
    { minLength: 1, maxLength: 12 },
  );
  fc.assert(
    fc.property(files, files, (one, two) => {
      const phone = Storage.empty(nodeSha256, publicLevelKey);
      const mirror = Storage.empty(nodeSha256, publicLevelKey);
      const hits = sharedContent.hits;
      for (const f of one) assert.ok(phone.writeFile(`/d/${f.name}`, f.bytes).ok);
      for (const f of one) assert.ok(mirror.writeFile(`/d/${f.name}`, f.bytes).ok);
      assert.ok(sharedContent.hits > hits, "the mirror took shared bytes");
      assert.deepEqual(mirror.digest(), phone.digest());
      // the phone moves on; the mirror's files must not follow it
      const before = mirror.manifest().map((e) => [e.path, mirror.readFile(e.path)] as const);
      for (const f of two) assert.ok(phone.writeFile(`/d/${f.name}`, f.bytes).ok);
      for (const [path, bytes] of before) {
        const read = mirror.readFile(path);
        assert.ok(read.ok && bytes.ok && bytesEqual(read.value, bytes.value), path);
      }
      const alone = Storage.fromFiles(
        before.map(([path, bytes]) => [path, bytes.ok ? bytes.value : new Uint8Array()] as const),
        { sha256: nodeSha256, levels: publicLevelKey },
      );
      assert.ok(alone.ok);
      assert.deepEqual(mirror.digest(), alone.value.digest());
    }),
    { seed: 42, numRuns: 100 },
  );
});

test("shared content: two contents whose hashes share the key prefix are told apart by the full hash", () => {
  const table = new SharedContent(1024, 10);
  const prefix = "\u00ab\u00cd\u00ef\u0012";
  const shaA = `${prefix}${"a".repeat(28)}`;
  const shaB = `${prefix}${"b".repeat(28)}`;
  assert.equal(contentKey(shaA), contentKey(shaB));
  const a = utf8("content a");
  const b = utf8("content b");
  const nodeA = table.takeFile(shaA, a, false);
  const nodeB = table.takeFile(shaB, b, false);
  assert.notEqual(nodeB, nodeA, "another content under the same key is not handed out");
  assert.equal(nodeB.bytes, b);
  assert.equal(nodeB.sha, shaB);
  assert.equal(table.size, 1, "the first content keeps its place");
  assert.equal(table.takeFile(shaA, utf8("content a"), false), nodeA, "the first content is still shared");
  assert.equal(table.size, 0);
});

test("shared content: contentKey is the first 30 bits of the hash, and differs with any of them (property)", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat(29), (bytes, bit) => {
      const sha = binaryFromBytes(bytes);
      const flipped = bytes.slice();
      flipped[bit >>> 3] = flipped[bit >>> 3]! ^ (0x80 >>> (bit & 7));
      assert.equal(
        contentKey(sha),
        ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 2,
      );
      assert.notEqual(contentKey(binaryFromBytes(flipped)), contentKey(sha));
    }),
  );
});
