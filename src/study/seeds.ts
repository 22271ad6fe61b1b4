// `study`: a scenario over several seeds, each a full run in its own directory (in this process,
// one after another), summarised as before → after mean and spread: the unit of evidence for
// "it learns". The running and the summary over seeds are shared with `experiments`
// (over-seeds.ts); the metrics are the evaluation table's (tasks/eval-metrics.ts).
import path from "node:path";
import { ScenarioRun, type RunSummary, type StepMetrics } from "../run/runner.js";
import type { Scenario } from "../run/scenario.js";
import { evalMetric, metricValue, STUDY_METRICS } from "../tasks/eval-metrics.js";
import { metricChange, runOverSeeds, stat, type Stat } from "./over-seeds.js";

export { stat, type Stat } from "./over-seeds.js";

export interface SeedStudy {
  scenario: string;
  seeds: number[];
  runs: RunSummary[];
  /** By metric key (first_try, second_try, judging, good_reflection), where any seed measured it. */
  metrics: Record<string, { before: Stat; after: Stat; delta: Stat; relative: Stat }>;
}

export interface SeedRunHooks {
  /** A run's progress, as ScenarioRun reports it; `index` is the seed's place in the list. */
  onPhase?: (index: number, phase: string) => void;
  onStep?: (index: number, m: StepMetrics) => void;
  onRun?: (seed: number, s: RunSummary) => void;
}

export async function runSeeds(
  scenario: Scenario,
  seeds: readonly number[],
  out: string,
  opts: { steps?: number; evalN?: number } & SeedRunHooks = {},
): Promise<SeedStudy> {
  const { onPhase, onStep } = opts;
  const jobs = seeds.map((seed) => ({ seed, out: path.join(out, `seed-${seed}`) }));
  const runs = await runOverSeeds(
    jobs,
    async (job, index) => {
      const run = await ScenarioRun.create(scenario, {
        out: job.out,
        seed: job.seed,
        ...(opts.steps ? { steps: opts.steps } : {}),
        ...(opts.evalN ? { evalN: opts.evalN } : {}),
        ...(onPhase ? { onPhase: (p: string) => onPhase(index, p) } : {}),
        ...(onStep ? { onStep: (m: StepMetrics) => onStep(index, m) } : {}),
      });
      return run.run();
    },
    { onDone: (s, job) => opts.onRun?.(job.seed, s) },
  );
  return seedStudy(scenario.name, seeds, runs);
}

/** The study of finished runs: each of the study's metrics before → after over the seeds. */
export function seedStudy(scenario: string, seeds: readonly number[], runs: RunSummary[]): SeedStudy {
  const metrics: SeedStudy["metrics"] = {};
  for (const key of STUDY_METRICS) {
    const c = metricChange(runs, key);
    // A metric no seed measured (reflection quality is a hook only some tasks have) has no row.
    if (c === null) continue;
    metrics[key] = { before: c.before, after: c.after, delta: c.delta, relative: c.relative ?? stat([]) };
  }
  return { scenario, seeds: [...seeds], runs, metrics };
}

/** One seed's line as its run ends: first and second try before → after. */
export function seedRunLine(seed: number, s: RunSummary): string {
  const changes = (["first_try", "second_try"] as const).map((key) => {
    const m = evalMetric(key);
    const at = (e: RunSummary["before"]): string => (e ? (metricValue(m, e)?.toFixed(3) ?? "-") : "-");
    return `${m.label} ${at(s.before)} → ${at(s.after)}`;
  });
  return `seed ${seed}: ${changes.join(", ")} (${s.seconds.toFixed(0)} s)`;
}

const points = (x: number): string => (100 * x).toFixed(1);

/** A Markdown table: one row per metric, before → after as mean ± std over seeds. */
export function studyTable(s: SeedStudy): string {
  const rows = STUDY_METRICS.filter((key) => s.metrics[key] !== undefined).map((key) => {
    const { label, format } = evalMetric(key);
    const m = s.metrics[key] as SeedStudy["metrics"][string];
    return `| ${label} | ${format(m.before.mean)} ± ${format(m.before.std)} | ${format(m.after.mean)} ± ${format(m.after.std)} | ${m.delta.mean >= 0 ? "+" : ""}${points(m.delta.mean)} ± ${points(m.delta.std)} pts (min ${points(m.delta.min)}, max ${points(m.delta.max)}) | ${Number.isFinite(m.relative.mean) ? `${m.relative.mean >= 0 ? "+" : ""}${points(m.relative.mean)}%` : "n/a"} |`;
  });
  return [
    `**${s.scenario}**, seeds ${s.seeds.join(", ")}`,
    "",
    "| metric | before | after | change | relative |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}
