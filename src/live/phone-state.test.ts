import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { toHex } from "../core/bytes.ts";
import { MirrorcellError } from "../core/errors.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { type PhoneCommit, PhoneStore } from "./phone-state.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);

function commitOf(files: Record<string, string>, unacked: number[], lastBatchNo: number) {
  const blobs = new Map<string, Uint8Array>();
  const entries = Object.entries(files).map(([path, text]) => {
    const bytes = utf8(text);
    const sha256 = nodeSha256(bytes);
    blobs.set(toHex(sha256), bytes);
    return { path, sha256, size: bytes.length };
  });
  const state: PhoneCommit = {
    deviceId: "p1",
    model: "pixel",
    networkConsumed: 3,
    boots: 2,
    bound: true,
    files: entries,
    emptyDirs: ["/sdcard/empty"],
    resume: {
      lastBatchNo,
      lastSeq: lastBatchNo * 10,
      networkConsumed: 3,
      unacked: unacked.map((batchNo) => ({ batchNo, bytes: utf8(`batch ${batchNo}`) })),
    },
  };
  return { state, blobOf: (sha: Uint8Array) => blobs.get(toHex(sha)) };
}

function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "mc-phone-store-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

test("live: phone store: a commit point round-trips (files, empty dirs, resume, unacked batches); later commits drop deleted files and acked batches", () => {
  const tmp = tempDir();
  try {
    const store = PhoneStore.open(tmp.dir, nodeSha256);
    assert.equal(store.load(), undefined, "first boot: nothing saved");
    const one = commitOf({ "/a.txt": "alpha", "/b.txt": "beta" }, [4, 5], 5);
    store.commit(one.state, one.blobOf);
    const two = commitOf({ "/a.txt": "alpha", "/c.txt": "gamma" }, [5, 6], 6);
    store.commit(two.state, two.blobOf);
    store.close();
    // A fresh open (as after kill -9) sees the last commit exactly.
    const again = PhoneStore.open(tmp.dir, nodeSha256);
    const saved = again.load()!;
    assert.deepEqual(
      saved.files.map((f) => f.path),
      ["/a.txt", "/c.txt"],
    );
    assert.deepEqual(saved.emptyDirs, ["/sdcard/empty"]);
    assert.deepEqual(
      { ...saved.resume, unacked: saved.resume.unacked?.map((u) => u.batchNo) },
      { lastBatchNo: 6, lastSeq: 60, networkConsumed: 3, unacked: [5, 6] },
    );
    assert.equal(new TextDecoder().decode(saved.resume.unacked![1]!.bytes), "batch 6");
    assert.equal(new TextDecoder().decode(saved.blobOf(saved.files[1]!.sha256)), "gamma");
    assert.equal(saved.blobOf(nodeSha256(utf8("beta"))), undefined, "the deleted file's blob is collected");
    assert.deepEqual([saved.deviceId, saved.boots, saved.bound, saved.networkConsumed], ["p1", 2, true, 3]);
    again.close();
  } finally {
    tmp.remove();
  }
});

test("live: phone store: a tampered blob is never returned (checked against its hash); an unreadable database is E_FILE_CORRUPT", () => {
  const tmp = tempDir();
  try {
    const store = PhoneStore.open(tmp.dir, nodeSha256);
    const one = commitOf({ "/a.txt": "alpha" }, [], 1);
    store.commit(one.state, one.blobOf);
    store.close();
    const raw = new Database(join(tmp.dir, "phone.db"));
    raw.prepare("UPDATE blobs SET bytes = ?").run(utf8("evil!"));
    raw.close();
    const tampered = PhoneStore.open(tmp.dir, nodeSha256);
    const saved = tampered.load()!;
    assert.equal(saved.blobOf(saved.files[0]!.sha256), undefined);
    tampered.close();
    const junk = tempDir();
    writeFileSync(join(junk.dir, "phone.db"), "this is not a database, just text of some length ".repeat(40));
    assert.throws(
      () => PhoneStore.open(junk.dir, nodeSha256),
      (error: unknown) =>
        error instanceof MirrorcellError &&
        error.code === "E_FILE_CORRUPT" &&
        /phone\.db/.test(error.message),
    );
    junk.remove();
  } finally {
    tmp.remove();
  }
});

test("live: phone store: a re-clone renumbers batches: an unacked batch with a number stored before holds the new bytes, also after reopening", () => {
  const tmp = tempDir();
  try {
    const store = PhoneStore.open(tmp.dir, nodeSha256);
    const before = commitOf({ "/a.txt": "alpha" }, [4, 5], 5);
    store.commit(before.state, before.blobOf);
    const rebased = commitOf({ "/a.txt": "alpha" }, [5], 5);
    const fresh = { batchNo: 5, bytes: utf8("batch 5 after the clone") };
    store.commit({ ...rebased.state, resume: { ...rebased.state.resume, unacked: [fresh] } }, rebased.blobOf);
    assert.deepEqual(store.load()?.resume.unacked, [fresh], "the new batch 5, not the old one");
    store.close();
    const reopened = PhoneStore.open(tmp.dir, nodeSha256);
    const again = { batchNo: 5, bytes: utf8("batch 5, third numbering") };
    reopened.commit(
      { ...rebased.state, resume: { ...rebased.state.resume, unacked: [again] } },
      rebased.blobOf,
    );
    assert.deepEqual(reopened.load()?.resume.unacked, [again]);
    reopened.close();
  } finally {
    tmp.remove();
  }
});
