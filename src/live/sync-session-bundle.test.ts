import assert from "node:assert/strict";
import { test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { type Frame, FrameSchema } from "../gen/mirrorcell/v1/sync_pb.ts";
import { encodeBatch } from "../sync/batch.ts";
import { batchFrame, encodeFrame } from "../sync/frame.ts";
import { encodeBundleFrame } from "../sync/frame-bundle-wire.ts";
import { deviceProof, newDeviceKey, newNonce } from "./auth.ts";
import { liveFrameCodec } from "./frame-codec.ts";
import { SyncSession } from "./sync-session.ts";

const seed = Number(process.env.SEED ?? 99);

/** A session as the server runs it (the live codec), recording what reaches the core and what leaves. */
function harness() {
  const key = newDeviceKey();
  const sent: Frame[] = [];
  const passed: string[] = [];
  const closes: number[] = [];
  const session = new SyncSession({
    codec: liveFrameCodec,
    deviceKey: (id) => (id === "phone-1" ? key : undefined),
    newNonce,
    authenticated: () => ({ ok: true, value: { ackedSeq: 0n, syncIntervalMs: 60_000n } }),
    frame: (_s, frame, bytes) => passed.push(`${frame.body.case}:${Buffer.from(bytes).toString("hex")}`),
    send: (bytes) => sent.push(fromBinary(FrameSchema, bytes)),
    close: (code) => closes.push(code),
  });
  return { key, sent, passed, closes, session };
}

function encode(body: Frame["body"]): Uint8Array {
  return toBinary(FrameSchema, create(FrameSchema, { version: 1, body }));
}

function authenticated() {
  const h = harness();
  h.session.receive(
    encode({
      case: "hello",
      value: { $typeName: "mirrorcell.v1.Hello", deviceId: "phone-1", model: "m", bootId: 1n },
    }),
  );
  const challenge = h.sent.at(-1)!;
  assert.ok(challenge.body.case === "challenge");
  const mac = deviceProof(h.key, challenge.body.value.nonce, "phone-1");
  h.session.receive(encode({ case: "authProof", value: { $typeName: "mirrorcell.v1.AuthProof", mac } }));
  assert.equal(h.session.state, "ready");
  h.sent.length = 0;
  return h;
}

function batch(deviceId: string, batchNo: number): Uint8Array {
  const b = encodeBatch(
    {
      deviceId,
      batchNo,
      firstSeq: batchNo,
      windowStartMs: 1,
      windowEndMs: 2,
      inputs: [],
      networkConsumed: 0,
      storageDigest: new Uint8Array(32).fill(batchNo),
      powerOff: false,
    },
    { includeDeviceId: true },
  );
  return encodeFrame(batchFrame(b));
}

/** What a session did: frames to the core (with their bytes), error codes sent, close codes. */
function outcome(h: ReturnType<typeof harness>) {
  const codes = h.sent.map((f) => (f.body.case === "error" ? f.body.value.code : String(f.body.case)));
  return { passed: h.passed, codes, closes: h.closes, state: h.session.state };
}

const inner = fc.oneof(
  fc.integer({ min: 1, max: 50 }).map((n) => batch("phone-1", n)),
  fc.constant(encode({ case: "powerOff", value: { $typeName: "mirrorcell.v1.PowerOff", lastSeq: 3n } })),
  fc.constant(
    encode({ case: "noticeAck", value: { $typeName: "mirrorcell.v1.NoticeAck", noticeIds: [1n, 2n] } }),
  ),
  fc.constant(batch("other-1", 1)),
  fc.integer({ min: 2, max: 9 }).map((version) => {
    const wrong = batch("phone-1", 1);
    wrong[1] = version; // the version varint after the 0x08 tag
    return wrong;
  }),
  fc.uint8Array({ minLength: 0, maxLength: 40 }),
  fc.constant(
    encode({
      case: "hello",
      value: { $typeName: "mirrorcell.v1.Hello", deviceId: "phone-1", model: "", bootId: 1n },
    }),
  ),
  fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 3 }).map((ns) =>
    encodeBundleFrame(
      1,
      ns.map((n) => batch("phone-1", n)),
    ),
  ),
);

test(`live: session: a bundle is exactly its frames received one after another, errors and close included (seed=${seed})`, () => {
  fc.assert(
    fc.property(fc.array(inner, { minLength: 1, maxLength: 12 }), (frames) => {
      const bundled = authenticated();
      bundled.session.receive(encodeBundleFrame(1, frames));
      const separate = authenticated();
      // Separately, a nested bundle is a bundle of its own: compare against what a bundle inside a bundle must do.
      for (const bytes of frames) {
        if (separate.session.state === "closed") break;
        const alone = liveFrameCodec.decode(bytes);
        if (alone.ok && alone.value.body.case === "bundle") {
          separate.session.refuse("E_FRAME_MALFORMED", "nested", 1002);
          break;
        }
        separate.session.receive(bytes);
      }
      assert.deepEqual(outcome(bundled), outcome(separate));
    }),
    { seed, numRuns: 300 },
  );
});

test("live: session: frames before a bad one in a bundle reach the core; the bad one refuses and closes as alone; none after", () => {
  const h = authenticated();
  const good = [batch("phone-1", 1), batch("phone-1", 2)];
  h.session.receive(encodeBundleFrame(1, [...good, new Uint8Array([0xff, 0xff]), batch("phone-1", 3)]));
  assert.deepEqual(
    h.passed,
    good.map((b) => `batch:${Buffer.from(b).toString("hex")}`),
  );
  assert.deepEqual(outcome(h).codes, ["E_FRAME_MALFORMED"]);
  assert.deepEqual(h.closes, [1002]);

  const other = authenticated();
  other.session.receive(encodeBundleFrame(1, [batch("phone-1", 1), batch("other-1", 1)]));
  assert.equal(other.passed.length, 1);
  assert.deepEqual(outcome(other).codes, ["E_DEVICE_MISMATCH"]);
  assert.deepEqual(other.closes, [1008]);

  const nested = authenticated();
  nested.session.receive(
    encodeBundleFrame(1, [encodeBundleFrame(1, [batch("phone-1", 1), batch("phone-1", 2)])]),
  );
  assert.equal(nested.passed.length, 0);
  assert.deepEqual(outcome(nested).codes, ["E_FRAME_MALFORMED"]);
  assert.deepEqual(nested.closes, [1002]);
});

test("live: session: a bundle before authentication is gated like its frames: a batch in it is refused", () => {
  const h = harness();
  const hello = encode({
    case: "hello",
    value: { $typeName: "mirrorcell.v1.Hello", deviceId: "phone-1", model: "m", bootId: 1n },
  });
  h.session.receive(encodeBundleFrame(1, [hello, batch("phone-1", 1)]));
  assert.equal(h.passed.length, 0);
  assert.deepEqual(outcome(h).codes, ["challenge", "E_AUTH_REQUIRED"]);
  assert.deepEqual(h.closes, [1008]);
});
