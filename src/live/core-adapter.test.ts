import assert from "node:assert/strict";
import { test } from "node:test";
import { LiveRig, powerOffReplayed } from "../../test/support/live-rig.ts";
import { compareWithMirror, quickTestWorkload, waitFor } from "./live-harness.ts";

const seed = 31;

test(`live: core adapter: an admin save of a running mirror keeps its volatile state at the batch it replayed; a restart from that save still equals the phone (seed=${seed})`, async () => {
  const rig = await LiveRig.start("admin-save", ["saver"]);
  let { server } = rig;
  const { phone } = await rig.bootPhone("saver", { seed, ...quickTestWorkload });
  try {
    assert.ok(await waitFor(() => server.core.mirror("saver")?.state === "running", 10_000));
    assert.ok(await waitFor(() => (server.core.mirror("saver")?.appliedBatchNo ?? 0) >= 3, 10_000));
    const saved = server.db.transaction(() => server.core.control("saver", "save", Date.now()))();
    assert.ok(saved.ok, saved.ok ? "" : saved.error.message);
    const row = server.db.prepare("SELECT body FROM checkpoints WHERE device_id = ?").get("saver") as {
      body: string;
    };
    const checkpoint = JSON.parse(row.body) as { batchNo: number; volatileState?: string };
    assert.equal(checkpoint.batchNo, saved.value.appliedBatchNo, "saved at the batch the mirror replayed");
    assert.ok((checkpoint.volatileState ?? "").length > 0, "an admin save keeps the mirror's RAM state");
    // A server restarted from that save replays on from it; the mirror still equals the phone.
    server = await rig.restartServer();
    await powerOffReplayed(phone, server.core, 15_000);
    assert.deepEqual(compareWithMirror(phone, server.core), [], `seed=${seed}`);
  } finally {
    await rig.close();
  }
});
