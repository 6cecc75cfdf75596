import assert from "node:assert/strict";
import { cpSync } from "node:fs";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import WebSocket from "ws";
import { limits } from "../src/core/limits.ts";
import { AuthProofSchema, type Frame, FrameSchema, HelloSchema } from "../src/gen/mirrorcell/v1/sync_pb.ts";
import { deviceProof } from "../src/live/auth.ts";
import { tempDataDir, waitFor } from "../src/live/live-harness.ts";
import { decodeFrame, encodeFrame, PROTOCOL_VERSION } from "../src/sync/frame.ts";
import {
  assertMirrorEqualsPhone,
  assertNoDivergence,
  LiveRig,
  powerOffReplayed,
  runFor,
} from "./support/live-rig.ts";

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
  const ids = ["phone-a", "phone-b", "phone-c"];
  const rig = await LiveRig.start("e2e", ids);
  try {
    const { phones } = await rig.startPhones(fastWorkload);
    await runFor(2_500);
    for (const phone of phones) await powerOffReplayed(phone, rig.server.core);
    for (const phone of phones) {
      assert.ok(phone.core.userInputs > 20, `${phone.core.deviceId} made ${phone.core.userInputs} inputs`);
      assertMirrorEqualsPhone(phone, rig.server.core, `seed=${seed}`);
    }
    assert.ok(
      phones.some((p) => p.networkFetches > 0),
      "network inputs went through the Traffic Monitor",
    );
    await assertNoDivergence(rig.server);
  } finally {
    await rig.close();
  }
});

test(`live: e2e: a phone powered off and restarted from its data dir continues; its mirror equals it (seed=${seed})`, async () => {
  const rig = await LiveRig.start("restart", ["phone-r"]);
  const phoneDir = tempDataDir("phone");
  try {
    for (let boot = 1; boot <= 2; boot++) {
      const { phone, store, fleet } = await rig.bootPhone("phone-r", fastWorkload, phoneDir.dir);
      assert.equal(fleet.restored[0], boot === 2, "state exists from the second boot on");
      await runFor(1_200);
      await powerOffReplayed(phone, rig.server.core);
      assertMirrorEqualsPhone(phone, rig.server.core, `boot ${boot}, seed=${seed}`);
      assert.equal(phone.core.clones, 0, "a phone with its data never re-clones");
      assert.ok(store!.commits >= 2, "every batch was committed");
      await fleet.close();
    }
  } finally {
    await rig.close();
    phoneDir.remove();
  }
});

test(`live: e2e: a phone restarted without its data joins its used mirror by re-cloning it; the mirror equals the phone (seed=${seed})`, async () => {
  const rig = await LiveRig.start("reclone", ["phone-n"]);
  const logs: string[] = [];
  try {
    let firstLife = 0;
    for (let boot = 1; boot <= 2; boot++) {
      // No phone data dir: every boot starts from the factory state (a phone without --data).
      const shape = { ...fastWorkload, onLog: (_id: string, line: string) => logs.push(line) };
      const { phone, fleet } = await rig.bootPhone("phone-n", shape);
      await runFor(1_200);
      await powerOffReplayed(phone, rig.server.core);
      assertMirrorEqualsPhone(phone, rig.server.core, `boot ${boot}, seed=${seed}`);
      assert.equal(phone.core.clones, boot === 1 ? 0 : 1, "only the phone that lost its state re-clones");
      if (boot === 1) firstLife = phone.core.batchesMade;
      else assert.ok(phone.core.batchesMade > firstLife, "the phone continued the mirror's batch numbering");
      await fleet.close();
    }
    assert.ok(
      logs.some((line) => line.includes("re-cloning")) && logs.some((line) => line.includes("re-cloned")),
      `clear log lines: ${JSON.stringify(logs)}`,
    );
    await assertNoDivergence(rig.server);
  } finally {
    await rig.close();
  }
});

test(`live: e2e: admin stop of a connected phone's mirror disconnects the phone with a clear reason; it retries later and the mirror restarts and equals it (seed=${seed})`, async () => {
  const rig = await LiveRig.start("admin-stop", ["phone-s"]);
  const { server } = rig;
  const logs: string[] = [];
  const admin = { authorization: `Bearer ${server.adminToken}` };
  try {
    const shape = { ...fastWorkload, onLog: (_id: string, line: string) => logs.push(line) };
    const { phone } = await rig.bootPhone("phone-s", shape);
    assert.ok(await waitFor(() => server.core.mirror("phone-s")?.state === "running", 10_000));
    await runFor(800);
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
    await powerOffReplayed(phone, server.core);
    assertMirrorEqualsPhone(phone, server.core, `seed=${seed}`);
    await assertNoDivergence(server);
  } finally {
    await rig.close();
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
  const rig = await LiveRig.start("hello-interval", ["phone-i"]);
  const { server } = rig;
  const key = rig.keyOf("phone-i");
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
    await rig.close();
  }
});

test(`live: e2e: a phone restarted from an older copy of its data (its last batches lost) re-clones its mirror instead of failing on seq (seed=${seed})`, async () => {
  const rig = await LiveRig.start("backup", ["phone-b"]);
  const phoneDir = tempDataDir("phone-live");
  const backupDir = tempDataDir("phone-backup");
  const run = async (dir: string) => {
    const { phone, fleet } = await rig.bootPhone("phone-b", fastWorkload, dir);
    await runFor(1_000);
    await powerOffReplayed(phone, rig.server.core);
    await fleet.close();
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
    assertMirrorEqualsPhone(restored, rig.server.core, `seed=${seed}`);
  } finally {
    await rig.close();
    phoneDir.remove();
    backupDir.remove();
  }
});
