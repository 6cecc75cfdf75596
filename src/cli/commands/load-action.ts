// The action of `mirrorcell load` (options in load.ts, loaded when the
// command runs): many live phones in one process against a mirror server
// on this machine (load tests, benchmarks). Devices `load-1..N` are enrolled
// in the server's data dir on first use. Issue 5.
import { MirrorcellError } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import { proxyUrlOf, runLoad } from "../../live/load-run.ts";
import { deviceKey, enrollDevice, openDatabase } from "../../live/sqlite-db.ts";
import type { LivePhoneCliOptions } from "./live-phone-flags.ts";
import { interruption, livePhoneRunOptions, positiveNumber } from "./live-phone-options.ts";

export interface LoadCliOptions extends LivePhoneCliOptions {
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

/** The action of `mirrorcell load` (registered in load.ts): exits 0 when every phone's power-off was acked, else 2. */
export async function runLoadCommand(opts: LoadCliOptions): Promise<void> {
  const phones = positiveNumber(opts.phones, "--phones");
  if (!Number.isInteger(phones) || phones > limits.livePhonesPerLoadMax) {
    throw new MirrorcellError("E_USAGE", `--phones must be an integer 1-${limits.livePhonesPerLoadMax}`);
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
}
