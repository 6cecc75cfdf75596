// Validate-only intake of a wire batch (paper §3.3.2 Fig 4: the Syn-Server
// acknowledges a batch once it is durable and replays it at windowEnd +
// t_max; DESIGN.md "Sync protocol"). Intake must refuse exactly the batches
// decodeBatch refuses, with the same error, but it only stores the bytes:
// replay decodes them again. So this makes one pass over the packed bits
// (codec-events-skip.ts) and returns the few facts intake checks, without
// building the inputs (issue 5: in a 100-phone live profile the codec's
// share of the server's busy CPU went from 6.7 % to 3.2 %; docs/benchmarks.md
// "Validate-only intake (session 4)").
import { assert } from "../core/assert.ts";
import { ok, type Result } from "../core/errors.ts";
import type { SyncBatch } from "../gen/mirrorcell/v1/sync_pb.ts";
import { type BatchData, checkBatchTail, packedEventContext, readBatchHeader, unpackBatch } from "./batch.ts";
import { BitReader } from "./bits.ts";
import { skipEvents } from "./codec-events-skip.ts";

/** A batch as intake sees it: BatchData without its inputs. */
export interface BatchSummary {
  deviceId: string;
  batchNo: number;
  firstSeq: number;
  windowStartMs: number;
  windowEndMs: number;
  inputCount: number;
  /** networkConsumed of the first input; undefined for a batch without inputs. */
  firstNetworkConsumed: number | undefined;
  /** timeMs of the last input; undefined for a batch without inputs. */
  lastTimeMs: number | undefined;
  /** Network inputs the phone had consumed at the window's end. */
  networkConsumed: number;
  storageDigest: Uint8Array;
  powerOff: boolean;
}

/**
 * Accepts exactly what decodeBatch accepts (same error code and message
 * otherwise) and returns the summary of what it would have decoded. Never
 * throws on bad input.
 */
export function validateBatchMessage(message: SyncBatch): Result<BatchSummary> {
  const unpacked = unpackBatch(message, { scratchView: true });
  if (!unpacked.ok) return unpacked;
  const { packed, firstSeq, windowStartMs, consumed } = unpacked.value;
  const r = new BitReader(packed);
  const header = readBatchHeader(r, windowStartMs);
  if (!header.ok) return header;
  const events = skipEvents(r, packedEventContext(unpacked.value));
  if (!events.ok) return events;
  const { inputCount, firstNetworkConsumed, lastTimeMs } = events.value;
  const tail = checkBatchTail(r, { firstSeq, inputCount, lastTimeMs, windowEndMs: header.value.windowEndMs });
  if (!tail.ok) return tail;
  assert(inputCount >= 0 && (inputCount === 0) === (lastTimeMs === undefined), "a consistent summary");
  return ok({
    deviceId: message.deviceId,
    batchNo: header.value.batchNo,
    firstSeq,
    windowStartMs,
    windowEndMs: header.value.windowEndMs,
    inputCount,
    firstNetworkConsumed,
    lastTimeMs,
    networkConsumed: consumed,
    storageDigest: message.storageDigest,
    powerOff: header.value.powerOff,
  });
}

/** The summary of a decoded batch (tests compare it with the validator's; callers holding BatchData). */
export function summaryOf(batch: BatchData): BatchSummary {
  const first = batch.inputs[0];
  const last = batch.inputs[batch.inputs.length - 1];
  return {
    deviceId: batch.deviceId,
    batchNo: batch.batchNo,
    firstSeq: batch.firstSeq,
    windowStartMs: batch.windowStartMs,
    windowEndMs: batch.windowEndMs,
    inputCount: batch.inputs.length,
    firstNetworkConsumed: first?.networkConsumed,
    lastTimeMs: last?.timeMs,
    networkConsumed: batch.networkConsumed,
    storageDigest: batch.storageDigest,
    powerOff: batch.powerOff,
  };
}

/** Seq of the batch's last input (firstSeq - 1 for a batch without inputs), as lastSeqOf. */
export function summaryLastSeq(batch: BatchSummary): number {
  return batch.firstSeq + batch.inputCount - 1;
}
