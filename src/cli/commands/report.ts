// `mirrorcell report`: the feasibility models and the simulator sweep as
// report.html, report.md and report.json (paper §5–§6, issue 9). Options and
// help only; the reporting and the simulator load with report-action.ts when
// the command runs.
import type { Command } from "commander";
import { exitWithError } from "../fail.ts";
import type { ReportOpts } from "./report-action.ts";

export function registerReport(program: Command): void {
  program
    .command("report")
    .description(
      "Run the feasibility models and a simulator sweep (sync interval × event rate × network); write a self-contained HTML report with the paper's figures, a Markdown summary and the JSON data.",
    )
    .option("--out <DIR>", "output directory", "report")
    .option("--quick", "a small sweep (6 short runs) instead of the full one (36 runs)")
    .option("--no-sweep", "skip the simulator sweep (the report says so)")
    .option("--seed <N>", "base seed of the sweep runs", "1")
    .option(
      "--measured <FILE>",
      "JSON with measured memoryBytesPerMirror, cpuCoreSecondsPerSecond, scanBytesPerSecond",
    )
    .option("--measure-live", "measure memory/CPU per mirror with one simulator run")
    .option("--json", "print one JSON summary (paths, sweep status, claims)")
    .action(async (opts: ReportOpts) => {
      try {
        const { reportCommand } = await import("./report-action.ts");
        await reportCommand(opts);
      } catch (error) {
        exitWithError(error);
      }
    });
}
