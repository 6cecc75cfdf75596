// In-process A/B of the live server's receive path from a WebSocket message to
// the ack (issue 5), without sockets: two source trees (e.g. a `git archive`
// copy of the base and the working tree) each start their own live server in
// ONE process, and rounds of fresh devices alternate between them (A B, B A,
// ...). A device authenticates through the endpoint on a socket the bench
// controls (the endpoint's acceptSocket; sync-endpoint.test.ts's FakeSocket),
// then sends its stream as the phone does: each window of unacked batches as
// 16 KiB FrameBundles (burstMessages), delivered as ws delivers messages (a
// Buffer per message), one turn later the group commit's ack. What it covers
// beyond bench/live-intake-ab.ts: SyncSession (bundle and frame decode, the auth
// gate), SyncEndpoint (FrameWork, backpressure, acks), the GroupCommitter's
// turn. Not covered: ws's receiver, node's streams, socket syscalls (the same
// library in both arms).
//   node --import tsx bench/live-endpoint-ab.ts A_DIR B_DIR [--normal] [--rounds N] [--devices N]
// Prints the median CPU µs per batch of each arm and B/A per round pair.
import { EventEmitter } from "node:events";
import { join, resolve } from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { limits } from "../src/core/limits.ts";
import { type Frame, FrameSchema } from "../src/gen/mirrorcell/v1/sync_pb.ts";
import { deviceProof, newDeviceKey } from "../src/live/auth.ts";
import { burstMessages } from "../src/sync/frame.ts";
import { median } from "./support/median.ts";
import { recordFrames } from "./support/record-frames.ts";

const [armA, armB] = process.argv.slice(2, 4);
if (armA === undefined || armB === undefined)
  throw new Error("usage: live-endpoint-ab.ts A_DIR B_DIR [--normal] [--rounds N] [--devices N]");
const full = !process.argv.includes("--normal");
/** A positive integer option's value, or `fallback`. */
function countOption(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const n = at < 0 ? fallback : Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} wants a positive integer`);
  return n;
}
const rounds = countOption("--rounds", 20);
/** Devices per round, streaming at once (their windows interleave in the same turns). */
const devicesPerRound = countOption("--devices", 2);
const streamBatches = 3_000;
const turn = () => new Promise((resolveTurn) => setImmediate(resolveTurn));

/** The socket the endpoint serves: the bench feeds it messages and reads the newest frame sent back. */
class BenchSocket extends EventEmitter {
  bufferedAmount = 0;
  isPaused = false;
  readyState = 1; // WebSocket.OPEN
  last: Uint8Array | undefined;
  sends = 0;
  send(bytes: Uint8Array): void {
    this.last = bytes;
    this.sends++;
  }
  pause(): void {
    this.isPaused = true;
  }
  resume(): void {
    this.isPaused = false;
  }
  close(): void {
    this.readyState = 3;
    this.emit("close");
  }
  terminate(): void {
    this.close();
  }
  feed(bytes: Uint8Array): void {
    this.emit("message", Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  lastFrame() {
    return fromBinary(FrameSchema, this.last ?? new Uint8Array());
  }
}

function encode(body: Frame["body"]): Uint8Array {
  return toBinary(FrameSchema, create(FrameSchema, { version: 1, body }));
}

/** One arm: its own modules and server; `round()` streams fresh devices' frames through its endpoint. */
async function loadArm(dir: string, key: Uint8Array, messages: Uint8Array[][]) {
  const src = join(resolve(dir), "src");
  const { enrollDevices, startTestServer, tempDataDir } = await import(join(src, "live/live-harness.ts"));
  const { openDatabase } = await import(join(src, "live/sqlite-db.ts"));
  const data = tempDataDir("endpoint-ab");
  const ids = Array.from({ length: devicesPerRound * (rounds + 4) }, (_, i) => `phone-${i}`);
  enrollDevices(data.dir, ids);
  const db = openDatabase(data.dir, { synchronousFull: false });
  const setKey = db.prepare("UPDATE devices SET key = ? WHERE device_id = ?");
  for (const id of ids) setKey.run(key, id); // the stream's level keys are this key's
  db.close();
  const server = await startTestServer(data.dir, { synchronousFull: full });
  let next = 0;
  const connect = (): BenchSocket => {
    const id = ids[next++]!;
    const ws = new BenchSocket();
    server.endpoint.acceptSocket(ws as never);
    ws.feed(
      encode({
        case: "hello",
        value: { $typeName: "mirrorcell.v1.Hello", deviceId: id, model: "pixel", bootId: 1n },
      }),
    );
    const challenge = ws.lastFrame().body;
    if (challenge.case !== "challenge") throw new Error(`${id}: no challenge`);
    const mac = deviceProof(key, challenge.value.nonce, id);
    ws.feed(encode({ case: "authProof", value: { $typeName: "mirrorcell.v1.AuthProof", mac } }));
    if (ws.lastFrame().body.case !== "welcome") throw new Error(`${id}: not welcomed`);
    return ws;
  };
  /** Every device sends its next window in the same turn; one turn later each must hold its ack. */
  const round = async () => {
    const sockets = Array.from({ length: devicesPerRound }, connect);
    let acked = 0;
    for (const window of messages) {
      for (const ws of sockets) for (const m of window) ws.feed(m);
      await turn();
      acked += messages.length === 0 ? 0 : 1;
    }
    for (const ws of sockets) {
      const ack = ws.lastFrame().body;
      if (ack.case !== "ack" || Number(ack.value.ackedSeq) !== streamBatches)
        throw new Error(`not acked to the end: ${ack.case} ${ack.case === "ack" ? ack.value.ackedSeq : ""}`);
      ws.close();
    }
    return acked;
  };
  const close = async () => {
    await server.close();
    data.remove();
  };
  return { round, close };
}

const key = newDeviceKey();
const frames = recordFrames(key, streamBatches);
// The phone's windows: limits.unackedBatchesMax batches in flight, each window's burst as bundles.
const windows: Uint8Array[][] = [];
for (let from = 0; from < frames.length; from += limits.unackedBatchesMax)
  windows.push(burstMessages(frames.slice(from, from + limits.unackedBatchesMax)));
const arms = [await loadArm(armA, key, windows), await loadArm(armB, key, windows)];
for (const arm of arms) for (let i = 0; i < 2; i++) await arm.round(); // warm-up: the JIT, the WAL file
const perBatchUs: [number[], number[]] = [[], []];
for (let r = 0; r < rounds; r++) {
  for (const which of r % 2 === 0 ? [0, 1] : [1, 0]) {
    const started = process.cpuUsage();
    await arms[which]!.round();
    const spent = process.cpuUsage(started);
    perBatchUs[which as 0 | 1].push((spent.user + spent.system) / (devicesPerRound * frames.length));
  }
}
const [a, b] = perBatchUs.map(median) as [number, number];
const pairRatios = perBatchUs[0].map((x, i) => perBatchUs[1][i]! / x);
console.log(
  `live_endpoint_ab_${full ? "full" : "normal"}: A ${a.toFixed(2)} us, B ${b.toFixed(2)} us CPU per batch ` +
    `(median of ${rounds} rounds of ${devicesPerRound} x ${frames.length} batches); B/A ${(b / a).toFixed(3)}, ` +
    `median of the round pairs' B/A ${median(pairRatios).toFixed(3)}; ` +
    `pairs ${pairRatios.map((r) => r.toFixed(2)).join(" ")}`,
);
for (const arm of arms) await arm.close();
process.exit(0);
