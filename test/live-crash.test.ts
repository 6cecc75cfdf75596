import assert from "node:assert/strict";
import { test } from "node:test";
import { toHex } from "../src/core/bytes.ts";
import { SeededRng } from "../src/core/rng.ts";
import type { MirrorView } from "../src/live/http-app.ts";
import {
  enrollDevices,
  startPhones,
  tempDataDir,
  testAdminToken,
  waitFor,
} from "../src/live/live-harness.ts";
import {
  adminGet,
  freePort,
  prepareServer,
  type ServerProcess,
  spawnServer,
} from "../src/live/server-process.ts";

const seed = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));
// Per durability mode; the issue asks for at least 20 kills in CI in all.
const kills = Number(process.env.LIVE_CRASH_KILLS ?? 10);

// kill -9 is a process crash: both modes must survive it. NORMAL leaves the
// WAL and blob files unsynced (the OS still has them); FULL fsyncs every
// commit and blob file, the path a power loss would need (and the default).
test(`live: crash: synchronous=NORMAL: kill -9 the server ${kills} times under load; no acked input lost or applied twice (seed=${seed})`, async () => {
  await crashUnderLoad("normal", seed);
});

test(`live: crash: synchronous=FULL: kill -9 the server ${kills} times under load; no acked input lost or applied twice (seed=${seed})`, async () => {
  await crashUnderLoad("full", seed);
});

async function crashUnderLoad(mode: "normal" | "full", seed: number): Promise<void> {
  console.log(
    `live crash test (${mode}): SEED=${seed} kills=${kills} (reproduce: SEED=${seed} node scripts/run-tests.js live-crash)`,
  );
  const rng = new SeededRng(seed);
  const data = tempDataDir(`crash-${mode}`);
  const ids = ["crash-1", "crash-2", "crash-3", "crash-4"];
  const keys = enrollDevices(data.dir, ids);
  const serverOptions = {
    dataDir: data.dir,
    port: await freePort(),
    proxyPort: await freePort(),
    adminToken: testAdminToken,
    syncNormal: mode === "normal",
  };
  let server: ServerProcess = await spawnServer(serverOptions);
  const { phones, origin } = await startPhones({
    syncUrl: server.syncUrl,
    proxyUrl: server.proxyUrl,
    keys,
    seed,
    model: "pixel",
    eventsPerSecond: 30,
    networkPerSecond: 2,
    syncIntervalMs: 200,
    sizeScale: 0.01,
    stepMs: 20,
  });
  try {
    const schedule: number[] = [];
    for (let i = 0; i < kills; i++) {
      const upMs = rng.int(100, 900);
      schedule.push(upMs);
      const standby = prepareServer(serverOptions);
      await new Promise((resolve) => setTimeout(resolve, upMs));
      const next = await standby;
      await server.kill9();
      const t0 = Date.now();
      server = await next.start();
      if (process.env.DEBUG_CRASH) console.log(`restart ${Date.now() - t0} ms`);
    }
    console.log(`kill schedule (ms up before each kill -9): ${schedule.join(",")}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const t1 = Date.now();
    const acked = await Promise.all(phones.map((phone) => phone.powerOff(30_000)));
    assert.deepEqual(
      acked,
      phones.map(() => true),
      `every power-off acked (seed=${seed})`,
    );
    if (process.env.DEBUG_CRASH) console.log(`power-off ${Date.now() - t1} ms`);
    const settled = await waitFor(
      async () => {
        const { mirrors } = await adminGet<{ mirrors: MirrorView[] }>(
          server.httpUrl,
          testAdminToken,
          "/api/mirrors",
        );
        return mirrors.length === ids.length && mirrors.every((m) => m.state === "stopped");
      },
      30_000,
      100,
    );
    if (process.env.DEBUG_CRASH) console.log(`power-off + settle ${Date.now() - t1} ms`);
    assert.ok(settled, `every mirror replayed its power-off batch (seed=${seed})`);
    for (const phone of phones) {
      const id = phone.core.deviceId;
      const view = await adminGet<MirrorView>(server.httpUrl, testAdminToken, `/api/mirrors/${id}`);
      assert.equal(
        view.appliedBatchNo,
        phone.core.batchesMade,
        `${id}: every batch applied once (seed=${seed})`,
      );
      assert.equal(
        view.digestHex,
        toHex(phone.core.digest()),
        `${id}: mirror digest = phone digest (seed=${seed})`,
      );
      const { files } = await adminGet<{ files: { path: string; sha256: string }[] }>(
        server.httpUrl,
        testAdminToken,
        `/api/mirrors/${id}/files`,
      );
      const phoneFiles = phone.core.files().map((f) => ({ path: f.path, sha256: toHex(f.sha256) }));
      assert.deepEqual(
        files.map((f) => ({ path: f.path, sha256: f.sha256 })),
        phoneFiles,
        `${id}: same files (seed=${seed})`,
      );
      assert.ok(phone.core.userInputs > 50, `${id}: ${phone.core.userInputs} inputs under load`);
    }
    assert.equal(await server.stop(), 0, "SIGTERM: clean shutdown, exit code 0");
  } finally {
    for (const phone of phones) await phone.close();
    await origin.close();
    await server.stop();
    data.remove();
  }
}
