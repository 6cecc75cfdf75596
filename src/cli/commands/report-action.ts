// The action of `mirrorcell report` (options in report.ts, loaded when the
// command runs): runs the feasibility models and the simulator sweep and
// writes report.html (self-contained, charts inlined), report.md and
// report.json (paper §5–§6, issue 9).
import { ErrorCodes, MirrorcellError } from "../../core/errors.ts";
import { writeReport } from "../../reporting/index.ts";

export interface ReportOpts {
  out: string;
  quick?: boolean;
  sweep: boolean;
  seed: string;
  measured?: string;
  measureLive?: boolean;
  json?: boolean;
}

/** The action of `mirrorcell report` (registered in report.ts). */
export async function reportCommand(opts: ReportOpts): Promise<void> {
  const seed = Number(opts.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new MirrorcellError(ErrorCodes.USAGE, `--seed must be a non-negative integer, got ${opts.seed}`);
  }
  if (opts.measured !== undefined && opts.measureLive) {
    throw new MirrorcellError(ErrorCodes.USAGE, "give --measured FILE or --measure-live, not both");
  }
  const log = opts.json ? undefined : (line: string) => process.stderr.write(`${line}\n`);
  const written = await writeReport({
    outDir: opts.out,
    quick: opts.quick === true,
    sweep: opts.sweep,
    seed,
    measureLive: opts.measureLive === true,
    ...(opts.measured === undefined ? {} : { measuredPath: opts.measured }),
    ...(log === undefined ? {} : { log }),
  });
  const { data } = written;
  const summary = {
    html: written.htmlPath,
    markdown: written.markdownPath,
    json: written.jsonPath,
    sweep: data.sweep.status === "ran" ? { status: "ran", runs: data.sweep.measurements.length } : data.sweep,
    claims: data.claims.map((c) => ({ what: c.what, paper: c.paper, ours: c.ours, status: c.status })),
  };
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  for (const c of data.claims)
    process.stdout.write(`${c.status.padEnd(13)} ${c.what}: paper ${c.paper}, ours ${c.ours}\n`);
  process.stdout.write(
    `sweep: ${data.sweep.status === "ran" ? `${data.sweep.measurements.length} runs` : `${data.sweep.status} — ${data.sweep.reason}`}\n`,
  );
  process.stdout.write(`wrote ${written.htmlPath}, ${written.markdownPath}, ${written.jsonPath}\n`);
}
