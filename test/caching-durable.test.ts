// The live caching runtime's durable state (issue 7): cached files, their
// tombstones and the notice outbox live in the server's SQLite database and
// <data>/cache-blobs, so a runtime rebuilt on the same data dir (a restarted
// server) hands over what the old one cached, queues its notices again under
// the same ids, asks again for downloads it had not finished, and still
// answers E_CACHE_EXPIRED for what expired.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { bytesEqual } from "../src/core/bytes.ts";
import { ok } from "../src/core/errors.ts";
import { SeededRng } from "../src/core/rng.ts";
import type { Notice } from "../src/gen/mirrorcell/v1/sync_pb.ts";
import { LiveCachingRuntime, noticeJournalIdBase, startTestWebServer } from "../src/live/caching/index.ts";
import { tempDataDir, waitFor } from "../src/live/live-harness.ts";
import { openDatabase } from "../src/live/sqlite-db.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import { systemClock } from "../src/node/system-clock.ts";
import type { NetworkInput } from "../src/platform/inputs.ts";
import { type CachingPolicy, defaultCachingPolicy } from "../src/services/index.ts";

const device = "phone-d";

function runtimeOn(dataDir: string, policy: CachingPolicy) {
  const db = openDatabase(dataDir, { synchronousFull: false });
  const queued: Notice[] = [];
  const recorded: NetworkInput[] = [];
  const runtime = new LiveCachingRuntime({
    clock: systemClock,
    sha256: nodeSha256,
    notices: {
      queueNotice: (_deviceId, notice) => {
        queued.push(notice);
        return ok(undefined);
      },
    },
    network: {
      deliver: (_deviceId, input) => {
        recorded.push({ ...input, index: recorded.length + 1 });
        return ok(recorded[recorded.length - 1]!);
      },
    },
    recipientUrlOf: () => undefined,
    policy,
    durable: { db, dataDir, fsync: false },
  });
  const fileCached = () => queued.filter((n) => n.kind.case === "fileCached");
  return {
    runtime,
    queued,
    fileCached,
    /** A crash: the process is gone, only what was committed stays. */
    crash: () => {
      runtime.close();
      db.close();
    },
  };
}

function cacheBlobFiles(dataDir: string): string[] {
  const dir = join(dataDir, "cache-blobs");
  return readdirSync(dir)
    .filter((d) => d !== "tmp")
    .flatMap((d) => readdirSync(join(dir, d)));
}

test("caching durable: a restarted runtime hands over the cached file and queues its notice again under the same id", async () => {
  const web = await startTestWebServer();
  const data = tempDataDir("cache-durable");
  try {
    const first = runtimeOn(data.dir, defaultCachingPolicy);
    const movie = new SeededRng(3).bytes(700 * 1024);
    assert.ok(first.runtime.requestDownload(device, web.publish("movie.bin", movie)).ok);
    assert.ok(await waitFor(() => first.fileCached().length === 1, 10_000), "cached and notified");
    const notice = first.fileCached()[0]!;
    assert.ok(notice.noticeId > noticeJournalIdBase, "a journal id, above the Syn-Server's ids");
    first.crash();

    const second = runtimeOn(data.dir, defaultCachingPolicy);
    assert.deepEqual(second.runtime.restored, { cachedFiles: 1, notices: 1, downloads: 0 });
    assert.equal(second.fileCached()[0]?.noticeId, notice.noticeId, "same id: the phone dedupes it");
    const cacheId = notice.kind.case === "fileCached" ? notice.kind.value.cacheId : "";
    const fetched = second.runtime.fetchCached(device, cacheId);
    assert.ok(
      fetched.ok && bytesEqual(fetched.value.payload, movie),
      "the restarted server hands the bytes over",
    );
    second.crash();

    const third = runtimeOn(data.dir, defaultCachingPolicy);
    assert.deepEqual(
      third.runtime.restored,
      { cachedFiles: 1, notices: 0, downloads: 0 },
      "a fetched file's notice is moot",
    );
    assert.ok(third.runtime.fetchCached(device, cacheId).ok, "kept for the retention time: fetched again");
    third.crash();
    assert.equal(web.requests(), 1, "downloaded once");
  } finally {
    await web.close();
    data.remove();
  }
});

test("caching durable: an expired file's blob is deleted and a restarted runtime still says E_CACHE_EXPIRED", async () => {
  const web = await startTestWebServer();
  const data = tempDataDir("cache-expiry");
  const policy = { ...defaultCachingPolicy, retentionMs: 200 };
  try {
    const first = runtimeOn(data.dir, policy);
    assert.ok(first.runtime.requestDownload(device, web.publish("a.bin", new SeededRng(4).bytes(4096))).ok);
    assert.ok(await waitFor(() => first.fileCached().length === 1, 10_000), "cached");
    assert.equal(cacheBlobFiles(data.dir).length, 1, "one blob file while cached");
    assert.ok(
      await waitFor(() => cacheBlobFiles(data.dir).length === 0, 5_000),
      "blob file deleted at expiry",
    );
    const notice = first.fileCached()[0]!;
    const cacheId = notice.kind.case === "fileCached" ? notice.kind.value.cacheId : "";
    first.crash();

    const second = runtimeOn(data.dir, policy);
    assert.deepEqual(second.runtime.restored, { cachedFiles: 0, notices: 0, downloads: 0 });
    const late = second.runtime.fetchCached(device, cacheId);
    assert.equal(late.ok ? "fetched" : late.error.code, "E_CACHE_EXPIRED");
    second.crash();
  } finally {
    await web.close();
    data.remove();
  }
});

test("caching durable: a download not yet cached when the server crashed is asked for again after the restart", async () => {
  const web = await startTestWebServer();
  const data = tempDataDir("cache-pending");
  try {
    const first = runtimeOn(data.dir, defaultCachingPolicy);
    const url = `${web.baseUrl}/late.bin`; // not published yet: the first attempt gets a 404
    assert.ok(first.runtime.requestDownload(device, url).ok);
    assert.ok(await waitFor(() => web.requests() === 1, 10_000), "first attempt made");
    first.crash(); // before the retry (1 s later)

    const late = new SeededRng(5).bytes(10_000);
    assert.equal(web.publish("late.bin", late), url);
    const second = runtimeOn(data.dir, defaultCachingPolicy);
    assert.equal(second.runtime.restored.downloads, 1, "the unsettled download is asked again");
    assert.ok(await waitFor(() => second.fileCached().length === 1, 10_000), "cached after the restart");
    const notice = second.fileCached()[0]!;
    const cacheId = notice.kind.case === "fileCached" ? notice.kind.value.cacheId : "";
    const fetched = second.runtime.fetchCached(device, cacheId);
    assert.ok(fetched.ok && bytesEqual(fetched.value.payload, late));
    second.crash();

    const third = runtimeOn(data.dir, defaultCachingPolicy);
    assert.equal(third.runtime.restored.downloads, 0, "settled: not asked a third time");
    third.crash();
  } finally {
    await web.close();
    data.remove();
  }
});
