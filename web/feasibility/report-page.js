// Draws the feasibility report's charts with uPlot (inlined into the page by
// src/reporting/html.ts) from the JSON the page embeds. Paper values are
// dashed or hollow, ours solid, simulator measurements filled points.
(() => {
  const palette = {
    ours: ["#1f5fa8", "#2a9d8f", "#6a4c93", "#e07a1f", "#3d405b"],
    paper: ["#c1121f", "#9d0208", "#e85d04", "#7f5539"],
    measured: ["#2b9348", "#007f5f", "#55a630", "#80b918", "#aacc00", "#386641"],
  };
  const source = document.getElementById("report-data");
  const data = JSON.parse(source.textContent);
  const drawn = [];

  function alignedData(chart) {
    const xs = [...new Set(chart.series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
    const ys = chart.series.map((s) => {
      const byX = new Map(s.points.map((p) => [p[0], p[1]]));
      return xs.map((x) => (byX.has(x) ? byX.get(x) : null));
    });
    return [xs, ...ys];
  }

  function seriesOptions(chart) {
    const used = { ours: 0, paper: 0, measured: 0 };
    return chart.series.map((s) => {
      const colors = palette[s.kind];
      const stroke = colors[used[s.kind]++ % colors.length];
      const options = { label: s.label, stroke, width: s.kind === "paper" ? 1.5 : 2, spanGaps: true };
      if (s.kind === "paper" && !s.pointsOnly) options.dash = [6, 4];
      if (s.pointsOnly) {
        options.paths = () => null;
        options.points = {
          show: true,
          size: 10,
          stroke,
          fill: s.kind === "paper" ? "#ffffff" : stroke,
          width: 2,
        };
      } else {
        options.points = { show: false };
      }
      return options;
    });
  }

  function draw(chart) {
    const host = document.getElementById(`chart-${chart.id}`);
    const plotData = alignedData(chart);
    const options = {
      width: Math.max(320, Math.min(host.clientWidth || 860, 1000)),
      height: 340,
      scales: { x: { time: false, distr: chart.xLog ? 3 : 1 }, y: { distr: chart.yLog ? 3 : 1 } },
      axes: [{ label: chart.xLabel }, { label: chart.yLabel, size: 70 }],
      series: [{ label: chart.xLabel }, ...seriesOptions(chart)],
      legend: { live: false },
      cursor: { drag: { x: true, y: false } },
    };
    new window.uPlot(options, plotData, host);
    const values = plotData.slice(1).reduce((n, ys) => n + ys.filter((y) => y !== null).length, 0);
    drawn.push({
      id: chart.id,
      series: chart.series.length,
      values,
      canvas: host.querySelector("canvas") !== null,
    });
  }

  for (const chart of data.charts) draw(chart);
  window.mirrorcellCharts = drawn;
})();
