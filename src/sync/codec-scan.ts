// What the compact event codec (codec-events.ts) needs to know about a
// batch's inputs before it writes them: time deltas, tap/key ranges and the
// events where networkConsumed steps up (paper §3.3.2, DESIGN.md "Sync
// protocol"). An EventWindow (codec-window.ts) feeds its scan one input at
// a time as the Syn-Client records it, and writes the batch from it at the
// window's end, when the inputs themselves are long gone.
import { assert } from "../core/assert.ts";
import { limits } from "../core/limits.ts";
import type { UserInput } from "../platform/inputs.ts";

const initialCapacity = 64;

function grown<T extends Float64Array | Uint32Array>(old: T, make: (size: number) => T): T {
  const size = Math.min(old.length * 2, limits.batchEventsMax);
  assert(size > old.length, "an event scan holds at most batchEventsMax inputs");
  const next = make(size);
  next.set(old);
  return next;
}

export class EventScan {
  /** Inputs added since reset(). */
  count = 0;
  /** Seq of the first input added. */
  firstSeq = 0;
  /** Time of the first input; its delta is taken from the window start at encode time. */
  firstTimeMs = 0;
  xRange = 0;
  yRange = 0;
  keyRange = 0;
  /** Inputs whose networkConsumed is above the previous input's. */
  stepCount = 0;
  /** deltas[i] = timeMs[i] - timeMs[i - 1] for i ≥ 1; deltas[0] is set by deltasFrom(). */
  private deltas = new Float64Array(initialCapacity);
  private stepAt = new Uint32Array(8);
  private stepBy = new Float64Array(8);
  /** Time and networkConsumed of the last input added (meaningful while count > 0). */
  lastTimeMs = 0;
  lastConsumed = 0;

  reset(): void {
    this.count = 0;
    this.xRange = 0;
    this.yRange = 0;
    this.keyRange = 0;
    this.stepCount = 0;
  }

  /** Adds the next input of the batch: seqs contiguous, times and networkConsumed not decreasing. */
  add(input: UserInput): void {
    const i = this.count;
    if (i === 0) {
      this.firstSeq = input.seq;
      this.firstTimeMs = input.timeMs;
    } else {
      // Messages are built only on failure: add() runs once per user input.
      if (input.seq !== this.firstSeq + i) assert(false, "seqs in a batch are contiguous");
      if (input.timeMs < this.lastTimeMs) assert(false, "inputs must be time-ordered");
      const consumedStep = input.networkConsumed - this.lastConsumed;
      if (consumedStep < 0) assert(false, "networkConsumed must not decrease");
      if (consumedStep > 0) this.addStep(i, consumedStep);
    }
    if (i === this.deltas.length) this.deltas = grown(this.deltas, (n) => new Float64Array(n));
    this.deltas[i] = input.timeMs - this.lastTimeMs;
    this.lastTimeMs = input.timeMs;
    this.lastConsumed = input.networkConsumed;
    this.count = i + 1;
    const body = input.body;
    if (body.kind === "tap") {
      if (body.x >= this.xRange) this.xRange = body.x + 1;
      if (body.y >= this.yRange) this.yRange = body.y + 1;
    } else if (body.kind === "key" && body.code >= this.keyRange) {
      this.keyRange = body.code + 1;
    }
  }

  /** The time deltas of the inputs, the first from `windowStartMs`; a view valid until the next add/reset. */
  deltasFrom(windowStartMs: number): Float64Array {
    assert(this.count > 0, "deltas of an empty scan");
    assert(this.firstTimeMs >= windowStartMs, "inputs must be time-ordered");
    this.deltas[0] = this.firstTimeMs - windowStartMs;
    return this.deltas.subarray(0, this.count);
  }

  /** Position (index in the batch, ≥ 1) of the `n`th step. */
  stepPosition(n: number): number {
    return this.stepAt[n]!;
  }

  /** How much networkConsumed stepped up at the `n`th step (≥ 1). */
  stepSize(n: number): number {
    return this.stepBy[n]!;
  }

  private addStep(position: number, size: number): void {
    const n = this.stepCount;
    if (n === this.stepAt.length) {
      this.stepAt = grown(this.stepAt, (k) => new Uint32Array(k));
      this.stepBy = grown(this.stepBy, (k) => new Float64Array(k));
    }
    this.stepAt[n] = position;
    this.stepBy[n] = size;
    this.stepCount = n + 1;
  }
}
