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
import { SeededRng } from "../src/core/rng.ts";
import {
  LiveCachingRuntime,
  noticeJournalIdBase,
  startTestWebServer,
  type TestWebServer,
} from "../src/live/caching/index.ts";
import { tempDataDir, waitFor } from "../src/live/live-harness.ts";
import { openDatabase } from "../src/live/sqlite-db.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import { systemClock } from "../src/node/system-clock.ts";
import { type CachingPolicy, defaultCachingPolicy } from "../src/services/index.ts";
import { recordingPorts } from "./support/service-ports.ts";

const device = "phone-d";

function runtimeOn(dataDir: string, policy: CachingPolicy) {
  const db = openDatabase(dataDir, { synchronousFull: false });
  const ports = recordingPorts();
  const runtime = new LiveCachingRuntime({
    clock: systemClock,
    sha256: nodeSha256,
    notices: ports.notices,
    network: ports.network,
    recipientUrlOf: () => undefined,
    policy,
    durable: { db, dataDir, fsync: false },
  });
  const fileCached = () => ports.queued.map((q) => q.notice).filter((n) => n.kind.case === "fileCached");
  /** The cache id the first file-cached notice names ("" when there is none). */
  const firstCacheId = () => {
    const notice = fileCached()[0];
    return notice?.kind.case === "fileCached" ? notice.kind.value.cacheId : "";
  };
  return {
    runtime,
    fileCached,
    firstCacheId,
    /** A crash: the process is gone, only what was committed stays. */
    crash: () => {
      runtime.close();
      db.close();
    },
  };
}

/** A loopback web server and a fresh data dir for one test body, closed and removed whatever it throws. */
async function withWebAndDataDir(
  label: string,
  body: (web: TestWebServer, dataDir: string) => Promise<void>,
) {
  const web = await startTestWebServer();
  const data = tempDataDir(label);
  try {
    await body(web, data.dir);
  } finally {
    await web.close();
    data.remove();
  }
}

function cacheBlobFiles(dataDir: string): string[] {
  const dir = join(dataDir, "cache-blobs");
  return readdirSync(dir)
    .filter((d) => d !== "tmp")
    .flatMap((d) => readdirSync(join(dir, d)));
}

test("caching durable: a restarted runtime hands over the cached file and queues its notice again under the same id", async () => {
  await withWebAndDataDir("cache-durable", async (web, dataDir) => {
    const first = runtimeOn(dataDir, defaultCachingPolicy);
    const movie = new SeededRng(3).bytes(700 * 1024);
    assert.ok(first.runtime.requestDownload(device, web.publish("movie.bin", movie)).ok);
    assert.ok(await waitFor(() => first.fileCached().length === 1, 10_000), "cached and notified");
    const notice = first.fileCached()[0]!;
    assert.ok(notice.noticeId > noticeJournalIdBase, "a journal id, above the Syn-Server's ids");
    first.crash();

    const second = runtimeOn(dataDir, defaultCachingPolicy);
    assert.deepEqual(second.runtime.restored, { cachedFiles: 1, notices: 1, downloads: 0 });
    assert.equal(second.fileCached()[0]?.noticeId, notice.noticeId, "same id: the phone dedupes it");
    const cacheId = first.firstCacheId();
    const fetched = second.runtime.fetchCached(device, cacheId);
    assert.ok(
      fetched.ok && bytesEqual(fetched.value.payload, movie),
      "the restarted server hands the bytes over",
    );
    second.crash();

    const third = runtimeOn(dataDir, defaultCachingPolicy);
    assert.deepEqual(
      third.runtime.restored,
      { cachedFiles: 1, notices: 0, downloads: 0 },
      "a fetched file's notice is moot",
    );
    assert.ok(third.runtime.fetchCached(device, cacheId).ok, "kept for the retention time: fetched again");
    third.crash();
    assert.equal(web.requests(), 1, "downloaded once");
  });
});

test("caching durable: an expired file's blob is deleted and a restarted runtime still says E_CACHE_EXPIRED", async () => {
  await withWebAndDataDir("cache-expiry", async (web, dataDir) => {
    const policy = { ...defaultCachingPolicy, retentionMs: 200 };
    const first = runtimeOn(dataDir, policy);
    assert.ok(first.runtime.requestDownload(device, web.publish("a.bin", new SeededRng(4).bytes(4096))).ok);
    assert.ok(await waitFor(() => first.fileCached().length === 1, 10_000), "cached");
    assert.equal(cacheBlobFiles(dataDir).length, 1, "one blob file while cached");
    assert.ok(
      await waitFor(() => cacheBlobFiles(dataDir).length === 0, 5_000),
      "blob file deleted at expiry",
    );
    const cacheId = first.firstCacheId();
    first.crash();

    const second = runtimeOn(dataDir, policy);
    assert.deepEqual(second.runtime.restored, { cachedFiles: 0, notices: 0, downloads: 0 });
    const late = second.runtime.fetchCached(device, cacheId);
    assert.equal(late.ok ? "fetched" : late.error.code, "E_CACHE_EXPIRED");
    second.crash();
  });
});

test("caching durable: a download not yet cached when the server crashed is asked for again after the restart", async () => {
  await withWebAndDataDir("cache-pending", async (web, dataDir) => {
    const first = runtimeOn(dataDir, defaultCachingPolicy);
    const url = `${web.baseUrl}/late.bin`; // not published yet: the first attempt gets a 404
    assert.ok(first.runtime.requestDownload(device, url).ok);
    assert.ok(await waitFor(() => web.requests() === 1, 10_000), "first attempt made");
    first.crash(); // before the retry (1 s later)

    const late = new SeededRng(5).bytes(10_000);
    assert.equal(web.publish("late.bin", late), url);
    const second = runtimeOn(dataDir, defaultCachingPolicy);
    assert.equal(second.runtime.restored.downloads, 1, "the unsettled download is asked again");
    assert.ok(await waitFor(() => second.fileCached().length === 1, 10_000), "cached after the restart");
    const fetched = second.runtime.fetchCached(device, second.firstCacheId());
    assert.ok(fetched.ok && bytesEqual(fetched.value.payload, late));
    second.crash();

    const third = runtimeOn(dataDir, defaultCachingPolicy);
    assert.equal(third.runtime.restored.downloads, 0, "settled: not asked a third time");
    third.crash();
  });
});
