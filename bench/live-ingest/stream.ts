// The live-ingest bench's recorded batch stream and how a measured round is
// cut into windows (bench/live-ingest.ts): shared by the bench and its raw
// append child.

export interface Stream {
  frames: Uint8Array[];
  /** User inputs per batch (index: batch number - 1). */
  batchEvents: number[];
  events: number;
  /** Leading batches sent before the measured window (the server's JIT warms up on them). */
  warmBatches: number;
  warmEvents: number;
}

/**
 * A measured window of a round: the device sets (passes) [passFrom, passTo) stream their batches
 * (batchFrom, batchTo] (1-based; a set streams after the one before it, each phone's batches in one burst).
 */
export interface Window {
  passFrom: number;
  passTo: number;
  batchFrom: number;
  batchTo: number;
}

/**
 * `count` consecutive windows over a round's measured part: groups of passes when there are at
 * least `count` passes (one phone: devices one after another), else slices of every device's
 * batches (the same connected devices go on streaming: no fresh warm-up part, no extra backlog).
 */
export function windowsFor(
  passes: number,
  warmBatches: number,
  totalBatches: number,
  count: number,
): Window[] {
  const measured = totalBatches - warmBatches;
  const windows: Window[] = [];
  if (passes >= count) {
    for (let k = 0; k < count; k++)
      windows.push({
        passFrom: Math.round((k * passes) / count),
        passTo: Math.round(((k + 1) * passes) / count),
        batchFrom: warmBatches,
        batchTo: totalBatches,
      });
  } else {
    const slices = Math.min(count, measured);
    for (let k = 0; k < slices; k++)
      windows.push({
        passFrom: 0,
        passTo: passes,
        batchFrom: warmBatches + Math.round((k * measured) / slices),
        batchTo: warmBatches + Math.round(((k + 1) * measured) / slices),
      });
  }
  return windows.filter((w) => w.passTo > w.passFrom && w.batchTo > w.batchFrom);
}

/** User inputs of the window's batches, per device. */
export function windowEvents(stream: Stream, w: Window): number {
  let events = 0;
  for (let b = w.batchFrom; b < w.batchTo; b++) events += stream.batchEvents[b]!;
  return events;
}

/** Warm-up before the measured rounds: `rounds` sets of fresh devices, each sending its stream's first `batches`. */
export interface WarmUp {
  rounds: number;
  batches: number;
}

/**
 * The recorded stream a bench device sends: device `phone-<i>` streams `streams[i % length]` (on
 * both sides: the server's phones and the raw's rows). One stream (the default) makes every
 * device send the same bytes; several (--streams) make a window's rows a mix of them.
 */
export function streamOf<S>(streams: readonly S[], device: string | number): S {
  const index = typeof device === "number" ? device : Number(device.slice("phone-".length));
  const stream = streams[index % streams.length];
  if (stream === undefined) throw new Error(`no stream for device ${device}`);
  return stream;
}
