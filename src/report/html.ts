// A run's report as ONE self-contained HTML file: styles, uPlot, the chart script and the data
// are inlined, so it opens from disk (file://) with no server and no network, and can be mailed
// or attached to an issue as is. Everything from the run is HTML-escaped; the chart data sits in
// a JSON script block with "<" escaped so model output cannot close it.
import { ASSETS, assetText } from "../inspect/assets.js";
import type { CompletionRow, MetricsRecord, RunData } from "./load.js";
import { REPORT_METRICS, evalRows, sampleCompletions, summarizeMetrics, trainingFacts, type EvalRow } from "./stats.js";

export interface ReportOptions {
  /** The scenario's topology as inline SVG, when the scenario could be loaded. */
  topologySvg?: string;
  /** Why there is no topology (shown instead). */
  topologyNote?: string;
  generatedAt?: Date;
}

export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

function fmt(v: number | null | undefined, digits: number): string {
  return typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "–";
}

/** Inline <script>/<style> content must not contain the closing tag. */
function inlineSafe(text: string, tag: "script" | "style"): string {
  return text.replace(new RegExp(`</${tag}`, "gi"), `<\\/${tag}`);
}

function asset(path: string): string {
  const a = ASSETS[path];
  if (!a) throw new Error(`no asset ${path}`);
  return assetText(a.file);
}

function evalTable(rows: EvalRow[]): string {
  const body = rows
    .map((r) => {
      const cls = r.delta === null || r.label.includes("gap") ? "" : r.delta > 0 ? "better" : r.delta < 0 ? "worse" : "";
      const delta = r.delta === null ? "–" : `${r.delta >= 0 ? "+" : ""}${(100 * r.delta).toFixed(1)} pts`;
      return `<tr><td>${esc(r.label)}</td><td class="num">${fmt(r.before, 3)}</td><td class="num">${fmt(r.after, 3)}</td><td class="num ${cls}">${delta}</td></tr>`;
    })
    .join("\n");
  return `<table class="table"><thead><tr><th>held-out</th><th class="num">before</th><th class="num">after</th><th class="num">change</th></tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function metricSummaryTable(metrics: readonly MetricsRecord[]): string {
  const rows = summarizeMetrics(metrics)
    .filter((s) => s.n > 0)
    .map((s) => `<tr><td>${esc(s.label)}</td>${[s.first, s.last, s.mean, s.min, s.max].map((v) => `<td class="num">${fmt(v, s.digits)}</td>`).join("")}<td class="num">${s.n}</td></tr>`)
    .join("\n");
  return `<table class="table"><thead><tr><th>metric</th><th class="num">first</th><th class="num">last</th><th class="num">mean</th><th class="num">min</th><th class="num">max</th><th class="num">steps</th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

function stepTable(metrics: readonly MetricsRecord[]): string {
  const head = ["step", "version", "updated", ...REPORT_METRICS.map((m) => m.label)].map((h, i) => `<th${i === 0 || i > 2 ? ' class="num"' : ""}>${esc(h)}</th>`).join("");
  const rows = metrics
    .map((m) => {
      const values = REPORT_METRICS.map((spec) => `<td class="num">${fmt((m as Record<string, unknown>)[spec.key] as number | null, spec.digits)}</td>`).join("");
      return `<tr><td class="num">${m.step}</td><td class="num">${m.weight_version}</td><td>${m.updated ? "yes" : esc(`no: ${m.skip_reason ?? "skipped"}`)}</td>${values}</tr>`;
    })
    .join("\n");
  return `<div class="scroll"><table class="table"><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table></div>`;
}

function completionTable(rows: readonly CompletionRow[]): string {
  const body = rows
    .map(
      (c) =>
        `<tr><td class="num">${c.step}</td><td class="mono">${esc(c.prompt)}</td><td class="mono">${esc(c.attempt ?? "")}</td><td class="mono">${esc(c.reflection ?? "")}</td>` +
        `<td class="mono">${esc(c.retry ?? "")}</td><td class="${c.correct ? "right" : "wrong"}">${c.correct === undefined ? "" : c.correct ? "✓ right" : "✗ wrong"}</td><td class="num">${fmt(c.reward, 2)}</td></tr>`,
    )
    .join("\n");
  return `<table class="table completions"><thead><tr><th class="num">step</th><th>prompt</th><th>attempt</th><th>reflection</th><th>retry</th><th>verdict</th><th class="num">reward</th></tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export function renderReport(data: RunData, opts: ReportOptions = {}): string {
  const s = data.summary;
  const generated = (opts.generatedAt ?? new Date()).toISOString().replace("T", " ").slice(0, 19);
  const facts = trainingFacts(data)
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`)
    .join("");
  const evals = evalRows(s.before, s.after);
  const groups = sampleCompletions(data.completions);
  const samples =
    groups.length > 0
      ? groups.map((g) => `<h3>${esc(g.title)} <small>(${g.rows.length} newest)</small></h3>\n${completionTable(g.rows)}`).join("\n")
      : `<p class="empty">No completions were logged.</p>`;
  const topology = opts.topologySvg !== undefined ? `<div class="diagram">${opts.topologySvg}</div>` : `<p class="empty">${esc(opts.topologyNote ?? "No topology.")}</p>`;
  const points = data.metrics.map((m) => ({ ...m }));
  const json = JSON.stringify(points).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="selfimprove report">
<title>selfimprove report · ${esc(s.scenario)}</title>
<style>${inlineSafe(asset("/vendor/uPlot.min.css"), "style")}</style>
<style>${inlineSafe(asset("/style.css"), "style")}</style>
</head>
<body>
<div class="report">
<header class="panel"><h1>selfimprove report: <span class="scenario">${esc(s.scenario)}</span></h1>
<p class="description">${esc(data.dir)} · generated ${esc(generated)} UTC</p></header>
<section class="panel" id="run"><h2>Run</h2><dl class="kv">${facts}</dl></section>
<section class="panel" id="evaluation"><h2>Held-out evaluation</h2>
${evals.length > 0 ? evalTable(evals) : `<p class="empty">No held-out evaluation (the run used --no-eval, or was stopped before the "after" evaluation).</p>`}
</section>
<section class="panel" id="charts"><h2>Training curves <small>drag to zoom, double-click to reset</small></h2><div id="metrics" class="metrics"></div></section>
<section class="panel" id="metric-summary"><h2>Metrics over the steps</h2>${metricSummaryTable(data.metrics)}</section>
<section class="panel" id="topology"><h2>Topology</h2>${topology}</section>
<section class="panel" id="samples"><h2>Sample completions</h2>
${samples}
</section>
<section class="panel" id="steps"><details><summary>Every step (${data.metrics.length})</summary>${stepTable(data.metrics)}</details></section>
</div>
<script type="application/json" id="metrics-data">${json}</script>
<script>${inlineSafe(asset("/vendor/uPlot.iife.min.js"), "script")}</script>
<script>${inlineSafe(asset("/charts.js"), "script")}</script>
<script>
  "use strict";
  const points = JSON.parse(document.getElementById("metrics-data").textContent);
  new window.SelfImproveCharts.MetricCharts(document.getElementById("metrics")).setData(points);
</script>
</body>
</html>
`;
}
