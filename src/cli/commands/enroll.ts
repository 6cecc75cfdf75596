// `mirrorcell enroll`: registers a device with the live server's data dir and
// prints its key (issue 5: per-device keys, HMAC challenge on every sync
// connection). Works while the server runs (SQLite WAL allows a second writer
// process).
import type { Command } from "commander";
import { toHex } from "../../core/bytes.ts";
import { enrollDevice, openDatabase } from "../../live/sqlite-db.ts";
import { exitWithError } from "../fail.ts";

export const dataDirDefault = ".data";

export function registerEnroll(program: Command): void {
  program
    .command("enroll")
    .description("Enroll a phone with the mirror server's data dir and print its key (shown once)")
    .requiredOption("--device <id>", "device id (A-Z a-z 0-9 . _ -, at most 64 characters)")
    .option("--data <dir>", "the server's data directory", dataDirDefault)
    .option("--json", "print {deviceId, key} as JSON")
    .action((opts: { device: string; data: string; json?: boolean }) => {
      try {
        const db = openDatabase(opts.data);
        try {
          const key = toHex(enrollDevice(db, opts.device, Date.now()));
          if (opts.json) process.stdout.write(`${JSON.stringify({ deviceId: opts.device, key })}\n`);
          else process.stdout.write(`device ${opts.device} enrolled; key (keep it secret):\n${key}\n`);
        } finally {
          db.close();
        }
      } catch (error) {
        exitWithError(error);
      }
    });
}
