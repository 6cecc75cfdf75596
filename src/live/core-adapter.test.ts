import assert from "node:assert/strict";
import { test } from "node:test";
import { LiveRig, powerOffReplayed } from "../../test/support/live-rig.ts";
import { Storage, type StorageSnapshot } from "../platform/index.ts";
import { compareWithMirror, quickTestWorkload, waitFor } from "./live-harness.ts";
import type { ServiceHooks } from "./live-server.ts";

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

/** The running mirror's storage tree, as the platform holds it (the services' view is that storage). */
function mirrorTree(hooks: ServiceHooks, deviceId: string): StorageSnapshot {
  const view = hooks.view(deviceId);
  assert.ok(view instanceof Storage, `${deviceId}: a running mirror's view is its platform storage`);
  return view.snapshot();
}

test("live: core adapter: two devices enrolled with the same key bytes get one level key object and share the template rebuilt under it, another key gets its own; a second load of a mirror (from its saved manifest) gets the same level key object", async () => {
  let hooks: ServiceHooks | undefined;
  const rig = await LiveRig.start("level-keys", ["twin-a", "twin-b", "lone"], {
    services: (h) => {
      hooks = h;
    },
  });
  const { core, db } = rig.server;
  try {
    db.prepare("UPDATE devices SET key = ? WHERE device_id = ?").run(rig.keyOf("twin-a"), "twin-b");
    for (const id of ["twin-a", "twin-b", "lone"]) {
      assert.ok(
        core.connect(id, "pixel", Date.now()).ok,
        `${id}: registered, its mirror built from the template`,
      );
      core.disconnect(id);
    }
    const [a, b, lone] = ["twin-a", "twin-b", "lone"].map((id) => mirrorTree(hooks!, id)) as [
      StorageSnapshot,
      StorageSnapshot,
      StorageSnapshot,
    ];
    assert.equal(b.levels, a.levels, "same key bytes: the same level key object");
    assert.equal(b.root, a.root, "and the same rebuilt template tree, not a rebuild per mirror");
    assert.notEqual(lone.levels, a.levels, "another device key: another level key");
    assert.notEqual(lone.root, a.root, "its own rebuilt template");
    assert.deepEqual(core.digest("twin-a"), core.digest("twin-b"), "the twins' mirrors are the same tree");
    assert.notDeepEqual(core.digest("lone"), core.digest("twin-a"), "directory shapes follow the key");

    // A second load of twin-a: stopped (saved), then started again from that checkpoint.
    assert.ok(core.control("twin-a", "stop", Date.now()).ok);
    assert.equal(core.mirror("twin-a")?.state, "stopped", "unloaded");
    assert.ok(core.control("twin-a", "start", Date.now()).ok);
    const again = mirrorTree(hooks!, "twin-a");
    assert.ok(again !== a && again.levels === a.levels, "the second load gets the same level key object");
    // Its tree is built from the saved manifest (not the template): same shape, so the same digest.
    assert.deepEqual(core.digest("twin-a"), core.digest("twin-b"));
  } finally {
    await rig.close();
  }
});
