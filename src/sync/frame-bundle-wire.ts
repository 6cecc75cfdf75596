// The FrameBundle frame (proto/mirrorcell/v1/sync.proto): several whole
// encoded frames in one WebSocket message, so a phone's burst (its backlog of
// unacked batches after a reconnect, paper §3.3.2) is one message for the
// server's socket layer to read, unmask and hand over instead of one per
// batch. Written and read by hand like frame-batch-wire.ts: the inner frames
// are views of the message, never copies. The decoder takes the canonical
// form only (version, then the bundle field running to the end, inner frames
// as field 1 each) and returns undefined for anything else (frame.ts then
// falls back to protobuf-es).
import { assert } from "../core/assert.ts";
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { Frame } from "../gen/mirrorcell/v1/sync_pb.ts";
import { Sink, Source, varintSize } from "./frame-batch-wire.ts";

const frameVersionTag = 0x08;
/** Frame.bundle = 18, length-delimited: (18 << 3 | 2) = 146, a two-byte varint tag. */
const bundleTag0 = 0x92;
const bundleTag1 = 0x01;
/** FrameBundle.frames = 1, length-delimited. */
const innerTag = 0x0a;

/** Bytes one inner frame adds to a bundle's body. */
export function bundleEntryBytes(frameBytes: number): number {
  return 1 + varintSize(frameBytes) + frameBytes;
}

/** Bytes of a bundle frame whose body (its entries) is `bodyBytes` long, for a one-byte version. */
export function bundleFrameBytes(bodyBytes: number): number {
  return 2 + 2 + varintSize(bodyBytes) + bodyBytes;
}

/** toBinary of Frame{version, bundle: {frames}}: the exact bytes protobuf-es writes. */
export function encodeBundleFrame(version: number, frames: readonly Uint8Array[]): Uint8Array {
  assert(version > 0 && version < 0x80, "a one-byte version varint");
  assert(frames.length >= 1 && frames.length <= limits.frameBundleFramesMax, "bundle frame count");
  let body = 0;
  for (const frame of frames) body += bundleEntryBytes(frame.length);
  const sink = new Sink(bundleFrameBytes(body));
  sink.bytes.set([frameVersionTag, version, bundleTag0, bundleTag1]);
  sink.at = 4;
  sink.varint(body);
  for (const frame of frames) {
    // By hand, not Sink.lengthDelimited: a repeated field keeps an empty entry too.
    sink.bytes[sink.at++] = innerTag;
    sink.varint(frame.length);
    sink.bytes.set(frame, sink.at);
    sink.at += frame.length;
  }
  assert(sink.at === sink.bytes.length, "bundle written to its computed size");
  return sink.bytes;
}

/** A reader over a canonical bundle frame's body, with its version; undefined when not one. */
function openBundle(bytes: Uint8Array): { body: Source; version: number } | undefined {
  if (bytes.length < 5 || bytes[0] !== frameVersionTag || bytes[1]! >= 0x80) return undefined;
  if (bytes[2] !== bundleTag0 || bytes[3] !== bundleTag1) return undefined;
  const outer = new Source(bytes, 4, bytes.length);
  const body = outer.view();
  if (body === undefined || outer.at !== bytes.length) return undefined;
  return { body: new Source(bytes, bytes.length - body.length, bytes.length), version: bytes[1]! };
}

/**
 * fromBinary(FrameSchema, bytes) for a canonical bundle frame (inner frames
 * as views of `bytes`); a failure for one of more than frameBundleFramesMax
 * frames, found before any more are collected; undefined for anything else.
 */
export function decodeBundleFrame(bytes: Uint8Array): Result<Frame> | undefined {
  const open = openBundle(bytes);
  if (open === undefined) return undefined;
  const { body } = open;
  const frames: Uint8Array[] = [];
  while (body.at < body.end) {
    if (bytes[body.at++] !== innerTag) return undefined;
    const frame = body.view();
    if (frame === undefined) return undefined;
    if (frames.length === limits.frameBundleFramesMax) return tooManyFrames();
    frames.push(frame);
  }
  assert(body.at === bytes.length, "a bundle read to its end");
  return ok({
    $typeName: "mirrorcell.v1.Frame",
    version: open.version,
    body: { case: "bundle", value: { $typeName: "mirrorcell.v1.FrameBundle", frames } },
  });
}

export function tooManyFrames(): Result<never> {
  return fail(
    ErrorCodes.FRAME_TOO_LARGE,
    `Cannot accept frame bundle: more than ${limits.frameBundleFramesMax} frames`,
  );
}

/**
 * A burst of encoded frames as the messages to send: runs of consecutive
 * frames as bundles of at most frameBundleFramesMax frames and `bytesMax`
 * bytes, in order; a frame that would be alone (or does not fit a bundle
 * with another) goes as itself.
 */
export function bundleBurst(
  version: number,
  frames: readonly Uint8Array[],
  bytesMax: number = limits.frameBundleBytesTarget,
): Uint8Array[] {
  assert(bytesMax <= limits.frameBytesMax, "a bundle must fit in a frame");
  const messages: Uint8Array[] = [];
  let from = 0;
  while (from < frames.length) {
    let to = from;
    let body = 0;
    while (to < frames.length && to - from < limits.frameBundleFramesMax) {
      const next = body + bundleEntryBytes(frames[to]!.length);
      if (bundleFrameBytes(next) > bytesMax) break;
      body = next;
      to++;
    }
    if (to - from <= 1) {
      messages.push(frames[from]!);
      from++;
    } else {
      messages.push(encodeBundleFrame(version, frames.slice(from, to)));
      from = to;
    }
  }
  assert(messages.length <= frames.length, "bundling never adds messages");
  return messages;
}
