// A phone the live tests drive frame by frame over a real WebSocket (issue 5:
// backpressure, flooding, queue bounds): it authenticates like a phone and
// keeps every frame the server sends; the batches it sends are built here, a
// day ahead so replay never runs and they stay in the server's replay queue.
import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import WebSocket from "ws";
import { type Frame, FrameSchema } from "../../src/gen/mirrorcell/v1/sync_pb.ts";
import { deviceProof } from "../../src/live/auth.ts";
import { waitFor } from "../../src/live/live-harness.ts";
import { encodeBatch } from "../../src/sync/batch.ts";
import { batchFrame, encodeFrame } from "../../src/sync/frame.ts";

export function encodeRawFrame(body: Frame["body"]): Uint8Array {
  return toBinary(FrameSchema, create(FrameSchema, { version: 1, body }));
}

/**
 * Batch `batchNo` of a fresh device, windows a day ahead (never due). With
 * `photoBytes` > 0 it holds one camera input of that many recorded bytes;
 * with 0 it is empty (batches 1..n then all start at seq 1).
 */
export function futureBatch(batchNo: number, photoBytes = 0): Uint8Array {
  const startMs = Date.now() + 86_400_000 + batchNo * 10;
  const photo = new Uint8Array(photoBytes).fill(batchNo & 0xff);
  const inputs =
    photoBytes === 0
      ? []
      : [
          {
            seq: batchNo,
            timeMs: startMs,
            networkConsumed: 0,
            app: "camera" as const,
            body: { kind: "action" as const, name: "shoot", args: [] },
            nondet: [{ kind: "camera" as const, value: photo }],
          },
        ];
  const batch = {
    deviceId: "",
    batchNo,
    firstSeq: photoBytes === 0 ? 1 : batchNo,
    windowStartMs: startMs,
    windowEndMs: startMs + 10,
    inputs,
    networkConsumed: 0,
    storageDigest: new Uint8Array(32),
    powerOff: false,
  };
  return encodeFrame(batchFrame(encodeBatch(batch, { includeDeviceId: false })));
}

export interface RawPhone {
  ws: WebSocket;
  /** Every frame the server sent, in order. */
  frames: Frame[];
  /** The acked batch numbers, in order. */
  acks(): bigint[];
  /** The error codes, in order. */
  errors(): string[];
}

/** A real ws client that authenticates as `deviceId` (Hello, proof); resolves once welcomed. */
export async function connectRawPhone(url: string, deviceId: string, key: Uint8Array): Promise<RawPhone> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const frames: Frame[] = [];
  ws.on("message", (data: Buffer) => {
    const frame = fromBinary(FrameSchema, new Uint8Array(data));
    frames.push(frame);
    if (frame.body.case === "challenge") {
      const mac = deviceProof(key, frame.body.value.nonce, deviceId);
      ws.send(encodeRawFrame({ case: "authProof", value: { $typeName: "mirrorcell.v1.AuthProof", mac } }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  ws.send(
    encodeRawFrame({
      case: "hello",
      value: { $typeName: "mirrorcell.v1.Hello", deviceId, model: "pixel", bootId: 1n },
    }),
  );
  assert.ok(await waitFor(() => frames.some((f) => f.body.case === "welcome"), 10_000), "welcome");
  assert.ok(
    frames.some((f) => f.body.case === "challenge"),
    "the welcome followed a challenge",
  );
  const acks = () => frames.flatMap((f) => (f.body.case === "ack" ? [f.body.value.ackedSeq] : []));
  const errors = () => frames.flatMap((f) => (f.body.case === "error" ? [f.body.value.code] : []));
  return { ws, frames, acks, errors };
}
