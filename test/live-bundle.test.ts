import assert from "node:assert/strict";
import { test } from "node:test";
import { startTestServer } from "../src/live/live-harness.ts";
import { assertMirrorEqualsPhone, LiveRig, metricsOf, powerOffReplayed, runFor } from "./support/live-rig.ts";

const seed = Number(process.env.SEED ?? 43);

test(`live: bundles: phones back from a server outage send their backlog as frame bundles; every mirror equals its phone (seed=${seed})`, async () => {
  const rig = await LiveRig.start("bundle", ["bundle-a", "bundle-b"]);
  try {
    const { phones } = await rig.startPhones({
      seed,
      model: "pixel",
      eventsPerSecond: 40,
      syncIntervalMs: 100,
      sizeScale: 0.01,
      stepMs: 20,
    });
    await runFor(800);
    const ports = {
      port: Number(new URL(rig.server.httpUrl).port),
      proxyPort: Number(new URL(rig.server.proxyUrl!).port),
    };
    await rig.server.close();
    // The phones keep cutting batches while the server is away: a backlog for the reconnect.
    await runFor(1_500);
    rig.server = await startTestServer(rig.data.dir, ports);
    await runFor(1_500);
    const bundles = /^mirrorcell_frame_bundles_total (\d+)$/m.exec(await metricsOf(rig.server));
    assert.ok(bundles !== null && Number(bundles[1]) >= 1, `backlogs came as bundles: ${bundles?.[0]}`);
    for (const phone of phones) await powerOffReplayed(phone, rig.server.core);
    for (const phone of phones) assertMirrorEqualsPhone(phone, rig.server.core, `seed=${seed}`);
  } finally {
    await rig.close();
  }
});
