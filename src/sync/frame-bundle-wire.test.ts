import assert from "node:assert/strict";
import { test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { limits } from "../core/limits.ts";
import { FrameBundleSchema, FrameSchema } from "../gen/mirrorcell/v1/sync_pb.ts";
import { ackFrameBytes, burstMessages, decodeFrame, PROTOCOL_VERSION } from "./frame.ts";
import { bundleBurst, decodeBundleFrame, encodeBundleFrame } from "./frame-bundle-wire.ts";

const seed = Number(process.env.SEED ?? 77);

function bundleOf(frames: Uint8Array[], version = PROTOCOL_VERSION): Uint8Array {
  return toBinary(
    FrameSchema,
    create(FrameSchema, { version, body: { case: "bundle", value: create(FrameBundleSchema, { frames }) } }),
  );
}

/** Frames in a bundle message, 1 for a frame sent as itself. */
function innerCount(message: Uint8Array): number {
  const decoded = decodeBundleFrame(message);
  if (decoded === undefined) return 1;
  assert.ok(decoded.ok && decoded.value.body.case === "bundle");
  return decoded.value.body.value.frames.length;
}

const frameBytes = fc.uint8Array({ minLength: 0, maxLength: 400 });

test(`sync: frame bundle: encodes the bytes protobuf-es writes and decodes to its frames as views (seed=${seed})`, () => {
  fc.assert(
    fc.property(fc.array(frameBytes, { minLength: 1, maxLength: 40 }), (frames) => {
      const bytes = encodeBundleFrame(PROTOCOL_VERSION, frames);
      assert.deepEqual(bytes, bundleOf(frames));
      const decoded = decodeFrame(bytes);
      assert.ok(decoded.ok);
      const body = decoded.value.body;
      assert.equal(body.case, "bundle");
      const inner = body.case === "bundle" ? body.value.frames : [];
      assert.deepEqual(
        inner.map((f) => [...f]),
        frames.map((f) => [...f]),
      );
      // Views of the message, never copies: the server stores a batch from these bytes.
      for (const f of inner) assert.equal(f.buffer, bytes.buffer);
      assert.deepEqual(fromBinary(FrameSchema, bytes).body, decoded.value.body);
    }),
    { seed, numRuns: 200 },
  );
});

test("sync: frame bundle: a non-canonical bundle (version after the body) decodes through protobuf-es alike", () => {
  const frames = [ackFrameBytes("a", 1), ackFrameBytes("b", 2)];
  const canonical = encodeBundleFrame(PROTOCOL_VERSION, frames);
  const reordered = new Uint8Array([...canonical.subarray(2), ...canonical.subarray(0, 2)]);
  assert.equal(decodeBundleFrame(reordered), undefined, "not the hand path's form");
  const decoded = decodeFrame(reordered);
  assert.ok(decoded.ok);
  assert.equal(decoded.value.body.case, "bundle");
  const expected = decodeFrame(canonical);
  assert.ok(expected.ok);
  assert.deepEqual(decoded.value.body.value, expected.value.body.value);
});

test("sync: frame bundle: more than frameBundleFramesMax frames is too large, an empty bundle malformed, on both paths", () => {
  const many = Array.from({ length: limits.frameBundleFramesMax + 1 }, () => new Uint8Array([8, 1]));
  const canonical = bundleOf(many);
  const hand = decodeFrame(canonical);
  assert.ok(!hand.ok);
  assert.equal(hand.error.code, "E_FRAME_TOO_LARGE");
  const reordered = new Uint8Array([...canonical.subarray(2), ...canonical.subarray(0, 2)]);
  const slow = decodeFrame(reordered);
  assert.ok(!slow.ok);
  assert.equal(slow.error.code, "E_FRAME_TOO_LARGE");
  const atBound = decodeFrame(bundleOf(many.slice(1)));
  assert.ok(atBound.ok, "exactly frameBundleFramesMax frames is fine");
  const empty = decodeFrame(bundleOf([]));
  assert.ok(!empty.ok);
  assert.equal(empty.error.code, "E_FRAME_MALFORMED");
  const version = decodeFrame(bundleOf([new Uint8Array([8, 1])], 2));
  assert.ok(!version.ok);
  assert.equal(version.error.code, "E_VERSION_UNSUPPORTED");
});

test(`sync: frame bundle: a truncated bundle is a clear parse error, never a throw (seed=${seed})`, () => {
  const bytes = encodeBundleFrame(PROTOCOL_VERSION, [ackFrameBytes("dev", 3), ackFrameBytes("dev", 4)]);
  fc.assert(
    fc.property(fc.nat(bytes.length - 1), (cut) => {
      const decoded = decodeFrame(bytes.subarray(0, cut));
      // A cut at an entry boundary is a shorter bundle's prefix: still its whole entries, never a torn one.
      if (decoded.ok && decoded.value.body.case === "bundle")
        for (const f of decoded.value.body.value.frames) assert.ok(decodeFrame(f).ok || f.length === 0);
      else if (!decoded.ok) assert.match(decoded.error.code, /^E_(FRAME_MALFORMED|VERSION_UNSUPPORTED)$/);
    }),
    { seed, numRuns: 100 },
  );
});

test(`sync: frame bundle: a burst goes as bundles in order, within the frame count bound; one frame alone (seed=${seed})`, () => {
  fc.assert(
    fc.property(fc.array(frameBytes, { minLength: 0, maxLength: 2600 }), (frames) => {
      const messages = burstMessages(frames);
      if (frames.length <= 1) assert.deepEqual(messages, frames);
      const unpacked: Uint8Array[] = [];
      for (const message of messages) {
        const decoded = decodeBundleFrame(message);
        if (decoded === undefined) {
          unpacked.push(message);
          continue;
        }
        assert.ok(decoded.ok && decoded.value.body.case === "bundle");
        const inner = decoded.value.body.value.frames;
        assert.ok(inner.length >= 2 && inner.length <= limits.frameBundleFramesMax);
        assert.ok(message.length <= limits.frameBundleBytesTarget);
        unpacked.push(...inner);
      }
      assert.deepEqual(
        unpacked.map((f) => [...f]),
        frames.map((f) => [...f]),
      );
      // Full bundles: no two neighbouring messages would have fitted one bundle.
      const counts = messages.map((m) => innerCount(m));
      for (let k = 1; k < messages.length; k++) {
        const joined = counts[k - 1]! + counts[k]! <= limits.frameBundleFramesMax;
        assert.ok(
          !joined || messages[k - 1]!.length + messages[k]!.length > limits.frameBundleBytesTarget - 16,
        );
      }
    }),
    { seed, numRuns: 30 },
  );
});

test("sync: frame bundle: frames that together pass the frame size limit are split; one that fits no bundle goes alone", () => {
  const big = new Uint8Array(Math.floor(limits.frameBytesMax / 2) - 16);
  const huge = new Uint8Array(limits.frameBytesMax - 4);
  const small = ackFrameBytes("dev", 1);
  const messages = bundleBurst(PROTOCOL_VERSION, [big, big, big, small, huge, small], limits.frameBytesMax);
  const sizes = messages.map((m) => m.length);
  assert.equal(messages.length, 4, `messages of ${sizes}`);
  for (const m of messages) assert.ok(m.length <= limits.frameBytesMax);
  const kinds = messages.map((m) => innerCount(m));
  assert.deepEqual(kinds, [2, 2, 1, 1]);
  assert.equal(messages[2], huge, "a frame too large to share a bundle is sent as itself");
});
