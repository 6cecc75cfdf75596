// Small immutable byte arrays carved from shared slabs (issue 4, simulator
// cost; paper §4 runs whole fleets): on Node 20 a `new Uint8Array(n)` above
// 64 bytes is a malloc'd backing store with a GC-tracked extension, 1.7-5 us
// each with the scavenges it brings, while a view into an existing buffer is
// ~50 ns. Like node's Buffer pool, but sans-IO and only for bytes nobody
// writes after filling them (file contents, payloads).
//
// Each region is handed out once and never reused, so no view is ever
// overwritten by a later caller. The price: a live view pins its whole slab
// (limits.byteSlabBytes) until every view into it is dropped. With the
// project's workload that costs ~10 % over the views' own bytes (bench
// byte-slab-memory: 50 mirrors x 21 h), but a process that runs for days
// and keeps one small file in every slab's worth of short-lived ones pins
// 16 KiB per kept file (x260 in that bench's churn pattern). A long-running
// process (the live server) therefore turns views off (setSlabViews):
// every array is then its own, and memory follows the bytes kept.
import { assert } from "./assert.ts";
import { utf8, utf8Into } from "./bytes.ts";
import { limits } from "./limits.ts";

/** Slabs this module carved, so storage can tell a pooled view from a view into a frame. */
const slabBuffers = new WeakSet<ArrayBufferLike>();
let slab = new Uint8Array(0);
let used = 0;
let viewsOn = true;

/**
 * Whether slabBytes hands out slab views (the default) or arrays of their
 * own, for the rest of this process. Views already handed out stay views.
 */
export function setSlabViews(on: boolean): void {
  viewsOn = on;
  // off: let go of the current slab too (its views keep it while they live)
  if (!on) {
    slab = new Uint8Array(0);
    used = 0;
  }
  assert(viewsOn === on && used <= slab.length, "setSlabViews: state");
}

/**
 * A zero-filled array of `size` bytes: a view into the current slab when
 * size ≤ limits.byteSlabViewBytesMax and views are on, else an array of its own. The caller
 * fills it once and must not change it after handing it on. Views start at
 * multiples of 8, so a caller may lay a word array over one.
 */
export function slabBytes(size: number): Uint8Array {
  assert(Number.isSafeInteger(size) && size >= 0, "slabBytes: bad size");
  if (size > limits.byteSlabViewBytesMax || !viewsOn) return new Uint8Array(size);
  if (used + size > slab.length) {
    slab = new Uint8Array(limits.byteSlabBytes);
    slabBuffers.add(slab.buffer);
    used = 0;
  }
  const out = slab.subarray(used, used + size);
  used = (used + size + 7) & ~7;
  assert(out.length === size && out.byteOffset % 8 === 0, "slabBytes: aligned view");
  return out;
}

/** Whether bytes came from slabBytes as a view (not copied when stored: pinning its slab was the deal). */
export function isSlabView(bytes: Uint8Array): boolean {
  return slabBuffers.has(bytes.buffer);
}

// UTF-8 takes at most 3 bytes per UTF-16 code unit.
const utf8Scratch = new Uint8Array(3 * limits.byteSlabViewBytesMax);

/** utf8(text) as slab bytes: the same bytes, a view when they are small. */
export function slabUtf8(text: string): Uint8Array {
  if (text.length > limits.byteSlabViewBytesMax) return utf8(text);
  const written = utf8Into(text, utf8Scratch);
  const out = slabBytes(written);
  out.set(utf8Scratch.subarray(0, written));
  return out;
}
