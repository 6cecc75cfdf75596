// Runs `mirrorcell serve` as a child process (crash tests kill -9 it; the
// ingest bench keeps server and clients on different cores) and talks to its
// admin API. Loopback only.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { assert } from "../core/assert.ts";
import { MirrorcellError } from "../core/errors.ts";

const mainPath = fileURLToPath(new URL("./serve-main.ts", import.meta.url));
const startTimeoutMs = 20_000;

export interface ServerProcessOptions {
  dataDir: string;
  port: number;
  proxyPort: number;
  adminToken: string;
  syncNormal?: boolean;
  logLevel?: string;
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
  const args = [
    "--import",
    "tsx",
    mainPath,
    "serve",
    "--data",
    opts.dataDir,
    "--port",
    String(opts.port),
    "--proxy-port",
    String(opts.proxyPort),
    "--admin-token",
    opts.adminToken,
    "--log-level",
    opts.logLevel ?? "warn",
  ];
  if (opts.syncNormal) args.push("--sync-normal");
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-20_000);
  });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), startTimeoutMs);
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      if (stdout.includes("mirror server:")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(
        new MirrorcellError("E_UNAVAILABLE", `server exited with ${code} before listening: ${stderr.trim()}`),
      );
    });
  });
  await ready;
  const exited = once(child, "exit");
  const httpUrl = `http://127.0.0.1:${opts.port}`;
  return {
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
