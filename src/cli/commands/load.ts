// `mirrorcell load`: many live phones in one process against a mirror server
// on this machine (load tests, benchmarks). Devices `load-1..N` are enrolled
// in the server's data dir on first use. Issue 5.
import type { Command } from "commander";
import { MirrorcellError } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import { proxyUrlOf, runLoad } from "../../live/load-run.ts";
import { deviceKey, enrollDevice, openDatabase } from "../../live/sqlite-db.ts";
import { exitWithError } from "../fail.ts";
import { dataDirDefault } from "./enroll.ts";
import {
  addLivePhoneOptions,
  interruption,
  type LivePhoneCliOptions,
  livePhoneRunOptions,
  positiveNumber,
} from "./live-phone-options.ts";
import { servePortDefault } from "./serve.ts";

interface LoadCliOptions extends LivePhoneCliOptions {
  phones: string;
  data: string;
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
  const command = program
    .command("load")
    .description(
      "Run many live phones in one process against a mirror server on this machine; print a report",
    )
    .requiredOption("--phones <n>", "number of phones (devices load-1..N, enrolled on first use)")
    .option("--server <url>", "mirror server HTTP URL", `http://127.0.0.1:${servePortDefault}`)
    .option("--proxy <url>", "Traffic Monitor proxy URL (default: server port + 1)")
    .option("--data <dir>", "the server's data dir (to enroll the load devices)", dataDirDefault);
  addLivePhoneOptions(command, {
    workloadHelp: "workload: paper, light, busy",
    workload: "light",
    durationHelp: "run this long, then power every phone off",
    duration: "60",
  })
    .option("--json", "print the report as JSON")
    .action(async (opts: LoadCliOptions) => {
      try {
        const phones = positiveNumber(opts.phones, "--phones");
        if (!Number.isInteger(phones) || phones > limits.livePhonesPerLoadMax) {
          throw new MirrorcellError(
            "E_USAGE",
            `--phones must be an integer 1-${limits.livePhonesPerLoadMax}`,
          );
        }
        const report = await runLoad({
          serverUrl: opts.server,
          proxyUrl: opts.proxy ?? proxyUrlOf(opts.server),
          keys: keysFor(opts.data, phones),
          ...livePhoneRunOptions(opts),
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
