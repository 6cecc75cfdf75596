// The simulator's durability model follows the live server: a batch is
// replayed only once its group commit made it durable (live replays inside
// the commit's transaction), so nothing a replay causes can outrun the batch.
import assert from "node:assert/strict";
import { test } from "node:test";
import { nodeSha256 } from "../node/sha256.ts";
import { CorePhone } from "./core-phone.ts";
import { CoreServer } from "./core-server.ts";
import { defaultOptions, faultKinds } from "./options.ts";
import { runSimulation } from "./simulation.ts";
import type { SimStackFactory } from "./stack.ts";

/** The core stack, with each replayed batch checked against the store's durable head. */
function durabilityProbe(counts: { replayed: number; beforeDurable: number }): SimStackFactory {
  let server: CoreServer | undefined;
  return {
    createServer(observer, options) {
      const probe: typeof observer = {
        ...observer,
        batchDone(deviceId, batchNo, digest, nowMs) {
          counts.replayed++;
          if (batchNo > server!.store.durableBatchNo(deviceId)) counts.beforeDurable++;
          observer.batchDone(deviceId, batchNo, digest, nowMs);
        },
      };
      server = new CoreServer(probe, options, nodeSha256);
      return server;
    },
    createPhone(index, options) {
      const deviceId = `phone-${index}`;
      const phone = new CorePhone(deviceId, "mc-phone-a", options, nodeSha256);
      server!.register(deviceId, "mc-phone-a", phone.levelKey);
      return phone;
    },
  };
}

for (const faults of [[], [...faultKinds]]) {
  const seed = 7;
  test(`sim: no batch is replayed before its group commit (faults=${faults.join(",") || "none"}, seed=${seed})`, () => {
    const counts = { replayed: 0, beforeDurable: 0 };
    const options = { ...defaultOptions, seed, phones: 10, hours: 0.1, syncIntervalMs: 10_000, faults };
    const report = runSimulation(options, { stack: durabilityProbe(counts) });
    assert.equal(report.invariantViolations, 0, `reproduce: ${report.reproduce}`);
    assert.ok(counts.replayed > 100, `replayed ${counts.replayed} batches`);
    assert.equal(
      counts.beforeDurable,
      0,
      `seed=${seed}: ${counts.beforeDurable} of ${counts.replayed} replays ran ahead of their commit`,
    );
  });
}
