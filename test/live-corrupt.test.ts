import assert from "node:assert/strict";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { isMirrorcellError } from "../src/core/errors.ts";
import {
  enrollDevices,
  startPhones,
  startTestServer,
  tempDataDir,
  waitFor,
} from "../src/live/live-harness.ts";

/** Runs one phone until its mirror is saved (checkpoint: blob files on disk), then stops the server. */
async function dataDirWithSavedMirror(label: string) {
  const data = tempDataDir(label);
  const server = await startTestServer(data.dir);
  const keys = enrollDevices(data.dir, ["saved-1"]);
  const { phones, origin } = await startPhones({
    syncUrl: server.syncUrl,
    proxyUrl: server.proxyUrl!,
    keys,
    seed: 5,
    model: "pixel",
    eventsPerSecond: 30,
    syncIntervalMs: 200,
    sizeScale: 0.01,
    stepMs: 20,
  });
  await new Promise((resolve) => setTimeout(resolve, 600));
  assert.ok(await phones[0]!.powerOff(10_000));
  assert.ok(await waitFor(() => server.core.mirror("saved-1")?.state === "stopped", 10_000));
  await phones[0]!.close();
  await origin.close();
  await server.close();
  return data;
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
