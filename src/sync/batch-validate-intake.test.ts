import assert from "node:assert/strict";
import { test } from "node:test";
import { SyncRig } from "../../test/support/sync-rig.ts";
import { SeededRng } from "../core/rng.ts";
import type { SyncBatch } from "../gen/mirrorcell/v1/sync_pb.ts";
import { decodeBatch } from "./batch.ts";

function flipBits(message: SyncBatch, rng: SeededRng): SyncBatch {
  const packed = message.eventsPacked.slice();
  const flips = rng.int(1, 3);
  for (let i = 0; i < flips && packed.length > 0; i++) {
    packed[rng.int(0, packed.length - 1)]! ^= 1 << rng.int(0, 7);
  }
  return { ...message, eventsPacked: packed };
}

for (const seed of [71, 72]) {
  test(`sync: intake: a damaged batch is refused with the decoder's error and changes nothing; the real ones replay (seed=${seed})`, () => {
    const rig = new SyncRig(seed, { syncIntervalMs: 20_000, cameraBytes: 500 });
    const rng = new SeededRng(seed);
    let refused = 0;
    rig.tapBatches((batch, { deviceId }) => {
      const acked = rig.server.acked(deviceId);
      const stored = rig.store.lastBatchNo(deviceId);
      for (let k = 0; k < 8; k++) {
        const damaged = flipBits(batch, rng);
        const expected = decodeBatch(damaged);
        if (expected.ok) continue; // still a valid batch (a tap moved): not this test's case
        const got = rig.server.receiveBatch(deviceId, damaged, rig.nowMs);
        assert.ok(!got.ok, `seed=${seed}: intake accepted a batch the decoder refuses`);
        assert.equal(got.error.code, expected.error.code, `seed=${seed}`);
        assert.equal(rig.server.acked(deviceId), acked, `seed=${seed}: nothing acked`);
        assert.equal(rig.store.lastBatchNo(deviceId), stored, `seed=${seed}: nothing stored`);
        refused++;
      }
    });
    rig.addPhone("p1");
    for (let minute = 1; minute <= 10; minute++) rig.runWorkload("p1", minute * 60_000);
    rig.settle("p1");
    assert.ok(refused > 100, `seed=${seed}: ${refused} damaged batches refused`);
    assert.deepEqual(rig.errors, [], `seed=${seed}`);
    assert.equal(rig.server.applied("p1"), rig.server.acked("p1"), `seed=${seed}: every batch replayed`);
    assert.ok(rig.mirrorDigestEquals("p1"), `seed=${seed}: mirror equals phone`);
  });
}
