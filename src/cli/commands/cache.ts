// `mirrorcell cache savings`: what the caching service (paper §5.1) saves the
// phone for a file size, network and number of recipients. Options and help
// only; the models load with cache-action.ts when the command runs.
import type { Command } from "commander";
import { exitWithError } from "../fail.ts";
import type { SavingsOpts } from "./cache-action.ts";

export function registerCache(program: Command): void {
  const cache = program
    .command("cache")
    .description("The data caching service (paper §5.1): bulk upload and download through the mirror.");
  cache
    .command("savings")
    .description(
      "Radio bytes, radio time (Table 1 rates) and battery with and without caching, per file size.",
    )
    .option("--size-mb <MB>", "one file size in MB (default: the Fig 11 sweep, 0.1 to 50 MB)")
    .option("--recipients <N>", "recipients of the upload", "1")
    .option("--network <NET>", "edge, 3g or both", "both")
    .option("--rates <SOURCE>", "Table 1 rates: tested or advertised (midpoint)", "tested")
    .option("--json", "print one JSON object")
    .action(async (opts: SavingsOpts) => {
      try {
        const { runCacheSavings } = await import("./cache-action.ts");
        runCacheSavings(opts);
      } catch (error) {
        exitWithError(error);
      }
    });
}
