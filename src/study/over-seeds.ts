// Running a scenario over seeds, and what the seeds say together: the one multi-seed runner that
// `study` (runs in this process, one after another) and `experiments` (child processes, a few at
// a time) share, and the before → after summary both report as mean and spread over seeds.
import { evalMetric, metricValue, type EvalFigures, type EvalMetricKey } from "../tasks/eval-metrics.js";

/** One run of a scenario at one seed, in a directory of its own. */
export interface SeedRunJob {
  seed: number;
  out: string;
}

export interface OverSeedsOptions<J, R> {
  /** Runs in flight at once (default 1: one after another, in order). */
  parallel?: number;
  /** Hears about each run as it ends (in the order they end), with how many have ended. */
  onDone?: (result: R, job: J, done: number, total: number) => void;
}

/**
 * Runs every job with `launch`, `parallel` at a time, and returns the results in the jobs'
 * order. How a run is carried out (in this process, or as a `selfimprove run` child process that
 * can be skipped or resumed) is the caller's `launch`.
 */
export async function runOverSeeds<J extends SeedRunJob, R>(
  jobs: readonly J[],
  launch: (job: J, index: number) => Promise<R>,
  opts: OverSeedsOptions<J, R> = {},
): Promise<R[]> {
  const results = new Array<R>(jobs.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const index = next++;
      const job = jobs[index] as J;
      const result = await launch(job, index);
      results[index] = result;
      opts.onDone?.(result, job, ++done, jobs.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.parallel ?? 1, jobs.length)) }, worker));
  return results;
}

export interface Stat {
  mean: number;
  std: number;
  min: number;
  max: number;
}

/** Mean, sample standard deviation (0 for one value), min and max. */
export function stat(xs: readonly number[]): Stat {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, min: Math.min(...xs), max: Math.max(...xs) };
}

/** A metric's before → after over seeds. */
export interface Change {
  before: Stat;
  after: Stat;
  /** after − before, in accuracy points (fractions). */
  delta: Stat;
  /** (after − before) / before, over seeds whose before is above zero; null when none is. */
  relative: Stat | null;
  /** Seeds with both values. */
  seeds: number;
}

const finite = (x: number | null | undefined): x is number => typeof x === "number" && Number.isFinite(x);

/** The change over seeds from (before, after) pairs; pairs missing either value are left out. */
export function changeOver(
  pairs: ReadonlyArray<readonly [number | null | undefined, number | null | undefined]>,
): Change | null {
  const ok = pairs.filter((p): p is readonly [number, number] => finite(p[0]) && finite(p[1]));
  if (ok.length === 0) return null;
  const rel = ok.filter((p) => p[0] > 0).map((p) => (p[1] - p[0]) / p[0]);
  return {
    before: stat(ok.map((p) => p[0])),
    after: stat(ok.map((p) => p[1])),
    delta: stat(ok.map((p) => p[1] - p[0])),
    relative: rel.length > 0 ? stat(rel) : null,
    seeds: ok.length,
  };
}

/** Each run's held-out evaluations before and after training (either may be missing). */
export interface BeforeAfter {
  before?: EvalFigures | null | undefined;
  after?: EvalFigures | null | undefined;
}

/** One metric of the evaluation table (tasks/eval-metrics.ts) over the runs of one scenario. */
export function metricChange(runs: readonly BeforeAfter[], key: EvalMetricKey): Change | null {
  const metric = evalMetric(key);
  return changeOver(
    runs.map(
      (r) => [r.before ? metricValue(metric, r.before) : null, r.after ? metricValue(metric, r.after) : null] as const,
    ),
  );
}
