import assert from "node:assert/strict";
import { test } from "node:test";
import {
  compareWithMirror,
  enrollDevices,
  quickTestWorkload,
  startPhones,
  startTestServer,
  tempDataDir,
  waitFor,
} from "./live-harness.ts";

const seed = 31;

test(`live: core adapter: an admin save of a running mirror keeps its volatile state at the batch it replayed; a restart from that save still equals the phone (seed=${seed})`, async () => {
  const data = tempDataDir("admin-save");
  let server = await startTestServer(data.dir);
  const keys = enrollDevices(data.dir, ["saver"]);
  const { phones, origin } = await startPhones({
    syncUrl: server.syncUrl,
    proxyUrl: server.proxyUrl!,
    keys,
    seed,
    ...quickTestWorkload,
  });
  const phone = phones[0]!;
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
    const ports = {
      port: Number(new URL(server.httpUrl).port),
      proxyPort: Number(new URL(server.proxyUrl!).port),
    };
    await server.close();
    server = await startTestServer(data.dir, ports);
    assert.ok(await phone.powerOff(15_000), "power-off acked by the restarted server");
    assert.ok(await waitFor(() => server.core.mirror("saver")?.state === "stopped", 15_000));
    assert.deepEqual(compareWithMirror(phone, server.core), [], `seed=${seed}`);
  } finally {
    await phone.close();
    await origin.close();
    await server.close();
    data.remove();
  }
});
