// Running a scenario over several seeds and summarising before → after as mean and spread:
// the unit of evidence for "it learns". Each seed is a full run in its own directory.
import path from "node:path";
import { ScenarioRun, type RunEvalResult, type RunSummary, type StepMetrics } from "../run/runner.js";
import type { Scenario } from "../run/scenario.js";

export interface SeedStudy {
  scenario: string;
  seeds: number[];
  runs: RunSummary[];
  metrics: Record<string, { before: Stat; after: Stat; delta: Stat; relative: Stat }>;
}

export interface Stat {
  mean: number;
  std: number;
  min: number;
  max: number;
}

export function stat(xs: readonly number[]): Stat {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, min: Math.min(...xs), max: Math.max(...xs) };
}

// NaN where a task's evaluator does not measure it (reflection quality is Countdown's own).
const METRICS: Record<string, (r: RunEvalResult) => number> = {
  first_try: (r) => r.firstTry,
  second_try: (r) => r.secondTry,
  judging: (r) => r.judge.accuracy,
  good_reflection: (r) => r.goodReflectionRate ?? NaN,
};

export interface SeedRunHooks {
  /** A run's progress, as ScenarioRun reports it; `index` is the seed's place in the list. */
  onPhase?: (index: number, phase: string) => void;
  onStep?: (index: number, m: StepMetrics) => void;
  onRun?: (seed: number, s: RunSummary) => void;
}

export async function runSeeds(scenario: Scenario, seeds: readonly number[], out: string, opts: { steps?: number; evalN?: number } & SeedRunHooks = {}): Promise<SeedStudy> {
  const runs: RunSummary[] = [];
  for (const [index, seed] of seeds.entries()) {
    const { onPhase, onStep } = opts;
    const run = await ScenarioRun.create(scenario, {
      out: path.join(out, `seed-${seed}`),
      seed,
      ...(opts.steps ? { steps: opts.steps } : {}),
      ...(opts.evalN ? { evalN: opts.evalN } : {}),
      ...(onPhase ? { onPhase: (p: string) => onPhase(index, p) } : {}),
      ...(onStep ? { onStep: (m: StepMetrics) => onStep(index, m) } : {}),
    });
    const s = await run.run();
    runs.push(s);
    opts.onRun?.(seed, s);
  }
  const metrics: SeedStudy["metrics"] = {};
  for (const [name, get] of Object.entries(METRICS)) {
    const pairs = runs.filter((r) => r.before && r.after).map((r) => [get(r.before as RunEvalResult), get(r.after as RunEvalResult)] as const).filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
    if (pairs.length === 0) continue;
    metrics[name] = {
      before: stat(pairs.map((p) => p[0])),
      after: stat(pairs.map((p) => p[1])),
      delta: stat(pairs.map((p) => p[1] - p[0])),
      relative: stat(pairs.map((p) => (p[0] > 0 ? (p[1] - p[0]) / p[0] : NaN)).filter(Number.isFinite)),
    };
  }
  return { scenario: scenario.name, seeds: [...seeds], runs, metrics };
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/** A Markdown table: one row per metric, before → after as mean ± std over seeds. */
export function studyTable(s: SeedStudy): string {
  const rows = Object.entries(s.metrics).map(
    ([name, m]) =>
      `| ${name.replace("_", " ")} | ${pct(m.before.mean)} ± ${pct(m.before.std)} | ${pct(m.after.mean)} ± ${pct(m.after.std)} | ${m.delta.mean >= 0 ? "+" : ""}${(100 * m.delta.mean).toFixed(1)} ± ${(100 * m.delta.std).toFixed(1)} pts (min ${(100 * m.delta.min).toFixed(1)}, max ${(100 * m.delta.max).toFixed(1)}) | ${Number.isFinite(m.relative.mean) ? `${m.relative.mean >= 0 ? "+" : ""}${(100 * m.relative.mean).toFixed(1)}%` : "n/a"} |`,
  );
  return [`**${s.scenario}**, seeds ${s.seeds.join(", ")}`, "", "| metric | before | after | change | relative |", "| --- | --- | --- | --- | --- |", ...rows].join("\n");
}
