// `mirrorcell enroll`: registers a device with the live server's data dir and
// prints its key (issue 5). Options and help only; SQLite loads with
// enroll-action.ts when the command runs.
import type { Command } from "commander";
import { exitWithError } from "../fail.ts";
import type { EnrollOpts } from "./enroll-action.ts";

export const dataDirDefault = ".data";

export function registerEnroll(program: Command): void {
  program
    .command("enroll")
    .description("Enroll a phone with the mirror server's data dir and print its key (shown once)")
    .requiredOption("--device <id>", "device id (A-Z a-z 0-9 . _ -, at most 64 characters)")
    .option("--data <dir>", "the server's data directory", dataDirDefault)
    .option("--json", "print {deviceId, key} as JSON")
    .action(async (opts: EnrollOpts) => {
      try {
        const { enrollAndPrint } = await import("./enroll-action.ts");
        enrollAndPrint(opts);
      } catch (error) {
        exitWithError(error);
      }
    });
}
