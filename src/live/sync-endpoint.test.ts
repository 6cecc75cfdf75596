import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { test } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import WebSocket from "ws";
import { connectRawPhone, encodeRawFrame, futureBatch } from "../../test/support/raw-phone.ts";
import { limits } from "../core/limits.ts";
import { type Frame, FrameSchema } from "../gen/mirrorcell/v1/sync_pb.ts";
import { deviceProof } from "./auth.ts";
import { enrollDevices, startTestServer, tempDataDir } from "./live-harness.ts";

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

test("live: endpoint: a phone that does not read gets no ack while its send buffer is full and is not read; one cumulative ack once it drains", async () => {
  const data = tempDataDir("endpoint-slow");
  const keys = enrollDevices(data.dir, ["slow-1"]);
  const server = await startTestServer(data.dir);
  try {
    const ws = new FakeSocket();
    server.endpoint.acceptSocket(ws as unknown as WebSocket);
    ws.feed(
      encodeRawFrame({
        case: "hello",
        value: { $typeName: "mirrorcell.v1.Hello", deviceId: "slow-1", model: "pixel", bootId: 1n },
      }),
    );
    const challenge = ws.sent.at(-1)!;
    assert.equal(challenge.body.case, "challenge");
    const nonce = challenge.body.case === "challenge" ? challenge.body.value.nonce : new Uint8Array();
    ws.feed(
      encodeRawFrame({
        case: "authProof",
        value: {
          $typeName: "mirrorcell.v1.AuthProof",
          mac: deviceProof(keys.get("slow-1")!, nonce, "slow-1"),
        },
      }),
    );
    assert.equal(ws.sent.at(-1)!.body.case, "welcome");

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
