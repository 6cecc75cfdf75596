import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { utf8 } from "../core/bytes.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { BlobFiles } from "./blob-files.ts";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "mc-blobs-"));
}

test("live: blob files: a written blob reads back, is stored once, and leaves no temp file", () => {
  const dir = tempDir();
  try {
    const blobs = new BlobFiles(dir, nodeSha256);
    const a = blobs.put(utf8("hello mirror"));
    const again = blobs.put(utf8("hello mirror"));
    assert.deepEqual(again, a);
    const got = blobs.get(a);
    assert.ok(got.ok);
    assert.deepEqual(got.value, utf8("hello mirror"));
    assert.deepEqual(readdirSync(join(dir, "tmp")), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("live: blob files: a corrupted blob file is BLOB_CORRUPT, a missing one BLOB_MISSING", () => {
  const dir = tempDir();
  try {
    const blobs = new BlobFiles(dir, nodeSha256);
    const sha = blobs.put(utf8("precious bytes"));
    writeFileSync(blobs.pathOf(sha), "tampered");
    const corrupt = blobs.get(sha);
    assert.equal(corrupt.ok, false);
    assert.equal(!corrupt.ok && corrupt.error.code, "E_BLOB_CORRUPT");
    const missing = blobs.get(nodeSha256(utf8("never written")));
    assert.equal(!missing.ok && missing.error.code, "E_BLOB_MISSING");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
