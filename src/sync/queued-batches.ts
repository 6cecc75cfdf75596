// A device's replay queue (DESIGN.md "Sync protocol": accepted batches wait
// for windowEnd + t_max): batch number, due time and wire length per queued
// batch, in three number arrays instead of an object per batch. A batch waits
// t_syn_int + t_max (a minute) or, in a backlog, much longer: an object per
// batch outlived the young generation and died old, which the live server
// paid for per batch in promotion and old-space marking (W10, session 10).
import { assert } from "../core/assert.ts";

/** Consumed head slots dropped at once when they are at least this many and half the arrays. */
const compactSlotsMin = 64;

export class QueuedBatches {
  private batchNos: number[] = [];
  private dueMss: number[] = [];
  private byteLengths: number[] = [];
  /** Slots before `head` are consumed. */
  private head = 0;

  get length(): number {
    return this.batchNos.length - this.head;
  }

  batchNoAt(index: number): number {
    assert(index >= 0 && index < this.length, "queued batch index out of range");
    return this.batchNos[this.head + index]!;
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
    return this.length === 0 ? undefined : this.batchNos[this.batchNos.length - 1];
  }

  push(batchNo: number, dueMs: number, byteLength: number): void {
    assert(Number.isSafeInteger(batchNo) && byteLength >= 0, "queued batch fields");
    this.batchNos.push(batchNo);
    this.dueMss.push(dueMs);
    this.byteLengths.push(byteLength);
  }

  /** Removes the head; returns its wire length. */
  shift(): number {
    assert(this.length > 0, "shift from an empty replay queue");
    const byteLength = this.byteLengths[this.head]!;
    this.head++;
    if (this.head === this.batchNos.length) this.clear();
    else if (this.head >= compactSlotsMin && this.head * 2 >= this.batchNos.length) this.compact();
    return byteLength;
  }

  private clear(): void {
    this.batchNos.length = 0;
    this.dueMss.length = 0;
    this.byteLengths.length = 0;
    this.head = 0;
  }

  private compact(): void {
    const dropped = this.head;
    this.batchNos.splice(0, dropped);
    this.dueMss.splice(0, dropped);
    this.byteLengths.splice(0, dropped);
    this.head = 0;
    assert(this.batchNos.length === this.dueMss.length, "queue arrays out of step");
  }
}
