// Issue 5 gap: a server that lost a phone's history while the phone was off
// (its data dir restored from an older copy, or wiped and the device enrolled
// again). The phone holds as acked batches the server no longer has; without
// the Hello's acked batch the server would answer its next batch with
// E_SEQ_GAP forever. It must re-clone the mirror from the phone and go on
// syncing: at the end the mirror equals the phone, file by file.
import assert from "node:assert/strict";
import { cpSync, rmSync } from "node:fs";
import { test } from "node:test";
import {
  compareWithMirror,
  enrollDevices,
  quickTestWorkload,
  startTestServer,
  tempDataDir,
} from "../src/live/live-harness.ts";
import { powerOffReplayed, runFor, startFleet } from "./support/live-rig.ts";

const seed = Number(process.env.SEED ?? 11);
const deviceId = "phone-l";

interface Life {
  clones: number;
  errors: string[];
  problems: string[];
  logs: string[];
  batchesMade: number;
  networkFetches: number;
  divergences: number;
  ackedBatchNo: number;
}

/** One phone life against a server on `dataDir`: boot from the phone's store, run, power off, compare. */
async function live(dataDir: string, phoneDir: string, key: Uint8Array, runMs: number): Promise<Life> {
  const server = await startTestServer(dataDir);
  const logs: string[] = [];
  const shape = {
    seed,
    ...quickTestWorkload,
    networkPerSecond: 3,
    onLog: (_id: string, line: string) => logs.push(line),
  };
  const fleet = await startFleet(server, new Map([[deviceId, key]]), shape, phoneDir);
  const phone = fleet.phones[0]!;
  try {
    await runFor(runMs);
    await powerOffReplayed(phone, server.core, 20_000);
    const mirror = server.core.mirror(deviceId)!;
    return {
      clones: phone.core.clones,
      errors: phone.errors,
      problems: compareWithMirror(phone, server.core),
      logs,
      batchesMade: phone.core.batchesMade,
      networkFetches: phone.networkFetches,
      divergences: mirror.divergences,
      ackedBatchNo: mirror.ackedBatchNo,
    };
  } finally {
    await fleet.close();
    await server.close();
  }
}

test(`live: server lost history: the server's data dir restored from an older copy while the phone was off; the phone re-clones its mirror, goes on syncing, and the mirror equals it (seed=${seed})`, async () => {
  const data = tempDataDir("lost-rollback");
  const backup = tempDataDir("lost-backup");
  const phoneDir = tempDataDir("lost-phone");
  const key = enrollDevices(data.dir, [deviceId]).get(deviceId)!;
  try {
    const first = await live(data.dir, phoneDir.dir, key, 800);
    assert.deepEqual([first.clones, first.problems, first.errors], [0, [], []]);
    cpSync(data.dir, backup.dir, { recursive: true });
    const second = await live(data.dir, phoneDir.dir, key, 800);
    assert.deepEqual([second.clones, second.problems, second.errors], [0, [], []]);
    assert.ok(second.ackedBatchNo > first.ackedBatchNo, "the backup lacks batches the phone holds as acked");
    // The operator restores the server from the older copy; the phone is off.
    rmSync(data.dir, { recursive: true, force: true });
    cpSync(backup.dir, data.dir, { recursive: true });
    const third = await live(data.dir, phoneDir.dir, key, 1_000);
    assert.deepEqual(third.errors, [], `no E_SEQ_GAP or other server error, seed=${seed}`);
    assert.equal(third.clones, 1, "the phone re-cloned the mirror once");
    assert.ok(
      third.logs.some((line) => line.includes("the server lost this phone's history")),
      `a clear log line: ${JSON.stringify(third.logs)}`,
    );
    assert.deepEqual(third.problems, [], `mirror == phone after the re-clone, seed=${seed}`);
    assert.equal(third.divergences, 0, "no divergence after the clone");
    assert.ok(third.batchesMade > first.ackedBatchNo, "the phone went on syncing after the clone");
  } finally {
    data.remove();
    backup.remove();
    phoneDir.remove();
  }
});

test(`live: server lost history: the server's data dir wiped and the device enrolled again while the phone was off; the phone re-clones (its network inputs renumbered) and the mirror equals it (seed=${seed})`, async () => {
  const data = tempDataDir("lost-wipe");
  const phoneDir = tempDataDir("lost-wipe-phone");
  try {
    const key = enrollDevices(data.dir, [deviceId]).get(deviceId)!;
    const first = await live(data.dir, phoneDir.dir, key, 1_000);
    assert.deepEqual([first.clones, first.problems, first.errors], [0, [], []]);
    assert.ok(first.networkFetches > 0, "the phone consumed network inputs the wiped server never saw");
    rmSync(data.dir, { recursive: true, force: true });
    const newKey = enrollDevices(data.dir, [deviceId]).get(deviceId)!;
    const second = await live(data.dir, phoneDir.dir, newKey, 1_000);
    assert.deepEqual(second.errors, [], `no E_SEQ_GAP or E_NETWORK_INPUT_MISSING, seed=${seed}`);
    assert.equal(second.clones, 1);
    assert.deepEqual(second.problems, [], `mirror == phone, seed=${seed}`);
    assert.equal(second.divergences, 0);
    // A third life on the same server: the phone is bound again, no further clone.
    const third = await live(data.dir, phoneDir.dir, newKey, 600);
    assert.deepEqual([third.clones, third.problems, third.errors], [0, [], []]);
  } finally {
    data.remove();
    phoneDir.remove();
  }
});
