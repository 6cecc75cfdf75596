// Issue 5, "phone state survives kill -9": a real `mirrorcell phone` process
// with --data is killed with SIGKILL at random moments under load and
// restarted with the same data dir; at the end its digest equals its
// mirror's, with no divergence on the way (an input lost or applied twice
// would show as one) and no re-clone (the phone never lost its state).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { test } from "node:test";
import { SeededRng } from "../src/core/rng.ts";
import { tempDataDir, waitFor } from "../src/live/live-harness.ts";
import { PhoneStore } from "../src/live/phone-state.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import { assertNoDivergence, LiveRig } from "./support/live-rig.ts";

const seed = Number(process.env.SEED ?? 7);
const kills = Number(process.env.MC_PHONE_KILLS ?? 5);

interface PhoneProcess {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

function startPhoneProcess(args: string[]): PhoneProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "phone", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout!.on("data", (d: Buffer) => stdout.push(d.toString()));
  child.stderr!.on("data", (d: Buffer) => stderr.push(d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, stdout, stderr, exited };
}

/**
 * The phone has booted (it printed where it started from, so its SIGINT
 * handler is in place) and the server sees it connected. The server's
 * "connected" alone can still be the killed predecessor's socket on a loaded
 * machine, and a SIGINT before the handler kills the phone outright.
 */
async function waitForRunning(phone: PhoneProcess, connected: () => boolean): Promise<boolean> {
  const booted = () => /restored from|first boot/.test(phone.stderr.join(""));
  return waitFor(() => booted() && connected(), 60_000);
}

test(`live: phone crash: kill -9 the phone ${kills} times under load, restart with the same --data: phone digest == mirror digest, nothing lost or applied twice (seed=${seed})`, async () => {
  const deviceId = "phone-k";
  const rig = await LiveRig.start("phone-kill-server", [deviceId]);
  const { server } = rig;
  const key = rig.keyOf(deviceId);
  const phoneDir = tempDataDir("phone-kill-phone");
  const rng = new SeededRng(seed);
  const args = [
    ...["--server", server.httpUrl, "--proxy", server.proxyUrl!, "--device", deviceId],
    ...["--key", Buffer.from(key).toString("hex"), "--data", phoneDir.dir],
    ...[
      "--workload",
      "busy",
      "--sync-interval",
      "0.2",
      "--duration",
      "600",
      "--seed",
      String(seed),
      "--json",
    ],
  ];
  const batchesAtKill: number[] = [];
  try {
    for (let k = 0; k < kills; k++) {
      const phone = startPhoneProcess(args);
      // Let it boot, connect and send some batches, then kill it at a random moment.
      const connected = await waitForRunning(phone, () => server.core.mirror(deviceId)?.connected === true);
      assert.ok(connected, `kill ${k}: phone connected; stderr: ${phone.stderr.join("")}`);
      await new Promise((resolve) => setTimeout(resolve, 300 + rng.int(0, 1_500)));
      phone.child.kill("SIGKILL");
      assert.equal(await phone.exited, null, "killed, not exited");
      batchesAtKill.push(server.core.mirror(deviceId)?.ackedBatchNo ?? 0);
    }
    const last = startPhoneProcess(args);
    // Its restart-marker batch acked: this phone, not a killed one, is the connected one.
    const ackedBefore = batchesAtKill.at(-1) ?? 0;
    assert.ok(
      await waitForRunning(last, () => (server.core.mirror(deviceId)?.ackedBatchNo ?? 0) > ackedBefore),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    last.child.kill("SIGINT");
    const code = await last.exited;
    const stderr = last.stderr.join("");
    assert.equal(code, 0, `power-off acked; stderr: ${stderr}`);
    assert.match(stderr, /restored from .*: batch \d+/, "the phone restarted from its committed state");
    const report = JSON.parse(last.stdout.join("")) as {
      digests: Record<string, string>;
      errors: string[];
      reClones: number;
    };
    assert.ok(
      await waitFor(() => server.core.mirror(deviceId)?.state === "stopped", 30_000),
      "mirror stopped",
    );
    const mirror = server.core.mirror(deviceId)!;
    assert.equal(mirror.digestHex, report.digests[deviceId], `phone digest == mirror digest, seed=${seed}`);
    assert.equal(mirror.divergences, 0, "no input lost or applied twice (each would diverge)");
    assert.ok(
      batchesAtKill.every((b, i) => i === 0 || b >= batchesAtKill[i - 1]!),
      `acked batches never go back: ${batchesAtKill}`,
    );
    const store = PhoneStore.open(phoneDir.dir, nodeSha256);
    const saved = store.load();
    store.close();
    assert.equal(saved?.resume.lastBatchNo, mirror.appliedBatchNo, "the phone's last batch is the mirror's");
    assert.equal(saved?.resume.unacked?.length, 0, "nothing left unacked after power-off");
    assert.equal(saved?.bound, true);
    await assertNoDivergence(server);
    assert.doesNotMatch(stderr, /re-clon/, "a phone with its data never re-clones");
    assert.equal(report.reClones, 0);
  } finally {
    await rig.close();
    phoneDir.remove();
  }
});
