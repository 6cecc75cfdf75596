// The core's frame codec (src/sync/frame.ts) in the shape the live sockets
// use, plus the ingest path's Ack shortcut (issue 5, bench live-ingest): the
// Ack frame from its fields through the core's hand-written path (one per
// phone per group commit; protobuf-es' reflective create/toBinary cost more
// than the rest of the ack). A batch frame's SyncBatch bytes as they arrived
// come from the core's batchMessageView (src/sync/frame-batch-wire.ts).
import { assert } from "../core/assert.ts";
import { ackFrame, decodeFrame, encodeFrame, PROTOCOL_VERSION } from "../sync/frame.ts";
import { encodeAck } from "../sync/frame-batch-wire.ts";
import type { FrameCodec } from "./sync-session.ts";

export const liveFrameCodec: FrameCodec = {
  version: PROTOCOL_VERSION,
  encode: encodeFrame,
  decode: decodeFrame,
};

/**
 * encodeFrame(ackFrame(deviceId, ackedBatchNo)) without a Frame object: the
 * core's hand-written ack path, protobuf-es only for a non-ASCII device id.
 */
export function encodeAckFrame(deviceId: string, ackedBatchNo: number): Uint8Array {
  assert(Number.isSafeInteger(ackedBatchNo) && ackedBatchNo >= 0, "acked batch number");
  return (
    encodeAck(PROTOCOL_VERSION, deviceId, BigInt(ackedBatchNo)) ??
    encodeFrame(ackFrame(deviceId, ackedBatchNo))
  );
}
