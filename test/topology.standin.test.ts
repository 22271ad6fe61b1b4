// The shipped scenarios' topologies, run end to end by ScenarioRun with a deterministic
// stand-in policy/judge (test/helpers/standin.ts), a recording learner update and fixed
// problems. What flows along each edge, what the Learner is given, and what is logged must match
// each algorithm's definition:
//   R3   — first-try successes train nothing; each failure yields groupSize experiences that
//          train only the reflection, grouped by the failed attempt, rewarded by the retry;
//   RLC  — experiences come from the Teacher (reward = P(yes)) and never carry verifier labels,
//          while the Verifier still reports first-try accuracy;
//   GRPO — groupSize experiences per task, reward = the verifier's verdict;
//   eval — the Learner is flushed with nothing and skips.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { loadScenario } from "../src/run/load.js";
import { ScenarioRun, type StepMetrics } from "../src/run/runner.js";
import type { EdgeInfo, Scenario } from "../src/run/scenario.js";
import type { CompletionRecord } from "../src/run/taps.js";
import type { ExperienceMessage } from "../src/messages.js";
import { readJsonlLog } from "../src/util/log.js";
import { r3TokenWeights, roleMask, segmentMask } from "../src/rewards/mask.js";
import { SPECIAL } from "../src/tasks/countdown/prompts.js";
import { extractAnswer, verifyCountdown } from "../src/tasks/countdown/verify.js";
import type { CountdownProblem } from "../src/tasks/countdown/generate.js";
import {
  RecordingUpdate,
  StandInPolicy,
  expectedPYes,
  fixedProblems,
  rightStep,
  wrongAnswer,
} from "./helpers/standin.js";

const TASKS = 4;
const G = 2;
const STEPS = 2;
const PROBLEMS = fixedProblems(TASKS * STEPS);
const EASY = new Set(PROBLEMS.filter((_, i) => i % 2 === 0).map((p) => p.id));
const BY_ID = new Map(PROBLEMS.map((p) => [p.id, p]));
const problemsFor = (step: number, n: number): CountdownProblem[] =>
  Array.from({ length: n }, (_, i) => PROBLEMS[(step * n + i) % PROBLEMS.length] as CountdownProblem);

const METRIC_FIELDS: Array<keyof StepMetrics> = [
  "step",
  "weight_version",
  "updated",
  "reward_mean",
  "reward_std",
  "frac_reward_zero_std",
  "first_try_accuracy",
  "second_try_accuracy",
  "retry_accuracy",
  "judge_p_yes",
  "judge_agreement",
  "kl",
  "entropy",
  "loss",
  "grad_norm",
  "experiences",
  "tokens_per_second",
  "gave_up",
  "seconds",
];

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-topology-"));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

/** JSON turns NaN into null: the shape a metrics line has on disk. */
type Logged<T> = { [K in keyof T]: T[K] extends number ? number | null : T[K] };

interface Outcome {
  run: ScenarioRun;
  out: string;
  policy: StandInPolicy;
  update: RecordingUpdate;
  metrics: Array<Logged<StepMetrics>>;
  onStep: StepMetrics[];
  completions: CompletionRecord[];
}

async function runShipped(name: string, settings: Partial<Scenario["settings"]> = {}): Promise<Outcome> {
  const { scenario } = await loadScenario(name);
  const sc: Scenario = {
    ...scenario,
    settings: { ...scenario.settings, tasksPerStep: TASKS, groupSize: G, ...settings },
  };
  const out = path.join(tmpRoot, name);
  const policy = new StandInPolicy(PROBLEMS, EASY);
  const update = new RecordingUpdate();
  const onStep: StepMetrics[] = [];
  const run = await ScenarioRun.create(sc, {
    out,
    steps: STEPS,
    skipEval: true,
    onStep: (m) => onStep.push(m),
    overrides: { policy, update: update.fn, problems: problemsFor },
  });
  const summary = await run.run();
  expect(summary).toMatchObject({ scenario: sc.name, steps: STEPS, out });
  expect(JSON.parse(fs.readFileSync(path.join(out, "summary.json"), "utf8"))).toMatchObject({
    scenario: sc.name,
    steps: STEPS,
  });
  return {
    run,
    out,
    policy,
    update,
    onStep,
    metrics: readJsonlLog<Logged<StepMetrics>>(path.join(out, "metrics.jsonl")),
    completions: readJsonlLog<CompletionRecord>(path.join(out, "completions.jsonl")),
  };
}

function edgeTable(edges: readonly EdgeInfo[]): Array<{ from: string; to: string; ops: string; count: number }> {
  return edges.map((e) => ({
    from: e.from,
    to: e.to,
    ops: e.ops.map((o) => `${o.kind}:${o.label}`).join(" | "),
    count: e.count,
  }));
}

function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
}

function stepProblems(step: number): CountdownProblem[] {
  return problemsFor(step, TASKS);
}

function checkMetricLines(o: Outcome): void {
  expect(o.metrics.map((m) => m.step)).toEqual([0, 1]);
  for (const m of o.metrics) for (const f of METRIC_FIELDS) expect(m, `metrics field ${f}`).toHaveProperty(f);
  expect(o.onStep.map((m) => m.step)).toEqual([0, 1]);
  for (const m of o.metrics) {
    expect(m.gave_up).toBe(0);
    expect(m.seconds).toBeGreaterThanOrEqual(0);
  }
}

/** Deep search for anything that looks like a verifier label. */
function verdictKeys(x: unknown, seen = new Set<unknown>()): string[] {
  if (x === null || typeof x !== "object" || seen.has(x)) return [];
  seen.add(x);
  const found: string[] = [];
  for (const [k, v] of Object.entries(x as Record<string, unknown>)) {
    if (k === "correct" || (k === "kind" && v === "verdict")) found.push(k);
    found.push(...verdictKeys(v, seen));
  }
  return found;
}

const decode = (o: Outcome, tokens: number[]): string => o.policy.tokenizer.decode(tokens);

describe("r3-countdown", () => {
  let o: Outcome;
  test("runs", async () => {
    o = await runShipped("r3-countdown");
    expect(o.update.batches).toHaveLength(STEPS);
  });

  test("a first-try success produces no experience; each failure yields exactly groupSize experiences", () => {
    for (let step = 0; step < STEPS; step++) {
      const batch = o.update.batches[step] as ExperienceMessage[];
      const failed = stepProblems(step).filter((p) => !EASY.has(p.id));
      expect(batch).toHaveLength(failed.length * G);
      for (const e of batch) expect(EASY.has(e.trace.taskId), `easy ${e.trace.taskId} trained`).toBe(false);
      const perTask = groupBy(batch, (e) => e.trace.taskId);
      expect([...perTask.keys()].sort()).toEqual(failed.map((p) => p.id).sort());
      for (const xs of perTask.values()) expect(xs).toHaveLength(G);
    }
  });

  test("only the reflection segment is trained", () => {
    for (const e of o.update.batches.flat()) {
      expect(e.segments.map((s) => [s.role, s.train])).toEqual([
        ["reflect-prompt", false],
        ["reflection", true],
        ["retry", false],
      ]);
      const reflection = e.source.completion.history.reflection;
      expect(reflection).toBeDefined();
      expect(e.segments[1]?.tokens).toEqual(reflection?.tokens);
      expect(decode(o, e.segments[1]?.tokens ?? [])).toBe(`${reflection?.text}${SPECIAL.retry}`);
      expect(e.segments[0]?.tokens).toEqual(reflection?.promptTokens);
      expect(e.segments[2]?.tokens).toEqual(e.source.completion.tokens);
    }
  });

  test("the Learner trains exactly the tokens R3's reflection mask (roleMask) says", () => {
    const experiences = o.update.batches.flat();
    expect(experiences.length).toBeGreaterThan(0);
    for (const e of experiences) {
      // What the Learner trains (segmentMask over the experience's segments) is the mask library's
      // reflection mask over the same conversation: one rule, run and tested.
      const trained = Array.from(segmentMask(e.segments));
      expect(trained).toEqual(Array.from(roleMask(e.segments, ["reflection"])));
      const weights = r3TokenWeights(e.segments, e.reward === 1, false);
      expect(weights.tokens).toEqual(e.segments.flatMap((s) => s.tokens));
      expect(trained).toEqual(Array.from(weights.mask));
      expect(weights.reward).toBe(e.reward);
      expect(
        decode(
          o,
          weights.tokens.filter((_, i) => trained[i] === 1),
        ),
      ).toBe(`${e.source.completion.history.reflection?.text}${SPECIAL.retry}`);
    }
  });

  test("experiences are grouped by the failed attempt, and rewarded by the retry's verdict", () => {
    for (let step = 0; step < STEPS; step++) {
      const groups = groupBy(o.update.batches[step] as ExperienceMessage[], (e) => e.groupId);
      expect(groups.size).toBe(stepProblems(step).filter((p) => !EASY.has(p.id)).length);
      const attempts = new Set<string>();
      for (const [gid, xs] of groups) {
        expect(xs).toHaveLength(G);
        const attemptIds = new Set(xs.map((e) => e.source.completion.history.attempt?.trace.id));
        expect(attemptIds.size, "one failed attempt per group").toBe(1);
        const attemptId = [...attemptIds][0] as string;
        expect(attempts.has(attemptId)).toBe(false);
        attempts.add(attemptId);
        expect(new Set(xs.map((e) => e.trace.taskId)).size).toBe(1);
        expect(xs.map((e) => e.source.completion.history.reflection?.trace.sample).sort()).toEqual([0, 1]);
        for (const e of xs) {
          const retry = e.source.completion;
          const p = BY_ID.get(retry.trace.taskId) as CountdownProblem;
          const right = verifyCountdown(p, extractAnswer(retry.text)).correct;
          expect(e.reward).toBe(right ? 1 : 0);
          // The stand-in's retry is right exactly when its reflection named the first move.
          expect(right).toBe(retry.history.reflection?.text === rightStep(p));
          expect(e.source.actor).toBe("verifier");
          expect(retry.history.reflection?.trace.groupId).toBe(gid);
          // The failed attempt really failed.
          expect(verifyCountdown(p, extractAnswer(retry.history.attempt?.text ?? "")).correct).toBe(false);
        }
        expect(xs.map((e) => e.reward).sort()).toEqual([0, 1]);
      }
    }
  });

  test("traces carry the task id, attempt 2 and the group id", () => {
    for (const e of o.update.batches.flat()) {
      const retry = e.source.completion;
      expect(retry.role).toBe("retry");
      expect(retry.trace.attempt).toBe(2);
      expect(retry.trace.groupId).toBe(e.groupId);
      expect(e.trace.taskId).toBe(retry.trace.taskId);
      expect(retry.history.attempt?.trace.attempt).toBe(1);
      expect(retry.history.attempt?.role).toBe("attempt");
      expect(retry.history.attempt?.trace.taskId).toBe(retry.trace.taskId);
      expect(BY_ID.has(e.trace.taskId)).toBe(true);
    }
  });

  test("metrics.jsonl: one line per step with first-try, retry and second-try accuracy", () => {
    checkMetricLines(o);
    for (const m of o.metrics) {
      expect(m).toMatchObject({
        updated: true,
        experiences: 2 * G,
        first_try_accuracy: 0.5,
        retry_accuracy: 0.5,
        second_try_accuracy: 0.75,
        reward_mean: 0.5,
        loss: 0.125,
        grad_norm: 0.5,
      });
      expect(m.judge_p_yes).toBeNull(); // no teacher
    }
  });

  test("completions.jsonl: every first try and every retry, with attempt, reflection and verdict", () => {
    for (let step = 0; step < STEPS; step++) {
      const recs = o.completions.filter((c) => c.step === step);
      const firsts = recs.filter((c) => c.retry === undefined);
      const retries = recs.filter((c) => c.retry !== undefined);
      expect(firsts).toHaveLength(TASKS);
      expect(retries).toHaveLength(2 * G);
      for (const c of firsts) expect(c.correct).toBe(EASY.has(c.taskId));
      for (const c of retries) {
        const p = BY_ID.get(c.taskId) as CountdownProblem;
        expect(EASY.has(c.taskId)).toBe(false);
        expect(c.reflection === rightStep(p)).toBe(c.correct);
        expect(c.reward).toBe(c.correct ? 1 : 0);
        expect(c.prompt.endsWith(SPECIAL.ans)).toBe(true);
        expect(c.attempt).toBeDefined();
      }
    }
  });

  test("edges: labels and delivery counts", () => {
    const failures = STEPS * 2;
    expect(edgeTable(o.run.edges)).toEqual([
      { from: "tasks", to: "student.in", ops: "map:attempt", count: STEPS * TASKS },
      { from: "student.out", to: "verifier.in", ops: "", count: STEPS * TASKS + failures * G },
      {
        from: "verifier.out",
        to: "reflector.in",
        ops: `filter:first try wrong | fanOut:reflections ×${G}`,
        count: failures * G,
      },
      { from: "reflector.out", to: "student.in", ops: "map:retry with reflection", count: failures * G },
      {
        from: "verifier.out",
        to: "learner.in",
        ops: "filter:retries | map:reward the reflection",
        count: failures * G,
      },
    ]);
  });

  test("no checkpoint without a model (stand-in policy)", () => {
    expect(fs.existsSync(path.join(o.out, "checkpoint"))).toBe(false);
    expect(fs.existsSync(path.join(o.out, "failure-set.json"))).toBe(false); // problems were given
  });
});

describe("rlc-countdown", () => {
  let o: Outcome;
  test("runs", async () => {
    o = await runShipped("rlc-countdown");
    expect(o.update.batches).toHaveLength(STEPS);
  });

  test("experiences come from the Teacher, reward = P(yes), groupSize per task", () => {
    for (let step = 0; step < STEPS; step++) {
      const batch = o.update.batches[step] as ExperienceMessage[];
      expect(batch).toHaveLength(TASKS * G);
      for (const e of batch) {
        expect(e.source.actor).toBe("teacher");
        expect(e.source.completion.role).toBe("attempt");
        expect(e.reward).toBeCloseTo(expectedPYes(extractAnswer(e.source.completion.text)), 12);
        expect(e.reward).toBeGreaterThan(0);
        expect(e.reward).toBeLessThan(1);
        expect(e.segments.map((s) => [s.role, s.train])).toEqual([
          ["prompt", false],
          ["answer", true],
        ]);
      }
      const groups = groupBy(batch, (e) => e.groupId);
      expect(groups.size).toBe(TASKS);
      for (const xs of groups.values()) {
        expect(xs).toHaveLength(G);
        expect(new Set(xs.map((e) => e.trace.taskId)).size).toBe(1);
      }
      expect(new Set(batch.map((e) => e.trace.taskId))).toEqual(new Set(stepProblems(step).map((p) => p.id)));
    }
  });

  test("experiences never contain a verifier label", () => {
    for (const e of o.update.batches.flat()) expect(verdictKeys(e)).toEqual([]);
    // And the reward does not follow correctness: right and wrong answers get the judge's number.
    const rewards = o.update.batches.flat().map((e) => e.reward);
    expect(rewards.every((r) => r !== 0 && r !== 1)).toBe(true);
  });

  test("the judge saw every attempt; the verifier still reports first-try accuracy", () => {
    expect(o.policy.judged).toHaveLength(STEPS * TASKS * G);
    checkMetricLines(o);
    for (let step = 0; step < STEPS; step++) {
      const m = o.metrics[step] as Logged<StepMetrics>;
      const answers = stepProblems(step).flatMap((p) =>
        Array.from({ length: G }, () => (EASY.has(p.id) ? p.solution : wrongAnswer(p))),
      );
      const pYes = answers.map(expectedPYes);
      const agree = stepProblems(step)
        .flatMap((p, i) => [0, 1].map((k) => (pYes[i * G + k] as number) > 0.5 === EASY.has(p.id)))
        .filter(Boolean).length;
      expect(m).toMatchObject({ updated: true, experiences: TASKS * G, first_try_accuracy: 0.5 });
      expect(m.judge_p_yes).toBeCloseTo(pYes.reduce((a, b) => a + b, 0) / pYes.length, 12);
      expect(m.judge_agreement).toBeCloseTo(agree / (TASKS * G), 12);
      expect(m.retry_accuracy).toBeNull();
    }
    expect(o.completions).toHaveLength(STEPS * TASKS * G);
    for (const c of o.completions) expect(c.correct).toBe(EASY.has(c.taskId));
  });

  test("edges: labels and delivery counts", () => {
    const n = STEPS * TASKS * G;
    expect(edgeTable(o.run.edges)).toEqual([
      { from: "tasks", to: "student.in", ops: `fanOut:samples ×${G} | map:attempt`, count: n },
      { from: "student.out", to: "teacher.in", ops: "", count: n },
      { from: "student.out", to: "verifier.in", ops: "", count: n },
      { from: "teacher.out", to: "learner.in", ops: "map:self-evaluation reward", count: n },
    ]);
  });
});

describe("grpo-countdown", () => {
  let o: Outcome;
  test("runs", async () => {
    o = await runShipped("grpo-countdown");
  });

  test("groupSize experiences per task; reward = the verifier's verdict", () => {
    expect(o.update.batches).toHaveLength(STEPS);
    for (let step = 0; step < STEPS; step++) {
      const batch = o.update.batches[step] as ExperienceMessage[];
      expect(batch).toHaveLength(TASKS * G);
      const groups = groupBy(batch, (e) => e.groupId);
      expect(groups.size).toBe(TASKS);
      for (const xs of groups.values()) {
        expect(xs).toHaveLength(G);
        expect(xs.map((e) => e.source.completion.trace.sample).sort()).toEqual([0, 1]);
        const taskIds = new Set(xs.map((e) => e.trace.taskId));
        expect(taskIds.size).toBe(1);
        for (const e of xs) {
          const p = BY_ID.get(e.trace.taskId) as CountdownProblem;
          expect(e.source.actor).toBe("verifier");
          expect(e.reward).toBe(verifyCountdown(p, extractAnswer(e.source.completion.text)).correct ? 1 : 0);
          expect(e.reward).toBe(EASY.has(p.id) ? 1 : 0);
          expect(e.source.completion.trace.groupId).toBe(e.groupId);
          expect(e.segments.map((s) => s.train)).toEqual([false, true]);
          expect(decode(o, e.segments[1]?.tokens ?? [])).toBe(`${e.source.completion.text}${SPECIAL.eos}`);
        }
      }
    }
  });

  test("metrics and completions", () => {
    checkMetricLines(o);
    for (const m of o.metrics)
      expect(m).toMatchObject({
        updated: true,
        experiences: TASKS * G,
        first_try_accuracy: 0.5,
        reward_mean: 0.5,
        judge_p_yes: null,
        retry_accuracy: null,
      });
    expect(o.completions).toHaveLength(STEPS * TASKS * G);
  });

  test("edges: labels and delivery counts", () => {
    const n = STEPS * TASKS * G;
    expect(edgeTable(o.run.edges)).toEqual([
      { from: "tasks", to: "student.in", ops: `fanOut:samples ×${G} | map:attempt`, count: n },
      { from: "student.out", to: "verifier.in", ops: "", count: n },
      { from: "verifier.out", to: "learner.in", ops: "map:verifier reward", count: n },
    ]);
  });
});

describe("eval-countdown", () => {
  let o: Outcome;
  test("runs", async () => {
    o = await runShipped("eval-countdown", { groupSize: 1 });
  });

  test("the learner is flushed with nothing and skips every step", () => {
    expect(o.update.batches).toEqual([]);
    checkMetricLines(o);
    for (const m of o.metrics) {
      expect(m).toMatchObject({
        updated: false,
        skip_reason: "no experiences to learn from",
        experiences: 0,
        first_try_accuracy: 0.5,
        weight_version: 0,
      });
      expect(m.loss).toBeNull();
      expect(m.reward_mean).toBeNull();
    }
  });

  test("completions and edges", () => {
    expect(o.completions).toHaveLength(STEPS * TASKS);
    for (const c of o.completions) expect(c.correct).toBe(EASY.has(c.taskId));
    expect(edgeTable(o.run.edges)).toEqual([
      { from: "tasks", to: "student.in", ops: "map:attempt", count: STEPS * TASKS },
      { from: "student.out", to: "verifier.in", ops: "", count: STEPS * TASKS },
    ]);
  });
});

/** The stand-in, failing its first `failures` generation calls. */
class FlakyPolicy extends StandInPolicy {
  constructor(private failures: number) {
    super(PROBLEMS, EASY);
  }

  override async complete(
    prompts: readonly string[],
    opts: Parameters<StandInPolicy["complete"]>[1],
  ): ReturnType<StandInPolicy["complete"]> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error("device lost");
    }
    return super.complete(prompts, opts);
  }
}

describe("failing work inside a run (grpo-countdown, maxRetries 1)", () => {
  async function flakyRun(
    failures: number,
    dir: string,
  ): Promise<{ run: ScenarioRun; update: RecordingUpdate; metrics: Array<Logged<StepMetrics>> }> {
    const { scenario } = await loadScenario("grpo-countdown");
    const sc: Scenario = {
      ...scenario,
      settings: { ...scenario.settings, tasksPerStep: TASKS, groupSize: G, maxRetries: 1 },
    };
    const out = path.join(tmpRoot, dir);
    const update = new RecordingUpdate();
    const run = await ScenarioRun.create(sc, {
      out,
      steps: STEPS,
      skipEval: true,
      overrides: { policy: new FlakyPolicy(failures), update: update.fn, problems: problemsFor },
    });
    await run.run();
    return { run, update, metrics: readJsonlLog<Logged<StepMetrics>>(path.join(out, "metrics.jsonl")) };
  }

  test("a transient failure is retried after the back-off: nothing is lost", async () => {
    const o = await flakyRun(1, "flaky-once");
    expect(o.metrics.map((m) => m.gave_up)).toEqual([0, 0]);
    expect(o.update.batches.map((b) => b.length)).toEqual([TASKS * G, TASKS * G]);
  });

  test("retry exhaustion: the step's batch is given up and reported in gave_up; the next step is unaffected", async () => {
    const o = await flakyRun(2, "flaky-twice");
    expect(o.metrics[0]).toMatchObject({
      step: 0,
      gave_up: TASKS * G,
      updated: false,
      skip_reason: "no experiences to learn from",
      experiences: 0,
      first_try_accuracy: null,
    });
    expect(o.metrics[1]).toMatchObject({
      step: 1,
      gave_up: 0,
      updated: true,
      experiences: TASKS * G,
      first_try_accuracy: 0.5,
    });
    expect(o.update.batches).toHaveLength(1);
    expect(new Set(o.update.batches[0]?.map((e) => e.trace.taskId))).toEqual(new Set(stepProblems(1).map((p) => p.id)));
    expect(edgeTable(o.run.edges).map((e) => e.count)).toEqual([STEPS * TASKS * G, TASKS * G, TASKS * G]);
  });
});
