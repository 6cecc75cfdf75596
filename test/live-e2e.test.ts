import assert from "node:assert/strict";
import { cpSync } from "node:fs";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import WebSocket from "ws";
import { limits } from "../src/core/limits.ts";
import { AuthProofSchema, type Frame, FrameSchema, HelloSchema } from "../src/gen/mirrorcell/v1/sync_pb.ts";
import { deviceProof } from "../src/live/auth.ts";
import {
  compareWithMirror,
  enrollDevices,
  startPhones,
  startTestServer,
  tempDataDir,
  waitFor,
} from "../src/live/live-harness.ts";
import { PhoneStore } from "../src/live/phone-state.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import { decodeFrame, encodeFrame, PROTOCOL_VERSION } from "../src/sync/frame.ts";

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

test(`live: e2e: a phone powered off and restarted from its data dir continues; its mirror equals it (seed=${seed})`, async () => {
  const data = tempDataDir("restart");
  const phoneDir = tempDataDir("phone");
  const server = await startTestServer(data.dir);
  const keys = enrollDevices(data.dir, ["phone-r"]);
  const options = { syncUrl: server.syncUrl, proxyUrl: server.proxyUrl!, keys, ...fastWorkload };
  try {
    for (let boot = 1; boot <= 2; boot++) {
      const store = PhoneStore.open(phoneDir.dir, nodeSha256);
      assert.equal(store.load() === undefined, boot === 1, "state exists from the second boot on");
      const { phones, origin } = await startPhones({ ...options, stores: new Map([["phone-r", store]]) });
      const phone = phones[0]!;
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      assert.ok(await phone.powerOff(10_000));
      assert.ok(
        await waitFor(() => server.core.mirror("phone-r")?.appliedBatchNo === phone.core.batchesMade, 10_000),
      );
      assert.deepEqual(compareWithMirror(phone, server.core), [], `boot ${boot}, seed=${seed}`);
      assert.deepEqual(phone.errors, []);
      assert.equal(phone.core.clones, 0, "a phone with its data never re-clones");
      assert.ok(store.commits >= 2, "every batch was committed");
      await phone.close();
      await origin.close();
      store.close();
    }
  } finally {
    await server.close();
    data.remove();
    phoneDir.remove();
  }
});

test(`live: e2e: a phone restarted without its data joins its used mirror by re-cloning it; the mirror equals the phone (seed=${seed})`, async () => {
  const data = tempDataDir("reclone");
  const server = await startTestServer(data.dir);
  const keys = enrollDevices(data.dir, ["phone-n"]);
  const options = { syncUrl: server.syncUrl, proxyUrl: server.proxyUrl!, keys, ...fastWorkload };
  const logs: string[] = [];
  try {
    let firstLife = 0;
    for (let boot = 1; boot <= 2; boot++) {
      // No stores: every boot starts from the factory state (a phone without --data).
      const { phones, origin } = await startPhones({ ...options, onLog: (_id, line) => logs.push(line) });
      const phone = phones[0]!;
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      assert.ok(await phone.powerOff(10_000), `boot ${boot}: power-off acked`);
      assert.ok(
        await waitFor(() => server.core.mirror("phone-n")?.state === "stopped", 10_000),
        `boot ${boot}: mirror stopped`,
      );
      assert.deepEqual(compareWithMirror(phone, server.core), [], `boot ${boot}, seed=${seed}`);
      assert.deepEqual(phone.errors, [], `boot ${boot}`);
      assert.equal(phone.core.clones, boot === 1 ? 0 : 1, "only the phone that lost its state re-clones");
      if (boot === 1) firstLife = phone.core.batchesMade;
      else assert.ok(phone.core.batchesMade > firstLife, "the phone continued the mirror's batch numbering");
      await phone.close();
      await origin.close();
    }
    assert.ok(
      logs.some((line) => line.includes("re-cloning")) && logs.some((line) => line.includes("re-cloned")),
      `clear log lines: ${JSON.stringify(logs)}`,
    );
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    assert.match(metrics, /^mirrorcell_divergences_total 0$/m);
  } finally {
    await server.close();
    data.remove();
  }
});

test(`live: e2e: admin stop of a connected phone's mirror disconnects the phone with a clear reason; it retries later and the mirror restarts and equals it (seed=${seed})`, async () => {
  const data = tempDataDir("admin-stop");
  const server = await startTestServer(data.dir);
  const keys = enrollDevices(data.dir, ["phone-s"]);
  const logs: string[] = [];
  const { phones, origin } = await startPhones({
    syncUrl: server.syncUrl,
    proxyUrl: server.proxyUrl!,
    keys,
    ...fastWorkload,
    onLog: (_id, line) => logs.push(line),
  });
  const phone = phones[0]!;
  const admin = { authorization: `Bearer ${server.adminToken}` };
  try {
    assert.ok(await waitFor(() => server.core.mirror("phone-s")?.state === "running", 10_000));
    await new Promise((resolve) => setTimeout(resolve, 800));
    const stop = await fetch(`${server.httpUrl}/api/mirrors/phone-s/stop`, {
      method: "POST",
      headers: admin,
    });
    const stopped = (await stop.json()) as { state: string; connected: boolean; phoneDisconnected: boolean };
    assert.equal(stop.status, 200, JSON.stringify(stopped));
    assert.deepEqual([stopped.state, stopped.connected, stopped.phoneDisconnected], ["stopped", false, true]);
    assert.ok(await waitFor(() => !phone.connected, 2_000), "the phone saw the close");
    assert.ok(
      await waitFor(() => logs.some((line) => line.includes("mirror stopped by admin")), 2_000),
      `the phone logs the close reason: ${JSON.stringify(logs)}`,
    );
    const welcomes = phone.welcomes;
    assert.ok(await waitFor(() => phone.welcomes > welcomes, 10_000), "the phone retried and reconnected");
    assert.ok(
      await waitFor(() => server.core.mirror("phone-s")?.state === "running", 10_000),
      "its next batch restarted the mirror",
    );
    assert.ok(await phone.powerOff(10_000));
    assert.ok(await waitFor(() => server.core.mirror("phone-s")?.state === "stopped", 10_000));
    assert.deepEqual(compareWithMirror(phone, server.core), [], `seed=${seed}`);
    assert.deepEqual(phone.errors, []);
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    assert.match(metrics, /^mirrorcell_divergences_total 0$/m);
  } finally {
    await phone.close();
    await origin.close();
    await server.close();
    data.remove();
  }
});

/** A raw sync connection: Hello (with the given interval), proof, and the first frame that answers it. */
async function helloOnce(
  syncUrl: string,
  deviceId: string,
  key: Uint8Array,
  syncIntervalMs: bigint,
): Promise<{ frames: Frame[]; closeCode: number }> {
  const ws = new WebSocket(syncUrl);
  const frames: Frame[] = [];
  const send = (body: Frame["body"]) =>
    ws.send(encodeFrame(create(FrameSchema, { version: PROTOCOL_VERSION, body })));
  return new Promise((resolve, reject) => {
    ws.on("open", () =>
      send({ case: "hello", value: create(HelloSchema, { deviceId, model: "pixel", syncIntervalMs }) }),
    );
    ws.on("message", (data: Buffer) => {
      const frame = decodeFrame(new Uint8Array(data));
      if (!frame.ok) return reject(frame.error);
      frames.push(frame.value);
      const body = frame.value.body;
      if (body.case === "challenge")
        send({
          case: "authProof",
          value: create(AuthProofSchema, { mac: deviceProof(key, body.value.nonce, deviceId) }),
        });
      if (body.case === "welcome") ws.close();
    });
    ws.on("close", (code) => resolve({ frames, closeCode: code }));
    ws.on("error", reject);
  });
}

test("live: e2e: Hello carries the phone's t_syn_int: the server stores it per device and echoes it in the Welcome; one outside the bounds is refused", async () => {
  const data = tempDataDir("hello-interval");
  const server = await startTestServer(data.dir);
  const key = enrollDevices(data.dir, ["phone-i"]).get("phone-i")!;
  const stored = () =>
    (
      server.db
        .prepare("SELECT sync_interval_ms AS ms FROM mirror_devices WHERE device_id = ?")
        .get("phone-i") as { ms: number } | undefined
    )?.ms;
  try {
    for (const intervalMs of [400n, 90_000n]) {
      const { frames } = await helloOnce(server.syncUrl, "phone-i", key, intervalMs);
      const welcome = frames.find((f) => f.body.case === "welcome");
      assert.ok(welcome?.body.case === "welcome", JSON.stringify(frames.map((f) => f.body.case)));
      assert.equal(welcome.body.value.syncIntervalMs, intervalMs, "the Welcome echoes the phone's interval");
      assert.equal(stored(), Number(intervalMs), "the device record holds the phone's interval");
    }
    const tooShort = BigInt(limits.syncIntervalMsMin - 1);
    const refused = await helloOnce(server.syncUrl, "phone-i", key, tooShort);
    const error = refused.frames.find((f) => f.body.case === "error");
    assert.ok(error?.body.case === "error");
    assert.equal(error.body.value.code, "E_CONFIG_INVALID");
    assert.match(error.body.value.message, /Sync interval 99 ms outside 100\.\.3600000 ms/);
    assert.equal(refused.closeCode, 1008);
    assert.equal(stored(), 90_000, "a refused Hello changes nothing");
  } finally {
    await server.close();
    data.remove();
  }
});

test(`live: e2e: a phone restarted from an older copy of its data (its last batches lost) re-clones its mirror instead of failing on seq (seed=${seed})`, async () => {
  const data = tempDataDir("backup");
  const phoneDir = tempDataDir("phone-live");
  const backupDir = tempDataDir("phone-backup");
  const server = await startTestServer(data.dir);
  const keys = enrollDevices(data.dir, ["phone-b"]);
  const options = { syncUrl: server.syncUrl, proxyUrl: server.proxyUrl!, keys, ...fastWorkload };
  const run = async (dir: string) => {
    const store = PhoneStore.open(dir, nodeSha256);
    const { phones, origin } = await startPhones({ ...options, stores: new Map([["phone-b", store]]) });
    const phone = phones[0]!;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.ok(await phone.powerOff(10_000));
    assert.ok(await waitFor(() => server.core.mirror("phone-b")?.state === "stopped", 10_000));
    await phone.close();
    await origin.close();
    store.close();
    return phone;
  };
  try {
    await run(phoneDir.dir);
    cpSync(phoneDir.dir, backupDir.dir, { recursive: true });
    const second = await run(phoneDir.dir);
    assert.equal(second.core.clones, 0);
    const restored = await run(backupDir.dir);
    assert.equal(restored.core.clones, 1, "the older state re-cloned the mirror");
    assert.ok(restored.core.batchesMade > second.core.batchesMade, "and continued the mirror's numbering");
    assert.deepEqual(compareWithMirror(restored, server.core), [], `seed=${seed}`);
    assert.deepEqual(restored.errors, []);
  } finally {
    await server.close();
    data.remove();
    phoneDir.remove();
    backupDir.remove();
  }
});
