import assert from "node:assert/strict";
import { test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { fail, ok } from "../core/errors.ts";
import { type Frame, FrameSchema } from "../gen/mirrorcell/v1/sync_pb.ts";
import { deviceProof, newDeviceKey, newNonce } from "./auth.ts";
import { type FrameCodec, SyncSession } from "./sync-session.ts";

const codec: FrameCodec = {
  version: 1,
  decode(bytes) {
    try {
      const frame = fromBinary(FrameSchema, bytes);
      return frame.version === 1 ? ok(frame) : fail("E_VERSION_UNSUPPORTED", "version");
    } catch {
      return fail("E_FRAME_MALFORMED", "garbage");
    }
  },
  encode: (frame) => toBinary(FrameSchema, frame),
};

function harness(cloneRequired = false) {
  const key = newDeviceKey();
  const sent: Frame[] = [];
  /** sent.length at each welcomed() call: the hook must run after the Welcome went out. */
  const welcomedAt: number[] = [];
  const passed: Frame[] = [];
  const closes: number[] = [];
  const session = new SyncSession({
    codec,
    deviceKey: (id) => (id === "phone-1" ? key : undefined),
    newNonce,
    authenticated: () =>
      ok({ ackedSeq: 7n, syncIntervalMs: 60_000n, ...(cloneRequired ? { cloneRequired } : {}) }),
    welcomed: () => welcomedAt.push(sent.length),
    frame: (_s, f) => passed.push(f),
    send: (bytes) => sent.push(fromBinary(FrameSchema, bytes)),
    close: (code) => closes.push(code),
  });
  const feed = (body: Frame["body"]) =>
    session.receive(toBinary(FrameSchema, create(FrameSchema, { version: 1, body })));
  return { key, sent, passed, closes, session, feed, welcomedAt };
}

test("live: session: the right key is welcomed with the acked seq; frames then reach the core", () => {
  const h = harness();
  h.feed({
    case: "hello",
    value: { $typeName: "mirrorcell.v1.Hello", deviceId: "phone-1", model: "m", bootId: 1n },
  });
  const challenge = h.sent.at(-1)!;
  assert.equal(challenge.body.case, "challenge");
  const nonce = challenge.body.case === "challenge" ? challenge.body.value.nonce : new Uint8Array();
  h.feed({
    case: "authProof",
    value: { $typeName: "mirrorcell.v1.AuthProof", mac: deviceProof(h.key, nonce, "phone-1") },
  });
  const welcome = h.sent.at(-1)!;
  assert.equal(welcome.body.case, "welcome");
  assert.equal(welcome.body.case === "welcome" && welcome.body.value.ackedSeq, 7n);
  h.feed({ case: "powerOff", value: { $typeName: "mirrorcell.v1.PowerOff", lastSeq: 3n } });
  assert.equal(h.passed.length, 1);
  assert.equal(h.session.state, "ready");
});

test("live: session: a wrong key, an unknown device, or a batch before auth is refused and closed", () => {
  const wrong = harness();
  wrong.feed({
    case: "hello",
    value: { $typeName: "mirrorcell.v1.Hello", deviceId: "phone-1", model: "", bootId: 0n },
  });
  wrong.feed({ case: "authProof", value: { $typeName: "mirrorcell.v1.AuthProof", mac: new Uint8Array(32) } });
  assert.equal(wrong.sent.at(-1)!.body.value?.$typeName, "mirrorcell.v1.Error");
  assert.deepEqual(wrong.closes, [1008]);

  const unknown = harness();
  unknown.feed({
    case: "hello",
    value: { $typeName: "mirrorcell.v1.Hello", deviceId: "ghost", model: "", bootId: 0n },
  });
  assert.deepEqual(unknown.closes, [1008]);

  const early = harness();
  early.feed({ case: "powerOff", value: { $typeName: "mirrorcell.v1.PowerOff", lastSeq: 1n } });
  assert.deepEqual(early.closes, [1008]);
  assert.equal(early.passed.length, 0);
  const error = early.sent.at(-1)!;
  assert.equal(error.body.case === "error" && error.body.value.code, "E_AUTH_REQUIRED");
});

function authenticate(h: ReturnType<typeof harness>): void {
  h.feed({
    case: "hello",
    value: { $typeName: "mirrorcell.v1.Hello", deviceId: "phone-1", model: "m", bootId: 2n },
  });
  const challenge = h.sent.at(-1)!;
  const nonce = challenge.body.case === "challenge" ? challenge.body.value.nonce : new Uint8Array();
  h.feed({
    case: "authProof",
    value: { $typeName: "mirrorcell.v1.AuthProof", mac: deviceProof(h.key, nonce, "phone-1") },
  });
}

test("live: session: right after the Welcome the phone is sent what it is owed (notices, a repair asked again); not when the Welcome asks for a clone", () => {
  const h = harness();
  authenticate(h);
  assert.equal(h.sent.at(-1)!.body.case, "welcome");
  assert.deepEqual(h.welcomedAt, [h.sent.length], "once, after the Welcome was sent");
  const cloning = harness(true);
  authenticate(cloning);
  assert.equal(cloning.sent.at(-1)!.body.case, "welcome");
  assert.deepEqual(cloning.welcomedAt, [], "a re-clone comes first");
});
