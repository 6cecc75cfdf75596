// When each device's replay work is due (paper §3.3.2 Fig 4: replay at
// windowEnd + t_max) and how many accepted bytes wait for it: one min-heap of
// wake-ups over all devices (a queue wakes its device for its head only, not
// one heap entry per batch), each device's queue of accepted batches, and the
// server-wide backlog the runtime uses for intake backpressure. Bookkeeping
// only; the SyncServer decides what a wake-up does. A queued batch is durable
// in the MirrorStore, so the queue keeps only its number, due time and length:
// replay reads it back from the store. Holding the bytes grew the live
// server's memory by a batch per batch (a view pinning a socket read buffer)
// for the whole t_syn_int + t_max a batch waits. A replay step reads its due
// batches back with one range read.
import { assert } from "../core/assert.ts";
import { limits } from "../core/limits.ts";
import type { MirrorStore, StoredBatch } from "../mirror/store.ts";
import { type BatchData, packedEventContext, readBatchHeader, unpackBatch } from "./batch.ts";
import { BitReader } from "./bits.ts";
import { EventCursor } from "./codec-events.ts";
import { syncBatchFromBinary } from "./frame.ts";
import { MinHeap } from "./min-heap.ts";
import type { DeviceState } from "./sync-device-state.ts";

/**
 * A queued batch as replay takes it: `batch` is its fields at the position
 * after its inputs (no inputs, `firstSeq` past the last, as a re-ask's batch
 * from a checkpoint), `events` its inputs in the phone's order.
 */
export interface ReplayHead {
  batch: BatchData;
  events: EventCursor;
}

export class ReplaySchedule {
  private readonly due = new MinHeap<{ dueMs: number; deviceId: string }>((a, b) => a.dueMs - b.dueMs);
  private backlog = 0;

  /** Wire bytes of every batch waiting for replay, all devices. */
  get backlogBytes(): number {
    return this.backlog;
  }

  /** The device has work (a batch, a repair retry, a notice) at dueMs. */
  wake(deviceId: string, dueMs: number): void {
    this.due.push({ dueMs, deviceId });
  }

  nextDueMs(): number | undefined {
    return this.due.peek()?.dueMs;
  }

  /** Devices with a wake-up due by nowMs, in wake-up order, each once; their wake-ups are consumed. */
  takeDue(nowMs: number): Set<string> {
    const touched = new Set<string>();
    for (let top = this.due.peek(); top !== undefined && top.dueMs <= nowMs; top = this.due.peek()) {
      this.due.pop();
      touched.add(top.deviceId);
    }
    return touched;
  }

  /**
   * Queues an accepted batch, already appended to the store, for replay at
   * windowEnd + tMaxMs. Only the length of `bytes` is kept (the backlog bounds).
   */
  enqueue(
    state: DeviceState,
    batch: Pick<BatchData, "batchNo" | "windowEndMs">,
    bytes: Uint8Array,
    tMaxMs: number,
  ): void {
    const dueMs = batch.windowEndMs + tMaxMs;
    const byteLength = bytes.length;
    state.queue.push(batch.batchNo, dueMs, byteLength);
    state.queueBytes += byteLength;
    this.backlog += byteLength;
    // One wake-up for the head; replay wakes the device for the next head when it stops there.
    if (state.queue.length === 1) this.wake(state.deviceId, dueMs);
    assert(
      state.queue.length <= limits.replayQueueBatchesMax + limits.unackedBatchesMax,
      "replay queue unbounded",
    );
  }

  /**
   * The device's due batches from the queue's head, read back from the store
   * with one range read (one statement, where a read per batch cost the live
   * server a statement each): at most `batchesMax` and
   * limits.replayReadBatchesMax. Replay decodes each when it reaches it
   * (decodeHead); what a step did not reach (a stall, a divergence) is read
   * again by a later step. Queued batches are after the mirror's checkpoint,
   * so no checkpoint has pruned them.
   */
  readDue(
    state: DeviceState,
    store: Pick<MirrorStore, "batchesBetween">,
    nowMs: number,
    batchesMax: number,
  ): StoredBatch[] {
    const queue = state.queue;
    const cap = Math.min(batchesMax, limits.replayReadBatchesMax, queue.length);
    let due = 0;
    while (due < cap && queue.dueMsAt(due) <= nowMs) due++;
    if (due === 0) return [];
    // Accepted batches are queued in order, one number apart (QueuedBatches.push checks it).
    const first = queue.batchNoAt(0);
    return store.batchesBetween(state.deviceId, first, first + due - 1);
  }

  /**
   * The queue's head from its stored bytes (`readDue`'s; validated at
   * intake): its fields, and its inputs as a cursor replay reads one at a
   * time (a decode error there is a bug too).
   */
  decodeHead(state: DeviceState, stored: StoredBatch | undefined): ReplayHead {
    assert(state.queue.length > 0, "replay from an empty queue");
    const headNo = state.queue.batchNoAt(0);
    assert(
      stored !== undefined &&
        stored.batchNo === headNo &&
        stored.bytes.length === state.queue.byteLengthAt(0),
      "a queued batch is stored",
    );
    const message = syncBatchFromBinary(stored.bytes);
    const fields = unpackBatch(message);
    assert(fields.ok, "an accepted batch decodes again");
    const r = new BitReader(fields.value.packed);
    const header = readBatchHeader(r, fields.value.windowStartMs);
    assert(header.ok && header.value.batchNo === headNo, "an accepted batch decodes again");
    let events: EventCursor;
    try {
      events = new EventCursor(r, packedEventContext(fields.value));
    } catch (error) {
      assert(false, `an accepted batch decodes again: ${String(error)}`);
    }
    const batch: BatchData = {
      deviceId: state.deviceId,
      batchNo: headNo,
      // Past its inputs, as reaskFromCheckpoint's: what follows replay needs only the position.
      firstSeq: fields.value.firstSeq + events.count,
      windowStartMs: fields.value.windowStartMs,
      windowEndMs: header.value.windowEndMs,
      inputs: [],
      networkConsumed: fields.value.consumed,
      storageDigest: message.storageDigest,
      powerOff: header.value.powerOff,
    };
    return { batch, events };
  }

  dequeue(state: DeviceState): void {
    assert(state.queue.length > 0, "dequeue from an empty queue");
    const byteLength = state.queue.shift();
    state.queueBytes -= byteLength;
    this.backlog -= byteLength;
    assert(state.queueBytes >= 0 && this.backlog >= 0, "replay backlog below zero");
  }

  /** The device's volatile state is dropped: its queued bytes leave the backlog. */
  forget(state: DeviceState): void {
    this.backlog -= state.queueBytes;
    assert(this.backlog >= 0, "replay backlog below zero");
  }
}
