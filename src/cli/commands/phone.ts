// `mirrorcell phone`: one live phone (platform + workload + Syn-Client)
// against a mirror server; SIGINT powers it off. Issue 5. Options and help
// only; the live runtime loads with phone-action.ts when the command runs.
import type { Command } from "commander";
import { exitWithError } from "../fail.ts";
import { addCachingPhoneOptions, addLivePhoneOptions } from "./live-phone-flags.ts";
import type { PhoneOptions } from "./phone-action.ts";

export function registerPhone(program: Command): void {
  const command = program
    .command("phone")
    .description(
      "Run one live phone against a mirror server; Ctrl-C powers it off (the mirror is saved and stopped)",
    )
    .requiredOption("--server <url>", "mirror server HTTP URL, e.g. http://127.0.0.1:7480")
    .option("--proxy <url>", "Traffic Monitor proxy URL (default: server port + 1)")
    .requiredOption("--device <id>", "device id (enrolled with `mirrorcell enroll`)")
    .requiredOption("--key <hex>", "device key printed by `mirrorcell enroll`");
  addCachingPhoneOptions(command);
  addLivePhoneOptions(command, {
    workloadHelp: "workload: paper (0.5 events/s, realistic sizes), light, busy",
    workload: "paper",
    durationHelp: "run this long, then power off",
    duration: "3600",
  })
    .option(
      "--data <dir>",
      "the phone's own data dir: state committed at every batch (survives kill -9), restored at start",
    )
    .option("--share-every <s>", "share the phone's largest file every s seconds (needs --share-to)")
    .option("--share-to <list>", "comma-separated recipient addresses for --share-every")
    .option("--json", "print the report as JSON")
    .action(async (opts: PhoneOptions) => {
      try {
        const { runPhoneCommand } = await import("./phone-action.ts");
        await runPhoneCommand(opts);
      } catch (error) {
        exitWithError(error);
      }
    });
}
