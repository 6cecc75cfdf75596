// `mirrorcell serve` wants V8 flags that count only when a process starts
// (serverStartFlags in src/live/v8-tuning.ts: --single-threaded-gc, which
// aborts node when set at run time). Started without them, the command runs
// itself again as a child that has them and stays as a thin parent: it
// passes SIGTERM on and exits with the child's status, and the child stops
// when its parent is gone (a kill -9 of the parent leaves no server behind).
import { spawn } from "node:child_process";
import { serverNodeFlags } from "../live/v8-tuning.ts";

const parentEnv = "MIRRORCELL_SERVE_PARENT";
const parentCheckMs = 1_000;

/** The server's start flags this process was not started with. */
export function missingStartFlags(): readonly string[] {
  return serverNodeFlags().filter((flag) => !process.execArgv.includes(flag));
}

/** Runs this same command line again with `flags`; this process ends when the child does. */
export function rerunWithFlags(flags: readonly string[]): void {
  const child = spawn(process.execPath, [...flags, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, [parentEnv]: String(process.pid) },
  });
  process.on("SIGTERM", () => child.kill("SIGTERM"));
  // A terminal's Ctrl-C reaches the child too (same process group); a second SIGINT would cut its clean shutdown short.
  process.on("SIGINT", () => undefined);
  child.on("error", (error) => {
    process.stderr.write(`mirrorcell serve: cannot start the server process: ${error.message}\n`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    if (signal !== null) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
}

/** In a child started by rerunWithFlags: calls `stop` once the parent is gone. */
export function stopWithParent(stop: () => void): void {
  const parent = Number(process.env[parentEnv]);
  if (!Number.isInteger(parent) || parent <= 0) return;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop();
  }, parentCheckMs);
  timer.unref();
}
