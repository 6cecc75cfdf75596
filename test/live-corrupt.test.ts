import assert from "node:assert/strict";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { isMirrorcellError } from "../src/core/errors.ts";
import { startTestServer } from "../src/live/live-harness.ts";
import { LiveRig, powerOffReplayed, runFor } from "./support/live-rig.ts";

/** Runs one phone until its mirror is saved (checkpoint: blob files on disk), then stops the server. */
async function dataDirWithSavedMirror(label: string) {
  const rig = await LiveRig.start(label, ["saved-1"]);
  try {
    const shape = {
      seed: 5,
      model: "pixel",
      eventsPerSecond: 30,
      syncIntervalMs: 200,
      sizeScale: 0.01,
      stepMs: 20,
    };
    const { phones, close } = await rig.startPhones(shape);
    await runFor(600);
    await powerOffReplayed(phones[0]!, rig.server.core);
    await close();
    await rig.server.close();
    return rig.data;
  } catch (error) {
    await rig.close();
    throw error;
  }
}

test("live: corrupt files: a corrupted blob file stops the server at start with BLOB_CORRUPT", async () => {
  const data = await dataDirWithSavedMirror("corrupt-blob");
  try {
    const blobDir = join(data.dir, "blobs");
    const sub = readdirSync(blobDir).find((name) => name.length === 2)!;
    const victim = readdirSync(join(blobDir, sub))[0]!;
    writeFileSync(join(blobDir, sub, victim), "bit rot");
    await assert.rejects(
      startTestServer(data.dir),
      (e) => isMirrorcellError(e) && e.code === "E_BLOB_CORRUPT" && e.message.includes(victim),
    );
  } finally {
    data.remove();
  }
});

test("live: corrupt files: a database overwritten with garbage stops the server at start with FILE_CORRUPT", async () => {
  const data = await dataDirWithSavedMirror("corrupt-db");
  try {
    writeFileSync(join(data.dir, "mirrorcell.db"), Buffer.alloc(64 * 1024, 0x5a));
    await assert.rejects(
      startTestServer(data.dir),
      (e) => isMirrorcellError(e) && e.code === "E_FILE_CORRUPT",
    );
  } finally {
    data.remove();
  }
});
