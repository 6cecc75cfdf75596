import assert from "node:assert/strict";
import { test } from "node:test";
import { fail, ok } from "../core/errors.ts";
import { type AppDeps, adminStopReason, buildApp, type MirrorView } from "./http-app.ts";
import { LagHistogram } from "./metrics.ts";

const token = "test-admin-token-0123456789";
const view: MirrorView = {
  deviceId: "phone-1",
  state: "running",
  connected: true,
  ackedBatchNo: 10,
  appliedBatchNo: 9,
  networkInputs: 2,
  meanLagMs: 120,
  lastDigestMatch: true,
  divergences: 0,
  digestHex: "ab",
};

function deps(): AppDeps {
  const lag = new LagHistogram();
  lag.observe(120);
  return {
    adminToken: token,
    listMirrors: () => [view],
    mirror: (id) => (id === "phone-1" ? view : undefined),
    files: (id) =>
      id === "phone-1"
        ? ok([{ path: "/a.txt", size: 3, sha256: new Uint8Array(32) }])
        : fail("E_MIRROR_UNKNOWN", "no"),
    readFile: (_id, path) =>
      path === "/a.txt" ? ok(new TextEncoder().encode("abc")) : fail("E_PATH_NOT_FOUND", path),
    control: (id, action) => (action === "stop" ? ok({ ...view, deviceId: id, state: "stopped" }) : ok(view)),
    metrics: () => ({
      eventsReplayedTotal: 5,
      batchesIngestedTotal: 1,
      framesRejectedTotal: 0,
      authFailuresTotal: 0,
      divergencesTotal: 0,
      repairsTotal: 0,
      networkInputsTotal: 2,
      phonesConnected: 1,
      mirrorsTotal: 1,
      mirrorsRunning: 1,
      lag,
    }),
    health: () => ({ ok: true, mirrors: 1, phonesConnected: 1, uptimeMs: 5 }),
  };
}

test("live: http: the admin API needs the token; health and metrics do not", async () => {
  const app = buildApp(deps());
  assert.equal((await app.inject({ url: "/api/mirrors" })).statusCode, 401);
  assert.equal(
    (await app.inject({ url: "/api/mirrors", headers: { authorization: "Bearer nope" } })).statusCode,
    401,
  );
  const health = await app.inject({ url: "/health" });
  assert.equal(health.statusCode, 200);
  const metrics = await app.inject({ url: "/metrics" });
  assert.match(metrics.body, /^mirrorcell_events_replayed_total 5$/m);
  assert.match(metrics.body, /^mirrorcell_replay_lag_seconds_bucket\{le="0.25"\} 1$/m);
  assert.match(metrics.body, /^mirrorcell_phones_connected 1$/m);
  await app.close();
});

test("live: http: mirrors list, file tree, download, unknown mirror 404, stop", async () => {
  const app = buildApp(deps());
  const headers = { authorization: `Bearer ${token}` };
  const list = await app.inject({ url: "/api/mirrors", headers });
  assert.equal(list.json().mirrors[0].deviceId, "phone-1");
  const files = await app.inject({ url: "/api/mirrors/phone-1/files", headers });
  assert.equal(files.json().files[0].path, "/a.txt");
  const file = await app.inject({ url: "/api/mirrors/phone-1/file/a.txt", headers });
  assert.equal(file.body, "abc");
  const missing = await app.inject({ url: "/api/mirrors/phone-1/file/b.txt", headers });
  assert.equal(missing.statusCode, 404);
  assert.equal((await app.inject({ url: "/api/mirrors/ghost", headers })).statusCode, 404);
  const stop = await app.inject({ method: "POST", url: "/api/mirrors/phone-1/stop", headers });
  assert.equal(stop.json().state, "stopped");
  await app.close();
});

test("live: http: admin stop of a mirror whose phone is connected disconnects the phone first, then saves and stops the mirror", async () => {
  const calls: string[] = [];
  let connected = true;
  const app = buildApp({
    ...deps(),
    disconnectPhone: (id, reason) => {
      calls.push(`disconnect ${id}: ${reason}`);
      const was = connected;
      connected = false;
      return was;
    },
    // Like the live core: stopping refuses while the phone is still connected.
    control: (id, action) => {
      calls.push(`${action} ${id}`);
      if (action === "stop" && connected) return fail("E_MIRROR_FROZEN", "phone connected");
      return ok({ ...view, deviceId: id, state: action === "stop" ? "stopped" : "running", connected });
    },
  });
  const headers = { authorization: `Bearer ${token}` };
  const stop = await app.inject({ method: "POST", url: "/api/mirrors/phone-1/stop", headers });
  assert.equal(stop.statusCode, 200, stop.body);
  assert.equal(stop.json().state, "stopped");
  assert.equal(stop.json().connected, false);
  assert.equal(stop.json().phoneDisconnected, true);
  assert.deepEqual(calls, [`disconnect phone-1: ${adminStopReason}`, "stop phone-1"]);
  const again = await app.inject({ method: "POST", url: "/api/mirrors/phone-1/stop", headers });
  assert.equal(again.json().phoneDisconnected, false, "an idle mirror stops without a disconnect");
  const ghost = await app.inject({ method: "POST", url: "/api/mirrors/ghost/stop", headers });
  assert.equal(calls.filter((c) => c.includes("ghost")).length, 1, "an unknown mirror disconnects nothing");
  assert.notEqual(ghost.statusCode, 500);
  const save = await app.inject({ method: "POST", url: "/api/mirrors/phone-1/save", headers });
  assert.equal(save.json().phoneDisconnected, undefined, "save never disconnects");
  await app.close();
});
