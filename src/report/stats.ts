// The numbers a run report shows, computed from the run directory's records: per-metric
// first/last/mean/min/max over the steps, the before/after evaluation side by side, the
// training facts (updates, skips, time), and a spread of sample completions.
import type { CompletionRow, EvalRecord, MetricsRecord, RunData } from "./load.js";

export interface MetricSpec {
  key: string;
  label: string;
  digits: number;
}

export const REPORT_METRICS: MetricSpec[] = [
  { key: "reward_mean", label: "reward (mean)", digits: 3 },
  { key: "reward_std", label: "reward (std)", digits: 3 },
  { key: "first_try_accuracy", label: "first-try accuracy", digits: 3 },
  { key: "second_try_accuracy", label: "second-try accuracy", digits: 3 },
  { key: "retry_accuracy", label: "retry accuracy", digits: 3 },
  { key: "judge_p_yes", label: "judge P(yes)", digits: 3 },
  { key: "kl", label: "KL to reference", digits: 4 },
  { key: "entropy", label: "entropy", digits: 3 },
  { key: "loss", label: "loss", digits: 4 },
  { key: "grad_norm", label: "gradient norm", digits: 3 },
  { key: "tokens_per_second", label: "tokens / s", digits: 0 },
  { key: "seconds", label: "seconds / step", digits: 2 },
];

export interface MetricSummary extends MetricSpec {
  /** Steps with a value (a metric can be undefined for a step: no retries, no judge...). */
  n: number;
  first: number | null;
  last: number | null;
  mean: number | null;
  min: number | null;
  max: number | null;
}

function valueOf(m: MetricsRecord, key: string): number | null {
  const v = (m as Record<string, unknown>)[key];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

export function summarizeMetrics(metrics: readonly MetricsRecord[]): MetricSummary[] {
  return REPORT_METRICS.map((spec) => {
    const values = metrics.map((m) => valueOf(m, spec.key)).filter((v): v is number => v !== null);
    if (values.length === 0) return { ...spec, n: 0, first: null, last: null, mean: null, min: null, max: null };
    return {
      ...spec,
      n: values.length,
      first: values[0] as number,
      last: values[values.length - 1] as number,
      mean: values.reduce((a, b) => a + b, 0) / values.length,
      min: Math.min(...values),
      max: Math.max(...values),
    };
  });
}

export interface EvalRow {
  label: string;
  before: number | null;
  after: number | null;
  /** after − before, where both exist. */
  delta: number | null;
}

const EVAL_FIELDS: Array<[string, (e: EvalRecord) => number | null]> = [
  ["first-try accuracy", (e) => e.firstTry],
  ["second-try accuracy", (e) => e.secondTry],
  ["retry fixes (share of failures)", (e) => e.retryFixRate],
  ["reflections naming a good move", (e) => e.goodReflectionRate ?? null],
  ["reflections exactly right", (e) => e.exactReflectionRate ?? null],
  ["judging accuracy", (e) => e.judge.accuracy],
  ["judging − answering gap", (e) => e.judgeGap],
];

export function evalRows(before: EvalRecord | undefined, after: EvalRecord | undefined): EvalRow[] {
  if (!before && !after) return [];
  return EVAL_FIELDS.map(([label, get]) => {
    const b = before ? get(before) : null;
    const a = after ? get(after) : null;
    return { label, before: b, after: a, delta: a !== null && b !== null ? a - b : null };
  });
}

export function trainingFacts(data: RunData): Array<[string, string]> {
  const m = data.metrics;
  const updates = m.filter((x) => x.updated).length;
  const skips = new Map<string, number>();
  for (const x of m) if (!x.updated) skips.set(x.skip_reason ?? "skipped", (skips.get(x.skip_reason ?? "skipped") ?? 0) + 1);
  const stepSeconds = m.reduce((a, x) => a + (x.seconds ?? 0), 0);
  const last = m[m.length - 1] as MetricsRecord;
  const facts: Array<[string, string]> = [
    ["scenario", data.summary.scenario],
    ["steps logged", `${m.length} of ${data.summary.steps}${data.summary.stopped === true ? " (stopped by the user)" : m.length < data.summary.steps ? " (ended early)" : ""}`],
    ["seed", String(data.summary.seed)],
    ["updates", `${updates}${skips.size > 0 ? `; skipped: ${[...skips].map(([r, n]) => `${n}× ${r}`).join(", ")}` : ""}`],
    ["final weight version", String(last.weight_version)],
    ["experiences trained on", String(m.reduce((a, x) => a + x.experiences, 0))],
    ["batches given up", String(m.reduce((a, x) => a + x.gave_up, 0))],
    ["time", `${data.summary.seconds.toFixed(1)} s in all, ${stepSeconds.toFixed(1)} s in steps`],
  ];
  const ckptErrors = m.filter((x) => x.checkpoint_error !== undefined);
  if (ckptErrors.length > 0) facts.push(["checkpoint failures", `${ckptErrors.length}; last: ${(ckptErrors[ckptErrors.length - 1] as MetricsRecord).checkpoint_error ?? ""}`]);
  if (data.failureSetSize !== undefined) facts.push(["failure set", `${data.failureSetSize} problems the model failed (R3's rejection sampling)`]);
  facts.push(["completions logged", data.hasCompletionsFile ? String(data.completions.length) : "none (no completions.jsonl: the scenario has no verifier)"]);
  return facts;
}

export interface SampleGroup {
  title: string;
  rows: CompletionRow[];
}

/**
 * A spread of what the model wrote: the newest few of each outcome, so a report shows the
 * reflections that worked next to the ones that did not, not just whatever came last.
 */
export function sampleCompletions(rows: readonly CompletionRow[], perGroup = 6): SampleGroup[] {
  const groups: Array<{ title: string; test: (c: CompletionRow) => boolean }> = [
    { title: "Fixed by reflection (wrong first, right on the retry)", test: (c) => c.retry !== undefined && c.correct === true },
    { title: "Still wrong after reflection", test: (c) => c.retry !== undefined && c.correct === false },
    { title: "Right on the first try", test: (c) => c.retry === undefined && c.correct === true },
    { title: "Wrong on the first try", test: (c) => c.retry === undefined && c.correct === false },
  ];
  return groups.map((g) => ({ title: g.title, rows: newestDistinct(rows.filter(g.test), perGroup) })).filter((g) => g.rows.length > 0);
}

/** The newest `n` rows, one per task first (G reflections on one failure look alike), then the rest. */
function newestDistinct(rows: readonly CompletionRow[], n: number): CompletionRow[] {
  const newest = [...rows].reverse();
  const seen = new Set<string>();
  const picked = newest.filter((c) => {
    if (seen.has(c.taskId)) return false;
    seen.add(c.taskId);
    return true;
  });
  for (const c of newest) {
    if (picked.length >= n) break;
    if (!picked.includes(c)) picked.push(c);
  }
  return picked.slice(0, n);
}
