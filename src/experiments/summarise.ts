// From finished run directories to the study's numbers: before → after per task and method as
// mean and spread over seeds, each base model's judging-vs-answering gap, learning curves, and
// the comparison with the papers' headline gains.
import path from "node:path";
import { PROJECT_ROOT } from "../paths.js";
import { loadRunDir, type RunData } from "../report/load.js";
import { metricChange, stat, type Change, type Stat } from "../study/over-seeds.js";
import { evalMetric, metricValue, type EvalMetricKey } from "../tasks/eval-metrics.js";
import type { PretrainableTask } from "../tasks/registry.js";
import type { Method, PlannedRun } from "./plan.js";

export type { Change } from "../study/over-seeds.js";

export interface ArmResult {
  task: PretrainableTask;
  method: Method;
  firstTry: Change | null;
  secondTry: Change | null;
  judging: Change | null;
  /** Wall-clock seconds per run (mean). */
  seconds: number;
}

export interface GapResult {
  task: PretrainableTask;
  /** Over every run's "before" evaluation of the base model (all methods and seeds). */
  answering: Stat;
  judging: Stat;
  gap: Stat;
  evaluations: number;
}

export interface CurvePoint {
  task: PretrainableTask;
  method: Method;
  seed: number;
  step: number;
  reward: number | null;
  firstTry: number | null;
}

export interface Headline {
  claim: string;
  paper: { relative: number; text: string };
  ours: Change | null;
  metric: string;
  task: PretrainableTask;
  method: Method;
}

/** One run's held-out before → after (fractions; null where not measured). */
export interface SeedRow {
  task: PretrainableTask;
  method: Method;
  seed: number;
  firstTry: [number | null, number | null];
  secondTry: [number | null, number | null];
  seconds: number;
}

export interface StudyResults {
  arms: ArmResult[];
  seeds: SeedRow[];
  gaps: GapResult[];
  curves: CurvePoint[];
  headlines: Headline[];
  failed: string[];
}

const finite = (x: number | null | undefined): x is number => typeof x === "number" && Number.isFinite(x);

// The papers' headlines (../shared/PAPERS.md). R3 reports relative gains; RLC reports the BBH
// average 31.23% → 37.09%, a relative gain of 18.8%.
const HEADLINES: ReadonlyArray<Omit<Headline, "ours" | "metric"> & { metric: HeadlineMetric }> = [
  {
    claim: "R3, equation writing (Countdown)",
    paper: { relative: 0.347, text: "+34.7% relative (best model)" },
    metric: "second_try",
    task: "countdown",
    method: "r3",
  },
  {
    claim: "R3, function calling",
    paper: { relative: 0.181, text: "+18.1% relative (best model)" },
    metric: "second_try",
    task: "functions",
    method: "r3",
  },
  {
    claim: "RLC, reasoning (BBH average)",
    paper: { relative: 37.09 / 31.23 - 1, text: "31.23% → 37.09% (+18.8% relative)" },
    metric: "first_try",
    task: "bbh",
    method: "rlc",
  },
];

/** The evaluation metrics an arm reports, by its field (from the evaluation table). */
const ARM_METRICS = { firstTry: "first_try", secondTry: "second_try", judging: "judging" } as const satisfies Record<
  string,
  EvalMetricKey
>;
type HeadlineMetric = (typeof ARM_METRICS)["firstTry" | "secondTry"];

export function summarise(plan: readonly PlannedRun[]): StudyResults {
  const loaded = new Map<string, RunData>();
  const failed: string[] = [];
  for (const r of plan) {
    try {
      loaded.set(r.id, loadRunDir(r.out));
    } catch (err) {
      // Paths relative to the project, so a committed report does not name this machine's directories.
      failed.push(
        `${r.id}: ${(err instanceof Error ? err.message : String(err)).replaceAll(`${PROJECT_ROOT}${path.sep}`, "")}`,
      );
    }
  }
  const arms: ArmResult[] = [];
  const curves: CurvePoint[] = [];
  const seeds: SeedRow[] = [];
  for (const r of plan) {
    const s = loaded.get(r.id)?.summary;
    if (!s) continue;
    const both = (key: EvalMetricKey): [number | null, number | null] => {
      const m = evalMetric(key);
      return [s.before ? metricValue(m, s.before) : null, s.after ? metricValue(m, s.after) : null];
    };
    seeds.push({
      task: r.task,
      method: r.method,
      seed: r.seed,
      firstTry: both(ARM_METRICS.firstTry),
      secondTry: both(ARM_METRICS.secondTry),
      seconds: s.seconds,
    });
  }
  const keys = [...new Set(plan.map((r) => `${r.task}/${r.method}`))];
  for (const key of keys) {
    const members = plan.filter((r) => `${r.task}/${r.method}` === key);
    const first = members[0] as PlannedRun;
    const runs = members.flatMap((r) => (loaded.has(r.id) ? [loaded.get(r.id) as RunData] : []));
    if (runs.length === 0) continue;
    const summaries = runs.map((r) => r.summary);
    arms.push({
      task: first.task,
      method: first.method,
      firstTry: metricChange(summaries, ARM_METRICS.firstTry),
      secondTry: metricChange(summaries, ARM_METRICS.secondTry),
      judging: metricChange(summaries, ARM_METRICS.judging),
      seconds: runs.reduce((a, r) => a + r.summary.seconds, 0) / runs.length,
    });
    for (const r of members) {
      const data = loaded.get(r.id);
      for (const m of data?.metrics ?? [])
        curves.push({
          task: r.task,
          method: r.method,
          seed: r.seed,
          step: m.step + 1,
          reward: finite(m.reward_mean) ? m.reward_mean : null,
          firstTry: finite(m.first_try_accuracy) ? m.first_try_accuracy : null,
        });
    }
  }
  const gaps: GapResult[] = [];
  for (const task of [...new Set(plan.map((r) => r.task))]) {
    const befores = plan
      .filter((r) => r.task === task)
      .flatMap((r) => {
        const b = loaded.get(r.id)?.summary.before;
        return b && finite(b.firstTry) && finite(b.judge.accuracy) ? [b] : [];
      });
    if (befores.length === 0) continue;
    gaps.push({
      task,
      answering: stat(befores.map((b) => b.firstTry as number)),
      judging: stat(befores.map((b) => b.judge.accuracy as number)),
      gap: stat(befores.map((b) => (b.judge.accuracy as number) - (b.firstTry as number))),
      evaluations: befores.length,
    });
  }
  const headlines: Headline[] = HEADLINES.filter((h) => keys.includes(`${h.task}/${h.method}`)).map((h) => {
    const arm = arms.find((a) => a.task === h.task && a.method === h.method);
    return {
      ...h,
      metric: evalMetric(h.metric).label,
      ours: (h.metric === ARM_METRICS.secondTry ? arm?.secondTry : arm?.firstTry) ?? null,
    };
  });
  return { arms, seeds, gaps, curves, headlines, failed };
}
