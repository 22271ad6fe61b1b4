// The one held-out evaluator (issue 14): every registered task's spec goes through
// tasks/evaluate.ts, and what only Countdown can say, its reflection-quality rates, comes from
// the optional reflectionQuality hook on its TaskSpec. Also the evaluation-metrics table that
// eval, study, experiments and the run report read, and the multi-seed runner study and
// experiments share.
import { beforeAll, describe, expect, test } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import { LanguageModel } from "../src/engine/language-model.js";
import type { Sample, SampleOptions } from "../src/engine/sample.js";
import { formatEval } from "../src/cli/commands/eval.js";
import { evaluateTask, type TaskEvalResult } from "../src/tasks/evaluate.js";
import { EVAL_METRICS, STUDY_METRICS } from "../src/tasks/eval-metrics.js";
import { PRETRAINABLE_TASKS, TASK_REGISTRY, taskEntry } from "../src/tasks/registry.js";
import type { CountdownProblem } from "../src/tasks/countdown/generate.js";
import { SPECIAL } from "../src/tasks/roles.js";
import { evalRows } from "../src/report/stats.js";
import type { EvalRecord } from "../src/report/load.js";
import { runOverSeeds } from "../src/study/over-seeds.js";
import { seedStudy, studyTable } from "../src/study/seeds.js";
import type { RunSummary } from "../src/run/runner.js";

const TINY_MODEL = { dModel: 8, nLayers: 1, nHeads: 2, mlpRatio: 1, valueHead: false };

beforeAll(async () => {
  await initBackend("wasm");
});

describe("one evaluator for every registered task", () => {
  test.each(PRETRAINABLE_TASKS)(
    "%s: evaluated by evaluateTask; reflection rates exactly where the spec has the hook",
    (name) => {
      const entry = taskEntry(name);
      const lm = LanguageModel.create({ ...entry.pretrain.model, ...TINY_MODEL }, entry.spec.tokenizer, 1);
      const r = evaluateTask(lm, entry, entry.heldOut(4), { seed: 3, batchSize: 4 });
      lm.dispose();
      expect(r.task).toBe(entry.spec.name);
      expect(r.n).toBe(4);
      const hook = entry.spec.reflectionQuality !== undefined;
      expect("goodReflectionRate" in r).toBe(hook);
      expect("exactReflectionRate" in r).toBe(hook);
      // Every metric of the table is measured, except reflection quality where there is no hook.
      for (const m of EVAL_METRICS) {
        const v = m.value(r);
        if (!hook && (m.key === "good_reflection" || m.key === "exact_reflection")) expect(v).toBeUndefined();
        else {
          expect(v, m.key).toBeGreaterThanOrEqual(0);
          expect(v, m.key).toBeLessThanOrEqual(1);
        }
      }
    },
  );

  test("Countdown is the task with the hook (its reflections name moves)", () => {
    expect(PRETRAINABLE_TASKS.filter((t) => TASK_REGISTRY[t].spec.reflectionQuality !== undefined)).toEqual([
      "countdown",
    ]);
  });
});

/**
 * A real (tiny) Countdown model whose sampling is scripted by the prompt: every first try is
 * wrong, each reflection is the one given for its puzzle, and the retry is right only where
 * asked. The judge always prefers <|yes|>.
 */
class ScriptedCountdown extends LanguageModel {
  constructor(
    private readonly reflections: Map<string, string>,
    private readonly fixedOnRetry: Set<string>,
  ) {
    const base = LanguageModel.create(
      { ...TASK_REGISTRY.countdown.pretrain.model, ...TINY_MODEL },
      TASK_REGISTRY.countdown.spec.tokenizer,
      1,
    );
    super(base.model, base.tokenizer);
  }

  override complete(prompts: readonly string[], _opts: SampleOptions): Sample[] {
    return prompts.map((p) => {
      const question = p.slice(SPECIAL.bos.length, p.indexOf(SPECIAL.ans));
      let text = "1+1";
      if (p.endsWith(SPECIAL.reflect)) text = this.reflections.get(question) ?? "";
      else if (p.endsWith(SPECIAL.retry) && this.fixedOnRetry.has(question)) text = "44+35+19";
      return { tokens: [], text, logprobs: [], finishReason: "eos" };
    });
  }

  override logProb(pairs: ReadonlyArray<{ prompt: string; continuation: string }>): number[] {
    return pairs.map((p) => (p.continuation === SPECIAL.yes ? 0 : -1));
  }
}

describe("Countdown's reflectionQuality hook", () => {
  // 44 19 35 = 98: "44+35=79" is a legal move that keeps 98 reachable (79+19) and its result is
  // right; "44+19=60" keeps it reachable (63+35) but states 60; "99+1=100" is not a legal move.
  const puzzles: CountdownProblem[] = [
    { id: "a", nums: [44, 19, 35], target: 98, solution: "44+35+19" },
    { id: "b", nums: [19, 35, 44], target: 98, solution: "44+35+19" },
    { id: "c", nums: [35, 44, 19], target: 98, solution: "44+35+19" },
  ];
  const question = (p: CountdownProblem): string => `${p.nums.join(" ")}=${p.target}`;
  const reflections = new Map([
    [question(puzzles[0] as CountdownProblem), "44+35=79"],
    [question(puzzles[1] as CountdownProblem), "44+19=60"],
    [question(puzzles[2] as CountdownProblem), "99+1=100"],
  ]);

  test("adds goodReflectionRate and exactReflectionRate, as shares of the first-try failures", () => {
    const lm = new ScriptedCountdown(reflections, new Set([question(puzzles[0] as CountdownProblem)]));
    const r = evaluateTask(lm, TASK_REGISTRY.countdown, puzzles, { seed: 0 });
    lm.dispose();
    expect(r.firstTry).toBe(0);
    expect(r.goodReflectionRate).toBeCloseTo(2 / 3, 12);
    expect(r.exactReflectionRate).toBeCloseTo(1 / 3, 12);
    expect(r.retryFixRate).toBeCloseTo(1 / 3, 12);
    expect(r.secondTry).toBeCloseTo(1 / 3, 12);
    // The judge says yes to everything: every right answer accepted, no wrong one rejected.
    expect(r.judge).toMatchObject({ accuracy: 0.5, onRight: 1, onWrong: 0, yesRate: 1 });
  });

  test("the same spec without the hook reports neither rate", () => {
    const { reflectionQuality: _hook, ...spec } = TASK_REGISTRY.countdown.spec;
    const lm = new ScriptedCountdown(reflections, new Set());
    const r = evaluateTask(lm, { ...TASK_REGISTRY.countdown, spec }, puzzles, { seed: 0 });
    lm.dispose();
    expect(r).not.toHaveProperty("goodReflectionRate");
    expect(r).not.toHaveProperty("exactReflectionRate");
    expect(r.retryFixRate).toBe(0);
  });
});

const evalResult = (
  task: string,
  firstTry: number,
  secondTry: number,
  reflections?: [number, number],
): TaskEvalResult => ({
  task,
  n: 100,
  temperature: 1,
  firstTry,
  secondTry,
  retryFixRate: 0.1,
  ...(reflections ? { goodReflectionRate: reflections[0], exactReflectionRate: reflections[1] } : {}),
  judge: { accuracy: 0.8, n: 200, onRight: 0.8, onWrong: 0.8, yesRate: 0.5 },
  judgeGap: 0.8 - firstTry,
  overlong: 0,
});

/** A result as the report reads it back from eval-before.json / summary.json. */
const record = (r: TaskEvalResult): EvalRecord => ({ ...r, judge: { ...r.judge } });

describe("one table of evaluation metrics", () => {
  test("eval's lines, the run report's rows and the study's rows are the table's", () => {
    const countdown = evalResult("countdown", 0.1, 0.2, [0.3, 0.05]);
    const text = formatEval(countdown);
    for (const key of ["first_try", "second_try", "judging"] as const)
      expect(text).toMatch(new RegExp(`^${EVAL_METRICS.find((m) => m.key === key)?.label} +\\d`, "m"));
    expect(text).toContain("30.0% of reflections name a good move, 5.0% with its result right");
    expect(formatEval(evalResult("bbh", 0.1, 0.2))).not.toContain("reflections");
    // The report: one row per metric in the table's order, then the judging − answering gap.
    expect(evalRows(record(countdown), record(countdown)).map((r) => r.label)).toEqual([
      ...EVAL_METRICS.map((m) => m.description),
      "judging − answering gap",
    ]);
    // Its n is what each share is over: problems, first-try failures (90), judged answers.
    expect(evalRows(record(countdown), undefined).map((r) => r.before?.n)).toEqual([100, 100, 90, 90, 90, 200, 100]);
    // Without the hook the reflection rows are left out.
    expect(evalRows(record(evalResult("bbh", 0.1, 0.2)), undefined).map((r) => r.label)).not.toContain(
      "reflections naming a good move",
    );
  });

  test("a study over seeds: before → after of the study's metrics, labelled from the table", () => {
    const run = (seed: number, before: TaskEvalResult, after: TaskEvalResult): RunSummary => ({
      scenario: "r3-countdown",
      steps: 2,
      completedSteps: 2,
      stopped: false,
      seed,
      out: `seed-${seed}`,
      seconds: 1,
      before,
      after,
    });
    const study = seedStudy(
      "r3-countdown",
      [0, 1],
      [
        run(0, evalResult("countdown", 0.1, 0.2, [0.2, 0.1]), evalResult("countdown", 0.2, 0.3, [0.4, 0.1])),
        run(1, evalResult("countdown", 0.2, 0.2, [0.2, 0.1]), evalResult("countdown", 0.3, 0.5, [0.3, 0.1])),
      ],
    );
    expect(Object.keys(study.metrics)).toEqual([...STUDY_METRICS]);
    expect(study.metrics.first_try?.delta.mean).toBeCloseTo(0.1, 12);
    expect(study.metrics.second_try?.delta.mean).toBeCloseTo(0.2, 12);
    expect(study.metrics.good_reflection?.after.mean).toBeCloseTo(0.35, 12);
    expect(
      studyTable(study)
        .split("\n")
        .slice(4)
        .map((row) => row.split(" | ")[0]),
    ).toEqual(["| first try", "| second try", "| judging", "| good reflection"]);
    expect(studyTable(study)).toContain(
      "| first try | 15.0% ± 7.1% | 25.0% ± 7.1% | +10.0 ± 0.0 pts (min 10.0, max 10.0) | +75.0% |",
    );
    // A task without the hook: no good-reflection row, the rest as before.
    const bbh = seedStudy("rlc-bbh", [0], [run(0, evalResult("bbh", 0.1, 0.2), evalResult("bbh", 0.2, 0.2))]);
    expect(Object.keys(bbh.metrics)).toEqual(["first_try", "second_try", "judging"]);
  });
});

describe("the multi-seed runner study and experiments share", () => {
  // Each job takes `ticks` turns of the event loop; finishing order differs from job order.
  const jobs = [
    { seed: 0, out: "a", ticks: 4 },
    { seed: 1, out: "b", ticks: 1 },
    { seed: 2, out: "c", ticks: 5 },
    { seed: 3, out: "d", ticks: 1 },
  ];
  const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

  async function runWith(
    parallel: number | undefined,
  ): Promise<{ results: number[]; ended: number[]; maxInFlight: number; counts: number[] }> {
    let inFlight = 0;
    let maxInFlight = 0;
    const ended: number[] = [];
    const counts: number[] = [];
    const results = await runOverSeeds(
      jobs,
      async (job, index) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        for (let i = 0; i < job.ticks; i++) await tick();
        inFlight--;
        return 10 * job.seed + index;
      },
      {
        ...(parallel !== undefined ? { parallel } : {}),
        onDone: (_r, job, done, total) => (ended.push(job.seed), counts.push(done), expect(total).toBe(4)),
      },
    );
    return { results, ended, maxInFlight, counts };
  }

  test("one at a time by default (study): in order", async () => {
    const r = await runWith(undefined);
    expect(r).toEqual({ results: [0, 11, 22, 33], ended: [0, 1, 2, 3], maxInFlight: 1, counts: [1, 2, 3, 4] });
  });

  test("a few at a time (experiments): results in job order, each heard as it ends", async () => {
    const r = await runWith(2);
    expect(r.results).toEqual([0, 11, 22, 33]);
    expect(r.maxInFlight).toBe(2);
    expect(r.ended).toEqual([1, 0, 3, 2]);
    expect(r.counts).toEqual([1, 2, 3, 4]);
  });
});
