// The Markdown summary of the report: the claims table, Table 2 analogue,
// cost, the sweep (or why it is missing) and the notes; no charts.

import { formatUsd } from "./format.ts";
import type { ReportData } from "./report-types.ts";

const cell = (text: string) => text.replaceAll("|", "\\|");

export function renderMarkdown(data: ReportData): string {
  const lines: string[] = [
    `# ${data.title}`,
    "",
    `Generated ${data.generatedAt} at commit ${data.commit}${data.quick ? " (quick run)" : ""}. Open \`report.html\` for the figures (Fig 10, 11, 13, 14, 15 and the new sweep plots).`,
    "",
    "## The paper's numbers, checked",
    "",
    "| claim | where | paper | ours | tolerance | status |",
    "| --- | --- | --- | --- | --- | --- |",
    ...data.claims.map(
      (c) =>
        `| ${cell(c.what)} | ${cell(c.where)} | ${cell(c.paper)} | ${cell(c.ours)} | ${cell(c.tolerance)} | ${c.status} |`,
    ),
    "",
    "## Table 2 analogue: antivirus scan",
    "",
    "| folder (MB) | phone time paper (s) | fit (s) | phone battery paper (%) | fit (%) | PC time paper (s) | mirror scan ours (s) | phone battery with mirror scan (%) |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...data.table2.map(
      (r) =>
        `| ${r.folderMb} | ${r.paperPhoneTimeS} | ${r.modelPhoneTimeS.toFixed(0)} | ${r.paperPhoneBatteryPct} | ${r.modelPhoneBatteryPct.toFixed(2)} | ${r.paperPcTimeS} | ${r.mirrorScanTimeS === undefined ? "not measured" : r.mirrorScanTimeS.toFixed(2)} | ${r.mirrorScanPhoneBatteryPct.toFixed(4)} |`,
    ),
    "",
    "## Hardware cost",
    "",
    `- Paper's CPU estimate, α = 6, β = 0.5: ${data.cost.paperAtAlpha6Beta05.mirrorsPerServer.toFixed(1)} mirrors/server, $${data.cost.paperAtAlpha6Beta05.costUsdPerMirror.toFixed(2)} per mirror.`,
    data.cost.measured === undefined
      ? "- Measured estimate: none (no measured memory/CPU per mirror given)."
      : `- Measured estimate (${data.cost.measured.source}): ${data.cost.measured.mirrorsPerServer} mirrors/server (${data.cost.measured.boundBy}-bound), $${formatUsd(data.cost.measured.costUsdPerMirror)} per mirror.`,
    "",
    "## Simulator sweep",
    "",
    ...sweepLines(data),
    "",
    "## Notes",
    "",
    ...data.notes.map((n) => `- ${n}`),
    "",
  ];
  return lines.join("\n");
}

function sweepLines(data: ReportData): string[] {
  const sweep = data.sweep;
  if (sweep.status !== "ran") return [`**Sweep ${sweep.status}:** ${sweep.reason}`];
  return [
    `${sweep.measurements.length} runs, ${sweep.wallSeconds.toFixed(1)} s wall.`,
    "",
    "| network | t_syn_int (s) | events/s | phones | uplink B/event | uplink B/min/phone | battery %/day | lag p50 (s) | lag p99 (s) | violations |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...sweep.measurements.map(
      (m) =>
        `| ${m.point.network} | ${m.point.syncIntervalS} | ${m.point.eventsPerSecond} | ${m.phones} | ${m.uplinkBytesPerUserEvent.toFixed(2)} | ${m.uplinkBytesPerPhonePerMin.toFixed(0)} | ${m.radioPctPerDay.toFixed(2)} | ${(m.lagMsP50 / 1000).toFixed(2)} | ${(m.lagMsP99 / 1000).toFixed(2)} | ${m.invariantViolations} |`,
    ),
  ];
}
