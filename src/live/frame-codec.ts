// The core's frame codec (src/sync/frame.ts) in the shape the live sockets
// use, plus the two shortcuts the ingest path takes (issue 5, bench
// live-ingest): the bytes of a batch frame's SyncBatch as they arrived, so the
// server stores what it received instead of re-encoding every batch; and the
// Ack frame written by hand (byte-identical to encodeFrame(ackFrame(..)), one
// per phone per group commit, where protobuf-es' reflective create/toBinary
// cost more than the rest of the ack).
import { assert } from "../core/assert.ts";
import { decodeFrame, encodeFrame, PROTOCOL_VERSION } from "../sync/frame.ts";
import type { FrameCodec } from "./sync-session.ts";

export const liveFrameCodec: FrameCodec = {
  version: PROTOCOL_VERSION,
  encode: encodeFrame,
  decode: decodeFrame,
};

/**
 * proto: Frame.version = 1 (varint), Frame.batch = 6 (length-delimited).
 * src/sync/frame-batch-wire.ts holds the same Frame tags but does not export
 * them (yet): import them from there once it does, and drop these copies.
 */
const versionTag = (1 << 3) | 0;
const batchTag = (6 << 3) | 2;
const varintBytesMax = 10;
/** proto: Frame.ack = 7 (length-delimited); Ack.device_id = 1 (string), Ack.acked_seq = 2 (varint). */
const ackTag = (7 << 3) | 2;
const ackDeviceIdTag = (1 << 3) | 2;
const ackSeqTag = (2 << 3) | 0;
const utf8 = new TextEncoder();
assert(PROTOCOL_VERSION > 0 && PROTOCOL_VERSION < 0x80, "the version fits one varint byte");

/**
 * encodeFrame(ackFrame(deviceId, ackedBatchNo)) without protobuf-es: fields
 * in number order, proto3 zero values omitted (an empty device id, seq 0).
 */
export function encodeAckFrame(deviceId: string, ackedBatchNo: number): Uint8Array {
  assert(Number.isSafeInteger(ackedBatchNo) && ackedBatchNo >= 0, "acked batch number");
  const id = deviceId === "" ? undefined : utf8.encode(deviceId);
  const idLength = id === undefined ? 0 : 1 + varintLength(id.length) + id.length;
  const seqLength = ackedBatchNo === 0 ? 0 : 1 + varintLength(ackedBatchNo);
  const ackLength = idLength + seqLength;
  const out = new Uint8Array(2 + 1 + varintLength(ackLength) + ackLength);
  out[0] = versionTag;
  out[1] = PROTOCOL_VERSION;
  out[2] = ackTag;
  let at = writeVarint(out, 3, ackLength);
  if (id !== undefined) {
    out[at] = ackDeviceIdTag;
    at = writeVarint(out, at + 1, id.length);
    out.set(id, at);
    at += id.length;
  }
  if (ackedBatchNo !== 0) {
    out[at] = ackSeqTag;
    at = writeVarint(out, at + 1, ackedBatchNo);
  }
  assert(at === out.length, "ack frame length");
  return out;
}

function varintLength(value: number): number {
  let length = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 128)) length++;
  return length;
}

/** Writes a non-negative safe integer as a varint at `at`; returns the offset after it. */
function writeVarint(out: Uint8Array, at: number, value: number): number {
  let v = value;
  let i = at;
  while (v >= 0x80) {
    out[i++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  out[i++] = v;
  return i;
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
    if (tag.value === versionTag) {
      const version = readVarint(frame, offset);
      if (version === undefined) return undefined;
      offset = version.next;
    } else if (tag.value === batchTag && batch === undefined) {
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
