// `mirrorcell model transfer|battery|cost|interval`: the feasibility models
// of paper §5–§6 on the command line, with --json for scripts. Options and
// help only; the models load with model-action.ts when a subcommand runs.
import type { Command } from "commander";
import { exitWithError } from "../fail.ts";

type ModelActions = typeof import("./model-action.ts");

/** Loads the actions, runs the one `pick` names; typed errors exit with their code. */
function action<T>(pick: (actions: ModelActions) => (opts: T) => void): (opts: T) => Promise<void> {
  return async (opts: T) => {
    try {
      pick(await import("./model-action.ts"))(opts);
    } catch (error) {
      exitWithError(error);
    }
  };
}

export function registerModel(program: Command): void {
  const model = program
    .command("model")
    .description("Feasibility models (paper §5–§6): transfer time, battery, cost, sync interval.");
  model
    .command("transfer")
    .description("Time to move a file over EDGE or 3G at Table 1's rates.")
    .requiredOption("--size-mb <MB>", "file size in MB (10^6 bytes)")
    .option("--network <NET>", "edge, 3g or both", "both")
    .option("--direction <DIR>", "up, down or both", "both")
    .option("--rates <SOURCE>", "tested or advertised (Table 1)", "tested")
    .option("--json", "print one JSON object")
    .action(action((m) => m.transferCommand));
  model
    .command("battery")
    .description(
      "Battery drain of syncing (3G RRC / EDGE radio model calibrated to the paper), and of bulk transfers and scans.",
    )
    .option("--network <NET>", "edge or 3g", "3g")
    .option("--sync-interval <S>", "t_syn_int in seconds", "60")
    .option("--events-per-sec <R>", "user events per second", "0.5")
    .option("--upload-mb <MB>", "also cost a bulk upload of this size")
    .option("--download-mb <MB>", "also cost a bulk download of this size")
    .option("--scan-mb <MB>", "also cost a virus scan of this folder size (Table 2)")
    .option("--json", "print one JSON object")
    .action(action((m) => m.batteryCommand));
  model
    .command("cost")
    .description("Mirrors per server and hardware cost per mirror (§6.2), and a measured second estimate.")
    .option("--alpha <H>", "working hours per day", "6")
    .option("--beta <F>", "average CPU use while working, 0–1", "0.5")
    .option("--saved <M>", "CPU share a mirror saves (M)", "0")
    .option("--overhead <H>", "virtualization overhead share (H)", "0")
    .option("--measured <FILE>", "JSON with memoryBytesPerMirror and cpuCoreSecondsPerSecond")
    .option("--json", "print one JSON object")
    .action(action((m) => m.costCommand));
  model
    .command("interval")
    .description(
      "Choose t_syn_int for a lag target, a daily battery budget (sync drain above standby), or both.",
    )
    .option("--max-lag <S>", "worst-case mirror lag in seconds")
    .option("--battery-budget <PCT_PER_DAY>", "battery the sync may use per day, in %")
    .option("--network <NET>", "edge or 3g", "3g")
    .option("--events-per-sec <R>", "user events per second", "0.5")
    .option("--processing-ms <MS>", "server processing time per batch", "0")
    .option("--json", "print one JSON object")
    .action(action((m) => m.intervalCommand));
}
