import assert from "node:assert/strict";
import { test } from "node:test";
import {
  compareWithMirror,
  enrollDevices,
  startPhones,
  startTestServer,
  tempDataDir,
  waitFor,
} from "../src/live/live-harness.ts";
import type { LivePhoneCore } from "../src/live/phone-core-adapter.ts";
import { loadPhoneState, savePhoneState } from "../src/live/phone-state.ts";
import { nodeSha256 } from "../src/node/sha256.ts";

const seed = Number(process.env.SEED ?? 42);
// A fast, small workload: many batches in a couple of seconds.
const fastWorkload = {
  seed,
  model: "pixel",
  eventsPerSecond: 40,
  networkPerSecond: 3,
  syncIntervalMs: 200,
  sizeScale: 0.01,
  stepMs: 20,
};

test(`live: e2e: a server and three phones over loopback; every mirror equals its phone (seed=${seed})`, async () => {
  const data = tempDataDir("e2e");
  const server = await startTestServer(data.dir);
  const ids = ["phone-a", "phone-b", "phone-c"];
  const keys = enrollDevices(data.dir, ids);
  const { phones, origin } = await startPhones({
    syncUrl: server.syncUrl,
    proxyUrl: server.proxyUrl!,
    keys,
    ...fastWorkload,
  });
  try {
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    for (const phone of phones)
      assert.ok(await phone.powerOff(10_000), `${phone.core.deviceId}: power-off acked`);
    const stopped = await waitFor(
      () => ids.every((id) => server.core.mirror(id)?.state === "stopped"),
      10_000,
    );
    assert.ok(
      stopped,
      `mirrors saved and stopped: ${JSON.stringify(server.core.mirrors().map((m) => m.state))}`,
    );
    for (const phone of phones) {
      assert.ok(phone.core.userInputs > 20, `${phone.core.deviceId} made ${phone.core.userInputs} inputs`);
      assert.deepEqual(compareWithMirror(phone, server.core), [], `seed=${seed}`);
      assert.deepEqual(phone.errors, [], `${phone.core.deviceId} errors, seed=${seed}`);
    }
    assert.ok(
      phones.some((p) => p.networkFetches > 0),
      "network inputs went through the Traffic Monitor",
    );
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    assert.match(metrics, /^mirrorcell_divergences_total 0$/m);
  } finally {
    for (const phone of phones) await phone.close();
    await origin.close();
    await server.close();
    data.remove();
  }
});

test(`live: e2e: a phone powered off, saved and restarted continues; its mirror equals it (seed=${seed})`, async () => {
  const data = tempDataDir("restart");
  const phoneDir = tempDataDir("phone");
  const server = await startTestServer(data.dir);
  const keys = enrollDevices(data.dir, ["phone-r"]);
  const options = {
    syncUrl: server.syncUrl,
    proxyUrl: server.proxyUrl!,
    keys,
    ...fastWorkload,
  };
  try {
    for (let boot = 1; boot <= 2; boot++) {
      const state = loadPhoneState(phoneDir.dir, nodeSha256);
      assert.equal(state === undefined, boot === 1, "state exists from the second boot on");
      const { phones, origin } = await startPhones({
        ...options,
        saved: new Map(state ? [["phone-r", state]] : []),
      });
      const phone = phones[0]!;
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      assert.ok(await phone.powerOff(10_000));
      assert.ok(
        await waitFor(() => server.core.mirror("phone-r")?.appliedBatchNo === phone.core.batchesMade, 10_000),
      );
      assert.deepEqual(compareWithMirror(phone, server.core), [], `boot ${boot}, seed=${seed}`);
      assert.deepEqual(phone.errors, []);
      const saved = (phone.core as LivePhoneCore).exportState();
      savePhoneState(phoneDir.dir, nodeSha256, saved, saved.blobOf);
      await phone.close();
      await origin.close();
    }
  } finally {
    await server.close();
    data.remove();
    phoneDir.remove();
  }
});
