import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Sha256 } from "../core/ports.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { binaryFromBytes, sha256Binary } from "./fs-node.ts";
import { publicLevelKey } from "./key-level.ts";
import { Storage } from "./storage.ts";

/** The same hash without the binary face: what any other Sha256 port gives. */
const bytesOnly: Sha256 = (data) => nodeSha256(data);

test("sha256 binary face: equals the byte digest as a binary string, for any input (property)", () => {
  assert.equal(typeof (nodeSha256 as { binary?: unknown }).binary, "function");
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), (data) => {
      const expected = binaryFromBytes(nodeSha256(data));
      assert.equal(sha256Binary(nodeSha256, data), expected);
      assert.equal(sha256Binary(bytesOnly, data), expected);
    }),
    { seed: 4, numRuns: 300 },
  );
});

test("sha256 binary face: a storage hashed through it has the digest of one hashed through the byte port (seed=4)", () => {
  const files: [string, Uint8Array][] = [];
  for (let i = 0; i < 300; i++)
    files.push([`/d${i % 7}/f${i}.txt`, new TextEncoder().encode(`file ${i} ${"x".repeat(i)}`)]);
  const a = Storage.fromFiles(files, { sha256: nodeSha256, levels: publicLevelKey });
  const b = Storage.fromFiles(files, { sha256: bytesOnly, levels: publicLevelKey });
  assert.ok(a.ok && b.ok);
  assert.deepEqual(a.value.digest(), b.value.digest());
  assert.ok(a.value.writeFile("/d1/new", new Uint8Array([1, 2, 3])).ok);
  assert.ok(b.value.writeFile("/d1/new", new Uint8Array([1, 2, 3])).ok);
  assert.deepEqual(a.value.digest(), b.value.digest());
  assert.deepEqual(a.value.stat("/d1/new"), b.value.stat("/d1/new"));
});

test("sha256 binary face: a port answering the wrong length is a bug, caught", () => {
  const broken = Object.assign((data: Uint8Array) => nodeSha256(data), { binary: () => "short" });
  assert.throws(() => sha256Binary(broken, new Uint8Array(1)), /32/);
});
