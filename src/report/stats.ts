// The numbers a run report shows, computed from the run directory's records: per-metric
// first/last/mean/min/max over the steps, the before/after evaluation side by side, the
// training facts (updates, skips, time), and a spread of sample completions.
import type { Topology } from "../viz/topology.js";
import type { CompletionRow, EvalRecord, MetricsRecord, RunData } from "./load.js";
import { EVAL_METRICS, metricCount, metricValue } from "../tasks/eval-metrics.js";

export interface MetricSpec {
  key: string;
  label: string;
  /** Decimals; for a percentage, decimals of the percentage. */
  digits: number;
  /** A fraction in [0, 1], shown as a percentage. */
  percent?: boolean;
}

export const REPORT_METRICS: MetricSpec[] = [
  { key: "reward_mean", label: "reward (mean)", digits: 3 },
  { key: "reward_std", label: "reward (std)", digits: 3 },
  { key: "frac_reward_zero_std", label: "groups with one reward", digits: 1, percent: true },
  { key: "first_try_accuracy", label: "first-try accuracy", digits: 1, percent: true },
  { key: "second_try_accuracy", label: "second-try accuracy", digits: 1, percent: true },
  { key: "retry_accuracy", label: "retry accuracy", digits: 1, percent: true },
  { key: "judge_p_yes", label: "judge P(yes)", digits: 1, percent: true },
  { key: "judge_agreement", label: "judge agrees with verifier", digits: 1, percent: true },
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

/** A share measured on `n` problems, with its binomial standard error. */
export interface Measured {
  value: number;
  n: number;
  /** sqrt(p(1-p)/n): one standard error, as a fraction. */
  se: number;
  /** What n counts, where "n = N" would not say it. */
  nNote?: string;
}

export interface EvalRow {
  label: string;
  before: Measured | null;
  after: Measured | null;
  /** after − before, where both exist, with the standard error of a difference of independent shares. */
  delta: { value: number; se: number } | null;
  /** A difference of two shares (judging − answering), not a share: its n names both. */
  difference?: boolean;
}

function measured(value: number | null | undefined, n: number): Measured | null {
  if (typeof value !== "number" || !Number.isFinite(value) || n <= 0) return null;
  return { value, n, se: Math.sqrt(Math.max(0, value * (1 - value)) / n) };
}

// The evaluation table's rows, each share with its n (problems, first-try failures or judged answers).
const EVAL_FIELDS: Array<[string, (e: EvalRecord) => Measured | null]> = EVAL_METRICS.map((m) => [
  m.description,
  (e) => measured(metricValue(m, e), metricCount(m, e)),
]);

/** Judging minus answering accuracy, with the standard error of that difference. */
function gap(e: EvalRecord): Measured | null {
  const judge = measured(e.judge.accuracy, e.judge.n);
  const first = measured(e.firstTry, e.n);
  if (!judge || !first || typeof e.judgeGap !== "number") return null;
  return {
    value: e.judgeGap,
    n: e.n,
    se: Math.hypot(judge.se, first.se),
    nNote: `n = ${e.judge.n} judged, ${e.n} answered`,
  };
}

function row(label: string, b: Measured | null, a: Measured | null, difference = false): EvalRow {
  const delta = a && b ? { value: a.value - b.value, se: Math.hypot(a.se, b.se) } : null;
  return { label, before: b, after: a, delta, ...(difference ? { difference } : {}) };
}

export function evalRows(before: EvalRecord | undefined, after: EvalRecord | undefined): EvalRow[] {
  if (!before && !after) return [];
  const rows = EVAL_FIELDS.map(([label, get]) => row(label, before ? get(before) : null, after ? get(after) : null));
  rows.push(row("judging − answering gap", before ? gap(before) : null, after ? gap(after) : null, true));
  // Reflection rates exist only for tasks with the reflectionQuality hook (Countdown).
  return rows.filter((r) => r.before !== null || r.after !== null);
}

export function trainingFacts(data: RunData): Array<[string, string]> {
  const m = data.metrics;
  const updates = m.filter((x) => x.updated).length;
  const skips = new Map<string, number>();
  for (const x of m)
    if (!x.updated) skips.set(x.skip_reason ?? "skipped", (skips.get(x.skip_reason ?? "skipped") ?? 0) + 1);
  const stepSeconds = m.reduce((a, x) => a + (x.seconds ?? 0), 0);
  const last = m[m.length - 1] as MetricsRecord;
  const facts: Array<[string, string]> = [
    ["scenario", data.summary.scenario],
    [
      "steps logged",
      `${m.length} of ${data.summary.steps}${data.summary.stopped === true ? " (stopped by the user)" : m.length < data.summary.steps ? " (ended early)" : ""}`,
    ],
    ["seed", String(data.summary.seed)],
    [
      "updates",
      `${updates}${skips.size > 0 ? `; skipped: ${[...skips].map(([r, n]) => `${n}× ${r}`).join(", ")}` : ""}`,
    ],
    ["final weight version", String(last.weight_version)],
    ["experiences trained on", String(m.reduce((a, x) => a + x.experiences, 0))],
    ["batches given up", String(m.reduce((a, x) => a + x.gave_up, 0))],
    ["time", `${data.summary.seconds.toFixed(1)} s in all, ${stepSeconds.toFixed(1)} s in steps`],
  ];
  const ckptErrors = m.filter((x) => x.checkpoint_error !== undefined);
  if (ckptErrors.length > 0)
    facts.push([
      "checkpoint failures",
      `${ckptErrors.length}; last: ${(ckptErrors[ckptErrors.length - 1] as MetricsRecord).checkpoint_error ?? ""}`,
    ]);
  if (data.failureSetSize !== undefined)
    facts.push(["failure set", `${data.failureSetSize} problems the model failed (R3's rejection sampling)`]);
  facts.push([
    "completions logged",
    data.hasCompletionsFile
      ? String(data.completions.length)
      : "none (no completions.jsonl: the scenario has no verifier)",
  ]);
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
    {
      title: "Fixed by reflection (wrong first, right on the retry)",
      test: (c) => c.retry !== undefined && c.correct === true,
    },
    { title: "Still wrong after reflection", test: (c) => c.retry !== undefined && c.correct === false },
    { title: "Right on the first try", test: (c) => c.retry === undefined && c.correct === true },
    { title: "Wrong on the first try", test: (c) => c.retry === undefined && c.correct === false },
  ];
  return groups
    .map((g) => ({ title: g.title, rows: newestDistinct(rows.filter(g.test), perGroup) }))
    .filter((g) => g.rows.length > 0);
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

/**
 * Whether the run is R3-shaped: failures go to a Reflector and the Learner trains reflection
 * tokens only, rewarded by the retry's verdict. Read from the recorded topology (a reflector
 * node), or, for runs that did not record one, from logged reflections.
 */
export function trainsReflectionsOnly(data: RunData, topology?: Topology): boolean {
  if (topology) return topology.nodes.some((n) => n.id === "reflector");
  return data.completions.some((c) => c.reflection !== undefined);
}

/**
 * The reward a sample row shows. In an R3 run a first attempt trains nothing (right ones are
 * done, wrong ones lead to reflections, which are rewarded on their retry's row), so its logged
 * verifier score is shown as "not trained" rather than as a reward of 1.00 or 0.00.
 */
export function shownReward(c: CompletionRow, reflectionsOnly: boolean): number | "not trained" | null {
  if (reflectionsOnly && c.retry === undefined && c.attempt !== undefined) return "not trained";
  return typeof c.reward === "number" && Number.isFinite(c.reward) ? c.reward : null;
}
