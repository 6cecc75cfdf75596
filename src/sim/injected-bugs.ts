// Test-only bugs, injected on purpose to show the invariant checker is not
// vacuous (issue 4 "Must show"). Each one tampers with a single batch frame
// between the phone and the Syn-Server, as a buggy client or middlebox would.
import { assert } from "../core/assert.ts";
import {
  type BatchData,
  decodeBatch,
  decodeFrame,
  encodeBatch,
  encodeFrame,
  frameOf,
} from "../sync/index.ts";
import type { InjectedBug } from "./options.ts";

/** Returns the tampered frame, or undefined when this frame does not qualify. */
export function injectBatchBug(bug: InjectedBug, bytes: Uint8Array): Uint8Array | undefined {
  const frame = decodeFrame(bytes);
  if (!frame.ok || frame.value.body.case !== "batch") return undefined;
  const decoded = decodeBatch(frame.value.body.value);
  assert(decoded.ok, "the phone's own batch decodes");
  const batch = decoded.value;
  if (bug === "drop-replayed-input") {
    // The batch's last input vanishes: the mirror never sees it.
    if (batch.inputs.length < 2) return undefined;
    return reencode({ ...batch, inputs: batch.inputs.slice(0, -1) });
  }
  if (bug === "reorder-network-input") {
    // A network input moves ahead of the user input it followed on the phone.
    // The last such input: moving it keeps networkConsumed non-decreasing.
    const i = batch.inputs.findLastIndex((input) => input.networkConsumed < batch.networkConsumed);
    if (i < 0) return undefined;
    const inputs = batch.inputs.map((input, j) =>
      j === i ? { ...input, networkConsumed: input.networkConsumed + 1 } : input,
    );
    return reencode({ ...batch, inputs });
  }
  return undefined;
}

function reencode(batch: BatchData): Uint8Array {
  return encodeFrame(frameOf({ case: "batch", value: encodeBatch(batch) }));
}
