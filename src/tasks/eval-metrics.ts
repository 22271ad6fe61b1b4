// The held-out evaluation's metrics, defined once: what tasks/evaluate.ts measures, under which
// key and label, what each is a share of, and how it is shown. `eval`, `study`, `experiments` and
// the run report all take their rows from this table, so a metric reads the same everywhere and
// a new one is added in one place.

/**
 * An evaluation's figures as any reader holds them: a result in memory, or eval-before.json /
 * summary.json read back (JSON has no NaN, so a figure that was not a number is null there).
 */
export interface EvalFigures {
  n: number;
  firstTry: number | null;
  secondTry: number | null;
  retryFixRate: number | null;
  /** Only where the task has the reflectionQuality hook (Countdown). */
  goodReflectionRate?: number | null;
  exactReflectionRate?: number | null;
  judge: { accuracy: number | null; n: number };
}

export type EvalMetricKey =
  "first_try" | "second_try" | "retry_fix" | "good_reflection" | "exact_reflection" | "judging";

export interface EvalMetric {
  /** Stable key: study.json's metric names. */
  key: EvalMetricKey;
  /** Short name: eval's lines, the study and experiments tables. */
  label: string;
  /** Self-contained name: the run report's before/after rows. */
  description: string;
  /** What the share is taken over (its n, for a standard error). */
  of: "problems" | "failures" | "judged";
  /** The figure, or null/undefined where this evaluation did not measure it. */
  value(e: EvalFigures): number | null | undefined;
  /** How a value is shown. */
  format(x: number): string;
}

/** A share in [0, 1] as a percentage with one decimal. */
export function percent(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

export const EVAL_METRICS: readonly EvalMetric[] = [
  {
    key: "first_try",
    label: "first try",
    description: "first-try accuracy",
    of: "problems",
    value: (e) => e.firstTry,
    format: percent,
  },
  {
    key: "second_try",
    label: "second try",
    description: "second-try accuracy",
    of: "problems",
    value: (e) => e.secondTry,
    format: percent,
  },
  {
    key: "retry_fix",
    label: "retry fixes",
    description: "retry fixes (share of failures)",
    of: "failures",
    value: (e) => e.retryFixRate,
    format: percent,
  },
  {
    key: "good_reflection",
    label: "good reflection",
    description: "reflections naming a good move",
    of: "failures",
    value: (e) => e.goodReflectionRate,
    format: percent,
  },
  {
    key: "exact_reflection",
    label: "exact reflection",
    description: "reflections exactly right",
    of: "failures",
    value: (e) => e.exactReflectionRate,
    format: percent,
  },
  {
    key: "judging",
    label: "judging",
    description: "judging accuracy",
    of: "judged",
    value: (e) => e.judge.accuracy,
    format: percent,
  },
];

export function evalMetric(key: EvalMetricKey): EvalMetric {
  return EVAL_METRICS.find((m) => m.key === key) as EvalMetric;
}

/** The metrics a study summarises over seeds, in its table's order. */
export const STUDY_METRICS: readonly EvalMetricKey[] = ["first_try", "second_try", "judging", "good_reflection"];

/** A metric's value when it is a finite number, else null (not measured, or NaN read back as null). */
export function metricValue(m: EvalMetric, e: EvalFigures): number | null {
  const v = m.value(e);
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** How many items the metric's share is over: problems, first-try failures, or judged answers. */
export function metricCount(m: EvalMetric, e: EvalFigures): number {
  if (m.of === "judged") return e.judge.n;
  if (m.of === "problems") return e.n;
  return e.firstTry === null ? 0 : Math.round(e.n * (1 - e.firstTry));
}
