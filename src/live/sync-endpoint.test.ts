import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { test } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import WebSocket from "ws";
import { connectRawPhone, encodeRawFrame, futureBatch } from "../../test/support/raw-phone.ts";
import { limits } from "../core/limits.ts";
import { type Frame, FrameSchema } from "../gen/mirrorcell/v1/sync_pb.ts";
import { deviceProof } from "./auth.ts";
import { liveFrameCodec } from "./frame-codec.ts";
import { enrollDevices, startTestServer, tempDataDir } from "./live-harness.ts";
import type { LiveServer } from "./live-server.ts";
import { ownedFrame } from "./sync-endpoint.ts";

const emptyBatch = (batchNo: number) => futureBatch(batchNo);

/** A socket the test controls: what the server sends is kept; its send buffer is whatever the test says. */
class FakeSocket extends EventEmitter {
  bufferedAmount = 0;
  isPaused = false;
  readyState: number = WebSocket.OPEN;
  readonly sent: Frame[] = [];
  send(bytes: Uint8Array): void {
    this.sent.push(fromBinary(FrameSchema, bytes));
  }
  pause(): void {
    this.isPaused = true;
  }
  resume(): void {
    this.isPaused = false;
  }
  close(): void {
    this.readyState = WebSocket.CLOSED;
    this.emit("close");
  }
  terminate(): void {
    this.close();
  }
  feed(bytes: Uint8Array): void {
    this.emit("message", Buffer.from(bytes));
  }
  acks(): bigint[] {
    return this.sent.flatMap((f) => (f.body.case === "ack" ? [f.body.value.ackedSeq] : []));
  }
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A FakeSocket that has authenticated as `deviceId` on the server's endpoint (Hello, proof, Welcome). */
function welcomedFakeSocket(server: LiveServer, deviceId: string, key: Uint8Array): FakeSocket {
  const ws = new FakeSocket();
  server.endpoint.acceptSocket(ws as unknown as WebSocket);
  ws.feed(
    encodeRawFrame({
      case: "hello",
      value: { $typeName: "mirrorcell.v1.Hello", deviceId, model: "pixel", bootId: 1n },
    }),
  );
  const challenge = ws.sent.at(-1)!;
  assert.equal(challenge.body.case, "challenge");
  const nonce = challenge.body.case === "challenge" ? challenge.body.value.nonce : new Uint8Array();
  ws.feed(
    encodeRawFrame({
      case: "authProof",
      value: { $typeName: "mirrorcell.v1.AuthProof", mac: deviceProof(key, nonce, deviceId) },
    }),
  );
  assert.equal(ws.sent.at(-1)!.body.case, "welcome");
  return ws;
}

test("live: endpoint: a phone that does not read gets no ack while its send buffer is full and is not read; one cumulative ack once it drains", async () => {
  const data = tempDataDir("endpoint-slow");
  const keys = enrollDevices(data.dir, ["slow-1"]);
  const server = await startTestServer(data.dir);
  try {
    const ws = welcomedFakeSocket(server, "slow-1", keys.get("slow-1")!);

    ws.bufferedAmount = limits.socketSendBufferBytesHigh; // the phone stopped reading
    ws.feed(emptyBatch(1));
    assert.ok(ws.isPaused, "a phone over its send bound is not read");
    ws.feed(emptyBatch(2)); // already in flight when the socket paused
    await turn();
    await turn();
    assert.equal(server.core.mirror("slow-1")!.ackedBatchNo, 2, "both batches are durable");
    assert.deepEqual(ws.acks(), [], "no ack queued behind a full send buffer");
    await sleep(limits.socketResumeCheckMs * 3);
    assert.deepEqual(ws.acks(), [], "still held while the buffer is full");
    assert.ok(ws.isPaused);

    ws.bufferedAmount = 0; // the phone reads again
    await sleep(limits.socketResumeCheckMs * 5);
    assert.deepEqual(ws.acks(), [2n], "one cumulative ack for both batches");
    assert.ok(!ws.isPaused, "reading resumes");
  } finally {
    await server.close();
    data.remove();
  }
});

test("live: endpoint: a flooding phone fills its replay queue, then gets QUEUE_FULL; server backlog stays bounded and another phone still syncs", async () => {
  const data = tempDataDir("endpoint-flood");
  const keys = enrollDevices(data.dir, ["flood-1", "calm-1"]);
  const server = await startTestServer(data.dir);
  try {
    const flood = await connectRawPhone(server.syncUrl, "flood-1", keys.get("flood-1")!);
    const sent = limits.replayQueueBatchesMax + 200;
    for (let batchNo = 1; batchNo <= sent; batchNo++) flood.ws.send(emptyBatch(batchNo));
    const refused = () =>
      flood.frames.filter((f) => f.body.case === "error" && f.body.value.code === "E_QUEUE_FULL").length;
    for (let i = 0; i < 3000 && refused() < sent - limits.replayQueueBatchesMax; i++) await sleep(10);
    assert.equal(
      refused(),
      sent - limits.replayQueueBatchesMax,
      "every batch beyond the queue bound is refused",
    );
    assert.equal(
      server.core.mirror("flood-1")!.ackedBatchNo,
      limits.replayQueueBatchesMax,
      "the queue holds exactly its bound",
    );
    assert.ok(
      server.core.replayBacklogBytes() <= limits.replayBacklogBytesPerDeviceMax,
      "backlog within its bound",
    );
    const lastAck = flood.frames
      .flatMap((f) => (f.body.case === "ack" ? [f.body.value.ackedSeq] : []))
      .at(-1);
    assert.equal(lastAck, BigInt(limits.replayQueueBatchesMax), "acks cover exactly what was kept");
    assert.ok(flood.ws.readyState === WebSocket.OPEN, "QUEUE_FULL does not close: the phone retries later");

    const calm = await connectRawPhone(server.syncUrl, "calm-1", keys.get("calm-1")!);
    calm.ws.send(emptyBatch(1));
    for (let i = 0; i < 500 && !calm.frames.some((f) => f.body.case === "ack"); i++) await sleep(10);
    assert.ok(
      calm.frames.some((f) => f.body.case === "ack" && f.body.value.ackedSeq === 1n),
      "another phone is served",
    );
    flood.ws.terminate();
    calm.ws.terminate();
  } finally {
    await server.close();
    data.remove();
  }
});

test("live: endpoint: a phone's batches in one group commit get one cumulative ack, only after the commit", async () => {
  const data = tempDataDir("endpoint-coalesce");
  const keys = enrollDevices(data.dir, ["burst-1", "burst-2"]);
  const server = await startTestServer(data.dir);
  try {
    const a = welcomedFakeSocket(server, "burst-1", keys.get("burst-1")!);
    const b = welcomedFakeSocket(server, "burst-2", keys.get("burst-2")!);
    const commitsBefore = server.committer.transactions;
    // One socket read's worth of frames: all in the same event-loop turn.
    for (let batchNo = 1; batchNo <= 5; batchNo++) a.feed(emptyBatch(batchNo));
    for (let batchNo = 1; batchNo <= 3; batchNo++) b.feed(emptyBatch(batchNo));
    assert.deepEqual([a.acks(), b.acks()], [[], []], "no ack before the commit");
    await turn();
    await turn();
    assert.equal(server.committer.transactions, commitsBefore + 1, "one transaction for all eight frames");
    assert.deepEqual(a.acks(), [5n], "one ack for five batches");
    assert.deepEqual(b.acks(), [3n], "one ack for three batches");
    assert.equal(server.core.mirror("burst-1")!.ackedBatchNo, 5);
    a.feed(emptyBatch(6));
    await turn();
    await turn();
    assert.deepEqual(a.acks(), [5n, 6n], "the next commit acks again");
    assert.deepEqual(b.acks(), [3n], "a phone without frames in a commit gets no ack from it");
  } finally {
    await server.close();
    data.remove();
  }
});

test("live: endpoint: repair responses and clone offers are decoded from their own copy; batches are not copied", () => {
  const contentBytes = new Uint8Array(1_000).fill(7);
  const frameBytes = encodeRawFrame({
    case: "repairResponse",
    value: {
      $typeName: "mirrorcell.v1.RepairResponse",
      afterSeq: 4n,
      entries: [{ $typeName: "mirrorcell.v1.RepairEntry", path: "/a", present: true, content: contentBytes }],
      storageDigest: new Uint8Array(32).fill(9),
    },
  });
  // The frame as ws hands it over: a view into a larger socket read buffer.
  const read = new Uint8Array(64 * 1024);
  read.set(frameBytes, 100);
  const view = read.subarray(100, 100 + frameBytes.length);
  const decoded = liveFrameCodec.decode(view);
  assert.ok(decoded.ok);
  const owned = ownedFrame(liveFrameCodec, decoded.value, view);
  assert.ok(owned.body.case === "repairResponse");
  const content = owned.body.value.entries[0]!.content;
  assert.deepEqual(content, contentBytes);
  assert.notEqual(content.buffer, read.buffer, "the kept content does not pin the read buffer");
  assert.ok(content.buffer.byteLength < read.byteLength / 2);
  read.fill(0); // the socket's buffer is reused
  assert.deepEqual(owned.body.value.entries[0]!.content, contentBytes, "the content survives the reuse");

  const batch = emptyBatch(1);
  const batchDecoded = liveFrameCodec.decode(batch);
  assert.ok(batchDecoded.ok);
  assert.equal(
    ownedFrame(liveFrameCodec, batchDecoded.value, batch),
    batchDecoded.value,
    "a batch frame as it is",
  );
});
