// The caching service's state survives a server kill -9 (paper §5.1.1: a
// cached file is kept for the operator's retention time, which a crash must
// not cut short; issue 7). A phone asks for two downloads; the server caches
// them and sends the file-cached notices; the server is killed -9 between
// "cached" and "fetched" and restarted on the same data dir; the phone then
// fetches both files from the restarted server, the notices queued again at
// start are not fetched twice, and phone and mirror end equal.
import assert from "node:assert/strict";
import { test } from "node:test";
import { bytesEqual, toHex } from "../src/core/bytes.ts";
import { SeededRng } from "../src/core/rng.ts";
import { startTestWebServer } from "../src/live/caching/index.ts";
import type { MirrorView } from "../src/live/http-app.ts";
import { quickTestWorkload, testAdminToken, waitFor } from "../src/live/live-harness.ts";
import { adminGet, prepareServer } from "../src/live/server-process.ts";
import { phoneCaching } from "./support/live-caching-rig.ts";
import { ServedRig } from "./support/served-rig.ts";

const seed = Number(process.env.SEED ?? 23);

test(`caching live: kill -9 the server between "cached" and "fetched"; the restarted server hands both files over, phone == mirror (seed=${seed})`, async () => {
  const web = await startTestWebServer();
  const deviceId = "cache-crash-1";
  const rig = await ServedRig.start("cache-crash", [deviceId], {
    syncNormal: true,
    serveArgs: ["--services", "caching", "--recipient-url", `${web.baseUrl}/inbox`],
  });
  try {
    const { phones } = await rig.bootPhone(deviceId, { seed, ...quickTestWorkload });
    const phone = phones[0]!;
    const caching = phoneCaching(phone, { fetchCached: "never" });
    assert.ok(await waitFor(() => phone.connected, 20_000), "phone connected");
    const rng = new SeededRng(seed);
    const files = [rng.bytes(1024 * 1024), rng.bytes(300 * 1024)];
    for (const [i, bytes] of files.entries()) {
      const asked = await caching.requestDownload(web.publish(`file-${i}.bin`, bytes));
      assert.ok(asked.ok, `download ${i} accepted: ${JSON.stringify(asked)}`);
    }
    assert.ok(await waitFor(() => caching.waiting.size === 2, 20_000), "both file-cached notices arrived");
    const next = await prepareServer(rig.options);
    await rig.server.kill9();
    const welcomesBefore = phone.welcomes;
    rig.server = await next.start();
    const server = rig.server;
    assert.ok(await waitFor(() => phone.welcomes > welcomesBefore, 20_000), "phone reconnected");
    for (const cacheId of [...caching.waiting.keys()]) {
      const got = await caching.fetchCached(cacheId);
      assert.ok(
        got.ok,
        `fetched ${cacheId} from the restarted server: ${JSON.stringify(got.ok || got.error)}`,
      );
    }
    for (const [i, bytes] of files.entries()) {
      const onPhone = phone.core.readFile(`/sdcard/Download/file-${i}.bin`);
      assert.ok(onPhone.ok && bytesEqual(onPhone.value, bytes), `file ${i}: the web server's bytes`);
    }
    // The restarted server queued its journal's notices again: the phone knows their ids.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(caching.stats.noticesFileCached, 2, "no notice counted twice");
    assert.equal(caching.stats.cachedFetched, 2);
    assert.equal(web.requests(), 2, "nothing downloaded again");
    phone.stopWorkload();
    assert.ok(await phone.powerOff(30_000), "power-off acked");
    const settled = async () =>
      (await adminGet<MirrorView>(server.httpUrl, testAdminToken, `/api/mirrors/${deviceId}`)).state ===
      "stopped";
    assert.ok(await waitFor(settled, 30_000, 100), "mirror replayed the power-off batch");
    const view = await adminGet<MirrorView>(server.httpUrl, testAdminToken, `/api/mirrors/${deviceId}`);
    assert.equal(view.digestHex, toHex(phone.core.digest()), `mirror digest = phone digest (seed=${seed})`);
    assert.deepEqual(caching.errors, []);
  } finally {
    await rig.close();
    await web.close();
  }
});
