// The report opens in headless Chromium with no console errors, loads nothing
// from the network, and draws every chart with data (issue 9, "Must show").
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { writeReport } from "../src/reporting/index.ts";
import { toolOrSkip } from "./support/system-tool.ts";

const tool = toolOrSkip("chromium");

/** Per chart canvas, how many pixels are clearly colored (not white, grey or black). */
const countColoredPixels = `[...document.querySelectorAll(".chart canvas")].map((canvas) => {
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let colored = 0;
  for (let p = 0; p < pixels.length; p += 4) {
    const r = pixels[p], g = pixels[p + 1], b = pixels[p + 2];
    if (pixels[p + 3] > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 60) colored++;
  }
  return colored;
})`;

interface DrawnChart {
  id: string;
  series: number;
  values: number;
  canvas: boolean;
}

test("report: opens in Chromium with no console errors and every chart has data", {
  skip: tool.skip,
  timeout: 120_000,
}, async () => {
  const outDir = mkdtempSync(join(tmpdir(), "mirrorcell-report-"));
  // The quick sweep runs the real simulator, so measured series are drawn too (or the page says it is missing).
  const written = await writeReport({ outDir, quick: true, sweep: true, seed: 1 });
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    await page.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith("file:") || url.startsWith("data:")) return route.continue();
      problems.push(`network request: ${url}`);
      return route.abort();
    });
    await page.goto(pathToFileURL(written.htmlPath).href);
    // String expressions: they run in the page, and this project type-checks without the DOM library.
    await page.waitForFunction("window.mirrorcellCharts !== undefined", null, { timeout: 30_000 });
    const charts = (await page.evaluate("window.mirrorcellCharts")) as DrawnChart[];
    assert.equal(charts.length, written.data.charts.length);
    for (const [i, chart] of charts.entries()) {
      const expected = written.data.charts[i]!;
      assert.equal(chart.id, expected.id);
      assert.ok(chart.canvas, `${chart.id}: no canvas`);
      assert.equal(chart.series, expected.series.length, `${chart.id}: series count`);
      assert.ok(chart.values >= expected.series.length, `${chart.id}: only ${chart.values} values drawn`);
    }
    const inked = (await page.evaluate(countColoredPixels)) as number[];
    assert.equal(inked.length, charts.length);
    for (const [i, colored] of inked.entries())
      assert.ok(colored > 200, `${charts[i]!.id}: canvas has almost no colored pixels (${colored})`);
    const sweepTable = written.data.sweep.status === "ran" ? "#sweep" : "#sweep-missing";
    assert.equal(await page.locator(sweepTable).count(), 1, `the page must show ${sweepTable}`);
    const shot = join(outDir, "report.png");
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`report screenshot: ${shot}`);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});
