// `mirrorcell serve`: the live mirror server process (issue 5). Options and
// help only; the server, its store and services load with serve-action.ts
// when the command runs (or earlier with preloadServe).
import type { Command } from "commander";
import { exitWithError } from "../fail.ts";
import { dataDirDefault } from "./enroll.ts";
import type { ServeOptions } from "./serve-action.ts";

export const servePortDefault = 7480;
export const proxyPortDefault = 7481;

/** Loads the server's modules now, so that a warm standby (src/live/serve-main.ts) only opens the store and listens when told to start. */
export async function preloadServe(): Promise<void> {
  await import("./serve-action.ts");
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description(
      "Run the live mirror server: sync endpoint (WebSocket), HTTP API, /metrics, Traffic Monitor proxy",
    )
    .option("--data <dir>", "data directory (SQLite database, blob files, admin token)", dataDirDefault)
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "HTTP + WebSocket port", String(servePortDefault))
    .option("--proxy-port <port>", "Traffic Monitor forward proxy port", String(proxyPortDefault))
    .option("--admin-token <token>", "admin API token (default: generated once, stored in the data dir)")
    .option("--sync-normal", "SQLite synchronous=NORMAL: survives process crashes, not power loss")
    .option("--log-level <level>", "pino log level", "info")
    .option(
      "--services <list>",
      "mirror services to run, comma-separated: caching (bulk uploads sent by the server, bulk downloads cached for the phone), antivirus (scans of the mirror on the phone's request)",
    )
    .option("--recipient-url <url>", "caching: inbox base URL; a recipient's inbox is <url>/<address>")
    .option("--recipients-file <file>", 'caching: JSON {"<address>": "<inbox url>", ...}')
    .option("--cache-retention <s>", "caching: how long a downloaded file waits for the phone (seconds)")
    .option(
      "--scan-db <files...>",
      "antivirus: ClamAV signature files or directories (.hdb .hsb .ndb .cvd …)",
    )
    .option("--scan-on-the-fly", "antivirus: also scan every file replay writes, not only on request")
    .action(async (opts: ServeOptions) => {
      try {
        const { serve } = await import("./serve-action.ts");
        await serve(opts);
      } catch (error) {
        exitWithError(error);
      }
    });
}
