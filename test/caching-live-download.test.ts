// Bulk download through a live mirror server (paper §5.1.1, issue 7): the
// phone asks the server to download a URL from a loopback web server; the
// "file-cached" notice arrives in a sync message; the phone fetches the file
// from the server (a recorded network input), so phone and mirror both hold
// it and the phone's uplink carried none of it. An expired file is a clear
// E_CACHE_EXPIRED at the phone.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cachingPhoneRunOptions } from "../src/cli/commands/live-phone-options.ts";
import { bytesEqual, toHex } from "../src/core/bytes.ts";
import { SeededRng } from "../src/core/rng.ts";
import { type PhoneCachingOptions, startTestWebServer } from "../src/live/caching/index.ts";
import { compareWithMirror, quickTestWorkload, waitFor } from "../src/live/live-harness.ts";
import { runLoad, workloadProfiles } from "../src/live/load-run.ts";
import { type CachingPolicy, defaultCachingPolicy } from "../src/services/index.ts";
import { cachingOnServer, startCachingRig } from "./support/live-caching-rig.ts";
import { LiveRig } from "./support/live-rig.ts";

const seed = Number(process.env.SEED ?? 11);

/** A loopback web server to download from, and a caching server with `phone-<label>` connected. */
async function rig(label: string, policy: CachingPolicy, phoneOptions: Partial<PhoneCachingOptions>) {
  const web = await startTestWebServer();
  const deviceId = `phone-${label}`;
  const r = await startCachingRig({
    label,
    deviceId,
    shape: { seed, ...quickTestWorkload },
    server: { recipientUrlOf: () => undefined, policy },
    phone: phoneOptions,
  });
  const close = async () => {
    await r.close();
    await web.close();
  };
  return { ...r, web, deviceId, close };
}

/** The workload stops, the phone powers off (acked) and its mirror replays that, saves and stops. */
async function powerOffStopped(r: Awaited<ReturnType<typeof rig>>): Promise<void> {
  r.phone.stopWorkload();
  assert.ok(await r.phone.powerOff(10_000), "power-off acked");
  assert.ok(await waitFor(() => r.server.core.mirror(r.deviceId)?.state === "stopped", 10_000));
}

test(`caching live download: phone asks, server caches, notice, phone fetches; phone == mirror, bytes == web server's, uplink carried none (seed=${seed})`, async () => {
  const r = await rig("download", defaultCachingPolicy, {});
  try {
    assert.ok(await waitFor(() => r.phone.connected, 10_000), "phone connected");
    const movie = new SeededRng(seed).bytes(2 * 1024 * 1024);
    const url = r.web.publish("movie.bin", movie);
    const uplinkBefore = r.phone.uplinkBytes;
    const requested = await r.caching.requestDownload(url);
    assert.ok(requested.ok, `request accepted: ${JSON.stringify(requested)}`);
    assert.ok(await waitFor(() => r.caching.stats.cachedFetched === 1, 20_000), "fetched after the notice");
    const uplinkBytes = r.phone.uplinkBytes - uplinkBefore;
    const onPhone = r.phone.core.readFile("/sdcard/Download/movie.bin");
    assert.ok(onPhone.ok && bytesEqual(onPhone.value, movie), "the phone holds the web server's bytes");
    assert.equal(r.web.requests(), 1, "the server downloaded once");
    assert.equal(r.caching.stats.noticesFileCached, 1);
    assert.ok(
      uplinkBytes < movie.length / 100,
      `uplink ${uplinkBytes} B while a ${movie.length} B file came down`,
    );
    await powerOffStopped(r);
    const onMirror = r.server.core.readFile(r.deviceId, "/sdcard/Download/movie.bin");
    assert.ok(onMirror.ok && bytesEqual(onMirror.value, movie), "the mirror holds it too");
    assert.deepEqual(compareWithMirror(r.phone, r.server.core), [], `seed=${seed}`);
    assert.deepEqual(r.caching.errors, []);
  } finally {
    await r.close();
  }
});

test(`caching live download: policy later fetches the file a set time after the notice, not on it; phone == mirror (seed=${seed})`, async () => {
  const r = await rig("later", defaultCachingPolicy, { fetchCached: "later", fetchLaterMs: 1_500 });
  try {
    assert.ok(await waitFor(() => r.phone.connected, 10_000), "phone connected");
    const photo = new SeededRng(seed + 2).bytes(256 * 1024);
    assert.ok((await r.caching.requestDownload(r.web.publish("photo.bin", photo))).ok);
    assert.ok(await waitFor(() => r.caching.waiting.size === 1, 20_000), "file-cached notice");
    assert.equal(r.caching.stats.cachedFetched, 0, "policy later: the notice alone fetches nothing");
    assert.ok(await waitFor(() => r.caching.stats.cachedFetched === 1, 20_000), "fetched once its time came");
    assert.equal(r.caching.waiting.size, 0);
    const onPhone = r.phone.core.readFile("/sdcard/Download/photo.bin");
    assert.ok(onPhone.ok && bytesEqual(onPhone.value, photo), "the phone holds the web server's bytes");
    await powerOffStopped(r);
    assert.deepEqual(compareWithMirror(r.phone, r.server.core), [], `seed=${seed}`);
    assert.deepEqual(r.caching.errors, []);
  } finally {
    r.caching.close();
    await r.close();
  }
});

test(`caching live download: a cached file fetched after its retention is E_CACHE_EXPIRED at the phone; phone == mirror (seed=${seed})`, async () => {
  const policy = { ...defaultCachingPolicy, retentionMs: 300 };
  const r = await rig("expired", policy, { fetchCached: "never" });
  try {
    assert.ok(await waitFor(() => r.phone.connected, 10_000), "phone connected");
    const url = r.web.publish("song.bin", new SeededRng(seed + 1).bytes(64 * 1024));
    assert.ok((await r.caching.requestDownload(url)).ok);
    assert.ok(await waitFor(() => r.caching.waiting.size === 1, 20_000), "file-cached notice");
    assert.equal(r.caching.stats.cachedFetched, 0, "policy never: not fetched on the notice");
    const [cacheId] = [...r.caching.waiting.keys()];
    await new Promise((resolve) => setTimeout(resolve, 500));
    const late = await r.caching.fetchCached(cacheId!);
    assert.equal(late.ok ? "fetched" : late.error.code, "E_CACHE_EXPIRED");
    assert.match(late.ok ? "" : late.error.message, /expired at \d+ ms; ask for it again/);
    const remote = await r.caching.requestDownload("http://example.com/movie.mp4");
    assert.equal(remote.ok ? "accepted" : remote.error.code, "E_ROUTE_UNKNOWN", "loopback targets only");
    const unknown = await r.caching.fetchCached("c0-00000000-9");
    assert.equal(unknown.ok ? "fetched" : unknown.error.code, "E_CACHE_UNKNOWN");
    await powerOffStopped(r);
    assert.deepEqual(compareWithMirror(r.phone, r.server.core), [], `seed=${seed}`);
  } finally {
    await r.close();
  }
});

test(`caching live download: \`mirrorcell phone --download URL\` (runLoad with the caching options) fetches the file on the notice; phone == mirror (seed=${seed})`, async () => {
  const web = await startTestWebServer();
  const caching = cachingOnServer({ recipientUrlOf: () => undefined });
  const rig = await LiveRig.start("download-cli", ["phone-cli"], { services: caching.services });
  const { server, keys } = rig;
  try {
    const clip = new SeededRng(seed + 2).bytes(256 * 1024);
    const report = await runLoad({
      serverUrl: server.httpUrl,
      proxyUrl: server.proxyUrl!,
      keys,
      profile: workloadProfiles.light!,
      syncIntervalMs: 200,
      durationMs: 5_000,
      seed,
      model: "pixel",
      caching: cachingPhoneRunOptions({
        bulkUpload: true,
        bulkUploadThreshold: "512000",
        fetchCached: "on-notice",
        download: [web.publish("clip.bin", clip)],
      }),
    });
    assert.equal(report.poweredOffAcked, 1, JSON.stringify(report.errors));
    assert.equal(report.caching.downloadsRequested, 1);
    assert.equal(report.caching.cachedFetched, 1, JSON.stringify(report));
    assert.equal(report.caching.cachedFetchedBytes, clip.length);
    assert.ok(await waitFor(() => server.core.mirror("phone-cli")?.state === "stopped", 10_000));
    const onMirror = server.core.readFile("phone-cli", "/sdcard/Download/clip.bin");
    assert.ok(onMirror.ok && bytesEqual(onMirror.value, clip), "the mirror holds the file");
    assert.equal(toHex(server.core.digest("phone-cli")!), report.digests["phone-cli"], `seed=${seed}`);
  } finally {
    caching.close();
    await rig.close();
    await web.close();
  }
});
