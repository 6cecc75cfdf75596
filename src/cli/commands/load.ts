// `mirrorcell load`: many live phones in one process against a mirror server
// on this machine (load tests, benchmarks). Devices `load-1..N` are enrolled
// in the server's data dir on first use. Issue 5.
import type { Command } from "commander";
import { MirrorcellError } from "../../core/errors.ts";
import { proxyUrlOf, runLoad } from "../../live/load-run.ts";
import { deviceKey, enrollDevice, openDatabase } from "../../live/sqlite-db.ts";
import { exitWithError } from "../fail.ts";
import { dataDirDefault } from "./enroll.ts";
import { interruption, positiveNumber, profileOf, syncIntervalMsOf } from "./phone.ts";
import { servePortDefault } from "./serve.ts";

/** Phones one load process runs (each holds a platform and a socket). */
export const loadPhonesMax = 10_000;

interface LoadCliOptions {
  phones: string;
  server: string;
  proxy?: string;
  data: string;
  workload: string;
  eventsPerSec?: string;
  syncInterval: string;
  duration: string;
  seed: string;
  model: string;
  json?: boolean;
}

function keysFor(dataDir: string, count: number): Map<string, Uint8Array> {
  const db = openDatabase(dataDir, { synchronousFull: false });
  try {
    const keys = new Map<string, Uint8Array>();
    for (let i = 1; i <= count; i++) {
      const id = `load-${i}`;
      keys.set(id, deviceKey(db, id) ?? enrollDevice(db, id, Date.now()));
    }
    return keys;
  } finally {
    db.close();
  }
}

export function registerLoad(program: Command): void {
  program
    .command("load")
    .description(
      "Run many live phones in one process against a mirror server on this machine; print a report",
    )
    .requiredOption("--phones <n>", "number of phones (devices load-1..N, enrolled on first use)")
    .option("--server <url>", "mirror server HTTP URL", `http://127.0.0.1:${servePortDefault}`)
    .option("--proxy <url>", "Traffic Monitor proxy URL (default: server port + 1)")
    .option("--data <dir>", "the server's data dir (to enroll the load devices)", dataDirDefault)
    .option("--workload <name>", "workload: paper, light, busy", "light")
    .option("--events-per-sec <r>", "user events per second per phone (overrides the workload's)")
    .option("--sync-interval <s>", "t_syn_int in seconds", "60")
    .option("--duration <s>", "run this long, then power every phone off", "60")
    .option("--seed <n>", "workload seed", "1")
    .option("--model <name>", "phone model (factory template)", "generic")
    .option("--json", "print the report as JSON")
    .action(async (opts: LoadCliOptions) => {
      try {
        const phones = positiveNumber(opts.phones, "--phones");
        if (!Number.isInteger(phones) || phones > loadPhonesMax) {
          throw new MirrorcellError("E_USAGE", `--phones must be an integer 1-${loadPhonesMax}`);
        }
        const report = await runLoad({
          serverUrl: opts.server,
          proxyUrl: opts.proxy ?? proxyUrlOf(opts.server),
          keys: keysFor(opts.data, phones),
          profile: profileOf(opts.workload, opts.eventsPerSec),
          syncIntervalMs: syncIntervalMsOf(opts.syncInterval),
          durationMs: positiveNumber(opts.duration, "--duration") * 1000,
          seed: Number(opts.seed) >>> 0,
          model: opts.model,
          interrupted: interruption(),
          onProgress: (line) => process.stderr.write(`load: ${line}\n`),
        });
        if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
        else {
          process.stdout.write(
            `load: ${report.phones} phones, ${report.durationMs} ms: ${report.userInputs} user inputs ` +
              `(${report.userInputsPerSecond}/s), ${report.networkInputs} network inputs, ` +
              `${report.poweredOffAcked}/${report.phones} power-offs acked, ${report.reconnects} reconnects, ` +
              `${report.errors.length} errors\n`,
          );
          for (const error of report.errors.slice(0, 10)) process.stdout.write(`  ${error}\n`);
        }
        process.exit(report.poweredOffAcked === report.phones ? 0 : 2);
      } catch (error) {
        exitWithError(error);
      }
    });
}
