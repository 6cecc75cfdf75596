// Issue 5 gaps 3 and 4, over real WebSocket connections on loopback (the
// endpoint's unit test drives a fake socket): a phone that stops reading is
// not read any more once the server's send buffer to it passes its bound and
// gets no ack written into that full buffer; and a phone that floods batches
// grows the server's live memory by no more than the replay backlog bound
// limits.ts configures, measured twice: heap + array buffers after GC in
// process (precise), and the peak RSS of a server child (everything, with a
// slack for what no GC can be forced to reclaim there).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { fromBinary } from "@bufbuild/protobuf";
import type WebSocket from "ws";
import { limits } from "../src/core/limits.ts";
import { FrameSchema, type Notice } from "../src/gen/mirrorcell/v1/sync_pb.ts";
import {
  enrollDevices,
  startTestServer,
  tempDataDir,
  testAdminToken,
  waitFor,
} from "../src/live/live-harness.ts";
import type { ServiceHooks } from "../src/live/live-server.ts";
import { freePort, spawnServer } from "../src/live/server-process.ts";
import { connectRawPhone, futureBatch } from "./support/raw-phone.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("live: backpressure over a real socket: a phone that stops reading is not read once the server's send buffer to it passes its bound, and no ack is written into the full buffer; when it reads again one ack covers all it sent", async () => {
  const data = tempDataDir("backpressure-real");
  const keys = enrollDevices(data.dir, ["slow-r"]);
  let hooks: ServiceHooks | undefined;
  const server = await startTestServer(data.dir, { services: (h) => (hooks = h) });
  // The server's end of the phone's socket: every frame written, with the buffer it was written into.
  const written: { kind: string | undefined; bufferedBytes: number }[] = [];
  let serverSide: WebSocket | undefined;
  const accept = server.endpoint.acceptSocket.bind(server.endpoint);
  server.endpoint.acceptSocket = (ws) => {
    serverSide = ws;
    const send = ws.send.bind(ws);
    ws.send = ((bytes: Uint8Array) => {
      written.push({ kind: fromBinary(FrameSchema, bytes).body.case, bufferedBytes: ws.bufferedAmount });
      send(bytes);
    }) as typeof ws.send;
    accept(ws);
  };
  const high = limits.socketSendBufferBytesHigh;
  try {
    const phone = await connectRawPhone(server.syncUrl, "slow-r", keys.get("slow-r")!);
    phone.ws.send(futureBatch(1, 0));
    assert.ok(await waitFor(() => phone.acks().includes(1n), 15_000), "a reading phone is acked");
    phone.ws.pause(); // the phone stops reading its socket

    // The server has much to say (notices, e.g. cached files): more than the kernel buffers hold.
    const text = "n".repeat(48 * 1024);
    for (let i = 0; i < 200; i++) {
      const notice: Omit<Notice, "noticeId" | "$typeName"> = { kind: { case: "text", value: text } };
      assert.ok(hooks!.queueNotice("slow-r", notice).ok);
    }
    assert.ok(
      await waitFor(() => (serverSide?.bufferedAmount ?? 0) >= high, 10_000),
      "the server's send buffer to the phone passed its bound",
    );
    const writtenBefore = written.length;
    phone.ws.send(futureBatch(2, 0)); // read: the server learns its buffer is full only now
    assert.ok(
      await waitFor(() => server.core.mirror("slow-r")?.ackedBatchNo === 2, 15_000),
      "batch 2 durable",
    );
    phone.ws.send(futureBatch(3, 0)); // not read: the server stopped reading this phone
    await sleep(limits.socketResumeCheckMs * 10);
    assert.equal(server.core.mirror("slow-r")?.ackedBatchNo, 2, "a phone over its send bound is not read");
    assert.ok(serverSide!.bufferedAmount >= high, "still full: the phone reads nothing");
    const heldAcks = written.slice(writtenBefore).filter((w) => w.kind === "ack");
    assert.deepEqual(heldAcks, [], "the durable batch's ack is held, not queued behind a full buffer");

    phone.ws.resume(); // the phone reads again
    assert.ok(await waitFor(() => phone.acks().at(-1) === 3n, 15_000), `acks ${phone.acks()}`);
    assert.equal(server.core.mirror("slow-r")?.ackedBatchNo, 3, "reading resumed: batch 3 durable");
    const acksWritten = written.filter((w) => w.kind === "ack");
    assert.ok(
      acksWritten.every((w) => w.bufferedBytes < high),
      `every ack was written into a buffer below its bound: ${JSON.stringify(acksWritten)}`,
    );
    assert.deepEqual(phone.errors(), []);
    phone.ws.terminate();
  } finally {
    await server.close();
    data.remove();
  }
});

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Live JS heap plus ArrayBuffer bytes (batch bytes are Buffers), after full collections. */
function liveBytes(): { live: number; rss: number } {
  gc();
  gc();
  const usage = process.memoryUsage();
  return { live: usage.heapUsed + usage.arrayBuffers, rss: usage.rss };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

test("live: flood memory: a phone flooding twice its replay backlog bound in large batches grows the server's live memory by at most that bound plus one batch; the excess is refused with QUEUE_FULL", async () => {
  const data = tempDataDir("flood-memory");
  const keys = enrollDevices(data.dir, ["flood-m"]);
  const server = await startTestServer(data.dir);
  const photoBytes = 1024 * 1024;
  const backlogMax = limits.replayBacklogBytesPerDeviceMax;
  // The server queues a batch while its queue holds less than the bound: at most one batch beyond it.
  const boundBytes = backlogMax + limits.batchBytesMax;
  const batches = Math.ceil((2 * backlogMax) / photoBytes);
  try {
    const phone = await connectRawPhone(server.syncUrl, "flood-m", keys.get("flood-m")!);
    const before = liveBytes();
    const samples: number[] = [];
    for (let batchNo = 1; batchNo <= batches; batchNo++) {
      phone.ws.send(futureBatch(batchNo, photoBytes));
      // The phone's own send buffer is not the server's memory: keep it small.
      while (phone.ws.bufferedAmount > 4 * photoBytes) await sleep(1);
      if (batchNo % 16 === 0) samples.push(liveBytes().live - before.live);
    }
    // Every batch is answered: acked (cumulative acks) or refused.
    const answered = () => Number(phone.acks().at(-1) ?? 0n) + phone.errors().length;
    assert.ok(await waitFor(() => answered() === batches, 30_000), `answered ${answered()} of ${batches}`);
    const after = liveBytes();
    samples.push(after.live - before.live);
    const accepted = server.core.mirror("flood-m")!.ackedBatchNo;
    assert.equal(BigInt(accepted), phone.acks().at(-1), "acks cover exactly the queued batches");
    const report =
      `sent ${batches} x ${mb(photoBytes)}, queued ${accepted}; live memory growth ` +
      `max ${mb(Math.max(...samples))} (bound ${mb(boundBytes)}), rss growth ${mb(after.rss - before.rss)}`;
    console.log(report);
    assert.ok(accepted * photoBytes <= boundBytes, `the queue kept its byte bound: ${report}`);
    assert.ok(accepted < batches, "the flood went past the bound");
    assert.ok(
      phone.errors().every((code) => code === "E_QUEUE_FULL"),
      `${phone.errors()}`,
    );
    assert.ok(server.core.replayBacklogBytes() <= boundBytes, "accounted backlog within its bound");
    assert.ok(Math.max(...samples) <= boundBytes, `server memory within the configured bound: ${report}`);
    phone.ws.terminate();
  } finally {
    await server.close();
    data.remove();
  }
});

/** Resident bytes of a process from /proc: now (VmRSS) and its peak so far (VmHWM). */
function residentBytes(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status);
    assert.ok(match !== null, `/proc/${pid}/status has ${field}`);
    return Number(match[1]) * 1024;
  };
  return { rss: kb("VmRSS"), peak: kb("VmHWM") };
}

/**
 * What RSS counts beyond the queued batch bytes, which the heap bound above
 * cannot see: V8 collects ArrayBuffer garbage (refused and already written
 * batches, ws's received chunks) only after external memory grew by about
 * 64 MB since its last GC (its external allocation soft limit), and no GC
 * can be forced in a child; plus 32 MB for heap pages and malloc arenas not
 * handed back after a GC, SQLite's page cache and WAL index. Measured peak
 * growth on a 2-core machine: 92-134 MB against this test's 176 MB limit.
 */
const rssSlackBytes = 64 * 1024 * 1024 + 32 * 1024 * 1024;

test("live: flood memory (server process): a phone flooding four times its replay backlog bound grows the server child's peak RSS (/proc VmHWM) by at most that bound plus one batch plus GC and allocator slack; an unbounded queue would hold 256 MB", {
  skip: existsSync("/proc/self/status") ? false : "needs /proc",
}, async () => {
  const data = tempDataDir("flood-rss");
  const keys = enrollDevices(data.dir, ["flood-p", "warm-p"]);
  const server = await spawnServer({
    dataDir: data.dir,
    port: await freePort(),
    proxyPort: await freePort(),
    adminToken: testAdminToken,
  });
  const pid = server.child.pid!;
  const photoBytes = 1024 * 1024;
  const limitBytes = limits.replayBacklogBytesPerDeviceMax + limits.batchBytesMax + rssSlackBytes;
  const batches = Math.ceil((4 * limits.replayBacklogBytesPerDeviceMax) / photoBytes);
  assert.ok(batches * photoBytes > limitBytes, "a server keeping the whole flood would break the limit");
  try {
    // Another phone's few batches first: the baseline has the intake's code and caches warm.
    const warm = await connectRawPhone(server.syncUrl, "warm-p", keys.get("warm-p")!);
    for (let batchNo = 1; batchNo <= 8; batchNo++) warm.ws.send(futureBatch(batchNo, 64 * 1024));
    assert.ok(await waitFor(() => warm.acks().at(-1) === 8n, 20_000), `warm-up acked: ${warm.acks()}`);
    const phone = await connectRawPhone(server.syncUrl, "flood-p", keys.get("flood-p")!);
    const before = residentBytes(pid);
    for (let batchNo = 1; batchNo <= batches; batchNo++) {
      phone.ws.send(futureBatch(batchNo, photoBytes));
      while (phone.ws.bufferedAmount > 4 * photoBytes) await sleep(1);
    }
    const answered = () => Number(phone.acks().at(-1) ?? 0n) + phone.errors().length;
    assert.ok(await waitFor(() => answered() === batches, 60_000), `answered ${answered()} of ${batches}`);
    const after = residentBytes(pid);
    const queued = Number(phone.acks().at(-1) ?? 0n);
    const report =
      `sent ${batches} x ${mb(photoBytes)}, queued ${queued}; server rss ${mb(before.rss)} before, ` +
      `peak growth ${mb(after.peak - before.rss)} (limit ${mb(limitBytes)}), end growth ${mb(after.rss - before.rss)}`;
    console.log(report);
    assert.ok(queued * photoBytes <= limits.replayBacklogBytesPerDeviceMax + limits.batchBytesMax, report);
    assert.ok(
      phone.errors().every((code) => code === "E_QUEUE_FULL"),
      `${phone.errors()}`,
    );
    assert.ok(after.peak - before.rss <= limitBytes, `server RSS within the bound plus slack: ${report}`);
    phone.ws.terminate();
    warm.ws.terminate();
  } finally {
    await server.stop();
    data.remove();
  }
});
