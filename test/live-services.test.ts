// Bulk upload through a live mirror server (paper §5.1.2, issue 7): a phone
// shares its largest file; its uplink carries only the small upload input and
// the server's mirror, replaying it, sends the file to each recipient as if
// from the phone. With the service off, or below the threshold, the phone
// really uploads the file to the recipient itself and the server sends nothing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { bytesEqual, toHex } from "../src/core/bytes.ts";
import { compareWithMirror, waitFor } from "../src/live/live-harness.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import { defaultCachingSettings } from "../src/services/index.ts";
import { startLiveCachingRig } from "./support/live-caching-rig.ts";

const seed = Number(process.env.SEED ?? 7);
const recipients = ["+18145550101", "+18145550102", "+18145550103"];
const sizeBytesMin = 500 * 1024;

test(`live services: a >= 500 KB share to 3 recipients is sent by the server, not the phone's uplink; service off or under the threshold the phone uploads itself (seed=${seed})`, async () => {
  const rig = await startLiveCachingRig("services", "phone-s", {
    seed,
    model: "pixel",
    eventsPerSecond: 100,
    syncIntervalMs: 200,
    sizeScale: 1,
    stepMs: 20,
  });
  const { recipient, runtimes, server, phone, caching } = rig;
  try {
    assert.equal(runtimes.length, 1, "services attached once to the built core");
    const big = () => phone.core.files().some((f) => f.size >= sizeBytesMin);
    assert.ok(await waitFor(big, 20_000), `seed=${seed}: the phone made a file >= 500 KB`);
    // The photo itself rode the uplink when it was taken (nondet): let that batch be acked first.
    phone.stopWorkload();
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok(await waitFor(() => phone.core.allAcked, 10_000), "earlier batches acked");
    const uplinkBefore = phone.uplinkBytes;
    const plan = await caching.shareLargest(recipients);
    assert.ok(plan.ok && plan.value !== undefined, `share applied: ${JSON.stringify(plan)}`);
    assert.equal(plan.value.decision, "via-mirror");
    const largest = [...phone.core.files()].sort((a, b) => b.size - a.size)[0]!;
    const file = phone.core.readFile(largest.path);
    assert.ok(file.ok && file.value.length >= sizeBytesMin);
    const delivered = () => recipients.every((r) => recipient.inbox(r).length === 1);
    assert.ok(await waitFor(delivered, 20_000), "each recipient got one copy");
    for (const r of recipients) {
      const [got] = recipient.inbox(r);
      assert.ok(got !== undefined && bytesEqual(got.payload, file.value), `${r}: identical bytes`);
      assert.equal(got.from, "phone-s", `${r}: the phone is the sender`);
      assert.equal(got.sha256Hex, toHex(nodeSha256(file.value)));
    }
    const uplinkShareBytes = phone.uplinkBytes - uplinkBefore;
    assert.ok(
      uplinkShareBytes < file.value.length / 10,
      `the share cost ${uplinkShareBytes} uplink bytes for a ${file.value.length}-byte file`,
    );
    assert.equal(caching.stats.directUploadBytes, 0, "no direct sends");
    const serverSends = runtimes[0]!.host.outboxStats().messages;
    // The user turns the service off: the same file goes up the phone's own radio.
    caching.settings = { ...defaultCachingSettings, enabled: false };
    const off = await caching.shareLargest(["+18145550104"]);
    assert.ok(off.ok && off.value?.decision === "direct", `service off: ${JSON.stringify(off)}`);
    const [direct] = recipient.inbox("+18145550104");
    assert.ok(
      direct !== undefined && bytesEqual(direct.payload, file.value),
      "service off: the phone's bytes",
    );
    assert.equal(direct.from, "phone-s", "service off: sent by the phone");
    // Service on, a file under the threshold: also direct.
    caching.settings = { ...defaultCachingSettings };
    const small = [...phone.core.files()].find((f) => f.size > 0 && f.size < sizeBytesMin)!;
    const under = await caching.share(small.path, ["+18145550105"]);
    assert.ok(under.ok && under.value.decision === "direct", `under the threshold: ${JSON.stringify(under)}`);
    assert.equal(recipient.inbox("+18145550105")[0]?.payload.length, small.size);
    assert.equal(caching.stats.directUploadBytes, file.value.length + small.size);
    assert.equal(caching.stats.uploadsDirect, 2);
    // Each share (fake or direct) files an upload request in the cache app: the mirror has them all once it replayed.
    const requests = (files: readonly { path: string }[]) =>
      files.filter((f) => f.path.startsWith("/data/cache/uploads/")).length;
    const replayed = () => {
      const mirrorFiles = server.core.files("phone-s");
      return mirrorFiles.ok && requests(mirrorFiles.value) === 3 && requests(phone.core.files()) === 3;
    };
    assert.ok(await waitFor(replayed, 10_000), "the mirror replayed both direct shares");
    assert.equal(runtimes[0]!.host.outboxStats().messages, serverSends, "the server sent no direct share");
    assert.ok(await phone.powerOff(10_000), "power-off acked");
    assert.ok(await waitFor(() => server.core.mirror("phone-s")?.state === "stopped", 10_000));
    assert.deepEqual(compareWithMirror(phone, server.core), [], `seed=${seed}`);
    assert.deepEqual(phone.errors, []);
  } finally {
    await rig.close();
  }
});
