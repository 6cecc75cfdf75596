// Issue 5 gap 5 (caching, paper §5.1.1): a phone's file-cached notices live
// in its phone.db, not only in memory. A notice the phone acked but had not
// fetched yet survives a kill -9 of the phone (it is fetched after the
// restart), and a file it fetched is not fetched again when the notice comes
// once more, also in a later life.
import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { bytesEqual } from "../src/core/bytes.ts";
import { SeededRng } from "../src/core/rng.ts";
import { FileCachedSchema, NoticeSchema } from "../src/gen/mirrorcell/v1/sync_pb.ts";
import { type FetchCachedPolicy, recipientUrlsUnder, startTestWebServer } from "../src/live/caching/index.ts";
import { compareWithMirror, quickTestWorkload, tempDataDir, waitFor } from "../src/live/live-harness.ts";
import { cachingOnServer, phoneCaching } from "./support/live-caching-rig.ts";
import { LiveRig, powerOffReplayed } from "./support/live-rig.ts";

const seed = Number(process.env.SEED ?? 31);
const deviceId = "cache-durable-1";

test(`caching phone: a file-cached notice acked but not fetched survives a kill -9 of the phone and is fetched after the restart; a fetched file is never fetched twice, also in a later life (seed=${seed})`, async () => {
  const web = await startTestWebServer();
  const onServer = cachingOnServer({ recipientUrlOf: recipientUrlsUnder(`${web.baseUrl}/inbox`) });
  const rig = await LiveRig.start("cache-phone-durable", [deviceId], { services: onServer.services });
  const phoneDir = tempDataDir("cache-phone-durable-phone");
  const server = rig.server;
  /** One life of the phone from its data dir; its notices are journalled in its phone.db. */
  const boot = async (fetchCached: FetchCachedPolicy) => {
    const { phone, store, fleet } = await rig.bootPhone(
      deviceId,
      { seed, ...quickTestWorkload },
      phoneDir.dir,
    );
    const caching = phoneCaching(phone, { fetchCached, journal: store });
    assert.ok(await waitFor(() => phone.connected, 10_000), "phone connected");
    return { phone, caching, close: fleet.close };
  };
  const bytes = new SeededRng(seed).bytes(200 * 1024);
  const path = "/sdcard/Download/kept.bin";
  try {
    // Life 1: the user fetches cached files only when asked; the phone dies with the notice waiting.
    const first = await boot("never");
    assert.ok((await first.caching.requestDownload(web.publish("kept.bin", bytes))).ok);
    assert.ok(await waitFor(() => first.caching.waiting.size === 1, 15_000), "the notice arrived");
    const [cacheId] = [...first.caching.waiting.keys()];
    await first.close(); // kill -9: no power-off, nothing more saved

    // Life 2: the kept notice is handled at start (now fetch on notice), without the server sending it again.
    const second = await boot("on-notice");
    assert.equal(second.caching.stats.noticesRestored, 1, "the waiting notice came back from phone.db");
    assert.ok(await waitFor(() => second.caching.stats.cachedFetched === 1, 15_000), "fetched after restart");
    const onPhone = second.phone.core.readFile(path);
    assert.ok(onPhone.ok && bytesEqual(onPhone.value, bytes), "the phone holds the file");
    const again = create(NoticeSchema, {
      noticeId: 1n,
      kind: { case: "fileCached", value: create(FileCachedSchema, { cacheId, url: "x", size: 1n }) },
    });
    second.phone.onNotices?.([again]);
    assert.equal(second.caching.waiting.size, 0, "a fetched file's notice again: not waiting");
    await powerOffReplayed(second.phone, server.core, 20_000);
    assert.deepEqual(compareWithMirror(second.phone, server.core), [], `seed=${seed}`);
    await second.close();

    // Life 3: the fetched id is still known; the same notice does not fetch the file a second time.
    const third = await boot("on-notice");
    assert.equal(third.caching.stats.noticesRestored, 0);
    third.phone.onNotices?.([again]);
    assert.equal(third.caching.waiting.size, 0);
    assert.equal(third.caching.stats.noticesFileCached, 0, "the notice is known as fetched");
    await third.caching.idle();
    assert.equal(third.caching.stats.cachedFetched, 0, "no second fetch");
    await powerOffReplayed(third.phone, server.core, 20_000);
    assert.deepEqual(compareWithMirror(third.phone, server.core), [], `seed=${seed}`);
    assert.deepEqual([second.phone.errors, third.phone.errors], [[], []]);
  } finally {
    onServer.close();
    await rig.close();
    await web.close();
    phoneDir.remove();
  }
});
