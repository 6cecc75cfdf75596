import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { slabBytes, slabUtf8 } from "../core/byte-slab.ts";
import { bytesEqual, toHex, utf8 } from "../core/bytes.ts";
import { limits } from "../core/limits.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { publicLevelKey } from "./key-level.ts";
import { childPath } from "./path.ts";
import { type PathChange, Storage } from "./storage.ts";
import { applyStorageOps as apply, storageOpArb as opArb } from "./testing/storage-ops.ts";

/** Every path (directories too) with its kind and content hash, by brute force. */
function everything(storage: Storage, dir = "/", out = new Map<string, string>()): Map<string, string> {
  const listed = storage.list(dir);
  assert.ok(listed.ok);
  for (const name of listed.value) {
    const path = childPath(dir, name);
    const stat = storage.stat(path);
    assert.ok(stat.ok);
    if (stat.value.kind === "dir") {
      out.set(path, "dir");
      everything(storage, path, out);
    } else out.set(path, `file:${toHex(stat.value.sha256!)}`);
  }
  return out;
}

function naiveDiff(a: Storage, b: Storage): PathChange[] {
  const left = everything(a);
  const right = everything(b);
  const out: PathChange[] = [];
  for (const [path, kind] of left) {
    const other = right.get(path);
    if (other === undefined) out.push({ path, change: "removed" });
    else if (other !== kind) out.push({ path, change: "changed" });
  }
  for (const path of right.keys()) if (!left.has(path)) out.push({ path, change: "added" });
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

const byPath = (changes: PathChange[]) =>
  [...changes].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));

test("storage: the digest depends only on the logical tree, not on the history", () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
      const built = Storage.empty(nodeSha256, publicLevelKey);
      apply(built, ops);
      const files = [...built.walk()].map(
        (e) =>
          [
            e.path,
            built.readFile(e.path).ok
              ? (built.readFile(e.path) as { value: Uint8Array }).value
              : new Uint8Array(),
          ] as const,
      );
      const rebuilt = Storage.fromFiles([...files].reverse(), {
        sha256: nodeSha256,
        levels: publicLevelKey,
        emptyDirs: built.emptyDirs(),
      });
      assert.ok(rebuilt.ok);
      assert.equal(toHex(rebuilt.value.digest()), toHex(built.digest()));
      const oneByOne = Storage.empty(nodeSha256, publicLevelKey);
      for (const [path, bytes] of [...files].reverse()) assert.ok(oneByOne.writeFile(path, bytes).ok);
      for (const dir of built.emptyDirs()) assert.ok(oneByOne.mkdir(dir).ok);
      assert.equal(toHex(oneByOne.digest()), toHex(built.digest()));
    }),
    { numRuns: 150 },
  );
});

test("storage: diff finds exactly the changed paths (Merkle diff equals brute force)", () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 40 }), fc.array(opArb, { maxLength: 20 }), (base, more) => {
      const a = Storage.empty(nodeSha256, publicLevelKey);
      apply(a, base);
      const b = Storage.fromSnapshot(a.snapshot(), nodeSha256);
      apply(b, more);
      assert.deepEqual(byPath(a.diff(b)), naiveDiff(a, b));
      assert.deepEqual(byPath(b.diff(a)), naiveDiff(b, a));
      assert.equal(a.diff(b).length === 0, toHex(a.digest()) === toHex(b.digest()));
    }),
    { numRuns: 200 },
  );
});

test("storage: any single byte change in any file changes the root digest, and diff names that file", () => {
  fc.assert(
    fc.property(
      fc.array(opArb, { maxLength: 40 }),
      fc.nat(),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (ops, pick, at, delta) => {
        const s = Storage.empty(nodeSha256, publicLevelKey);
        apply(s, ops);
        s.writeFile("/always/there.bin", utf8("x"));
        const files = s.manifest().filter((e) => e.size > 0);
        const target = files[pick % files.length]!;
        const before = s.digest();
        const bytes = (s.readFile(target.path) as { value: Uint8Array }).value;
        const copy = Storage.fromSnapshot(s.snapshot(), nodeSha256);
        bytes[at % bytes.length] = (bytes[at % bytes.length]! + delta) & 255;
        assert.ok(copy.writeFile(target.path, bytes).ok);
        assert.notEqual(toHex(copy.digest()), toHex(before));
        assert.equal(toHex(s.digest()), toHex(before), "the original is untouched");
        assert.deepEqual(s.diff(copy), [{ path: target.path, change: "changed" }]);
      },
    ),
    { numRuns: 200 },
  );
});

test("storage: files stored from slab views keep their bytes while later slab views are filled", () => {
  const s = Storage.empty(nodeSha256, publicLevelKey);
  const expected: string[] = [];
  for (let i = 0; i < 400; i++) {
    const text = `file ${i} `.repeat(1 + (i % 30));
    expected.push(text);
    assert.ok(s.writeFileNoCopy(`/slab/f${i}.txt`, slabUtf8(text)).ok);
    slabBytes(1 + (i % 200)).fill(0xee);
  }
  for (let i = 0; i < 400; i++)
    assert.deepEqual(s.readFile(`/slab/f${i}.txt`), { ok: true, value: utf8(expected[i]!) });
});

test("storage: snapshots are immutable and clones share them", () => {
  const s = Storage.empty(nodeSha256, publicLevelKey);
  s.writeFile("/a/b.txt", utf8("one"));
  const snap = s.snapshot();
  const digest = toHex(s.digest());
  const clone = Storage.fromSnapshot(snap, nodeSha256);
  clone.writeFile("/a/b.txt", utf8("two"));
  s.writeFile("/a/c.txt", utf8("three"));
  assert.equal(toHex(Storage.fromSnapshot(snap, nodeSha256).digest()), digest);
  assert.deepEqual(clone.list("/a"), { ok: true, value: ["b.txt"] });
  s.restore(snap);
  assert.equal(toHex(s.digest()), digest);
});

test("storage: identical contents are stored once and a deleted file frees its blob", () => {
  const s = Storage.empty(nodeSha256, publicLevelKey);
  const same = utf8("same bytes");
  s.writeFile("/x/1", same);
  s.writeFile("/y/2", same);
  s.copyFile("/x/1", "/z/3");
  assert.equal(s.blobCount, 1);
  assert.equal(s.fileCount, 3);
  assert.equal(s.bytesTotal, 3 * same.length);
  const sha = (s.stat("/x/1") as { value: { sha256: Uint8Array } }).value.sha256;
  assert.ok(bytesEqual(s.blob(sha)!, same));
  s.deleteFile("/x/1");
  s.removeTree("/y");
  assert.equal(s.blobCount, 1);
  s.writeFile("/z/3", utf8("other"));
  assert.equal(s.blob(sha), undefined);
  assert.equal(s.blobCount, 1);
});

test("storage: manifest + blobs rebuild the same tree; missing or corrupt blobs are typed errors", () => {
  const s = Storage.empty(nodeSha256, publicLevelKey);
  s.writeFile("/a/1", utf8("one"));
  s.writeFile("/b/2", utf8("two"));
  s.mkdir("/empty/dir");
  const rebuilt = Storage.fromManifest(s.manifest(), (h) => s.blob(h), {
    sha256: nodeSha256,
    levels: publicLevelKey,
    emptyDirs: s.emptyDirs(),
  });
  assert.ok(rebuilt.ok);
  assert.equal(toHex(rebuilt.value.digest()), toHex(s.digest()));
  const missing = Storage.fromManifest(s.manifest(), () => undefined, {
    sha256: nodeSha256,
    levels: publicLevelKey,
  });
  assert.equal(!missing.ok && missing.error.code, "E_BLOB_MISSING");
  const corrupt = Storage.fromManifest(s.manifest(), () => utf8("evil"), {
    sha256: nodeSha256,
    levels: publicLevelKey,
  });
  assert.equal(!corrupt.ok && corrupt.error.code, "E_BLOB_CORRUPT");
});

test("storage: a restore fetches and hashes only the blobs a known snapshot lacks, once per content", () => {
  const template = Storage.empty(nodeSha256, publicLevelKey);
  template.writeFile("/system/app.bin", utf8("template content"));
  template.writeFile("/system/lib.bin", utf8("library"));
  const used = Storage.fromSnapshot(template.snapshot(), nodeSha256);
  used.writeFile("/data/a.txt", utf8("user"));
  used.writeFile("/data/b.txt", utf8("user"));
  used.copyFile("/system/lib.bin", "/data/lib-copy.bin");
  let hashed = 0;
  const counting = (bytes: Uint8Array) => {
    hashed++;
    return nodeSha256(bytes);
  };
  const fetched: string[] = [];
  const blobOf = (h: Uint8Array) => {
    fetched.push(toHex(h));
    return used.blob(h);
  };
  const restored = Storage.fromManifest(used.manifest(), blobOf, {
    sha256: counting,
    levels: publicLevelKey,
    known: template.snapshot(),
  });
  assert.ok(restored.ok);
  assert.deepEqual(
    fetched,
    [toHex(nodeSha256(utf8("user")))],
    "one fetch for the one content the template lacks",
  );
  assert.equal(hashed, 1, "only the fetched blob is hashed before the digest");
  assert.equal(toHex(restored.value.digest()), toHex(used.digest()));
  const forged = Storage.fromManifest(used.manifest(), () => utf8("evil"), {
    sha256: nodeSha256,
    levels: publicLevelKey,
    known: template.snapshot(),
  });
  assert.equal(!forged.ok && forged.error.code, "E_BLOB_CORRUPT");
});

test("storage: bad paths and oversized files are typed errors and change nothing", () => {
  const s = Storage.empty(nodeSha256, publicLevelKey);
  s.writeFile("/file", utf8("f"));
  s.mkdir("/dir");
  const digest = toHex(s.digest());
  const cases: [ReturnType<Storage["writeFile"]>, string][] = [
    [s.writeFile("relative", utf8("x")), "E_PATH_INVALID"],
    [s.writeFile("/file/under", utf8("x")), "E_NOT_A_DIRECTORY"],
    [s.writeFile("/dir", utf8("x")), "E_NOT_A_FILE"],
    [s.writeFile("/big", new Uint8Array(limits.fileBytesMax + 1)), "E_PAYLOAD_TOO_LARGE"],
    [s.deleteFile("/nothing"), "E_PATH_NOT_FOUND"],
    [s.deleteFile("/dir"), "E_NOT_A_FILE"],
    [s.rename("/dir", "/dir/inside"), "E_PATH_INVALID"],
    [s.rename("/file", "/dir"), "E_PATH_EXISTS"],
    [s.rename("/dir", "/file/x"), "E_NOT_A_DIRECTORY"],
    [s.mkdir("/file"), "E_PATH_EXISTS"],
    [s.removeTree("/"), "E_PATH_INVALID"],
  ];
  for (const [result, code] of cases) assert.equal(!result.ok && result.error.code, code);
  assert.equal(toHex(s.digest()), digest);
  assert.equal(s.fileCount, 1);
});

test("storage: list, stat and walk agree on a small tree", () => {
  const s = Storage.empty(nodeSha256, publicLevelKey);
  s.writeFile("/b/z", utf8("zz"));
  s.writeFile("/b/a", utf8("a"));
  s.writeFile("/a", utf8(""));
  assert.deepEqual(s.list("/"), { ok: true, value: ["a", "b"] });
  assert.deepEqual(s.list("/b"), { ok: true, value: ["a", "z"] });
  assert.deepEqual(
    [...s.walk()].map((e) => [e.path, e.size]),
    [
      ["/a", 0],
      ["/b/a", 1],
      ["/b/z", 2],
    ],
  );
  const stat = s.stat("/b");
  assert.ok(stat.ok && stat.value.kind === "dir" && stat.value.size === 2);
  assert.equal(s.list("/a").ok, false);
});

test("storage: diff of a 3000-entry directory after scattered changes equals brute force (seed=7)", () => {
  const rng = fc.sample(fc.array(fc.nat({ max: 2999 }), { minLength: 60, maxLength: 60 }), {
    seed: 7,
    numRuns: 1,
  })[0]!;
  const a = Storage.empty(nodeSha256, publicLevelKey);
  for (let i = 0; i < 3000; i++) a.writeFile(`/big/f${i}`, utf8(`content ${i}`));
  const b = Storage.fromSnapshot(a.snapshot(), nodeSha256);
  rng.forEach((n, i) => {
    if (i % 3 === 0) b.deleteFile(`/big/f${n}`);
    else if (i % 3 === 1) b.writeFile(`/big/f${n}`, utf8(`changed ${n}`));
    else b.writeFile(`/big/new${n}`, utf8(`new ${n}`));
  });
  const diff = byPath(a.diff(b));
  assert.deepEqual(diff, naiveDiff(a, b));
  assert.ok(diff.length > 30);
});

test("storage: a write rehashes O(depth · log16 n) nodes, not the directory (exact SHA-256 call counts)", () => {
  let calls = 0;
  const counting = (data: Uint8Array) => {
    calls++;
    return nodeSha256(data);
  };
  const callsPerWrite = (files: number): number => {
    const built = Storage.fromFiles(
      Array.from({ length: files }, (_, i) => [`/d/f${i}`, utf8(`c${i}`)] as const),
      { sha256: counting, levels: publicLevelKey },
    );
    assert.ok(built.ok);
    const s = built.value;
    s.digest();
    calls = 0;
    for (let i = 0; i < 200; i++) {
      s.writeFile(`/d/f${(i * 7919) % files}`, utf8(`new ${i}`));
      s.digest();
    }
    return calls / 200;
  };
  const small = callsPerWrite(256);
  const large = callsPerWrite(32_768);
  // one content hash, the root, then one node per level: 128× the names adds about log16(128) ≈ 1.75 levels
  assert.ok(small >= 3 && small <= 6, `${small} hashes per write in a 256-file directory`);
  assert.ok(large - small <= 2.5, `${large} vs ${small} hashes per write: grows faster than log16`);
});
