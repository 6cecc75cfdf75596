// `mirrorcell load`: many live phones in one process against a mirror server
// on this machine (load tests, benchmarks). Issue 5. Options and help only;
// the live runtime loads with load-action.ts when the command runs.
import type { Command } from "commander";
import { exitWithError } from "../fail.ts";
import { dataDirDefault } from "./enroll.ts";
import { addLivePhoneOptions } from "./live-phone-flags.ts";
import type { LoadCliOptions } from "./load-action.ts";
import { servePortDefault } from "./serve.ts";

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
        const { runLoadCommand } = await import("./load-action.ts");
        await runLoadCommand(opts);
      } catch (error) {
        exitWithError(error);
      }
    });
}
