import assert from "node:assert/strict";
import test from "node:test";
import { phoneClient } from "../../test/support/phone-client.ts";
import { bytesEqual, utf8 } from "../core/bytes.ts";
import { limits } from "../core/limits.ts";
import { ackFrame, decodeFrame, encodeFrame, repairRequestFrame } from "./frame.ts";

/**
 * A phone that cuts `batches` one-second batches, each after writing a file
 * of its own (so every batch boundary has another tree); returns the storage
 * digest at each cut, by batch number.
 */
function phoneWithBatches(batches: number, seed: number) {
  // no retransmission among the cut batches
  const { clock, platform, client } = phoneClient({
    seed,
    syncIntervalMs: 1_000,
    retransmitMs: 3_600_000,
    withUiState: false,
  });
  const digests: Uint8Array[] = [new Uint8Array(0)];
  for (let batchNo = 1; batchNo <= batches; batchNo++) {
    assert.ok(platform.storage.writeFile(`/sdcard/batch-${batchNo}.txt`, utf8(`${batchNo}`)).ok);
    const recorded = client.record({
      seq: batchNo,
      timeMs: clock.timeMs,
      networkConsumed: 0,
      app: "messaging",
      body: { kind: "tap", x: batchNo, y: 200 },
      nondet: [],
    });
    assert.ok(recorded.ok);
    clock.timeMs = batchNo * 1_000;
    assert.equal(client.tick(clock.timeMs).length, 1, `batch ${batchNo} cut`);
    digests.push(platform.digest());
  }
  /** The storage digest the phone answers a repair of `batchNo` with (empty: no snapshot). */
  const answered = (batchNo: number): Uint8Array => {
    const replies = client.receive(encodeFrame(repairRequestFrame(batchNo, ["/"])), clock.timeMs);
    assert.ok(replies.ok && replies.value.length === 1);
    const frame = decodeFrame(replies.value[0]!);
    assert.ok(frame.ok && frame.value.body.case === "repairResponse");
    return frame.value.body.value.storageDigest;
  };
  const ack = (batchNo: number) => client.receive(encodeFrame(ackFrame("d", batchNo)), clock.timeMs);
  return { digests, answered, ack };
}

test("sync-client: every unacknowledged batch keeps its repair snapshot, up to the snapshot bound (seed=31)", () => {
  const batches = limits.repairSnapshotsMaxDefault;
  const { digests, answered } = phoneWithBatches(batches, 31);
  for (let batchNo = 1; batchNo <= batches; batchNo++) {
    assert.ok(
      bytesEqual(answered(batchNo), digests[batchNo]!),
      `batch ${batchNo} answered from its snapshot`,
    );
  }
});

test("sync-client: an ack drops the snapshots of all but the newest acknowledged batches; later ones stay (seed=32)", () => {
  const kept = limits.repairSnapshotsAckedKeptDefault;
  const { digests, answered, ack } = phoneWithBatches(12, 32);
  assert.ok(ack(9).ok);
  for (let batchNo = 1; batchNo <= 12; batchNo++) {
    const digest = answered(batchNo);
    if (batchNo > 9 - kept) assert.ok(bytesEqual(digest, digests[batchNo]!), `batch ${batchNo} kept`);
    else assert.equal(digest.length, 0, `batch ${batchNo}: acknowledged long ago, its snapshot dropped`);
  }
});
