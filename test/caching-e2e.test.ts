// The caching service end to end (issue 7 "Must show"): a real phone platform
// and Syn-Client, a real mirror server replaying its inputs, the caching
// service on the server's ServiceHost, and the phone's radio on Table 1 links.
import assert from "node:assert/strict";
import { test } from "node:test";
import { bytesEqual } from "../src/core/bytes.ts";
import { SeededRng } from "../src/core/rng.ts";
import { defaultCachingPolicy, defaultCachingSettings } from "../src/services/index.ts";
import { CachingScenario, fileNamed, okOrThrow } from "./caching-scenario.ts";

const minuteMs = 60_000;
const friends = ["+18145550001", "+18145550002", "+18145550003", "+18145550004", "+18145550005"];

/** The phone receives a video by MMS (a network input), so phone and mirror both hold it. */
function phoneWithVideo(
  sc: CachingScenario,
  sizeBytes: number,
  seed: number,
): { path: string; bytes: Uint8Array } {
  const bytes = new SeededRng(seed).bytes(sizeBytes);
  okOrThrow(
    sc.networkToPhone(sc.deviceId, {
      timeMs: sc.nowMs,
      app: "mms",
      kind: "mms",
      args: ["from=alice", "name=clip.3gp"],
      payload: bytes,
    }),
  );
  const path = fileNamed(sc.phone, "clip.3gp");
  assert.ok(path !== undefined);
  return { path, bytes };
}

function texts(sc: CachingScenario): string[] {
  return sc.phoneNotices.flatMap((n) => (n.kind.case === "text" ? [n.kind.value] : []));
}

test("caching e2e: download → file-cached notice → later fetch → phone and mirror equal, nothing uploaded (seed=1)", () => {
  const sc = new CachingScenario({ seed: 1, network: "edge", settings: defaultCachingSettings });
  const movie = new SeededRng(11).bytes(2_000_000);
  sc.world.publish("http://videos.test/movie.mp4", movie);
  okOrThrow(sc.requestDownload("http://videos.test/movie.mp4"));
  sc.advance(2 * minuteMs);
  const notice = sc.phoneNotices.find((n) => n.kind.case === "fileCached");
  assert.ok(notice?.kind.case === "fileCached", "the phone got the file-cached notice in a sync message");
  const cacheId = notice.kind.value.cacheId;
  assert.equal(notice.kind.value.size, BigInt(movie.length));
  assert.equal(fileNamed(sc.phone, "movie.mp4"), undefined, "not downloaded until the user chooses");
  assert.ok(sc.mirrorEqualsPhone(), "the notice filing replayed on the mirror");

  sc.advance(30 * minuteMs); // later: better signal, or charging
  const uplinkBefore = sc.radioTotals().uplinkBytes;
  okOrThrow(sc.fetchCached(cacheId));
  const path = fileNamed(sc.phone, "movie.mp4");
  assert.equal(path, "/sdcard/Download/movie.mp4");
  assert.ok(bytesEqual(okOrThrow(sc.phone.storage.readFile(path)), movie));
  sc.advance(33 * minuteMs);
  assert.ok(sc.mirrorEqualsPhone(), "mirror holds the fetched file without any upload");
  const radio = sc.radioTotals();
  assert.ok(radio.downlinkBytes >= movie.length);
  assert.ok(
    radio.uplinkBytes - uplinkBefore < 1_000,
    `uplink after fetch ${radio.uplinkBytes - uplinkBefore} B`,
  );
});

test("caching e2e: upload to 5 recipients → each gets the phone's exact bytes as from the phone; the phone sent none (seed=2)", () => {
  const sc = new CachingScenario({ seed: 2, network: "3g", settings: defaultCachingSettings });
  for (const f of friends) sc.world.addRecipient(f);
  const video = phoneWithVideo(sc, 800 * 1024, 22);
  sc.advance(minuteMs + 500);
  const uplinkBefore = sc.radioTotals().uplinkBytes;
  const plan = okOrThrow(sc.upload(video.path, friends));
  assert.equal(plan.decision, "via-mirror");
  assert.equal(
    friends.filter((f) => sc.world.inbox(f).length > 0).length,
    0,
    "nothing sent before the next sync",
  );
  sc.advance(3 * minuteMs);
  sc.tap();
  sc.advance(4 * minuteMs);
  for (const f of friends) {
    const inbox = sc.world.inbox(f);
    assert.equal(inbox.length, 1, `${f} received once`);
    assert.ok(bytesEqual(inbox[0]!.payload, video.bytes), `${f} got identical bytes`);
    assert.equal(inbox[0]!.from, sc.deviceId, "the recipient sees the phone as the sender");
  }
  const radio = sc.radioTotals();
  assert.equal(radio.uplinkFileBytes, 0);
  assert.ok(
    radio.uplinkBytes - uplinkBefore < 1_000,
    `uplink for the upload: ${radio.uplinkBytes - uplinkBefore} B`,
  );
  assert.equal(sc.host.outboxStats().payloadBytes, 5 * video.bytes.length, "the server sent the 5 copies");
  assert.ok(sc.mirrorEqualsPhone());
  assert.ok(
    texts(sc).some((t) => /delivered to 5 recipients/.test(t)),
    "the phone is told",
  );
});

test("caching e2e: service off → normal upload from the phone, the mirror sends nothing (seed=3)", () => {
  const sc = new CachingScenario({
    seed: 3,
    network: "3g",
    settings: { ...defaultCachingSettings, enabled: false },
  });
  for (const f of friends) sc.world.addRecipient(f);
  const video = phoneWithVideo(sc, 800 * 1024, 33);
  const plan = okOrThrow(sc.upload(video.path, friends));
  assert.equal(plan.decision, "direct");
  sc.advance(3 * minuteMs);
  for (const f of friends) assert.ok(bytesEqual(sc.world.inbox(f)[0]!.payload, video.bytes));
  assert.equal(sc.radioTotals().uplinkFileBytes, 5 * video.bytes.length, "one radio upload per recipient");
  assert.equal(sc.host.outboxStats().messages, 0, "mirror outputs stay dropped");
  assert.ok(
    friends.every((f) => sc.world.inbox(f).length === 1),
    "no duplicate from the mirror",
  );
  assert.ok(sc.mirrorEqualsPhone());
});

test("caching e2e: a file under the threshold goes directly from the phone (seed=4)", () => {
  const sc = new CachingScenario({ seed: 4, network: "edge", settings: defaultCachingSettings });
  sc.world.addRecipient("bob");
  const small = phoneWithVideo(sc, 100 * 1024, 44);
  const plan = okOrThrow(sc.upload(small.path, ["bob"]));
  assert.equal(plan.decision, "direct");
  assert.equal(sc.world.inbox("bob").length, 1, "sent at once, no sync delay");
  sc.advance(3 * minuteMs);
  assert.equal(sc.world.inbox("bob").length, 1);
  assert.equal(sc.radioTotals().uplinkFileBytes, small.bytes.length);
  assert.equal(sc.host.outboxStats().messages, 0);
  assert.ok(sc.mirrorEqualsPhone());
});

test("caching e2e: an unreachable recipient is retried, reported to the phone, and nothing is lost (seed=5)", () => {
  const policy = { ...defaultCachingPolicy, uploadRetriesMax: 3, uploadRetryDelayMsBase: 10_000 };
  const sc = new CachingScenario({ seed: 5, network: "3g", settings: defaultCachingSettings, policy });
  for (const f of friends) sc.world.addRecipient(f);
  sc.world.setReachable(friends[4]!, false);
  const video = phoneWithVideo(sc, 600 * 1024, 55);
  okOrThrow(sc.upload(video.path, friends));
  sc.advance(10 * minuteMs);
  sc.tap();
  sc.advance(11 * minuteMs);
  assert.equal(sc.world.inbox(friends[4]!).length, 0);
  assert.equal(sc.world.sendAttempts, 4 + 4, "four delivered at once, the fifth tried 1 + 3 times");
  assert.ok(
    texts(sc).some(
      (t) => t.includes(`to ${friends[4]} failed after 4 attempts`) && t.includes("E_RECIPIENT_UNREACHABLE"),
    ),
  );
  const [job] = sc.caching.pendingUploads(sc.deviceId);
  assert.ok(job !== undefined, "the failed upload is kept on the server");
  sc.world.setReachable(friends[4]!, true);
  okOrThrow(sc.caching.retryFailedUpload(job.jobId));
  sc.advance(13 * minuteMs);
  assert.ok(bytesEqual(sc.world.inbox(friends[4]!)[0]!.payload, video.bytes), "delivered after the retry");
  assert.ok(
    friends.every((f) => sc.world.inbox(f).length === 1),
    "nobody got it twice",
  );
  assert.ok(sc.mirrorEqualsPhone());
});

test("caching e2e: fetching a cached file after its retention is a clear CACHE_EXPIRED error (seed=6)", () => {
  const policy = { ...defaultCachingPolicy, retentionMs: 60 * minuteMs };
  const sc = new CachingScenario({ seed: 6, network: "edge", settings: defaultCachingSettings, policy });
  sc.world.publish("http://videos.test/old.mp4", new SeededRng(66).bytes(700_000));
  okOrThrow(sc.requestDownload("http://videos.test/old.mp4"));
  sc.advance(2 * minuteMs);
  const notice = sc.phoneNotices.find((n) => n.kind.case === "fileCached");
  assert.ok(notice?.kind.case === "fileCached");
  assert.equal(notice.kind.value.expiresAtMs, BigInt(60 * minuteMs));
  sc.advance(2 * 60 * minuteMs);
  const late = sc.fetchCached(notice.kind.value.cacheId);
  assert.equal(late.ok, false);
  assert.equal(late.ok ? "" : late.error.code, "E_CACHE_EXPIRED");
  assert.match(late.ok ? "" : late.error.message, /expired at 3600000 ms; ask for it again/);
  assert.equal(fileNamed(sc.phone, "old.mp4"), undefined);
  sc.advance(3 * 60 * minuteMs);
  assert.ok(sc.mirrorEqualsPhone());
});

test("caching e2e: a server crash after the upload re-replays it; recipients keep one copy by delivery id (seed=7)", () => {
  const sc = new CachingScenario({ seed: 7, network: "3g", settings: defaultCachingSettings });
  for (const f of friends) sc.world.addRecipient(f);
  const video = phoneWithVideo(sc, 700 * 1024, 77);
  sc.advance(minuteMs + 500);
  okOrThrow(sc.upload(video.path, friends));
  sc.advance(3 * minuteMs);
  assert.ok(
    friends.every((f) => sc.world.inbox(f).length === 1),
    "delivered before the crash",
  );
  sc.crashServer(); // volatile service state is gone; the mirror replays from its checkpoint
  sc.tap();
  sc.advance(6 * minuteMs);
  assert.equal(sc.world.duplicatesIgnored, 5, "the restarted server sent again, with the same delivery ids");
  for (const f of friends) {
    assert.equal(sc.world.inbox(f).length, 1, `${f} still has exactly one copy`);
    assert.ok(bytesEqual(sc.world.inbox(f)[0]!.payload, video.bytes));
  }
  assert.ok(sc.mirrorEqualsPhone());
});

test("caching e2e: a sender's bulk file is cached for the phone, which fetches it when it chooses (seed=8)", () => {
  const sc = new CachingScenario({ seed: 8, network: "edge", settings: defaultCachingSettings });
  const clip = new SeededRng(88).bytes(1_200_000);
  const entry = okOrThrow(
    sc.caching.offerInbound(
      sc.deviceId,
      { from: "+18145550009", name: "party.mp4", payload: clip },
      sc.nowMs,
    ),
  );
  sc.tap();
  sc.advance(2 * minuteMs);
  assert.ok(
    sc.phoneNotices.some((n) => n.kind.case === "fileCached" && n.kind.value.cacheId === entry.cacheId),
  );
  assert.ok(sc.radioTotals().downlinkBytes < 10_000, "only the notice crossed the radio so far");
  sc.advance(20 * minuteMs);
  okOrThrow(sc.fetchCached(entry.cacheId));
  assert.ok(bytesEqual(okOrThrow(sc.phone.storage.readFile("/sdcard/Download/party.mp4")), clip));
  sc.tap();
  sc.advance(23 * minuteMs);
  assert.ok(sc.mirrorEqualsPhone());
});
