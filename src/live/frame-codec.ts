// The core's frame codec (src/sync/frame.ts) in the shape the live sockets
// use, plus the two shortcuts the ingest path takes (issue 5, bench
// live-ingest): the bytes of a batch frame's SyncBatch as they arrived, so the
// server stores what it received instead of re-encoding every batch; and the
// Ack frame from its fields through the core's hand-written path (one per
// phone per group commit; protobuf-es' reflective create/toBinary cost more
// than the rest of the ack).
import { assert } from "../core/assert.ts";
import { ackFrame, decodeFrame, encodeFrame, PROTOCOL_VERSION } from "../sync/frame.ts";
import { encodeAck, frameBatchTag, frameVersionTag } from "../sync/frame-batch-wire.ts";
import type { FrameCodec } from "./sync-session.ts";

export const liveFrameCodec: FrameCodec = {
  version: PROTOCOL_VERSION,
  encode: encodeFrame,
  decode: decodeFrame,
};

const varintBytesMax = 10;

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

/**
 * The SyncBatch bytes inside an encoded batch Frame, or undefined when the
 * frame is anything but `version` and exactly one `batch` field (then the
 * caller re-encodes; protobuf would merge a repeated message field, so the
 * slice would not be what the decoder saw). Never throws.
 */
export function batchBytesOf(frame: Uint8Array): Uint8Array | undefined {
  let offset = 0;
  let batch: Uint8Array | undefined;
  let fields = 0;
  while (offset < frame.length) {
    assert(fields++ <= frame.length, "field scan runs past the frame");
    const tag = readVarint(frame, offset);
    if (tag === undefined) return undefined;
    offset = tag.next;
    if (tag.value === frameVersionTag) {
      const version = readVarint(frame, offset);
      if (version === undefined) return undefined;
      offset = version.next;
    } else if (tag.value === frameBatchTag && batch === undefined) {
      const length = readVarint(frame, offset);
      if (length === undefined || length.value > frame.length - length.next) return undefined;
      batch = frame.subarray(length.next, length.next + length.value);
      offset = length.next + length.value;
    } else {
      return undefined;
    }
  }
  return batch;
}

function readVarint(bytes: Uint8Array, start: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = start; i < bytes.length && i < start + varintBytesMax; i++) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return Number.isSafeInteger(value) ? { value, next: i + 1 } : undefined;
    scale *= 128;
  }
  return undefined;
}
