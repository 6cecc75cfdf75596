// The sync wire frame (proto `Frame`): versioned, size-capped, decoded into a
// typed Result so a bad frame from a peer never throws (DESIGN.md invariant 6;
// STYLE.md: h11-style sans-IO parsing). Batch frames, one per phone per
// t_syn_int, and their acks take a hand-written path (frame-batch-wire.ts), as
// do bundles of several frames in one message (frame-bundle-wire.ts); the
// rest protobuf-es.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { assert } from "../core/assert.ts";
import { type ErrorCode, ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import {
  AckSchema,
  ErrorSchema,
  type Frame,
  FrameSchema,
  type Notice,
  NoticeAckSchema,
  type RepairRequest,
  RepairRequestSchema,
  type RepairResponse,
  type SyncBatch,
  SyncBatchSchema,
} from "../gen/mirrorcell/v1/sync_pb.ts";
import {
  ackedNumberOfAckFrame,
  decodeAckFrame,
  decodeBatchFrame,
  decodeSyncBatch,
  encodeAckFrame,
  encodeAckNumber,
  encodeBatchFrame,
  encodeSyncBatch,
} from "./frame-batch-wire.ts";
import { bundleBurst, decodeBundleFrame, tooManyFrames } from "./frame-bundle-wire.ts";

export const PROTOCOL_VERSION = 1;

export type FrameBody = Exclude<Frame["body"], { case: undefined }>;

export function frameOf(body: FrameBody): Frame {
  return create(FrameSchema, { version: PROTOCOL_VERSION, body });
}

export function encodeFrame(frame: Frame): Uint8Array {
  assert(frame.version === PROTOCOL_VERSION, "we only send frames of our version");
  assert(frame.body.case !== undefined, "a frame must carry a body");
  const fast = frame.body.case === "batch" ? encodeBatchFrame(frame) : encodeAckFrame(frame);
  const bytes = fast ?? toBinary(FrameSchema, frame);
  assert(bytes.length <= limits.frameBytesMax, `frame of ${bytes.length} bytes exceeds the cap`);
  return bytes;
}

export function decodeFrame(bytes: Uint8Array): Result<Frame> {
  if (bytes.length > limits.frameBytesMax) {
    return fail(
      ErrorCodes.FRAME_TOO_LARGE,
      `Cannot parse frame: length ${bytes.length} exceeds ${limits.frameBytesMax}`,
    );
  }
  let frame: Frame;
  try {
    const bundle = decodeBundleFrame(bytes);
    if (bundle !== undefined && !bundle.ok) return bundle;
    frame =
      decodeBatchFrame(bytes) ?? bundle?.value ?? decodeAckFrame(bytes) ?? fromBinary(FrameSchema, bytes);
  } catch (error) {
    return fail(ErrorCodes.FRAME_MALFORMED, `Cannot parse frame: ${(error as Error).message}`);
  }
  if (frame.version !== PROTOCOL_VERSION) {
    return fail(
      ErrorCodes.VERSION_UNSUPPORTED,
      `Cannot accept frame: version ${frame.version}, expected ${PROTOCOL_VERSION}`,
    );
  }
  if (frame.body.case === undefined) return fail(ErrorCodes.FRAME_MALFORMED, "Cannot accept frame: no body");
  if (frame.body.case === "bundle") return checkBundle(frame);
  return ok(frame);
}

/** A bundle's own bounds (its frames are decoded one by one by the receiver, as if each came alone). */
function checkBundle(frame: Frame): Result<Frame> {
  assert(frame.body.case === "bundle", "a bundle frame");
  const count = frame.body.value.frames.length;
  if (count > limits.frameBundleFramesMax) return tooManyFrames();
  if (count === 0) return fail(ErrorCodes.FRAME_MALFORMED, "Cannot accept frame bundle: no frames");
  return ok(frame);
}

/**
 * The messages a burst of encoded frames goes out as: bundles of several
 * frames (FrameBundle, at most frameBundleFramesMax frames and
 * frameBundleBytesTarget bytes each), a lone frame as itself.
 */
export function burstMessages(frames: readonly Uint8Array[]): Uint8Array[] {
  if (frames.length <= 1) return [...frames];
  return bundleBurst(PROTOCOL_VERSION, frames);
}

/** toBinary(SyncBatchSchema, batch), by hand for the batches phones send (stored batch bytes). */
export function syncBatchToBinary(batch: SyncBatch): Uint8Array {
  return encodeSyncBatch(batch) ?? toBinary(SyncBatchSchema, batch);
}

/** fromBinary(SyncBatchSchema, bytes), by hand for canonical batches; throws as fromBinary does. */
export function syncBatchFromBinary(bytes: Uint8Array): SyncBatch {
  return decodeSyncBatch(bytes) ?? fromBinary(SyncBatchSchema, bytes);
}

export function batchFrame(batch: SyncBatch): Frame {
  // A literal message: create() walks the schema by reflection, once per batch.
  return {
    $typeName: "mirrorcell.v1.Frame",
    version: PROTOCOL_VERSION,
    body: { case: "batch", value: batch },
  };
}

/** `ackedBatchNo`: highest contiguous batch number held durably (proto field acked_seq). */
export function ackFrame(deviceId: string, ackedBatchNo: number): Frame {
  return frameOf({ case: "ack", value: create(AckSchema, { deviceId, ackedSeq: BigInt(ackedBatchNo) }) });
}

/**
 * encodeFrame(ackFrame(deviceId, ackedBatchNo)) without a Frame object: a
 * server sends one per phone per group commit, and protobuf-es' reflective
 * create/toBinary cost more than the rest of the ack. protobuf-es only for a
 * device id the hand-written path does not take (non-ASCII).
 */
export function ackFrameBytes(deviceId: string, ackedBatchNo: number): Uint8Array {
  assert(Number.isSafeInteger(ackedBatchNo) && ackedBatchNo >= 0, "acked batch number");
  return (
    encodeAckNumber(PROTOCOL_VERSION, deviceId, ackedBatchNo) ?? encodeFrame(ackFrame(deviceId, ackedBatchNo))
  );
}

/**
 * The acked batch number of an ack frame decodeFrame takes as this protocol
 * version's ack, without decoding a Frame (a phone takes one per batch); -1
 * when decodeFrame must look at the bytes: any other frame, an ack outside
 * the canonical ASCII form, another version, an oversized frame.
 */
export function ackedNumberOf(bytes: Uint8Array): number {
  if (bytes.length > limits.frameBytesMax) return -1;
  return ackedNumberOfAckFrame(bytes, PROTOCOL_VERSION);
}

export function noticeFrame(notice: Notice): Frame {
  return frameOf({ case: "notice", value: notice });
}

/** Phone → server: these notice ids arrived (re-acked on every duplicate). */
export function noticeAckFrame(noticeIds: readonly bigint[]): Frame {
  assert(noticeIds.length <= limits.noticesPerBatchMax, "notice ack too large");
  return frameOf({ case: "noticeAck", value: create(NoticeAckSchema, { noticeIds: [...noticeIds] }) });
}

export function repairRequestFrame(batchNo: number, paths: readonly string[]): Frame {
  assert(paths.length <= limits.repairPathsMax, "repair request too large");
  return frameOf({
    case: "repairRequest",
    value: create(RepairRequestSchema, { afterSeq: BigInt(batchNo), paths: [...paths] }),
  });
}

export function repairResponseFrame(response: RepairResponse): Frame {
  return frameOf({ case: "repairResponse", value: response });
}

export function errorFrame(code: ErrorCode, message: string): Frame {
  return frameOf({ case: "error", value: create(ErrorSchema, { code, message }) });
}

export type { Frame, Notice, RepairRequest, RepairResponse, SyncBatch };
