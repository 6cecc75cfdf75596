// Renders the self-contained HTML report: tables rendered here, charts drawn
// in the page by uPlot from the embedded ReportData. Every asset is inlined
// (no CDN, no network), so the file opens anywhere, offline.
import { assert } from "../core/assert.ts";
import { formatUsd } from "./format.ts";
import type { Claim, ReportData, ScanRowAnalogue, SweepOutcome } from "./report-types.ts";

export interface PageAssets {
  readonly chartLibraryJs: string;
  readonly chartLibraryCss: string;
  readonly pageJs: string;
  readonly pageCss: string;
}

export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** JSON safe inside a <script> element: no "<" can close it. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replaceAll("<", "\\u003c");
}

/** Ends a reason with a full stop, so the next sentence reads as one. */
const sentence = (text: string) => (/[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`);

const num = (value: number, digits: number) => `<td class="num">${value.toFixed(digits)}</td>`;

function claimsTable(claims: readonly Claim[]): string {
  const rows = claims.map(
    (c) =>
      `<tr><td>${escapeHtml(c.what)}</td><td>${escapeHtml(c.where)}</td><td>${escapeHtml(c.paper)}</td><td>${escapeHtml(c.ours)}</td><td>${escapeHtml(c.tolerance)}</td><td><span class="status status-${c.status}">${c.status}</span></td></tr>`,
  );
  return `<table id="claims"><thead><tr><th>claim</th><th>where</th><th>paper</th><th>ours</th><th>tolerance (tests)</th><th>status</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function table2(rows: readonly ScanRowAnalogue[]): string {
  const body = rows.map(
    (r) =>
      `<tr><td class="num">${r.folderMb}</td>${num(r.paperPhoneTimeS, 0)}${num(r.modelPhoneTimeS, 0)}${num(r.paperPhoneBatteryPct, 0)}${num(r.modelPhoneBatteryPct, 2)}${num(r.paperPcTimeS, 0)}${r.mirrorScanTimeS === undefined ? '<td class="num">not measured</td>' : num(r.mirrorScanTimeS, 2)}${num(r.mirrorScanPhoneBatteryPct, 4)}</tr>`,
  );
  return `<table id="table2"><thead><tr><th>folder (MB)</th><th>phone time, paper (s)</th><th>phone time, fit (s)</th><th>phone battery, paper (%)</th><th>phone battery, fit (%)</th><th>PC time, paper (s)</th><th>mirror scan time, ours (s)</th><th>phone battery with mirror scan, ours (%)</th></tr></thead><tbody>${body.join("")}</tbody></table>`;
}

function sweepSection(sweep: SweepOutcome): string {
  if (sweep.status !== "ran") {
    return `<p class="missing" id="sweep-missing"><strong>Simulator sweep ${sweep.status}.</strong> ${escapeHtml(sentence(sweep.reason))} The uplink, battery and lag charts show model curves only.</p>`;
  }
  const rows = sweep.measurements.map(
    (m) =>
      `<tr><td>${m.point.network.toUpperCase()}</td>${num(m.point.syncIntervalS, 1)}${num(m.point.eventsPerSecond, 2)}<td class="num">${m.phones}</td>${num(m.uplinkBytesPerUserEvent, 2)}${num(m.uplinkBytesPerPhonePerMin, 0)}${num(m.radioPctPerDay, 2)}${num(m.lagMsP50 / 1000, 2)}${num(m.lagMsP99 / 1000, 2)}<td class="num">${m.invariantViolations}</td></tr>`,
  );
  return `<p>${sweep.measurements.length} runs in ${sweep.wallSeconds.toFixed(1)} s wall. Reproduce any run with <code>${escapeHtml(sweep.measurements[0]?.reproduce ?? "")}</code> (changing the options).</p><table id="sweep"><thead><tr><th>network</th><th>t_syn_int (s)</th><th>events/s</th><th>phones</th><th>uplink B/event</th><th>uplink B/min/phone</th><th>battery %/day</th><th>lag p50 (s)</th><th>lag p99 (s)</th><th>violations</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function chartSections(data: ReportData): string {
  return data.charts
    .map(
      (c) =>
        `<section class="chart-section"><h3>${escapeHtml(c.title)} <span class="tag">— ${escapeHtml(c.reproduces)}</span></h3><div class="chart" id="chart-${escapeHtml(c.id)}"></div><p class="note">${escapeHtml(c.note)}</p></section>`,
    )
    .join("\n");
}

function costParagraph(data: ReportData): string {
  const paper = data.cost.paperAtAlpha6Beta05;
  const measured = data.cost.measured;
  const second =
    measured === undefined
      ? "No measured per-mirror memory/CPU was given, so there is no second estimate."
      : `From measured use (${escapeHtml(measured.source)}): ${measured.mirrorsPerServer} mirrors per PowerEdge 1900 (${escapeHtml(measured.boundBy)}-bound), $${formatUsd(measured.costUsdPerMirror)} per mirror.`;
  return `<p>Paper's CPU estimate at α = 6, β = 0.5: ${paper.mirrorsPerServer.toFixed(1)} mirrors per server, $${paper.costUsdPerMirror.toFixed(2)} per mirror. ${second}</p>`;
}

export function renderHtml(data: ReportData, assets: PageAssets): string {
  assert(data.charts.length > 0, "a report needs charts");
  assert(assets.chartLibraryJs.length > 0 && assets.pageJs.length > 0, "report scripts missing");
  const cal = data.calibration;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(data.title)}</title>
<link rel="icon" href="data:,">
<style>${assets.chartLibraryCss}</style>
<style>${assets.pageCss}</style>
</head>
<body>
<h1>${escapeHtml(data.title)}</h1>
<p class="meta">Generated ${escapeHtml(data.generatedAt)} at commit ${escapeHtml(data.commit)}${data.quick ? " (quick run)" : ""}. Reproduces Zhao et al., <em>Mirroring Smartphones For Good</em>, §5–§6.</p>
<h2>The paper's numbers, checked</h2>
${claimsTable(data.claims)}
<p class="note">Calibration: G1 battery ${cal.capacityJ.toFixed(0)} J; standby ${cal.standbyPowerMw.toFixed(1)} mW; 3G radio powers of Qian et al. × ${cal.umtsPowerScale.toFixed(3)} (DCH ${cal.umtsDchPowerMw.toFixed(0)} mW); EDGE active ${cal.edgeActivePowerMw.toFixed(0)} mW. Sync traffic in the model curves: ${cal.traffic.uplinkBytesPerBatch.toFixed(0)} B per batch + ${cal.traffic.uplinkBytesPerEvent.toFixed(1)} B per event (${escapeHtml(cal.traffic.source)}).</p>
<h2>Table 2 analogue: antivirus scan</h2>
${table2(data.table2)}
<h2>Hardware cost</h2>
${costParagraph(data)}
<h2>Simulator sweep</h2>
${sweepSection(data.sweep)}
<h2>Figures</h2>
${chartSections(data)}
<h2>Notes</h2>
<ul>${data.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>
<script type="application/json" id="report-data">${scriptSafeJson(data)}</script>
<script>${assets.chartLibraryJs}</script>
<script>${assets.pageJs}</script>
</body>
</html>
`;
}
