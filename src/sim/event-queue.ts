// The simulator's event heap (DESIGN.md "sim"): a binary min-heap on virtual
// time. Ties break on insertion order, so two runs with one seed pop events in
// exactly the same order — the root of "same seed ⇒ same report".
import { assert } from "../core/assert.ts";

/** Anything the heap schedules; `atMs` and `order` are set by `push`. */
export interface Scheduled {
  atMs: number;
  order: number;
}

export class EventQueue<E extends Scheduled> {
  private readonly heap: E[] = [];
  private pushes = 0;

  constructor(private readonly capacityMax: number) {
    assert(Number.isSafeInteger(capacityMax) && capacityMax > 0, "event queue needs a positive capacity");
  }

  get size(): number {
    return this.heap.length;
  }

  /** Total events ever scheduled (a run metric). */
  get pushedTotal(): number {
    return this.pushes;
  }

  push(atMs: number, event: E): void {
    // Messages are built only on failure: push runs once per simulated event.
    if (!(atMs >= 0 && atMs < Number.POSITIVE_INFINITY))
      assert(false, `event time must be finite and non-negative, got ${atMs}`);
    if (this.heap.length >= this.capacityMax) assert(false, `event queue full (${this.capacityMax})`);
    event.atMs = atMs;
    event.order = this.pushes++;
    const heap = this.heap;
    let i = heap.length;
    heap.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!before(event, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = event;
  }

  peekMs(): number | undefined {
    return this.heap[0]?.atMs;
  }

  pop(): E | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop()!;
    if (heap.length > 0) this.siftDown(last);
    return top;
  }

  private siftDown(event: E): void {
    const heap = this.heap;
    const n = heap.length;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && before(heap[right]!, heap[left]!)) child = right;
      if (!before(heap[child]!, event)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = event;
  }
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.order < b.order);
}
