// `mirrorcell report`: gathers what the report needs from the world (commit,
// chart library, page assets, measured inputs, the simulator sweep), builds
// the ReportData and writes report.html, report.md and report.json.
import { spawnSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { MirrorcellError } from "../core/errors.ts";
import { type BatteryModel, calibrateBatteryModel } from "../model/index.ts";
import { buildReportData } from "./build-report-data.ts";
import { type PageAssets, renderHtml } from "./html.ts";
import { renderMarkdown } from "./markdown.ts";
import { measureSimulatorUsage } from "./measure-live.ts";
import { parseMeasuredInputs } from "./measured.ts";
import type { MeasuredInputs, ReportData, SweepOutcome } from "./report-types.ts";
import { loadSimulator } from "./sim-loader.ts";
import { fitSyncTraffic, runSweep, sweepPlan, withModel } from "./sim-sweep.ts";

export interface WriteReportOptions {
  readonly outDir: string;
  readonly quick: boolean;
  readonly sweep: boolean;
  readonly seed: number;
  readonly measuredPath?: string;
  readonly measured?: MeasuredInputs;
  /** Measure memory/CPU per mirror with one simulator run (before the sweep). */
  readonly measureLive?: boolean;
  readonly log?: (line: string) => void;
}

export interface WrittenReport {
  readonly htmlPath: string;
  readonly markdownPath: string;
  readonly jsonPath: string;
  readonly data: ReportData;
}

export async function loadPageAssets(): Promise<PageAssets> {
  const require = createRequire(import.meta.url);
  const read = (path: string | URL) => readFile(path, "utf8");
  const web = new URL("../../web/feasibility/", import.meta.url);
  const [chartLibraryJs, chartLibraryCss, pageJs, pageCss] = await Promise.all([
    read(require.resolve("uplot/dist/uPlot.iife.min.js")),
    read(require.resolve("uplot/dist/uPlot.min.css")),
    read(new URL("report-page.js", web)),
    read(new URL("report.css", web)),
  ]);
  return { chartLibraryJs, chartLibraryCss, pageJs, pageCss };
}

export function currentCommit(): string {
  const result = spawnSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim() : "unknown";
}

async function sweepOutcome(options: WriteReportOptions, model: BatteryModel): Promise<SweepOutcome> {
  if (!options.sweep) return { status: "skipped", reason: "the sweep was turned off (--no-sweep)." };
  const loaded = await loadSimulator();
  if (!loaded.ok) return { status: "missing", reason: `${loaded.reason}.` };
  const plan = sweepPlan(options.quick, options.seed);
  options.log?.(
    `sweep: ${plan.points.length} runs of ${plan.phones} phones × ${plan.hours} h from ${loaded.from}`,
  );
  try {
    return await runSweep(plan, loaded.runner, model, { nowMs: () => performance.now() });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    return { status: "missing", reason: `the simulator failed during the sweep: ${reason}.` };
  }
}

async function liveMeasurement(options: WriteReportOptions): Promise<MeasuredInputs | undefined> {
  const loaded = await loadSimulator();
  if (!loaded.ok) {
    options.log?.(`measure-live: skipped, ${loaded.reason}`);
    return undefined;
  }
  const plan = { phones: options.quick ? 20 : 50, hours: options.quick ? 0.1 : 0.25, seed: options.seed };
  try {
    return await measureSimulatorUsage(loaded.runner, plan);
  } catch (error) {
    options.log?.(
      `measure-live: the simulator failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
    );
    return undefined;
  }
}

async function measuredInputs(options: WriteReportOptions): Promise<MeasuredInputs | undefined> {
  if (options.measured !== undefined) return options.measured;
  if (options.measureLive) return liveMeasurement(options);
  if (options.measuredPath === undefined) return undefined;
  let text: string;
  try {
    text = await readFile(options.measuredPath, "utf8");
  } catch (error) {
    throw new MirrorcellError("E_IO_FAILED", `Cannot read ${options.measuredPath}`, { cause: error });
  }
  const parsed = parseMeasuredInputs(text, options.measuredPath);
  if (!parsed.ok) throw parsed.error;
  return parsed.value;
}

/** Re-fits the model's sync traffic to what the simulator's codec really sent. */
function refit(sweep: SweepOutcome, model: BatteryModel) {
  if (sweep.status !== "ran") return { model, sweep, trafficSource: undefined };
  const fitted = fitSyncTraffic(sweep.measurements, model.traffic);
  if (fitted === undefined) {
    return {
      model,
      sweep,
      trafficSource: "assumed defaults: the sweep's runs were too noisy to fit the codec's cost",
    };
  }
  const refitted = calibrateBatteryModel({ traffic: fitted });
  const runs = sweep.measurements.length;
  return {
    model: refitted,
    sweep: withModel(refitted, sweep),
    trafficSource: `least-squares fit of bytes per batch against events per batch over the ${runs} sweep runs`,
  };
}

export async function writeReport(options: WriteReportOptions): Promise<WrittenReport> {
  const measured = await measuredInputs(options);
  const { model, sweep, trafficSource } = refit(
    await sweepOutcome(options, calibrateBatteryModel()),
    calibrateBatteryModel(),
  );
  const data = buildReportData({
    commit: currentCommit(),
    generatedAt: new Date().toISOString(),
    quick: options.quick,
    sweep,
    model,
    ...(trafficSource === undefined ? {} : { trafficSource }),
    ...(measured === undefined ? {} : { measured }),
  });
  const assets = await loadPageAssets();
  await mkdir(options.outDir, { recursive: true });
  const htmlPath = join(options.outDir, "report.html");
  const markdownPath = join(options.outDir, "report.md");
  const jsonPath = join(options.outDir, "report.json");
  await writeFile(htmlPath, renderHtml(data, assets));
  await writeFile(markdownPath, renderMarkdown(data));
  await writeFile(jsonPath, `${JSON.stringify(data, null, 2)}\n`);
  return { htmlPath, markdownPath, jsonPath, data };
}
