// A run's report as ONE self-contained HTML file: styles, uPlot, the chart script and the data
// are inlined, so it opens from disk (file://) with no server and no network, and can be mailed
// or attached to an issue as is. Everything from the run is HTML-escaped; the chart data sits in
// a JSON script block with "<" escaped so model output cannot close it.
import { ASSETS, assetText } from "../inspect/assets.js";
import type { Topology } from "../viz/topology.js";
import type { CompletionRow, MetricsRecord, RunData } from "./load.js";
import {
  REPORT_METRICS,
  evalRows,
  sampleCompletions,
  shownReward,
  summarizeMetrics,
  trainingFacts,
  trainsReflectionsOnly,
  type EvalRow,
  type Measured,
  type MetricSpec,
} from "./stats.js";

export interface ReportOptions {
  /** The topology the run recorded, when it did (what the Learner is fed decides which rewards trained). */
  topology?: Topology;
  /** The recorded topology as inline SVG. */
  topologySvg?: string;
  /** Why there is no topology (shown instead). */
  topologyNote?: string;
  generatedAt?: Date;
}

export function esc(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

function fmt(v: number | null | undefined, digits: number): string {
  return typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "–";
}

/** A metric's value as its spec says: a fraction as a percentage. */
function fmtMetric(v: number | null | undefined, spec: MetricSpec): string {
  if (typeof v !== "number" || !Number.isFinite(v)) return "–";
  return spec.percent === true ? `${(100 * v).toFixed(spec.digits)}%` : v.toFixed(spec.digits);
}

const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;

/** "6.3% ± 1.4 <small>n = 300</small>": the share, one standard error in points, and n. */
function fmtMeasured(m: Measured | null, difference: boolean): string {
  if (!m) return "–";
  const value = difference ? `${m.value >= 0 ? "+" : ""}${(100 * m.value).toFixed(1)} pts` : pct(m.value);
  return `${value} ± ${(100 * m.se).toFixed(1)} <small class="n">${esc(m.nNote ?? `n = ${m.n}`)}</small>`;
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
      const d = r.delta;
      const cls = d === null || r.difference === true ? "" : d.value > 0 ? "better" : d.value < 0 ? "worse" : "";
      const delta =
        d === null ? "–" : `${d.value >= 0 ? "+" : ""}${(100 * d.value).toFixed(1)} pts ± ${(100 * d.se).toFixed(1)}`;
      const diff = r.difference === true;
      return `<tr><td>${esc(r.label)}</td><td class="num">${fmtMeasured(r.before, diff)}</td><td class="num">${fmtMeasured(r.after, diff)}</td><td class="num ${cls}">${delta}</td></tr>`;
    })
    .join("\n");
  return (
    `<table class="table"><thead><tr><th>held-out</th><th class="num">before</th><th class="num">after</th><th class="num">change</th></tr></thead><tbody>\n${body}\n</tbody></table>` +
    `<p class="note">± is one standard error, sqrt(p(1 − p)/n), in percentage points; n is the number of problems the share is of (retry and reflection rates: the first try's failures). The change's standard error treats the two evaluations as independent.</p>`
  );
}

function metricSummaryTable(metrics: readonly MetricsRecord[]): string {
  const rows = summarizeMetrics(metrics)
    .filter((s) => s.n > 0)
    .map(
      (s) =>
        `<tr><td>${esc(s.label)}</td>${[s.first, s.last, s.mean, s.min, s.max].map((v) => `<td class="num">${fmtMetric(v, s)}</td>`).join("")}<td class="num">${s.n}</td></tr>`,
    )
    .join("\n");
  return `<table class="table"><thead><tr><th>metric</th><th class="num">first</th><th class="num">last</th><th class="num">mean</th><th class="num">min</th><th class="num">max</th><th class="num">steps</th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

function stepTable(metrics: readonly MetricsRecord[]): string {
  const head = ["step", "version", "updated", ...REPORT_METRICS.map((m) => m.label)]
    .map((h, i) => `<th${i === 0 || i > 2 ? ' class="num"' : ""}>${esc(h)}</th>`)
    .join("");
  const rows = metrics
    .map((m) => {
      const values = REPORT_METRICS.map(
        (spec) => `<td class="num">${fmtMetric((m as Record<string, unknown>)[spec.key] as number | null, spec)}</td>`,
      ).join("");
      return `<tr><td class="num">${m.step}</td><td class="num">${m.weight_version}</td><td>${m.updated ? "yes" : esc(`no: ${m.skip_reason ?? "skipped"}`)}</td>${values}</tr>`;
    })
    .join("\n");
  return `<div class="scroll"><table class="table"><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table></div>`;
}

function completionTable(rows: readonly CompletionRow[], reflectionsOnly: boolean): string {
  const body = rows
    .map((c) => {
      const reward = shownReward(c, reflectionsOnly);
      const rewardCell =
        reward === "not trained"
          ? `<td class="num untrained" title="R3 trains reflection tokens only; a first attempt trains nothing">not trained</td>`
          : `<td class="num">${fmt(reward, 2)}</td>`;
      return (
        `<tr><td class="num">${c.step}</td><td class="mono">${esc(c.prompt)}</td><td class="mono">${esc(c.attempt ?? "")}</td><td class="mono">${esc(c.reflection ?? "")}</td>` +
        `<td class="mono">${esc(c.retry ?? "")}</td><td class="${c.correct ? "right" : "wrong"}">${c.correct === undefined ? "" : c.correct ? "✓ right" : "✗ wrong"}</td>${rewardCell}</tr>`
      );
    })
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
  const reflectionsOnly = trainsReflectionsOnly(data, opts.topology);
  const samples =
    groups.length > 0
      ? groups
          .map(
            (g) =>
              `<h3>${esc(g.title)} <small>(${g.rows.length} newest)</small></h3>\n${completionTable(g.rows, reflectionsOnly)}`,
          )
          .join("\n")
      : `<p class="empty">No completions were logged.</p>`;
  const topology =
    opts.topologySvg !== undefined
      ? `<div class="diagram">${opts.topologySvg}</div>`
      : `<p class="empty">${esc(opts.topologyNote ?? "No topology.")}</p>`;
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
<style>.report small.n { color: #6b7580; font-size: 0.8em; white-space: nowrap; } .report p.note { color: #56606b; font-size: 0.85em; } .report td.untrained { color: #6b7580; font-style: italic; }</style>
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
