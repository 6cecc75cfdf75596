// Runs `mirrorcell serve` as a child process (crash tests kill -9 it; the
// ingest bench keeps server and clients on different cores) and talks to its
// admin API. Loopback only.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { assert } from "../core/assert.ts";
import { MirrorcellError } from "../core/errors.ts";
import { serverNodeFlags } from "./v8-tuning.ts";

const mainPath = fileURLToPath(new URL("./serve-main.ts", import.meta.url));
/** Generous: on a loaded 2-core machine a cold tsx start takes many seconds. */
const startTimeoutMs = 60_000;

export interface ServerProcessOptions {
  dataDir: string;
  port: number;
  proxyPort: number;
  adminToken: string;
  syncNormal?: boolean;
  logLevel?: string;
  /** More `serve` options (e.g. `--services caching --recipient-url U`). */
  serveArgs?: readonly string[];
}

export interface ServerProcess {
  child: ChildProcess;
  httpUrl: string;
  syncUrl: string;
  proxyUrl: string;
  /** kill -9: no flush, no goodbye. */
  kill9(): Promise<void>;
  /** SIGTERM: clean shutdown; resolves with the exit code. */
  stop(): Promise<number | null>;
  stderr(): string;
}

export async function spawnServer(opts: ServerProcessOptions): Promise<ServerProcess> {
  return (await prepareServer(opts)).start();
}

/**
 * Spawns the server as a warm standby (modules loaded, store not opened);
 * `start()` lets it open the data dir and listen. Crash tests prepare the
 * replacement while the current server still runs.
 */
export async function prepareServer(
  opts: ServerProcessOptions,
): Promise<{ start(): Promise<ServerProcess> }> {
  // Extra node flags for the server child only (e.g. --cpu-prof, which NODE_OPTIONS refuses).
  const nodeFlags = (process.env.MIRRORCELL_SERVER_NODE_FLAGS ?? "").split(" ").filter((f) => f !== "");
  const args = [
    ...serverNodeFlags(),
    ...nodeFlags,
    "--import",
    "tsx",
    mainPath,
    "--standby",
    "serve",
    "--data",
    opts.dataDir,
    "--port",
    String(opts.port),
  ];
  args.push(
    "--proxy-port",
    String(opts.proxyPort),
    "--admin-token",
    opts.adminToken,
    "--log-level",
    opts.logLevel ?? "warn",
  );
  if (opts.syncNormal) args.push("--sync-normal");
  args.push(...(opts.serveArgs ?? []));
  const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"] });
  // A standby killed before start() must not crash the parent with EPIPE.
  child.stdin!.on("error", () => undefined);
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-20_000);
  });
  const exited = once(child, "exit");
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      if (stdout.includes("mirror server:")) resolve();
    });
    child.once("exit", (code) => {
      reject(
        new MirrorcellError("E_UNAVAILABLE", `server exited with ${code} before listening: ${stderr.trim()}`),
      );
    });
  });
  ready.catch(() => undefined);
  const loaded = new Promise<void>((resolve, reject) => {
    const check = () => (stdout.includes("standby") ? resolve() : undefined);
    child.stdout!.on("data", check);
    child.once("exit", () => reject(new Error(`standby exited: ${stderr.trim()}`)));
  });
  await withTimeout(loaded, () => `server standby did not load: ${stderr}`);
  const httpUrl = `http://127.0.0.1:${opts.port}`;
  const handle: ServerProcess = {
    child,
    httpUrl,
    syncUrl: `ws://127.0.0.1:${opts.port}/sync`,
    proxyUrl: `http://127.0.0.1:${opts.proxyPort}`,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const [code] = (await exited) as [number | null];
      return code;
    },
    stderr: () => stderr,
  };
  return {
    async start() {
      child.stdin!.write("start\n");
      await withTimeout(ready, () => `server did not start: ${stderr}`);
      return handle;
    },
  };
}

async function withTimeout(promise: Promise<void>, message: () => string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), startTimeoutMs);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** GET on the admin API with the token; throws on a non-2xx answer. */
export async function adminGet<T>(httpUrl: string, token: string, path: string): Promise<T> {
  assert(path.startsWith("/"), "admin path must be absolute");
  const res = await fetch(`${httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok)
    throw new MirrorcellError("E_UNAVAILABLE", `GET ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

/** A free loopback TCP port (the OS picks; tiny race accepted in tests). */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  assert(address !== null && typeof address === "object", "listening server has an address");
  const port = address.port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
