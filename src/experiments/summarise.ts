// From finished run directories to the study's numbers: before → after per task and method as
// mean and spread over seeds, each base model's judging-vs-answering gap, learning curves, and
// the comparison with the papers' headline gains.
import path from "node:path";
import { PROJECT_ROOT } from "../paths.js";
import { loadRunDir, type EvalRecord, type RunData } from "../report/load.js";
import { stat, type Stat } from "../study/seeds.js";
import type { PretrainableTask } from "../tasks/registry.js";
import type { Method, PlannedRun } from "./plan.js";

export interface Change {
  before: Stat;
  after: Stat;
  /** after − before, in accuracy points (fractions). */
  delta: Stat;
  /** (after − before) / before, over seeds whose before is above zero. */
  relative: Stat | null;
  seeds: number;
}

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

function change(pairs: ReadonlyArray<readonly [number | null | undefined, number | null | undefined]>): Change | null {
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

function pairsOf(runs: readonly RunData[], get: (e: EvalRecord) => number | null | undefined): Array<[number | null | undefined, number | null | undefined]> {
  return runs.map((r) => [r.summary.before ? get(r.summary.before) : null, r.summary.after ? get(r.summary.after) : null]);
}

// The papers' headlines (../shared/PAPERS.md). R3 reports relative gains; RLC reports the BBH
// average 31.23% → 37.09%, a relative gain of 18.8%.
const HEADLINES: ReadonlyArray<Omit<Headline, "ours">> = [
  { claim: "R3, equation writing (Countdown)", paper: { relative: 0.347, text: "+34.7% relative (best model)" }, metric: "second try", task: "countdown", method: "r3" },
  { claim: "R3, function calling", paper: { relative: 0.181, text: "+18.1% relative (best model)" }, metric: "second try", task: "functions", method: "r3" },
  { claim: "RLC, reasoning (BBH average)", paper: { relative: 37.09 / 31.23 - 1, text: "31.23% → 37.09% (+18.8% relative)" }, metric: "first try", task: "bbh", method: "rlc" },
];

export function summarise(plan: readonly PlannedRun[]): StudyResults {
  const loaded = new Map<string, RunData>();
  const failed: string[] = [];
  for (const r of plan) {
    try {
      loaded.set(r.id, loadRunDir(r.out));
    } catch (err) {
      // Paths relative to the project, so a committed report does not name this machine's directories.
      failed.push(`${r.id}: ${(err instanceof Error ? err.message : String(err)).replaceAll(`${PROJECT_ROOT}${path.sep}`, "")}`);
    }
  }
  const arms: ArmResult[] = [];
  const curves: CurvePoint[] = [];
  const seeds: SeedRow[] = [];
  const num = (x: number | null | undefined): number | null => (finite(x) ? x : null);
  for (const r of plan) {
    const s = loaded.get(r.id)?.summary;
    if (!s) continue;
    seeds.push({ task: r.task, method: r.method, seed: r.seed, firstTry: [num(s.before?.firstTry), num(s.after?.firstTry)], secondTry: [num(s.before?.secondTry), num(s.after?.secondTry)], seconds: s.seconds });
  }
  const keys = [...new Set(plan.map((r) => `${r.task}/${r.method}`))];
  for (const key of keys) {
    const members = plan.filter((r) => `${r.task}/${r.method}` === key);
    const first = members[0] as PlannedRun;
    const runs = members.flatMap((r) => (loaded.has(r.id) ? [loaded.get(r.id) as RunData] : []));
    if (runs.length === 0) continue;
    arms.push({
      task: first.task,
      method: first.method,
      firstTry: change(pairsOf(runs, (e) => e.firstTry)),
      secondTry: change(pairsOf(runs, (e) => e.secondTry)),
      judging: change(pairsOf(runs, (e) => e.judge.accuracy)),
      seconds: runs.reduce((a, r) => a + r.summary.seconds, 0) / runs.length,
    });
    for (const r of members) {
      const data = loaded.get(r.id);
      for (const m of data?.metrics ?? []) curves.push({ task: r.task, method: r.method, seed: r.seed, step: m.step + 1, reward: finite(m.reward_mean) ? m.reward_mean : null, firstTry: finite(m.first_try_accuracy) ? m.first_try_accuracy : null });
    }
  }
  const gaps: GapResult[] = [];
  for (const task of [...new Set(plan.map((r) => r.task))]) {
    const befores = plan.filter((r) => r.task === task).flatMap((r) => {
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
    return { ...h, ours: (h.metric === "second try" ? arm?.secondTry : arm?.firstTry) ?? null };
  });
  return { arms, seeds, gaps, curves, headlines, failed };
}
