// Frame bundles, the server's per-message receive path alone (issue 5,
// session 9): the same 1,024 batch frames (a phone's window) as masked
// WebSocket bytes in 64 KiB socket reads through ws's own Receiver, then the
// live codec (decodeFrame, a bundle's inner frames decoded one by one) and
// the batch view the store takes: one message per frame (before), bundles of
// frameBundleBytesTarget (what a phone sends now), one bundle of the whole
// window. One process, arms alternating per round, CPU time
// (process.cpuUsage: user + system); the figure is each arm's CPU over the
// singles' in the same rounds. No SQLite, no intake: those are the same in
// every arm (bench/live-ingest.ts measures the whole server).
//   node --import tsx bench/frame-bundles.ts [--rounds N] [--batch-bytes B] [--targets BYTES,...]
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import * as wsModule from "ws";
import { assert } from "../src/core/assert.ts";
import { limits } from "../src/core/limits.ts";
import { encodeBatch } from "../src/sync/batch.ts";
import { batchFrame, decodeFrame, encodeFrame } from "../src/sync/frame.ts";
import { batchMessageView } from "../src/sync/frame-batch-wire.ts";
import { bundleBurst } from "../src/sync/frame-bundle-wire.ts";

const socketReadBytes = 64 * 1024;

/** ws's frame parser (a Writable: socket reads in, "message" events out); @types/ws does not declare it. */
interface WsReceiver {
  on(event: "message", listener: (data: Buffer) => void): void;
  write(chunk: Buffer): boolean;
}
const Receiver = (wsModule as unknown as { Receiver: new (options: object) => WsReceiver }).Receiver;

/** A client's masked binary WebSocket frame around `payload`. */
function maskedMessage(payload: Uint8Array): Buffer {
  const n = payload.length;
  const lengthBytes = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + lengthBytes + 4);
  head[0] = 0x82;
  head[1] = 0x80 | (lengthBytes === 0 ? n : lengthBytes === 2 ? 126 : 127);
  if (lengthBytes === 2) head.writeUInt16BE(n, 2);
  if (lengthBytes === 8) head.writeBigUInt64BE(BigInt(n), 2);
  const mask = randomBytes(4);
  mask.copy(head, 2 + lengthBytes);
  const body = Buffer.alloc(n);
  for (let i = 0; i < n; i++) body[i] = payload[i]! ^ mask[i & 3]!;
  return Buffer.concat([head, body]);
}

function windowFrames(count: number, eventsBytes: number): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let batchNo = 1; batchNo <= count; batchNo++) {
    const batch = encodeBatch(
      {
        deviceId: "bench-phone",
        batchNo,
        firstSeq: batchNo,
        windowStartMs: batchNo * 10,
        windowEndMs: batchNo * 10 + 5,
        inputs: [],
        networkConsumed: 0,
        storageDigest: new Uint8Array(32).fill(batchNo & 0xff),
        powerOff: false,
      },
      { includeDeviceId: true },
    );
    // The events stand in as opaque bytes: decode does not look inside them.
    batch.eventsPacked = new Uint8Array(randomBytes(eventsBytes));
    frames.push(encodeFrame(batchFrame(batch)));
  }
  return frames;
}

/** What the server does per message up to the group commit's queue; returns the batches seen. */
function receiveStream(stream: Buffer): number {
  let batches = 0;
  const take = (bytes: Uint8Array) => {
    const decoded = decodeFrame(bytes);
    assert(decoded.ok, `bench frames decode: ${decoded.ok ? "" : decoded.error.message}`);
    const body = decoded.value.body;
    if (body.case === "bundle") {
      for (const inner of body.value.frames) take(inner);
      return;
    }
    assert(batchMessageView(bytes) !== undefined, "a batch frame");
    batches++;
  };
  const receiver = new Receiver({
    isServer: true,
    maxPayload: limits.frameBytesMax * 2,
    binaryType: "nodebuffer",
  });
  receiver.on("message", (data: Buffer) =>
    take(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)),
  );
  for (let at = 0; at < stream.length; at += socketReadBytes)
    receiver.write(stream.subarray(at, Math.min(stream.length, at + socketReadBytes)));
  return batches;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string", default: "30" },
      "batch-bytes": { type: "string", default: "3500" },
      targets: {
        type: "string",
        default: `8192,16384,32768,${limits.frameBundleBytesTarget},${limits.frameBytesMax}`,
      },
    },
  });
  const rounds = Number(values.rounds);
  const frames = windowFrames(limits.unackedBatchesMax, Number(values["batch-bytes"]));
  const targets = values.targets.split(",").map(Number);
  const arms: [string, Buffer][] = [["singles", Buffer.concat(frames.map(maskedMessage))]];
  for (const target of targets) {
    const name = target === limits.frameBundleBytesTarget ? `bundles_${target}_default` : `bundles_${target}`;
    arms.push([name, Buffer.concat(bundleBurst(1, frames, target).map(maskedMessage))]);
  }
  const totals = new Map(arms.map(([name]) => [name, 0]));
  for (let round = 0; round < rounds + 3; round++) {
    for (const [name, stream] of round % 2 === 0 ? arms : [...arms].reverse()) {
      const fresh = Buffer.from(stream); // ws unmasks in place: every round reads bytes as sent
      const start = cpuMs();
      const seen = receiveStream(fresh);
      const spent = cpuMs() - start;
      assert(seen === frames.length, `${name}: every batch received`);
      if (round >= 3) totals.set(name, totals.get(name)! + spent); // 3 warm-up rounds
    }
  }
  const base = totals.get("singles")!;
  for (const [name] of arms) {
    const perBatchUs = (totals.get(name)! * 1000) / (rounds * frames.length);
    console.log(
      `frame_bundles_${name}: ${perBatchUs.toFixed(2)} us CPU per batch (${(totals.get(name)! / base).toFixed(3)}x vs singles)`,
    );
  }
}

main();
