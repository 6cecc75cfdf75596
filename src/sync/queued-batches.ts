// A device's replay queue (DESIGN.md "Sync protocol": accepted batches wait
// for windowEnd + t_max): due time and wire length per queued batch, in two
// number arrays instead of an object per batch; the batches are accepted in
// order, so their numbers follow from the first. A batch waits
// t_syn_int + t_max (a minute) or, in a backlog, much longer: an object per
// batch outlived the young generation and died old, which the live server
// paid for per batch in promotion and old-space marking (W10, session 10).
import { assert } from "../core/assert.ts";

/** Consumed head slots dropped at once when they are at least this many and half the arrays. */
const compactSlotsMin = 64;

export class QueuedBatches {
  /** The number of the batch at `head` (the next pushed is firstBatchNo + length when not empty). */
  private firstBatchNo = 0;
  private dueMss: number[] = [];
  private byteLengths: number[] = [];
  /** Slots before `head` are consumed. */
  private head = 0;

  get length(): number {
    return this.dueMss.length - this.head;
  }

  batchNoAt(index: number): number {
    assert(index >= 0 && index < this.length, "queued batch index out of range");
    return this.firstBatchNo + index;
  }

  dueMsAt(index: number): number {
    assert(index >= 0 && index < this.length, "queued batch index out of range");
    return this.dueMss[this.head + index]!;
  }

  byteLengthAt(index: number): number {
    assert(index >= 0 && index < this.length, "queued batch index out of range");
    return this.byteLengths[this.head + index]!;
  }

  /** The last queued batch's number, undefined when empty. */
  lastBatchNo(): number | undefined {
    return this.length === 0 ? undefined : this.firstBatchNo + this.length - 1;
  }

  /** Queues the batch after the last one (any number when the queue is empty). */
  push(batchNo: number, dueMs: number, byteLength: number): void {
    assert(Number.isSafeInteger(batchNo) && byteLength >= 0, "queued batch fields");
    if (this.length === 0) this.firstBatchNo = batchNo;
    else assert(batchNo === this.firstBatchNo + this.length, "the replay queue is contiguous");
    this.dueMss.push(dueMs);
    this.byteLengths.push(byteLength);
  }

  /** Removes the head; returns its wire length. */
  shift(): number {
    assert(this.length > 0, "shift from an empty replay queue");
    const byteLength = this.byteLengths[this.head]!;
    this.head++;
    this.firstBatchNo++;
    if (this.head === this.dueMss.length) this.clear();
    else if (this.head >= compactSlotsMin && this.head * 2 >= this.dueMss.length) this.compact();
    return byteLength;
  }

  private clear(): void {
    this.dueMss.length = 0;
    this.byteLengths.length = 0;
    this.head = 0;
  }

  private compact(): void {
    const dropped = this.head;
    this.dueMss.splice(0, dropped);
    this.byteLengths.splice(0, dropped);
    this.head = 0;
    assert(this.dueMss.length === this.byteLengths.length, "queue arrays out of step");
  }
}
