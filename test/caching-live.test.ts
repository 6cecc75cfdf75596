// The caching service over real loopback HTTP: the live Outbox posts to a test
// recipient, the live Fetcher downloads from a test web server, and the
// runtime's timer drives retries (paper §5.1).
import assert from "node:assert/strict";
import { test } from "node:test";
import { bytesEqual, toHex } from "../src/core/bytes.ts";
import { SeededRng } from "../src/core/rng.ts";
import {
  HttpFetcher,
  HttpOutbox,
  LiveCachingRuntime,
  startTestRecipient,
  startTestWebServer,
} from "../src/live/caching/index.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import { systemClock } from "../src/node/system-clock.ts";
import {
  defaultCachingPolicy,
  defaultCachingSettings,
  downloadActionBody,
  uploadActionBody,
} from "../src/services/index.ts";
import { CachingScenario, okOrThrow } from "./caching-scenario.ts";
import { recordingPorts, storageWith } from "./support/service-ports.ts";

async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function runtime(recipientUrlOf: (a: string) => string | undefined, policy = defaultCachingPolicy) {
  const ports = recordingPorts();
  const live = new LiveCachingRuntime({
    clock: systemClock,
    sha256: nodeSha256,
    notices: ports.notices,
    network: ports.network,
    recipientUrlOf,
    policy,
  });
  return { live, notices: ports.queued, recorded: ports.recorded, texts: ports.texts };
}

const recipients = ["+18145550001", "+18145550002", "+18145550003", "+18145550004", "+18145550005"];

test("caching live: upload to 5 loopback recipients: identical bytes, the phone as sender, one copy after a restart", async () => {
  const recipient = await startTestRecipient();
  const { live, texts } = runtime((a) => recipient.urlOf(a));
  try {
    const file = new SeededRng(5).bytes(3 * 1024 * 1024);
    const body = uploadActionBody({ path: "/sdcard/clip.mp4", route: "mirror", recipients });
    const input = { seq: 12, timeMs: 0, networkConsumed: 0, app: "cache" as const, body, nondet: [] };
    live.replayedInput("phone-7", input, storageWith({ "/sdcard/clip.mp4": file }));
    await waitFor("5 deliveries", () => recipients.every((r) => recipient.inbox(r).length === 1));
    for (const r of recipients) {
      const [got] = recipient.inbox(r);
      assert.ok(got && bytesEqual(got.payload, file), `${r} got the exact bytes`);
      assert.equal(got.from, "phone-7");
      assert.equal(got.name, "clip.mp4");
      assert.equal(got.sha256Hex, toHex(nodeSha256(file)));
    }
    await waitFor("delivery notice", () => texts().some((t) => /delivered to 5 recipients/.test(t)));
    // A restarted server (fresh runtime, same replayed input) sends again with
    // the same delivery ids: the recipient keeps one copy.
    const restarted = runtime((a) => recipient.urlOf(a));
    restarted.live.replayedInput("phone-7", input, storageWith({ "/sdcard/clip.mp4": file }));
    await waitFor("re-sent deliveries acknowledged", () =>
      restarted.texts().some((t) => /delivered to 5 recipients/.test(t)),
    );
    restarted.live.close();
    for (const r of recipients) assert.equal(recipient.inbox(r).length, 1, `${r} keeps one copy`);
  } finally {
    live.close();
    await recipient.close();
  }
});

test("caching live: an unreachable recipient is retried by the timer until it comes back, or reported", async () => {
  const recipient = await startTestRecipient();
  const policy = { ...defaultCachingPolicy, uploadRetriesMax: 3, uploadRetryDelayMsBase: 20 };
  const { live, texts } = runtime((a) => (a === "nowhere" ? undefined : recipient.urlOf(a)), policy);
  try {
    recipient.setReachable("bob", false);
    const file = new SeededRng(6).bytes(600 * 1024);
    const body = uploadActionBody({ path: "/f.bin", route: "mirror", recipients: ["bob", "nowhere"] });
    live.replayedInput(
      "p",
      { seq: 1, timeMs: 0, networkConsumed: 0, app: "cache", body, nondet: [] },
      storageWith({ "/f.bin": file }),
    );
    await waitFor("a refused attempt", () => recipient.refused("bob") >= 1);
    recipient.setReachable("bob", true);
    await waitFor("bob's copy after a retry", () => recipient.inbox("bob").length === 1);
    assert.ok(bytesEqual(recipient.inbox("bob")[0]!.payload, file));
    await waitFor("failure report", () => texts().some((t) => /to nowhere failed after 4 attempts/.test(t)));
    await waitFor(
      "bob's delivery acknowledged",
      () => live.caching.pendingUploads("p")[0]?.deliveries[0]?.state === "delivered",
    );
    const [job] = live.caching.pendingUploads("p");
    assert.deepEqual(
      job?.deliveries.map((d) => [d.to, d.state]),
      [
        ["bob", "delivered"],
        ["nowhere", "failed"],
      ],
    );
  } finally {
    live.close();
    await recipient.close();
  }
});

test("caching live: download from a loopback web server → file-cached notice → fetch as a recorded network input", async () => {
  const web = await startTestWebServer();
  const { live, notices, recorded } = runtime(() => undefined);
  try {
    const file = new SeededRng(8).bytes(1024 * 1024 + 17);
    const url = web.publish("song.ogg", file);
    const input = {
      seq: 3,
      timeMs: 0,
      networkConsumed: 0,
      app: "cache" as const,
      body: downloadActionBody(url),
      nondet: [],
    };
    live.replayedInput("p", input, storageWith({}));
    await waitFor("file-cached notice", () => notices.some((n) => n.notice.kind.case === "fileCached"));
    const notice = notices.find((n) => n.notice.kind.case === "fileCached")!.notice;
    assert.ok(notice.kind.case === "fileCached");
    assert.equal(notice.kind.value.size, BigInt(file.length));
    const fetched = live.fetchCached("p", notice.kind.value.cacheId);
    assert.ok(fetched.ok);
    assert.ok(bytesEqual(fetched.value.payload, file));
    assert.deepEqual(fetched.value.args, [`id=${notice.kind.value.cacheId}`, "name=song.ogg"]);
    assert.deepEqual(
      recorded.map((r) => r.kind),
      ["file-cached", "cached-file"],
    );
    const missing = live.requestDownload("p", `${web.baseUrl}/missing`);
    assert.ok(missing.ok);
  } finally {
    live.close();
    await web.close();
  }
});

test("caching live: real phone platform and mirror replay, uploads and downloads over loopback HTTP", async () => {
  const recipient = await startTestRecipient();
  const web = await startTestWebServer();
  let live: LiveCachingRuntime | undefined;
  const sc = new CachingScenario({
    seed: 9,
    network: "3g",
    settings: defaultCachingSettings,
    services: (ports) => {
      live = new LiveCachingRuntime({
        ...ports,
        sha256: nodeSha256,
        recipientUrlOf: (a) => recipient.urlOf(a),
      });
      return { host: live.host, caching: live.caching };
    },
  });
  try {
    // Download: the server fetches from the web server; the phone fetches the cached copy later.
    const movie = new SeededRng(90).bytes(1_500_000);
    okOrThrow(sc.requestDownload(web.publish("movie.mp4", movie)));
    await live!.idle();
    sc.advance(2 * 60_000);
    const notice = sc.phoneNotices.find((n) => n.kind.case === "fileCached");
    assert.ok(notice?.kind.case === "fileCached", "file-cached notice reached the phone");
    okOrThrow(sc.fetchCached(notice.kind.value.cacheId));
    assert.ok(bytesEqual(okOrThrow(sc.phone.storage.readFile("/sdcard/Download/movie.mp4")), movie));
    // Upload: the phone fakes it; the mirror's replay posts it to 5 recipients as the phone.
    sc.tap();
    sc.advance(3 * 60_000);
    okOrThrow(sc.upload("/sdcard/Download/movie.mp4", recipients));
    sc.advance(5 * 60_000);
    await live!.idle();
    for (const r of recipients) {
      const [got] = recipient.inbox(r);
      assert.ok(got && bytesEqual(got.payload, movie), `${r} got the phone's bytes`);
      assert.equal(got.from, sc.deviceId);
    }
    assert.equal(sc.radioTotals().uplinkFileBytes, 0, "the phone uploaded no file bytes");
    assert.ok(sc.mirrorEqualsPhone(), "phone and mirror equal");
  } finally {
    live?.close();
    await recipient.close();
    await web.close();
  }
});

test("caching live: HTTP fetcher bounds the body and maps failures; outbox without a route fails fast", async () => {
  const web = await startTestWebServer();
  const fetched: { id: string; code: string }[] = [];
  const fetcher = new HttpFetcher({
    report: (id, r) => fetched.push({ id, code: r.ok ? "ok" : r.error.code }),
  });
  const sent: { id: string; code: string }[] = [];
  const outbox = new HttpOutbox({
    urlOf: () => undefined,
    report: (id, r) => sent.push({ id, code: r.ok ? "ok" : r.error.code }),
  });
  try {
    const url = web.publish("big.bin", new Uint8Array(10_000));
    fetcher.fetch({ fetchId: "t:1", deviceId: "p", url, bytesMax: 9_999 });
    fetcher.fetch({ fetchId: "t:2", deviceId: "p", url, bytesMax: 10_000 });
    fetcher.fetch({ fetchId: "t:3", deviceId: "p", url: `${web.baseUrl}/nothing`, bytesMax: 10 });
    assert.equal(fetched.length, 0, "results come after fetch() returned");
    const payload = new Uint8Array(3);
    outbox.send({
      deliveryId: "t:4",
      fromDeviceId: "p",
      to: "nobody",
      name: "f",
      payload,
      sha256: nodeSha256(payload),
    });
    assert.equal(sent.length, 0, "results come after send() returned");
    await fetcher.idle();
    await outbox.idle();
    assert.deepEqual(
      fetched.sort((a, b) => a.id.localeCompare(b.id)),
      [
        { id: "t:1", code: "E_PAYLOAD_TOO_LARGE" },
        { id: "t:2", code: "ok" },
        { id: "t:3", code: "E_UNAVAILABLE" },
      ],
    );
    assert.deepEqual(sent, [{ id: "t:4", code: "E_RECIPIENT_UNREACHABLE" }]);
  } finally {
    await web.close();
  }
});
