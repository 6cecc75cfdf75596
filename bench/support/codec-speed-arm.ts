// One arm of the codec A/B (codec-speed-ab.ts): the bodies it times, built
// over one source tree's src/sync modules. Imported once per arm under its own
// query string, so each arm's closures have feedback of their own.
import { join, resolve } from "node:path";
import type { BatchData } from "../../src/sync/batch.ts";

export type Body = (i: number) => number;

export interface Arm {
  name: string;
  bodies: Record<string, Body>;
  /** Every batch's frame as this arm encodes it (must be the same bytes in both arms). */
  wires: Uint8Array[];
}

export async function loadArm(name: string, dir: string, batches: readonly BatchData[]): Promise<Arm> {
  const sync = join(resolve(dir), "src", "sync");
  const { validateBatchMessage } = await import(join(sync, "batch-validate.ts"));
  const { encodeWindowBatchFrame, unpackBatch, readBatchHeader, packedEventContext } = await import(
    join(sync, "batch.ts")
  );
  const { BitReader } = await import(join(sync, "bits.ts"));
  const { EventCursor } = await import(join(sync, "codec-events.ts"));
  const { EventWindow } = await import(join(sync, "codec-window.ts"));
  const { decodeFrame, encodeFrame, batchFrame, syncBatchFromBinary } = await import(join(sync, "frame.ts"));
  const { batchMessageView } = await import(join(sync, "frame-batch-wire.ts"));
  const window = new EventWindow();
  // The batch fields as SyncClient has them at a window's end (built once, outside the clock).
  const fieldsOf = batches.map(({ inputs: _inputs, ...fields }) => fields);
  const options = { includeDeviceId: false };
  const frame = (b: unknown) => encodeFrame(batchFrame(b));
  const encode: Body = (i) => {
    const inputs = batches[i]!.inputs;
    window.reset();
    for (let j = 0; j < inputs.length; j++) window.add(inputs[j]!);
    const bytes: Uint8Array = encodeWindowBatchFrame(fieldsOf[i]!, window, options, frame);
    window.reset();
    return bytes.length;
  };
  const wires = batches.map((_, i) => {
    window.reset();
    for (const input of batches[i]!.inputs) window.add(input);
    return encodeWindowBatchFrame(fieldsOf[i]!, window, options, frame) as Uint8Array;
  });
  const messages = wires.map((w) => {
    const frame = decodeFrame(w);
    if (!frame.ok || frame.value.body.case !== "batch")
      throw new Error(`${name}: a batch frame does not decode`);
    // A copy made here: decoded messages kept alive would teach V8 to pretenure the
    // decoder's own allocation sites, and the timed decodes' garbage then survived
    // every scavenge (4 MB promoted each, 30-100 ms; not what a server sees).
    return { ...frame.value.body.value };
  });
  const views = wires.map((w) => {
    const view = batchMessageView(w);
    if (view === undefined) throw new Error(`${name}: no batch view of a frame`);
    return view as Uint8Array;
  });
  const intake: Body = (i) => {
    const frame = decodeFrame(wires[i]!);
    const summary = validateBatchMessage(frame.value.body.value);
    if (!summary.ok) throw new Error(`${name}: a batch is refused: ${summary.error.message}`);
    return summary.value.inputCount;
  };
  const validate: Body = (i) => {
    const summary = validateBatchMessage(messages[i]);
    if (!summary.ok) throw new Error(`${name}: a batch is refused: ${summary.error.message}`);
    return summary.value.inputCount;
  };
  const replay: Body = (i) => {
    const fields = unpackBatch(syncBatchFromBinary(views[i]!));
    const r = new BitReader(fields.value.packed);
    const header = readBatchHeader(r, fields.value.windowStartMs);
    if (!header.ok) throw new Error(`${name}: a batch header does not decode`);
    const cursor = new EventCursor(r, packedEventContext(fields.value));
    let sum = 0;
    for (let input = cursor.next(); input !== undefined; input = cursor.next()) sum += input.seq;
    return sum;
  };
  return { name, bodies: { intake, validate, replay, encode }, wires };
}
