import assert from "node:assert/strict";
import { test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import WebSocket from "ws";
import { limits } from "../src/core/limits.ts";
import { type Frame, FrameBundleSchema, FrameSchema } from "../src/gen/mirrorcell/v1/sync_pb.ts";
import { deviceProof } from "../src/live/auth.ts";
import {
  enrollDevices,
  startPhones,
  startTestServer,
  tempDataDir,
  waitFor,
} from "../src/live/live-harness.ts";
import type { LiveServer } from "../src/live/live-server.ts";
import { storeTables } from "../src/live/sqlite-tables.ts";
import { encodeBatch } from "../src/sync/batch.ts";
import { batchFrame, encodeFrame } from "../src/sync/frame.ts";
import { encodeBundleFrame } from "../src/sync/frame-bundle-wire.ts";

const seed = Number(process.env.SEED ?? 4242);

/** Every durable row, as one string: compared before and after each bad frame. */
function dumpDurableState(server: LiveServer): string {
  const parts: string[] = [];
  for (const table of [...storeTables, "devices"]) {
    const rows = server.db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all();
    parts.push(
      `${table}:${JSON.stringify(rows, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v))}`,
    );
  }
  return parts.join("\n");
}

interface Conversation {
  replies: Frame[];
  closed: boolean;
  closeCode: number | undefined;
}

/** Connects, optionally authenticates, sends `payload`, and collects replies until close or a quiet period. */
async function converse(
  server: LiveServer,
  auth: { deviceId: string; key: Uint8Array | undefined } | undefined,
  payload: Uint8Array,
): Promise<Conversation> {
  const ws = new WebSocket(server.syncUrl, { maxPayload: limits.frameBytesMax * 4 });
  const result: Conversation = { replies: [], closed: false, closeCode: undefined };
  const frames: Frame[] = [];
  let notify: () => void = () => {};
  ws.on("message", (data: Buffer) => {
    frames.push(fromBinary(FrameSchema, new Uint8Array(data)));
    notify();
  });
  ws.on("close", (code) => {
    result.closed = true;
    result.closeCode = code;
    notify();
  });
  ws.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const next = async (): Promise<Frame | undefined> => {
    if (frames.length === 0 && !result.closed) await new Promise<void>((r) => (notify = r));
    return frames.shift();
  };
  const send = (body: Frame["body"]) =>
    ws.send(toBinary(FrameSchema, create(FrameSchema, { version: 1, body })));
  if (auth !== undefined) {
    send({
      case: "hello",
      value: { $typeName: "mirrorcell.v1.Hello", deviceId: auth.deviceId, model: "pixel", bootId: 1n },
    });
    const challenge = await next();
    if (challenge?.body.case === "challenge") {
      const mac =
        auth.key === undefined
          ? new Uint8Array(32)
          : deviceProof(auth.key, challenge.body.value.nonce, auth.deviceId);
      send({ case: "authProof", value: { $typeName: "mirrorcell.v1.AuthProof", mac } });
      const welcome = await next();
      if (welcome !== undefined && welcome.body.case !== "welcome") result.replies.push(welcome);
    } else if (challenge !== undefined) result.replies.push(challenge);
  }
  if (!result.closed && payload.length > 0) ws.send(payload);
  // Generous: a 24 MB frame on a loaded 2-core machine can take seconds to cross loopback.
  await waitFor(() => result.closed || frames.length > 0, 20_000, 10);
  await waitFor(() => result.closed, 300, 10);
  result.replies.push(...frames);
  ws.terminate();
  return result;
}

function batchBytes(fields: {
  deviceId: string;
  batchNo: number;
  firstSeq: number;
  version?: number;
  windowStartMs?: number;
}): Uint8Array {
  const batch = encodeBatch(
    {
      deviceId: fields.deviceId,
      batchNo: fields.batchNo,
      firstSeq: fields.firstSeq,
      windowStartMs: fields.windowStartMs ?? 1,
      windowEndMs: (fields.windowStartMs ?? 1) + 1,
      inputs: [],
      networkConsumed: 0,
      storageDigest: new Uint8Array(32).fill(7),
      powerOff: false,
    },
    { includeDeviceId: true },
  );
  const frame = batchFrame(batch);
  if (fields.version === undefined) return encodeFrame(frame);
  return toBinary(FrameSchema, { ...frame, version: fields.version });
}

function errorCodes(c: Conversation): string[] {
  return c.replies
    .filter((f) => f.body.case === "error")
    .map((f) => (f.body.case === "error" ? f.body.value.code : ""));
}

test(`live: bad input: fuzzed frames get a clear error, durable state unchanged, server stays up (seed=${seed})`, async () => {
  const data = tempDataDir("fuzz");
  const server = await startTestServer(data.dir);
  const keys = enrollDevices(data.dir, ["fuzz-1", "other-1"]);
  const { phones, origin } = await startPhones({
    syncUrl: server.syncUrl,
    proxyUrl: server.proxyUrl!,
    keys: new Map([["fuzz-1", keys.get("fuzz-1")!]]),
    seed,
    model: "pixel",
    eventsPerSecond: 30,
    syncIntervalMs: 200,
    sizeScale: 0.01,
    stepMs: 20,
  });
  try {
    await new Promise((resolve) => setTimeout(resolve, 800));
    assert.ok(await phones[0]!.powerOff(10_000));
    assert.ok(await waitFor(() => server.core.mirror("fuzz-1")?.state === "stopped", 10_000));
    const lastBatchNo = phones[0]!.core.batchesMade;
    const before = dumpDurableState(server);
    const auth = { deviceId: "fuzz-1", key: keys.get("fuzz-1") };
    const valid = batchBytes({ deviceId: "fuzz-1", batchNo: lastBatchNo + 1, firstSeq: 1 });
    const cases = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => ({ kind: "random", bytes })),
      fc.nat(valid.length - 2).map((cut) => ({ kind: "truncated", bytes: valid.subarray(0, cut + 1) })),
      fc.integer({ min: 2, max: 1000 }).map((version) => ({
        kind: "version",
        bytes: batchBytes({ deviceId: "fuzz-1", batchNo: lastBatchNo + 1, firstSeq: 1, version }),
      })),
      fc.integer({ min: 1, max: lastBatchNo }).map((batchNo) => ({
        kind: "replayed",
        bytes: batchBytes({ deviceId: "fuzz-1", batchNo, firstSeq: 1 }),
      })),
      fc.constant({
        kind: "other-device",
        bytes: batchBytes({ deviceId: "other-1", batchNo: 1, firstSeq: 1 }),
      }),
      fc.integer({ min: 2, max: 50 }).map((gap) => ({
        kind: "seq-gap",
        bytes: batchBytes({ deviceId: "fuzz-1", batchNo: lastBatchNo + 1, firstSeq: 100_000 + gap }),
      })),
    );
    await fc.assert(
      fc.asyncProperty(cases, async ({ kind, bytes }) => {
        const c = await converse(server, auth, bytes);
        const codes = errorCodes(c);
        if (kind === "replayed") {
          // Idempotent: a batch the server holds is re-acked, never reapplied.
          assert.ok(c.replies.some((f) => f.body.case === "ack") || codes.length > 0, `${kind}: answered`);
        } else {
          assert.equal(codes.length, 1, `${kind}: one clear error frame, got ${JSON.stringify(codes)}`);
          assert.match(codes[0]!, /^E_[A-Z_]+$/);
        }
        if (kind === "other-device") assert.deepEqual(codes, ["E_DEVICE_MISMATCH"]);
        if (kind === "version") assert.deepEqual(codes, ["E_VERSION_UNSUPPORTED"]);
        if (kind === "other-device" || kind === "truncated" || kind === "version")
          assert.ok(c.closed, `${kind}: closed`);
        assert.equal(dumpDurableState(server), before, `${kind}: durable state unchanged`);
      }),
      { seed, numRuns: 40 },
    );
    const oversized = await converse(server, auth, new Uint8Array(limits.frameBytesMax + 10));
    assert.deepEqual(errorCodes(oversized), ["E_FRAME_TOO_LARGE"]);
    assert.ok(oversized.closed);
    const wrongKey = await converse(server, { deviceId: "fuzz-1", key: undefined }, new Uint8Array());
    assert.deepEqual(errorCodes(wrongKey), ["E_AUTH_FAILED"]);
    assert.ok(wrongKey.closed);
    const noAuth = await converse(server, undefined, valid);
    assert.deepEqual(errorCodes(noAuth), ["E_AUTH_REQUIRED"]);
    const unknown = await converse(
      server,
      { deviceId: "stranger", key: keys.get("fuzz-1") },
      new Uint8Array(),
    );
    assert.deepEqual(errorCodes(unknown), ["E_AUTH_FAILED"]);
    assert.equal(dumpDurableState(server), before, "durable state unchanged after every bad frame");
    const health = await fetch(`${server.httpUrl}/health`);
    assert.equal(health.status, 200, "server stays up");
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    assert.match(metrics, /^mirrorcell_frames_rejected_total [1-9]\d*$/m);
  } finally {
    for (const phone of phones) await phone.close();
    await origin.close();
    await server.close();
    data.remove();
  }
});

function bundleBytes(frames: Uint8Array[]): Uint8Array {
  return encodeBundleFrame(1, frames);
}

test(`live: bad input: fuzzed frame bundles get the clear error their bad frame gets alone, durable state unchanged, server stays up (seed=${seed})`, async () => {
  const data = tempDataDir("fuzz-bundle");
  const server = await startTestServer(data.dir);
  const keys = enrollDevices(data.dir, ["fuzz-2", "other-2"]);
  try {
    const auth = { deviceId: "fuzz-2", key: keys.get("fuzz-2") };
    // Two batches held durably and acked: the replayed frames below.
    const first = await converse(
      server,
      auth,
      bundleBytes(
        [1, 2].map((n) => batchBytes({ deviceId: "fuzz-2", batchNo: n, firstSeq: 1, windowStartMs: n * 10 })),
      ),
    );
    assert.deepEqual(errorCodes(first), [], "a good bundle is taken");
    const rows = () =>
      (
        server.db.prepare("SELECT COUNT(*) AS n FROM batches WHERE device_id = 'fuzz-2'").get() as {
          n: number;
        }
      ).n;
    assert.ok(await waitFor(() => rows() === 2, 5000), "both batches of the bundle durable");
    const before = dumpDurableState(server);
    const next = (n: number) =>
      batchBytes({ deviceId: "fuzz-2", batchNo: n, firstSeq: 1, windowStartMs: n * 10 });
    const valid = bundleBytes([next(3), next(4)]);
    const cases = fc.oneof(
      fc
        .nat(valid.length - 2)
        .map((cut) => ({ kind: "truncated", bytes: valid.subarray(0, cut + 1), code: "E_FRAME_MALFORMED" })),
      fc.constant({
        kind: "nested",
        bytes: bundleBytes([bundleBytes([next(3), next(4)])]),
        code: "E_FRAME_MALFORMED",
      }),
      fc.constant({
        kind: "other-device",
        bytes: bundleBytes([batchBytes({ deviceId: "other-2", batchNo: 1, firstSeq: 1 }), next(3)]),
        code: "E_DEVICE_MISMATCH",
      }),
      fc.integer({ min: 2, max: 120 }).map((version) => ({
        kind: "version",
        bytes: bundleBytes([
          batchBytes({ deviceId: "fuzz-2", batchNo: 3, firstSeq: 1, windowStartMs: 30, version }),
          next(3),
        ]),
        code: "E_VERSION_UNSUPPORTED",
      })),
      fc
        .uint8Array({ minLength: 1, maxLength: 300 })
        .map((bytes) => ({ kind: "random-inner", bytes: bundleBytes([bytes]), code: "" })),
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => ({
        kind: "random-body",
        bytes: new Uint8Array([0x08, 0x01, 0x92, 0x01, ...varint(bytes.length), ...bytes]),
        code: "",
      })),
    );
    await fc.assert(
      fc.asyncProperty(cases, async ({ kind, bytes, code }) => {
        const c = await converse(server, auth, bytes);
        const codes = errorCodes(c);
        assert.equal(codes.length, 1, `${kind}: one clear error frame, got ${JSON.stringify(codes)}`);
        assert.match(codes[0]!, /^E_[A-Z_]+$/);
        if (code !== "") assert.deepEqual(codes, [code], kind);
        if (code !== "") assert.ok(c.closed, `${kind}: closed`);
        assert.equal(dumpDurableState(server), before, `${kind}: durable state unchanged`);
      }),
      { seed, numRuns: 40 },
    );
    const tooMany = await converse(
      server,
      auth,
      bundleBytesUnchecked(Array.from({ length: limits.frameBundleFramesMax + 1 }, () => next(3))),
    );
    assert.deepEqual(errorCodes(tooMany), ["E_FRAME_TOO_LARGE"]);
    assert.ok(tooMany.closed);
    const half = new Uint8Array(Math.floor(limits.frameBytesMax / 2) + 10);
    const oversized = await converse(server, auth, bundleBytesUnchecked([half, half]));
    assert.deepEqual(errorCodes(oversized), ["E_FRAME_TOO_LARGE"]);
    assert.ok(oversized.closed);
    assert.equal(dumpDurableState(server), before, "durable state unchanged after every bad bundle");

    // A bad frame after good ones: the good ones are taken as if they had come as messages of
    // their own before it (committed, no ack on the closed connection); sent again, they are re-acked once.
    const partial = await converse(server, auth, bundleBytes([next(3), new Uint8Array([0xff, 0xff])]));
    assert.deepEqual(errorCodes(partial), ["E_FRAME_MALFORMED"]);
    assert.ok(partial.closed);
    assert.ok(await waitFor(() => rows() === 3, 5000), "the frame before the bad one is durable");
    const again = await converse(server, auth, bundleBytes([next(3), next(4)]));
    assert.deepEqual(errorCodes(again), []);
    assert.ok(await waitFor(() => rows() === 4, 5000), "batch 3 not applied twice, batch 4 taken");
    const health = await fetch(`${server.httpUrl}/health`);
    assert.equal(health.status, 200, "server stays up");
  } finally {
    await server.close();
    data.remove();
  }
});

function varint(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  out.push(rest);
  return out;
}

/** A bundle frame past the size cap (encodeBundleFrame refuses to build one): protobuf-es writes it. */
function bundleBytesUnchecked(frames: Uint8Array[]): Uint8Array {
  return toBinary(
    FrameSchema,
    create(FrameSchema, {
      version: 1,
      body: { case: "bundle", value: create(FrameBundleSchema, { frames }) },
    }),
  );
}
