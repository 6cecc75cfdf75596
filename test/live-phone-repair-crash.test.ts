// Issue 5 gap: a phone's repair snapshots live in memory only. A phone that
// dies (kill -9) after sending a batch and before answering the server's
// repair request for it cannot answer that request after its restart. This
// test proves the server's fallback converges anyway: the restarted phone
// answers the old request with "no snapshot" (refused), and the restart
// marker it records first guarantees a new batch, whose own digest check
// diverges and is repaired from the new life's snapshot, even for a phone
// whose user does nothing after the restart. The "kill" is in-process and
// exact: the phone stops at the moment the request arrives, with what its
// durable store committed (SQLite, synchronous=FULL) and nothing else.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ok } from "../src/core/errors.ts";
import { compareWithMirror, quickTestWorkload, tempDataDir, waitFor } from "../src/live/live-harness.ts";
import type { PhoneCore } from "../src/live/phone-core.ts";
import type { Platform } from "../src/platform/index.ts";
import { decodeFrame } from "../src/sync/frame.ts";
import { assertMirrorEqualsPhone, LiveRig, metricsOf, powerOffReplayed } from "./support/live-rig.ts";

const seed = Number(process.env.SEED ?? 23);
const deviceId = "phone-rc";

/** Repair requests the phone gets (batch numbers); `swallow` drops them unanswered (the phone is dying). */
function watchRepairs(core: PhoneCore, swallow: boolean): number[] {
  const asked: number[] = [];
  const receive = core.receive.bind(core);
  core.receive = (bytes, nowMs) => {
    const frame = decodeFrame(bytes);
    if (frame.ok && frame.value.body.case === "repairRequest") {
      asked.push(Number(frame.value.body.value.afterSeq));
      if (swallow) return ok([]);
    }
    return receive(bytes, nowMs);
  };
  return asked;
}

test(`live: phone crash before a repair: the phone dies between a diverged batch and the server's repair request; after its restart (idle user) the mirror still converges to it (seed=${seed})`, async () => {
  const rig = await LiveRig.start("repair-crash", [deviceId]);
  const { server } = rig;
  const phoneDir = tempDataDir("repair-crash-phone");
  const boot = () => rig.bootPhone(deviceId, { seed, ...quickTestWorkload }, phoneDir.dir);
  try {
    const first = await boot();
    assert.ok(await waitFor(() => first.phone.core.batchesMade >= 3, 30_000), "some history first");
    const dying = watchRepairs(first.phone.core, true);
    // A fault no input made (bit rot, a platform difference): the phone's next
    // batch carries a digest its mirror cannot reach by replay.
    const platform = (first.phone.core as unknown as { platform: Platform }).platform;
    assert.ok(platform.storage.writeFile("/data/fault/rot.bin", new Uint8Array([1, 2, 3])).ok);
    assert.ok(await waitFor(() => dying.length > 0, 30_000), "the server asked for a repair");
    const divergedBatch = dying[0]!;
    // kill -9 now: nothing more is sent, answered or saved.
    await first.fleet.close();
    assert.equal(server.core.mirror(deviceId)?.divergences, 1);

    const second = await boot();
    second.phone.stopWorkload(); // an idle user: only the restart marker makes a batch
    const asked = watchRepairs(second.phone.core, false);
    const converged = await waitFor(
      () => compareWithMirror(second.phone, server.core).length === 0,
      60_000,
      200,
    );
    assert.ok(
      converged,
      `mirror == phone after the restart: ${compareWithMirror(second.phone, server.core)}, asked ${asked}, seed=${seed}`,
    );
    assert.ok(
      asked.some((batchNo) => batchNo > divergedBatch),
      `a later batch's repair did it (asked ${asked}, first diverged at ${divergedBatch})`,
    );
    await powerOffReplayed(second.phone, server.core, 20_000);
    assertMirrorEqualsPhone(second.phone, server.core, `after power-off, seed=${seed}`);
    const metrics = await metricsOf(server);
    assert.match(metrics, /^mirrorcell_repairs_total [1-9]\d*$/m, "a repair from the phone fixed the mirror");
  } finally {
    await rig.close();
    phoneDir.remove();
  }
});
