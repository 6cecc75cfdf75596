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

const frameVersionTag = 0x08;
/** Frame.bundle = 18, length-delimited: (18 << 3 | 2) = 146, a two-byte varint tag. */
const bundleTag0 = 0x92;
const bundleTag1 = 0x01;
/** FrameBundle.frames = 1, length-delimited. */
const innerTag = 0x0a;
/** Varints of up to 4 bytes: every length below 2^28 (the frame cap is 24 MiB). */
const lengthVarintBytesMax = 4;

function varintSize(value: number): number {
  let size = 1;
  for (let rest = value; rest >= 0x80; rest >>>= 7) size++;
  return size;
}

function writeVarint(out: Uint8Array, at: number, value: number): number {
  let rest = value;
  let pos = at;
  while (rest >= 0x80) {
    out[pos++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  out[pos++] = rest;
  return pos;
}

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
  const out = new Uint8Array(bundleFrameBytes(body));
  out[0] = frameVersionTag;
  out[1] = version;
  out[2] = bundleTag0;
  out[3] = bundleTag1;
  let at = writeVarint(out, 4, body);
  for (const frame of frames) {
    out[at++] = innerTag;
    at = writeVarint(out, at, frame.length);
    out.set(frame, at);
    at += frame.length;
  }
  assert(at === out.length, "bundle written to its computed size");
  return out;
}

/** A length varint at `at` (below 2^28), as [value, next position], or undefined. */
function readLength(bytes: Uint8Array, at: number, end: number): [number, number] | undefined {
  let value = 0;
  let pos = at;
  for (let i = 0; i < lengthVarintBytesMax && pos < end; i++) {
    const b = bytes[pos++]!;
    value |= (b & 0x7f) << (7 * i);
    if (b < 0x80) return value <= end - pos ? [value, pos] : undefined;
  }
  return undefined;
}

/** Where a canonical bundle frame's body starts, with its version; undefined when not one. */
function openBundle(bytes: Uint8Array): { at: number; version: number } | undefined {
  if (bytes.length < 5 || bytes[0] !== frameVersionTag || bytes[1]! >= 0x80) return undefined;
  if (bytes[2] !== bundleTag0 || bytes[3] !== bundleTag1) return undefined;
  const body = readLength(bytes, 4, bytes.length);
  if (body === undefined || body[1] + body[0] !== bytes.length) return undefined;
  return { at: body[1], version: bytes[1]! };
}

/**
 * fromBinary(FrameSchema, bytes) for a canonical bundle frame (inner frames
 * as views of `bytes`); a failure for one of more than frameBundleFramesMax
 * frames, found before any more are collected; undefined for anything else.
 */
export function decodeBundleFrame(bytes: Uint8Array): Result<Frame> | undefined {
  const open = openBundle(bytes);
  if (open === undefined) return undefined;
  const frames: Uint8Array[] = [];
  let at = open.at;
  while (at < bytes.length) {
    if (bytes[at] !== innerTag) return undefined;
    const entry = readLength(bytes, at + 1, bytes.length);
    if (entry === undefined) return undefined;
    if (frames.length === limits.frameBundleFramesMax) return tooManyFrames();
    frames.push(bytes.subarray(entry[1], entry[1] + entry[0]));
    at = entry[1] + entry[0];
  }
  assert(at === bytes.length, "a bundle read to its end");
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
