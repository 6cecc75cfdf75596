// `mirrorcell demo`: the paper's core claim in one run (§3.3.1), a phone and
// its mirror fed the same inputs end with the same storage. Options and help
// only; the platform loads with demo-action.ts when the command runs.
import type { Command } from "commander";
import { exitWithError } from "../fail.ts";
import type { DemoOpts } from "./demo-action.ts";

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description(
      "Run a seeded workload on a phone and replay its recorded inputs on a mirror; compare digests.",
    )
    .option("--seed <S>", "workload seed", "1")
    .option("--events <N>", "workload events (user and network)", "2000")
    .option("--size-scale <F>", "payload size factor in (0, 1]", "0.01")
    .option("--model <NAME>", "phone model (factory template)", "mc-one")
    .option("--misorder", "replay each network input after the next user action (shows divergence)")
    .option("--json", "print one JSON object")
    .action(async (opts: DemoOpts) => {
      try {
        const { printDemo } = await import("./demo-action.ts");
        printDemo(opts);
      } catch (error) {
        exitWithError(error);
      }
    });
}
