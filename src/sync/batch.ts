// One sync batch: the user inputs of [windowStartMs, windowEndMs) plus the
// phone's networkConsumed and storage digest at the window's end (paper
// §3.3.2 Fig 4; DESIGN.md "Sync protocol"). Converts between the decoded form
// (BatchData) and the wire message (SyncBatch), choosing raw DEFLATE only when
// it is smaller.
import { deflateSync, Inflate, inflateSync } from "fflate";
import { assert } from "../core/assert.ts";
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import { EventCodec, type SyncBatch } from "../gen/mirrorcell/v1/sync_pb.ts";
import type { UserInput } from "../platform/inputs.ts";
import { BitReader, BitsExhausted, BitWriter } from "./bits.ts";
import { type EventContext, readEvents } from "./codec-events.ts";
import { type EventWindow, writeEvents } from "./codec-window.ts";
import { worthDeflating } from "./deflate-gate.ts";

export interface BatchData {
  /** Empty on the wire means "the authenticated device" (saves ~16 bytes). */
  deviceId: string;
  /** Contiguous from 1 per device; acks and repairs count batches. */
  batchNo: number;
  /** Seq of the first input; for a batch without inputs, the next seq. */
  firstSeq: number;
  windowStartMs: number;
  windowEndMs: number;
  inputs: readonly UserInput[];
  /** Network inputs the phone had consumed at the window's end. */
  networkConsumed: number;
  /** Merkle root of the phone's storage at the window's end. */
  storageDigest: Uint8Array;
  /** The phone powered off right after this batch (mirror saves and stops). */
  powerOff: boolean;
}

export function lastSeqOf(batch: BatchData): number {
  return batch.firstSeq + batch.inputs.length - 1;
}

const inflateChunkBytes = 1024;
/** One writer for every batch: the core runs to completion, so encodes never overlap. */
const scratch = new BitWriter(4096);

/** A batch without its inputs: what the Syn-Client has at a window's end besides its EventWindow. */
export type BatchFields = Omit<BatchData, "inputs">;

export function encodeBatch(batch: BatchData, options: { includeDeviceId?: boolean } = {}): SyncBatch {
  const ctx = eventContextOf(batch);
  return encodeWith(batch, options, (w) => writeEvents(w, batch.inputs, ctx), false);
}

/** What the event codec needs of a batch besides its inputs. */
function eventContextOf(fields: BatchFields): EventContext {
  return {
    firstSeq: fields.firstSeq,
    windowStartMs: fields.windowStartMs,
    networkConsumedEnd: fields.networkConsumed,
  };
}

/**
 * The batch of `fields` whose inputs were added to `events` as they were
 * recorded (codec-window.ts); the same message encodeBatch makes of those
 * inputs. `events` is left as it was (the caller resets it).
 */
export function encodeWindowBatch(
  fields: BatchFields,
  events: EventWindow,
  options: { includeDeviceId?: boolean } = {},
): SyncBatch {
  const ctx = eventContextOf(fields);
  return encodeWith(fields, options, (w) => events.write(w, ctx), false);
}

/**
 * frame(encodeWindowBatch(fields, events, options)), where the batch's packed
 * events are a view of the shared encode scratch instead of an array of their
 * own (a Uint8Array above 64 bytes is an off-heap buffer: 1.7-5 us each).
 * `frame` must copy them into what it returns (encodeFrame does): the view is
 * overwritten by the next encode, so the batch must not outlive the call.
 */
export function encodeWindowBatchFrame(
  fields: BatchFields,
  events: EventWindow,
  options: { includeDeviceId?: boolean },
  frame: (batch: SyncBatch) => Uint8Array,
): Uint8Array {
  const ctx = eventContextOf(fields);
  const batch = encodeWith(fields, options, (w) => events.write(w, ctx), true);
  const bytes = frame(batch);
  assert(
    bytes.buffer !== batch.eventsPacked.buffer,
    "encodeWindowBatchFrame: the frame holds a copy, not the scratch",
  );
  assert(bytes.length > batch.eventsPacked.length, "encodeWindowBatchFrame: the frame holds the events");
  return bytes;
}

/**
 * `writeBody` appends the events and returns their literal string bytes.
 * `scratchView`: the packed events may be a view of the scratch writer, valid
 * until the next encode (encodeWindowBatchFrame only).
 */
function encodeWith(
  batch: BatchFields,
  options: { includeDeviceId?: boolean },
  writeBody: (w: BitWriter) => number,
  scratchView: boolean,
): SyncBatch {
  assert(batch.batchNo >= 1 && batch.firstSeq >= 1, "batch numbers and seqs start at 1");
  assert(batch.windowEndMs >= batch.windowStartMs, "window ends before it starts");
  assert(batch.storageDigest.length === limits.digestBytes, "digest must be 32 bytes");
  // An encode that failed an assertion may have left bits behind.
  scratch.reset(limits.codecScratchBytesMax);
  scratch.writeExpGolomb(batch.batchNo, 0);
  scratch.writeBit(batch.powerOff);
  scratch.writeExpGolomb(batch.windowEndMs - batch.windowStartMs, 12);
  const textBytes = writeBody(scratch);
  let packed: Uint8Array;
  if (scratchView) {
    // the same bytes finish() makes: the pending bits zero-padded to a whole byte
    scratch.alignToByte();
    packed = scratch.alignedView();
  } else {
    packed = scratch.finish();
    scratch.reset(limits.codecScratchBytesMax);
  }
  let codec = EventCodec.COMPACT;
  if (worthDeflating(packed, textBytes)) {
    const deflated = deflateSync(packed, { level: 9 });
    if (deflated.length < packed.length) {
      packed = deflated;
      codec = EventCodec.COMPACT_DEFLATE;
    }
  }
  // A literal message: create() walks the schema by reflection on every batch.
  return {
    $typeName: "mirrorcell.v1.SyncBatch",
    deviceId: options.includeDeviceId === false ? "" : batch.deviceId,
    firstSeq: BigInt(batch.firstSeq),
    lastSeq: 0n,
    windowStartMs: BigInt(batch.windowStartMs),
    windowEndMs: 0n,
    events: [],
    codec,
    eventsPacked: packed,
    networkConsumed: BigInt(batch.networkConsumed),
    storageDigest: batch.storageDigest,
  };
}

/**
 * Inflates a COMPACT_DEFLATE payload, at most batchBytesMax bytes of output.
 * Small inputs (every real batch) inflate in one call into a reused buffer:
 * fflate's streaming Inflate grows a fresh 128 KB buffer per push, ~100 µs
 * for a 200-byte batch. With a given output buffer fflate never resizes and
 * drops what does not fit, so an output that fills the buffer is too large;
 * an input this small cannot expand past ~1032× its size, so the work stays
 * bounded like the streaming path's.
 */
function inflateBounded(data: Uint8Array, scratchView: boolean): Result<Uint8Array> {
  if (data.length === 0) return fail(ErrorCodes.BATCH_MALFORMED, "Cannot inflate batch: no data");
  if (data.length > limits.inflateOneShotInputBytesMax) return inflateStreaming(data);
  inflateScratch ??= new Uint8Array(limits.batchBytesMax + 1);
  let inflated: Uint8Array;
  try {
    inflated = inflateSync(data, { out: inflateScratch });
  } catch (error) {
    return fail(ErrorCodes.BATCH_MALFORMED, `Cannot inflate batch: ${(error as Error).message}`);
  }
  assert(inflated.buffer === inflateScratch.buffer, "fflate wrote into the given buffer");
  if (inflated.length > limits.batchBytesMax)
    return fail(ErrorCodes.BATCH_TOO_LARGE, `Inflated batch exceeds ${limits.batchBytesMax} bytes`);
  return ok(scratchView ? inflated : inflated.slice());
}

let inflateScratch: Uint8Array | undefined;

/** Large inputs: push in chunks and stop as soon as the output passes the bound. */
function inflateStreaming(data: Uint8Array): Result<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  let finished = false;
  let overflow = false;
  const inflater = new Inflate((chunk, final) => {
    total += chunk.length;
    if (total > limits.batchBytesMax) overflow = true;
    else parts.push(chunk);
    if (final) finished = true;
  });
  try {
    for (let offset = 0; offset < data.length && !overflow; offset += inflateChunkBytes) {
      const end = Math.min(offset + inflateChunkBytes, data.length);
      inflater.push(data.subarray(offset, end), end === data.length);
    }
  } catch (error) {
    return fail(ErrorCodes.BATCH_MALFORMED, `Cannot inflate batch: ${(error as Error).message}`);
  }
  if (overflow)
    return fail(ErrorCodes.BATCH_TOO_LARGE, `Inflated batch exceeds ${limits.batchBytesMax} bytes`);
  if (!finished) return fail(ErrorCodes.BATCH_MALFORMED, "Cannot inflate batch: stream truncated");
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return ok(out);
}

/** Built once: a BigInt made per call showed under perf at intake (three per batch). */
const maxSafeBigInt = BigInt(Number.MAX_SAFE_INTEGER);

function safeNumber(value: bigint, field: string): Result<number> {
  if (value > maxSafeBigInt) return fail(ErrorCodes.BATCH_MALFORMED, `${field} too large`);
  return ok(Number(value));
}

/** What decodeBatch and validateBatchMessage read past the message fields: the packed bit stream. */
export interface PackedBatch {
  packed: Uint8Array;
  firstSeq: number;
  windowStartMs: number;
  consumed: number;
}

/** What the event codec needs to read a packed batch's events (its message-level fields). */
export function packedEventContext(fields: PackedBatch): EventContext {
  return {
    firstSeq: fields.firstSeq,
    windowStartMs: fields.windowStartMs,
    networkConsumedEnd: fields.consumed,
  };
}

/**
 * The message-level checks of a wire batch and its packed events, inflated.
 * `scratchView`: the inflated bytes may stay in the shared inflate buffer
 * (valid until the next inflate; the validator reads them at once and keeps
 * nothing).
 */
export function unpackBatch(
  message: SyncBatch,
  options: { scratchView?: boolean } = {},
): Result<PackedBatch> {
  if (message.events.length > 0) {
    return fail(ErrorCodes.BATCH_MALFORMED, "Verbose events are not accepted; use the compact codec");
  }
  if (message.codec !== EventCodec.COMPACT && message.codec !== EventCodec.COMPACT_DEFLATE) {
    return fail(ErrorCodes.BATCH_MALFORMED, `Unknown event codec ${message.codec}`);
  }
  if (message.eventsPacked.length > limits.batchBytesMax) {
    return fail(
      ErrorCodes.BATCH_TOO_LARGE,
      `Batch of ${message.eventsPacked.length} bytes exceeds ${limits.batchBytesMax}`,
    );
  }
  if (message.storageDigest.length !== limits.digestBytes) {
    return fail(ErrorCodes.BATCH_MALFORMED, `Storage digest must be ${limits.digestBytes} bytes`);
  }
  if (message.deviceId.length > limits.deviceIdBytesMax) {
    return fail(ErrorCodes.BATCH_MALFORMED, "Device id too long");
  }
  const firstSeq = safeNumber(message.firstSeq, "firstSeq");
  const windowStartMs = safeNumber(message.windowStartMs, "windowStartMs");
  const consumed = safeNumber(message.networkConsumed, "networkConsumed");
  if (!firstSeq.ok) return firstSeq;
  if (!windowStartMs.ok) return windowStartMs;
  if (!consumed.ok) return consumed;
  if (firstSeq.value < 1) return fail(ErrorCodes.BATCH_MALFORMED, "firstSeq must be at least 1");
  let packed = message.eventsPacked;
  if (message.codec === EventCodec.COMPACT_DEFLATE) {
    const inflated = inflateBounded(packed, options.scratchView === true);
    if (!inflated.ok) return inflated;
    packed = inflated.value;
  }
  return ok({
    packed,
    firstSeq: firstSeq.value,
    windowStartMs: windowStartMs.value,
    consumed: consumed.value,
  });
}

/** Decodes and validates a wire batch; never throws on bad input. */
export function decodeBatch(message: SyncBatch): Result<BatchData> {
  const unpacked = unpackBatch(message);
  if (!unpacked.ok) return unpacked;
  return decodePacked(message, unpacked.value);
}

export interface BatchHeader {
  batchNo: number;
  powerOff: boolean;
  windowEndMs: number;
}

/** The packed stream's own header (batch number, power-off, window length). */
export function readBatchHeader(r: BitReader, windowStartMs: number): Result<BatchHeader> {
  let header: { batchNo: number; powerOff: boolean; windowLengthMs: number };
  try {
    header = { batchNo: r.readExpGolomb(0), powerOff: r.readBit(), windowLengthMs: r.readExpGolomb(12) };
  } catch (error) {
    if (!(error instanceof BitsExhausted)) throw error;
    return fail(ErrorCodes.BATCH_MALFORMED, `Cannot decode batch header: ${error.message}`);
  }
  if (header.batchNo < 1) return fail(ErrorCodes.BATCH_MALFORMED, "batchNo must be at least 1");
  const windowEndMs = windowStartMs + header.windowLengthMs;
  if (!Number.isSafeInteger(windowEndMs)) return fail(ErrorCodes.BATCH_MALFORMED, "window end overflows");
  return ok({ batchNo: header.batchNo, powerOff: header.powerOff, windowEndMs });
}

/** The checks after the events: padding only, the last input inside the window, seqs in range. */
export function checkBatchTail(
  r: BitReader,
  tail: { firstSeq: number; inputCount: number; lastTimeMs: number | undefined; windowEndMs: number },
): Result<void> {
  if (!r.atPaddedEnd()) return fail(ErrorCodes.BATCH_MALFORMED, "Trailing bytes after batch events");
  if (tail.lastTimeMs !== undefined && tail.lastTimeMs >= tail.windowEndMs) {
    return fail(ErrorCodes.BATCH_MALFORMED, "An input lies after its window's end");
  }
  if (!Number.isSafeInteger(tail.firstSeq + tail.inputCount)) {
    return fail(ErrorCodes.BATCH_MALFORMED, "seq overflows");
  }
  return ok(undefined);
}

function decodePacked(message: SyncBatch, fields: PackedBatch): Result<BatchData> {
  const r = new BitReader(fields.packed);
  const header = readBatchHeader(r, fields.windowStartMs);
  if (!header.ok) return header;
  const inputs = readEvents(r, packedEventContext(fields));
  if (!inputs.ok) return inputs;
  const tail = checkBatchTail(r, {
    firstSeq: fields.firstSeq,
    inputCount: inputs.value.length,
    lastTimeMs: inputs.value[inputs.value.length - 1]?.timeMs,
    windowEndMs: header.value.windowEndMs,
  });
  if (!tail.ok) return tail;
  return ok({
    deviceId: message.deviceId,
    batchNo: header.value.batchNo,
    firstSeq: fields.firstSeq,
    windowStartMs: fields.windowStartMs,
    windowEndMs: header.value.windowEndMs,
    inputs: inputs.value,
    networkConsumed: fields.consumed,
    storageDigest: message.storageDigest,
    powerOff: header.value.powerOff,
  });
}
