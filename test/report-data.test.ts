// The report's data, HTML and Markdown: every chart has data, the paper's
// numbers and the contradiction are in the claims, nothing can break out of
// the embedded JSON, and a missing sweep is said, not faked.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  buildReportData,
  parseMeasuredInputs,
  renderHtml,
  renderMarkdown,
  scriptSafeJson,
} from "../src/reporting/index.ts";

const assets = { chartLibraryJs: "/*lib*/", chartLibraryCss: "", pageJs: "/*page*/", pageCss: "" };
const base = { commit: "abc1234", generatedAt: "2026-01-01T00:00:00Z", quick: true };

test("report data: Fig 10, 11, 13, 14, 15 and the new plots are all there, each series with points", () => {
  const data = buildReportData({ ...base, sweep: { status: "skipped", reason: "test" } });
  const ids = data.charts.map((c) => c.id);
  for (const id of [
    "fig10",
    "fig11",
    "fig13",
    "fig14",
    "fig15",
    "uplink-vs-interval",
    "battery-vs-interval",
    "lag-vs-interval",
    "cost-vs-alphabeta",
  ]) {
    assert.ok(ids.includes(id), `missing chart ${id}`);
  }
  for (const chart of data.charts) {
    assert.ok(
      chart.series.some((s) => s.kind === "ours"),
      `${chart.id} has no series of ours`,
    );
    for (const s of chart.series) {
      assert.ok(s.points.length > 0, `${chart.id}/${s.label} is empty`);
      assert.ok(
        s.points.every(([x, y]) => Number.isFinite(x) && Number.isFinite(y)),
        `${chart.id}/${s.label} has a non-finite point`,
      );
    }
  }
  const paperCharts = ["fig10", "fig11", "fig13", "fig14", "fig15"];
  for (const id of paperCharts)
    assert.ok(
      data.charts.find((c) => c.id === id)!.series.some((s) => s.kind === "paper"),
      `${id} lacks paper values`,
    );
});

test("report data: the claims table shows the $15 claim and the $16.14 formula side by side as a contradiction", () => {
  const data = buildReportData({ ...base, sweep: { status: "skipped", reason: "test" } });
  const contradiction = data.claims.find((c) => c.status === "contradiction");
  assert.ok(contradiction);
  assert.match(contradiction.paper, /\$15/);
  assert.match(contradiction.paper, /16\.14/);
  assert.match(contradiction.ours, /16\.1[45]/);
  const md = renderMarkdown(data);
  assert.match(md, /contradiction/);
  assert.match(md, /0\.116835/);
});

test("report data: a missing sweep is stated in HTML, Markdown and notes; no measured series is drawn", () => {
  const data = buildReportData({
    ...base,
    sweep: { status: "missing", reason: "runSimulation not available" },
  });
  assert.ok(data.charts.every((c) => c.series.every((s) => s.kind !== "measured")));
  assert.match(renderHtml(data, assets), /id="sweep-missing"[\s\S]*runSimulation not available/);
  assert.match(renderMarkdown(data), /\*\*Sweep missing:\*\* runSimulation not available/);
  assert.ok(data.notes.some((n) => n.includes("runSimulation not available")));
});

test("report html: text is escaped and the embedded JSON cannot close its script element", () => {
  const data = buildReportData({
    ...base,
    sweep: { status: "missing", reason: "</script><script>alert(1)</script>" },
  });
  const html = renderHtml(data, assets);
  assert.equal(html.match(/<\/script>/g)?.length, 3, "only the three real script elements close");
  assert.ok(!html.includes("<script>alert(1)"));
  assert.equal(JSON.parse(scriptSafeJson({ s: "</script>" })).s, "</script>");
});

test("report data: measured memory and CPU give a second cost estimate and a measured line", () => {
  const measured = {
    memoryBytesPerMirror: 4 * 1024 * 1024,
    cpuCoreSecondsPerSecond: 0.001,
    scanBytesPerSecond: 50e6,
    source: "test input",
  };
  const data = buildReportData({ ...base, sweep: { status: "skipped", reason: "test" }, measured });
  assert.ok(data.cost.measured);
  assert.equal(data.cost.measured.boundBy, "memory");
  assert.equal(
    data.cost.measured.mirrorsPerServer,
    Math.floor((8 * 1024 * 1024 * 1024 * 0.8) / (4 * 1024 * 1024)),
  );
  assert.ok(data.charts.find((c) => c.id === "cost-vs-alphabeta")!.series.some((s) => s.kind === "measured"));
  assert.ok(Math.abs(data.table2[3]!.mirrorScanTimeS! - 4) < 1e-9, "200 MB at 50 MB/s is 4 s");
});

test("report measured input: bad files are typed errors, good ones keep their source", () => {
  const good = parseMeasuredInputs('{"memoryBytesPerMirror": 1000, "source": "bench x"}', "m.json");
  assert.ok(good.ok && good.value.source === "bench x" && good.value.memoryBytesPerMirror === 1000);
  const notJson = parseMeasuredInputs("{", "m.json");
  assert.ok(!notJson.ok && notJson.error.code === "E_FILE_CORRUPT");
  const negative = parseMeasuredInputs('{"cpuCoreSecondsPerSecond": -1}', "m.json");
  assert.ok(!negative.ok && negative.error.code === "E_CONFIG_INVALID");
  const empty = parseMeasuredInputs("{}", "m.json");
  assert.ok(!empty.ok && /none of/.test(empty.error.message));
});

test("report data: sweep runs that broke an invariant are reported with their reproduce line", () => {
  const measurement = {
    point: { network: "edge" as const, syncIntervalS: 5, eventsPerSecond: 0.5 },
    seed: 20,
    phones: 4,
    simulatedSeconds: 1800,
    userEvents: 3600,
    batches: 1440,
    uplinkBytes: 200_000,
    uplinkBytesPerUserEvent: 55,
    uplinkBytesPerPhonePerMin: 1667,
    lagMsP50: 2600,
    lagMsP99: 5050,
    lagMsMax: 7119,
    invariantViolations: 2,
    radioPctPerDay: 675,
    reproduce: "npx mirrorcell simulate --seed 20",
  };
  const data = buildReportData({
    ...base,
    sweep: { status: "ran", measurements: [measurement], wallSeconds: 1 },
  });
  assert.ok(data.notes.some((n) => n.includes("1 of 1 fault-free sweep runs") && n.includes("--seed 20")));
  assert.ok(data.charts.find((c) => c.id === "lag-vs-interval")!.series.some((s) => s.kind === "measured"));
});
