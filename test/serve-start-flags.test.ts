// `mirrorcell serve` started without the server's start-only V8 flags runs
// itself again with them (src/cli/serve-start-flags.ts): the
// process that serves has the flags, SIGTERM to the command still stops it
// cleanly with status 0, and a kill -9 of the command leaves no server behind.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import { tempDataDir, waitFor } from "../src/live/live-harness.ts";
import { serverStartFlags } from "../src/live/v8-tuning.ts";

const main = new URL("../src/cli/main.ts", import.meta.url).pathname;

interface Started {
  command: ChildProcess;
  serverPid: number;
  v8Flags: string[];
}

/** Starts `mirrorcell serve` without start flags; resolves with the pid and flags the server logs. */
async function startServe(dataDir: string): Promise<Started> {
  const command = spawn(
    process.execPath,
    ["--import", "tsx", main, "serve", "--data", dataDir, "--port", "0", "--proxy-port", "0"],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, MIRRORCELL_V8_DEFAULTS: undefined } },
  );
  let stderr = "";
  command.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  command.stdout!.resume();
  const started = await waitFor(() => /"v8Flags"/.test(stderr), 60_000);
  assert.ok(started, `the server logged its start (stderr: ${stderr.slice(-400)})`);
  const line = stderr.split("\n").find((l) => l.includes('"v8Flags"'))!;
  const record = JSON.parse(line) as { pid: number; v8Flags: string[] };
  return { command, serverPid: record.pid, v8Flags: record.v8Flags };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("serve: started without the start flags, the serving process has them and SIGTERM to the command stops it with status 0", async () => {
  const data = tempDataDir("serve-start-flags");
  try {
    const { command, serverPid, v8Flags } = await startServe(data.dir);
    assert.notEqual(serverPid, command.pid, "the server runs in a child of the command");
    for (const flag of serverStartFlags) assert.ok(v8Flags.includes(flag), `${flag} in ${v8Flags.join(" ")}`);
    const exited = once(command, "exit");
    command.kill("SIGTERM");
    const [code] = await exited;
    assert.equal(code, 0, "a clean stop");
    assert.ok(await waitFor(() => !alive(serverPid), 10_000), "the server process is gone");
  } finally {
    data.remove();
  }
});

test("serve: a kill -9 of the command stops the server process it started", async () => {
  const data = tempDataDir("serve-start-flags-kill");
  try {
    const { command, serverPid } = await startServe(data.dir);
    command.kill("SIGKILL");
    assert.ok(await waitFor(() => !alive(serverPid), 15_000), "the orphaned server stopped itself");
  } finally {
    data.remove();
  }
});
