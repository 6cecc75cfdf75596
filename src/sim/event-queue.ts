// The simulator's event heap (DESIGN.md "sim"): a binary min-heap on virtual
// time. Ties break on insertion order, so two runs with one seed pop events in
// exactly the same order — the root of "same seed ⇒ same report".
// Keys live in typed arrays beside the events: a fleet keeps thousands of
// events queued, and comparing keys held in the event objects touched a
// scattered object (a cache miss) at every level of every push and pop.
import { assert } from "../core/assert.ts";

/** Anything the heap schedules; `atMs` and `order` are set by `push`. */
export interface Scheduled {
  atMs: number;
  order: number;
}

const initialSlots = 1_024;

export class EventQueue<E extends Scheduled> {
  private events: (E | undefined)[] = [];
  private times = new Float64Array(initialSlots);
  private orders = new Float64Array(initialSlots);
  private length = 0;
  private pushes = 0;

  constructor(private readonly capacityMax: number) {
    assert(Number.isSafeInteger(capacityMax) && capacityMax > 0, "event queue needs a positive capacity");
  }

  get size(): number {
    return this.length;
  }

  /** Total events ever scheduled (a run metric). */
  get pushedTotal(): number {
    return this.pushes;
  }

  push(atMs: number, event: E): void {
    // Messages are built only on failure: push runs once per simulated event.
    if (!(atMs >= 0 && atMs < Number.POSITIVE_INFINITY))
      assert(false, `event time must be finite and non-negative, got ${atMs}`);
    if (this.length >= this.capacityMax) assert(false, `event queue full (${this.capacityMax})`);
    if (this.length === this.times.length) this.grow();
    const order = this.pushes++;
    event.atMs = atMs;
    event.order = order;
    const { events, times, orders } = this;
    let i = this.length++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const t = times[parent]!;
      if (t < atMs || (t === atMs && orders[parent]! < order)) break;
      times[i] = t;
      orders[i] = orders[parent]!;
      events[i] = events[parent];
      i = parent;
    }
    times[i] = atMs;
    orders[i] = order;
    events[i] = event;
  }

  peekMs(): number | undefined {
    return this.length === 0 ? undefined : this.times[0];
  }

  pop(): E | undefined {
    if (this.length === 0) return undefined;
    const top = this.events[0];
    const last = --this.length;
    if (last > 0) this.siftDown(this.times[last]!, this.orders[last]!, this.events[last]!);
    this.events[last] = undefined; // the heap holds no handled event
    assert(top !== undefined, "the heap's top is an event");
    return top;
  }

  private siftDown(atMs: number, order: number, event: E): void {
    const { events, times, orders } = this;
    const n = this.length;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (
        right < n &&
        (times[right]! < times[child]! || (times[right] === times[child] && orders[right]! < orders[child]!))
      )
        child = right;
      const t = times[child]!;
      if (atMs < t || (atMs === t && order < orders[child]!)) break;
      times[i] = t;
      orders[i] = orders[child]!;
      events[i] = events[child];
      i = child;
    }
    times[i] = atMs;
    orders[i] = order;
    events[i] = event;
  }

  private grow(): void {
    const slots = Math.min(this.times.length * 2, Math.max(this.capacityMax, initialSlots));
    assert(slots > this.length, "the heap grows only below its capacity");
    const times = new Float64Array(slots);
    const orders = new Float64Array(slots);
    times.set(this.times);
    orders.set(this.orders);
    this.times = times;
    this.orders = orders;
  }
}
