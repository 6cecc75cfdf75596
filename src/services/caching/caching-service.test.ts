import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { recordingPorts, storageWith } from "../../../test/support/service-ports.ts";
import { bytesEqual, utf8 } from "../../core/bytes.ts";
import { fail, ok } from "../../core/errors.ts";
import { SeededRng } from "../../core/rng.ts";
import { nodeSha256 } from "../../node/sha256.ts";
import type { UserInput } from "../../platform/inputs.ts";
import { ServiceHost } from "../service-host.ts";
import { downloadActionBody, uploadActionBody } from "./cache-actions.ts";
import { CachingService } from "./caching-service.ts";
import { MemoryWorld } from "./memory-world.ts";
import { defaultCachingPolicy } from "./settings.ts";

function harness(policy = defaultCachingPolicy) {
  const world = new MemoryWorld();
  const recording = recordingPorts();
  const host = new ServiceHost({
    sha256: nodeSha256,
    outbox: world,
    fetcher: world,
    notices: recording.notices,
    network: recording.network,
  });
  const service = host.register((ports) => new CachingService(ports, policy));
  /** Flushes the world and runs due retries until nothing is left within the horizon (bounded). */
  const settle = (fromMs: number, horizonMs = 600_000): number => {
    let nowMs = fromMs;
    for (let step = 0; step < 1000; step++) {
      world.flush(host, nowMs);
      const due = host.nextDueMs();
      if (world.pending() === 0 && (due === undefined || due > fromMs + horizonMs)) return nowMs;
      if (due !== undefined && world.pending() === 0) nowMs = Math.max(nowMs, due);
      host.tick(nowMs);
    }
    assert.fail("caching service did not settle in 1000 steps");
  };
  return {
    world,
    notices: recording.queued,
    recorded: recording.recorded,
    host,
    service,
    settle,
    texts: recording.texts,
  };
}

function uploadInput(seq: number, path: string, route: "mirror" | "phone", recipients: string[]): UserInput {
  const body = uploadActionBody({ path, route, recipients });
  return { seq, timeMs: seq * 10, networkConsumed: 0, app: "cache", body, nondet: [] };
}

const recipients = ["r1", "r2", "r3", "r4", "r5"];

test("caching: upload via mirror: 5 recipients each get the file's exact bytes, sender is the phone", () => {
  const h = harness();
  const file = new SeededRng(42).bytes(600 * 1024);
  for (const r of recipients) h.world.addRecipient(r);
  const storage = storageWith({ "/photos/big.jpg": file });
  h.host.replayedInput({
    deviceId: "phone-1",
    input: uploadInput(3, "/photos/big.jpg", "mirror", recipients),
    storage,
    nowMs: 0,
  });
  h.settle(0);
  for (const r of recipients) {
    const inbox = h.world.inbox(r);
    assert.equal(inbox.length, 1, `${r} received once`);
    assert.ok(bytesEqual(inbox[0]!.payload, file));
    assert.equal(inbox[0]!.from, "phone-1");
    assert.equal(inbox[0]!.name, "big.jpg");
  }
  assert.equal(h.host.outboxStats().payloadBytes, 5 * file.length);
  assert.deepEqual(h.service.pendingUploads("phone-1"), []);
  assert.match(h.texts().join("\n"), /delivered to 5 recipients/);
});

test("caching: upload via phone: the mirror's replay sends nothing (mirror outputs stay dropped)", () => {
  const h = harness();
  h.world.addRecipient("r1");
  const storage = storageWith({ "/f": utf8("small") });
  h.host.replayedInput({ deviceId: "p", input: uploadInput(1, "/f", "phone", ["r1"]), storage, nowMs: 0 });
  h.settle(0);
  assert.equal(h.world.inbox("r1").length, 0);
  assert.equal(h.host.outboxStats().messages, 0);
});

test("caching: upload: the same replayed input twice sends once", () => {
  const h = harness();
  h.world.addRecipient("r1");
  h.world.setReachable("r1", false);
  const storage = storageWith({ "/f": utf8("data") });
  const input = uploadInput(9, "/f", "mirror", ["r1"]);
  h.host.replayedInput({ deviceId: "p", input, storage, nowMs: 0 });
  h.host.replayedInput({ deviceId: "p", input, storage, nowMs: 0 });
  assert.equal(h.service.stats().duplicateReplays, 1);
  h.world.setReachable("r1", true);
  h.settle(0);
  assert.equal(h.world.inbox("r1").length, 1);
  h.host.replayedInput({ deviceId: "p", input, storage, nowMs: 0 }); // after completion, too
  h.settle(0);
  assert.equal(h.service.stats().duplicateReplays, 2);
  assert.equal(h.world.sendAttempts, 1, "one send, never repeated");
});

test("caching: upload: an unreachable recipient is retried (bounded), reported, and nothing is lost", () => {
  const policy = { ...defaultCachingPolicy, uploadRetriesMax: 3, uploadRetryDelayMsBase: 1_000 };
  const h = harness(policy);
  for (const r of recipients) h.world.addRecipient(r);
  h.world.setReachable("r3", false);
  const file = new SeededRng(7).bytes(700 * 1024);
  const storage = storageWith({ "/v.mp4": file });
  h.host.replayedInput({
    deviceId: "p",
    input: uploadInput(2, "/v.mp4", "mirror", recipients),
    storage,
    nowMs: 0,
  });
  const endMs = h.settle(0);
  assert.equal(endMs, 1_000 + 2_000 + 4_000, "three retries with doubling delays");
  assert.equal(h.world.inbox("r3").length, 0);
  assert.equal(h.world.sendAttempts, 4 + 4, "4 recipients once, r3 once plus 3 retries");
  const [job] = h.service.pendingUploads("p");
  assert.ok(job);
  const failed = job.deliveries.filter((d) => d.state === "failed");
  assert.deepEqual(
    failed.map((d) => [d.to, d.attempts]),
    [["r3", 4]],
  );
  assert.match(failed[0]!.lastError ?? "", /E_RECIPIENT_UNREACHABLE/);
  assert.match(h.texts().join("\n"), /to r3 failed after 4 attempts.*E_RECIPIENT_UNREACHABLE/);
  // Nothing lost: the bytes stay on the server; the recipient comes back, the user retries.
  h.world.setReachable("r3", true);
  const busy = h.service.discardFailedUpload(`${job.jobId}-nope`);
  assert.equal(busy.ok ? "" : busy.error.code, "E_CACHE_UNKNOWN");
  assert.deepEqual(h.service.retryFailedUpload(job.jobId), ok(1));
  const inFlight = h.service.discardFailedUpload(job.jobId);
  assert.equal(inFlight.ok ? "" : inFlight.error.code, "E_USAGE", "cannot discard while sending");
  h.settle(endMs);
  assert.ok(bytesEqual(h.world.inbox("r3")[0]!.payload, file));
  assert.deepEqual(h.service.pendingUploads("p"), []);
});

test("caching: upload: a file missing on the mirror is reported to the phone", () => {
  const h = harness();
  h.world.addRecipient("r1");
  h.host.replayedInput({
    deviceId: "p",
    input: uploadInput(4, "/gone", "mirror", ["r1"]),
    storage: storageWith({}),
    nowMs: 0,
  });
  assert.match(h.texts().join("\n"), /upload \(input 4\) refused: E_PATH_NOT_FOUND/);
  assert.equal(h.service.stats().rejectedInputs, 1);
});

test("caching: download: request → fetched on the server → file-cached notice → fetch records a network input", () => {
  const h = harness();
  const file = new SeededRng(3).bytes(2 * 1024 * 1024);
  h.world.publish("http://web.test/movie.mp4", file);
  const input: UserInput = {
    seq: 1,
    timeMs: 0,
    networkConsumed: 0,
    app: "cache",
    body: downloadActionBody("http://web.test/movie.mp4"),
    nondet: [],
  };
  h.host.replayedInput({ deviceId: "p", input, storage: storageWith({}), nowMs: 5_000 });
  h.settle(5_000);
  const notice = h.notices.find((n) => n.notice.kind.case === "fileCached");
  assert.ok(notice?.notice.kind.case === "fileCached");
  const cached = notice.notice.kind.value;
  assert.equal(cached.size, BigInt(file.length));
  assert.ok(bytesEqual(cached.sha256, nodeSha256(file)), "sha");
  assert.equal(cached.expiresAtMs, BigInt(5_000 + defaultCachingPolicy.retentionMs));
  const fetched = h.service.fetchCached("p", cached.cacheId, 60_000);
  assert.ok(fetched.ok, "fetched");
  assert.equal(fetched.value.app, "cache");
  assert.equal(fetched.value.kind, "cached-file");
  assert.deepEqual(fetched.value.args, [`id=${cached.cacheId}`, "name=movie.mp4"]);
  assert.ok(bytesEqual(fetched.value.payload, file), "payload");
  assert.deepEqual(
    h.recorded.map((r) => [r.index, r.kind, r.args]),
    [
      [1, "file-cached", [`id=${cached.cacheId}`, "name=movie.mp4", `size=${file.length}`]],
      [2, "cached-file", [`id=${cached.cacheId}`, "name=movie.mp4"]],
    ],
    "the Traffic Monitor recorded the notice filing and the hand-over",
  );
});

test("caching: download: a cached file past its retention is a clear CACHE_EXPIRED error", () => {
  const h = harness({ ...defaultCachingPolicy, retentionMs: 60_000 });
  const entry = h.service.offerInbound("p", { from: "friend", name: "clip.3gp", payload: utf8("clip") }, 0);
  assert.ok(entry.ok);
  h.host.tick(60_000);
  const late = h.service.fetchCached("p", entry.value.cacheId, 60_001);
  assert.equal(late.ok ? "" : late.error.code, "E_CACHE_EXPIRED");
  assert.match(late.ok ? "" : late.error.message, /expired at 60000 ms/);
  assert.deepEqual(
    h.recorded.map((r) => r.kind),
    ["file-cached"],
    "no hand-over after expiry",
  );
});

test("caching: download: a failing URL is retried, then reported to the phone", () => {
  const h = harness({ ...defaultCachingPolicy, downloadRetriesMax: 2 });
  assert.ok(h.service.requestDownload("p", "http://web.test/missing", 0).ok);
  h.settle(0);
  assert.match(
    h.texts().join("\n"),
    /download of http:\/\/web.test\/missing failed after 3 attempts: E_UNAVAILABLE/,
  );
  assert.equal(h.service.stats().downloadsInFlight, 0);
  const bad = h.service.requestDownload("p", "file:///etc/passwd", 0);
  assert.equal(bad.ok ? "" : bad.error.code, "E_INPUT_MALFORMED");
});

test("caching: upload: under random failures and duplicate results, no recipient gets two copies and attempts stay bounded", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 0, max: 4 }),
      (seed, count, retries) => {
        const rng = new SeededRng(seed);
        const sent: { id: string; to: string }[] = [];
        const received = new Map<string, number>();
        const host = new ServiceHost({
          sha256: nodeSha256,
          outbox: { send: (m) => sent.push({ id: m.deliveryId, to: m.to }) },
          fetcher: { fetch: () => {} },
          notices: { queueNotice: () => ok(undefined) },
          network: { deliver: (_d, input) => ok({ ...input, index: 1 }) },
        });
        const policy = { ...defaultCachingPolicy, uploadRetriesMax: retries, uploadRetryDelayMsBase: 100 };
        const service = host.register((ports) => new CachingService(ports, policy));
        const to = Array.from({ length: count }, (_, i) => `r${i}`);
        host.replayedInput({
          deviceId: "p",
          input: uploadInput(1, "/f", "mirror", to),
          storage: storageWith({ "/f": utf8("x") }),
          nowMs: 0,
        });
        let nowMs = 0;
        for (let step = 0; step < 500 && (sent.length > 0 || host.nextDueMs() !== undefined); step++) {
          const batch = sent.splice(0);
          for (const s of batch) {
            const delivered = rng.float() < 0.4;
            if (delivered) received.set(s.to, (received.get(s.to) ?? 0) + 1);
            const result = delivered ? ok(undefined) : fail("E_RECIPIENT_UNREACHABLE", "down");
            host.deliveryResult(s.id, result, nowMs);
            if (rng.float() < 0.2) host.deliveryResult(s.id, result, nowMs); // a duplicate report
          }
          nowMs = Math.max(nowMs, host.nextDueMs() ?? nowMs);
          host.tick(nowMs);
        }
        const job = service.pendingUploads("p")[0];
        for (const r of to) {
          const copies = received.get(r) ?? 0;
          assert.ok(copies <= 1, `seed=${seed}: ${r} got ${copies} copies`);
          const status = job?.deliveries.find((d) => d.to === r);
          if (copies === 0)
            assert.equal(status?.state, "failed", `seed=${seed}: ${r} neither delivered nor failed`);
          if (status !== undefined)
            assert.ok(status.attempts <= retries + 1, `seed=${seed}: ${status.attempts} attempts`);
        }
      },
    ),
    { numRuns: 200 },
  );
});

test("caching: upload: the user can discard a failed upload, which frees it on the server", () => {
  const h = harness({ ...defaultCachingPolicy, uploadRetriesMax: 0 });
  h.world.addRecipient("r1");
  h.world.setReachable("r1", false);
  h.host.replayedInput({
    deviceId: "p",
    input: uploadInput(5, "/f", "mirror", ["r1"]),
    storage: storageWith({ "/f": utf8("x") }),
    nowMs: 0,
  });
  h.settle(0);
  const [job] = h.service.pendingUploads("p");
  assert.equal(job?.deliveries[0]?.state, "failed");
  assert.deepEqual(h.service.discardFailedUpload(job.jobId), ok(undefined));
  assert.deepEqual(h.service.pendingUploads("p"), []);
});

test("caching: a policy outside the limits is refused when the service is built", () => {
  assert.throws(() => harness({ ...defaultCachingPolicy, retentionMs: 0 }), /retention 0 ms/);
  assert.throws(() => harness({ ...defaultCachingPolicy, uploadRetriesMax: -1 }), /-1 upload retries/);
});
