// Metric charts (uPlot) shared by the live inspector page and the static run report: reward,
// accuracy, KL and generation speed against the step. Plain browser script, no build step;
// it defines window.SelfImproveCharts.
/* global window, document, uPlot, ResizeObserver */
(function () {
  "use strict";

  const CHARTS = [
    {
      id: "reward",
      title: "Reward",
      series: [
        { key: "reward_mean", label: "mean", color: "#2b6cb0" },
        { key: "reward_std", label: "std", color: "#a0aec0" },
      ],
    },
    {
      id: "accuracy",
      title: "Accuracy",
      // Fitted to the data (within 0..1): a 6% → 9% gain is invisible on a 0–1 axis.
      range: "fraction",
      series: [
        { key: "first_try_accuracy", label: "first try", color: "#2f855a" },
        { key: "second_try_accuracy", label: "second try", color: "#d69e2e" },
        { key: "retry_accuracy", label: "retry", color: "#c05621" },
        { key: "judge_p_yes", label: "judge P(yes)", color: "#805ad5" },
      ],
    },
    { id: "kl", title: "KL to the reference", series: [{ key: "kl", label: "KL", color: "#c53030" }] },
    {
      id: "tps",
      title: "Tokens / s (generation)",
      series: [{ key: "tokens_per_second", label: "tokens/s", color: "#2c7a7b" }],
    },
  ];

  const num = (v) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  const short = (v) => (v === null ? "–" : v === 0 ? "0" : String(Number(v.toPrecision(3))));

  /** The data's range with a margin, kept within [0, 1]; all of 0..1 before there is data. */
  function fractionRange(u, min, max) {
    if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
    const pad = Math.max((max - min) * 0.15, 0.02);
    return [Math.max(0, min - pad), Math.min(1, max + pad)];
  }

  /** The last value a series has (what its legend shows while the cursor is elsewhere). */
  function latest(values) {
    for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null && values[i] !== undefined) return values[i];
    return null;
  }

  /**
   * Legend values: the hovered point's, else the latest point's (uPlot's own legend shows "--"
   * until hovered, so a glance would tell nothing).
   */
  const legendValue = (u, v, sidx, idx) => short(num(idx === null || idx === undefined ? latest(u.data[sidx]) : v));

  /** One chart: a figure with a caption, a uPlot and a data-points attribute tests can read. */
  class MetricChart {
    constructor(parent, spec) {
      this.spec = spec;
      this.figure = document.createElement("figure");
      this.figure.className = "chart";
      this.figure.dataset.chart = spec.id;
      this.figure.dataset.points = "0";
      const caption = document.createElement("figcaption");
      caption.textContent = spec.title;
      this.figure.appendChild(caption);
      parent.appendChild(this.figure);
      const width = Math.max(200, this.figure.clientWidth || 320);
      this.plot = new uPlot(
        {
          width,
          height: 150,
          legend: { show: true },
          cursor: { drag: { x: true, y: false } },
          scales: { x: { time: false }, y: spec.range === "fraction" ? { range: fractionRange } : { auto: true } },
          // Steps are whole numbers; values can be tiny (KL): three significant digits.
          axes: [
            { label: "step", size: 36, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] },
            { size: 60, values: (u, splits) => splits.map((v) => (v === 0 ? "0" : String(Number(v.toPrecision(3))))) },
          ],
          series: [
            { label: "step", value: legendValue },
            ...spec.series.map((s) => ({
              label: s.label,
              stroke: s.color,
              width: 1.5,
              points: { show: true, size: 4 },
              value: legendValue,
            })),
          ],
          // The y range drawn, where tests (and curious people) can read it.
          hooks: {
            setScale: [
              (u, key) => {
                if (key !== "y") return;
                this.figure.dataset.yMin = String(u.scales.y.min);
                this.figure.dataset.yMax = String(u.scales.y.max);
              },
            ],
          },
        },
        [[], ...spec.series.map(() => [])],
        this.figure,
      );
      if (typeof ResizeObserver === "function") {
        new ResizeObserver(() => {
          const w = Math.max(200, this.figure.clientWidth);
          if (Math.abs(w - this.plot.width) > 2) this.plot.setSize({ width: w, height: 150 });
        }).observe(this.figure);
      }
    }

    setData(points) {
      const xs = points.map((p) => p.step);
      const ys = this.spec.series.map((s) => points.map((p) => num(p[s.key])));
      this.plot.setData([xs, ...ys]);
      this.figure.dataset.points = String(points.length);
    }
  }

  /** All the charts, in `container`. */
  class MetricCharts {
    constructor(container) {
      this.charts = CHARTS.map((spec) => new MetricChart(container, spec));
    }

    setData(points) {
      for (const c of this.charts) c.setData(points);
    }
  }

  window.SelfImproveCharts = { CHARTS, MetricCharts };
})();
