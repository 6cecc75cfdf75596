// `mirrorcell scan`: a clamscan-compatible scanner (paper §5.2), exit 0
// clean / 1 found / 2 error. Options and help only; the signature engine
// loads with scan-action.ts when the command runs.
import type { Command } from "commander";
import { exitWithError } from "../fail.ts";
import type { ScanOpts } from "./scan-action.ts";

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerScan(program: Command): void {
  program
    .command("scan")
    .description(
      "Scan files and directories with ClamAV signatures (.ndb/.hdb/.hsb); exit 0 clean, 1 found, 2 error",
    )
    .argument("<paths...>", "files or directories (directories are scanned recursively)")
    .option(
      "--db <file>",
      "signature database (.ndb, .hdb, .hsb) or a directory of them; repeat for several",
      collect,
      [],
    )
    .option("--json", "print one JSON object with every verdict instead of clamscan lines")
    .option("--engine <name>", "builtin (default) or clamd", "builtin")
    .option("--clamd-socket <path>", "clamd's LocalSocket for --engine clamd")
    .option("--allmatch", "report every matching signature, not only the first (clamscan -z)")
    .option(
      "--workers <n>",
      "worker threads besides this one (0 = this thread only; default: cores - 1 for big scans)",
    )
    .option("--no-cache", "do not read or write the compiled-database cache")
    .option(
      "--cache-dir <dir>",
      "where compiled databases are cached (default ~/.cache/mirrorcell/antivirus)",
    )
    .action(async (paths: string[], opts: ScanOpts) => {
      try {
        const { runScan } = await import("./scan-action.ts");
        process.exitCode = await runScan(paths, opts);
      } catch (error) {
        exitWithError(error);
      }
    });
}
