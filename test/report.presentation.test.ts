// How the run report presents its numbers: shares as percentages with one standard error and n
// beside every before/after, training metrics that are fractions as percentages, and R3's first
// attempts (which train nothing) marked "not trained" instead of showing the verifier's 1.00.
import { describe, expect, test } from "vitest";
import { renderReport } from "../src/report/html.js";
import type { CompletionRow, EvalRecord, MetricsRecord, RunData } from "../src/report/load.js";
import { evalRows, shownReward } from "../src/report/stats.js";
import type { Topology } from "../src/viz/topology.js";

const evaluation = (firstTry: number, secondTry: number, judge: number): EvalRecord => ({
  n: 300,
  temperature: 1,
  firstTry,
  secondTry,
  retryFixRate: 0.1,
  goodReflectionRate: 0.25,
  exactReflectionRate: 0.05,
  judge: { accuracy: judge, n: 560, onRight: 0.9, onWrong: 0.8, yesRate: 0.5 },
  judgeGap: judge - firstTry,
});

const metrics = (step: number): MetricsRecord => ({
  step,
  weight_version: step + 1,
  updated: true,
  reward_mean: 0.375,
  reward_std: 0.2,
  first_try_accuracy: 0.25,
  second_try_accuracy: 0.5,
  retry_accuracy: 0.125,
  judge_p_yes: null,
  kl: 0.001,
  entropy: 1.2,
  loss: 0.01,
  grad_norm: 0.5,
  experiences: 16,
  tokens_per_second: 1000,
  gave_up: 0,
  seconds: 1,
});

const rightFirstTry: CompletionRow = {
  step: 1,
  taskId: "t-right",
  prompt: "p1",
  attempt: "44+19+35",
  correct: true,
  reward: 1,
  weightVersion: 1,
};
const fixedRetry: CompletionRow = {
  step: 1,
  taskId: "t-fixed",
  prompt: "p2",
  attempt: "1+1",
  reflection: "use 44",
  retry: "44+19+35",
  correct: true,
  reward: 1,
  weightVersion: 1,
};

function run(completions: CompletionRow[]): RunData {
  return {
    dir: "/runs/x",
    summary: {
      scenario: "x",
      steps: 2,
      seed: 0,
      out: "/runs/x",
      seconds: 3,
      before: evaluation(0.063, 0.107, 0.88),
      after: evaluation(0.08, 0.13, 0.87),
    },
    metrics: [metrics(0), metrics(1)],
    completions,
    hasCompletionsFile: true,
  };
}

const topology = (actors: string[]): Topology => ({
  scenario: "x",
  nodes: [{ id: "tasks", kind: "source" }, ...actors.map((id) => ({ id, kind: "actor" as const }))],
  edges: [],
});
const R3 = topology(["student", "verifier", "reflector", "learner"]);
const GRPO = topology(["student", "verifier", "learner"]);

/** The cells of the table row whose first cell is `label`. */
function rowCells(html: string, label: string): string[] {
  const row = new RegExp(`<tr><td>${label}</td>(.*?)</tr>`).exec(html)?.[1] ?? "";
  return [...row.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => (m[1] ?? "").replace(/<[^>]+>/g, ""));
}

describe("held-out evaluation: percentages with a standard error and n", () => {
  test("each before/after share is a percentage ± one standard error, with its n", () => {
    const html = renderReport(run([]), { topology: GRPO });
    // sqrt(0.063 · 0.937 / 300) = 1.40 points; sqrt(0.08 · 0.92 / 300) = 1.57.
    expect(rowCells(html, "first-try accuracy")).toEqual([
      "6.3% ± 1.4 n = 300",
      "8.0% ± 1.6 n = 300",
      "+1.7 pts ± 2.1",
    ]);
    // The judge is scored on its own set (560 items).
    expect(rowCells(html, "judging accuracy")[0]).toBe("88.0% ± 1.4 n = 560");
    // Retry fixes are a share of the first try's failures: round(300 · 0.937) = 281.
    expect(rowCells(html, "retry fixes \\(share of failures\\)")[0]).toBe("10.0% ± 1.8 n = 281");
    expect(rowCells(html, "judging − answering gap")[0]).toBe("+81.7 pts ± 2.0 n = 560 judged, 300 answered");
    expect(html).not.toMatch(/>0\.063</);
  });

  test("the standard errors are the binomial ones", () => {
    const [first] = evalRows(evaluation(0.5, 0.5, 0.5), evaluation(0.5, 0.5, 0.5));
    expect(first?.before).toMatchObject({ value: 0.5, n: 300 });
    expect(first?.before?.se).toBeCloseTo(Math.sqrt(0.25 / 300), 12);
    expect(first?.delta?.se).toBeCloseTo(Math.sqrt(0.5 / 300), 12);
  });

  test("rows a task's evaluator does not measure are left out, not shown as dashes", () => {
    const noReflections = {
      ...evaluation(0.3, 0.4, 0.7),
      goodReflectionRate: undefined,
      exactReflectionRate: undefined,
    };
    expect(evalRows(noReflections, noReflections).map((r) => r.label)).not.toContain("reflections naming a good move");
  });
});

describe("training metrics that are fractions are percentages", () => {
  test("in the summary and in the step table", () => {
    const html = renderReport(run([]), { topology: GRPO });
    const summary = /id="metric-summary">(.*?)<\/section>/s.exec(html)?.[1] ?? "";
    expect(rowCells(summary, "first-try accuracy").slice(0, 3)).toEqual(["25.0%", "25.0%", "25.0%"]);
    expect(rowCells(summary, "reward \\(mean\\)")[0]).toBe("0.375");
    const steps = /id="steps">(.*)<\/section>/s.exec(html)?.[1] ?? "";
    expect(steps).toContain(">12.5%<");
    expect(steps).not.toContain(">0.125<");
  });
});

describe("R3's first attempts are not shown with a reward", () => {
  test("in an R3 run a right first try says 'not trained'; the retry that trained the reflection keeps its reward", () => {
    const html = renderReport(run([rightFirstTry, fixedRetry]), { topology: R3 });
    const firstTries = /Right on the first try.*?<\/table>/s.exec(html)?.[0] ?? "";
    expect(firstTries).toContain(">not trained</td>");
    expect(firstTries).not.toContain(">1.00</td>");
    const fixed = /Fixed by reflection.*?<\/table>/s.exec(html)?.[0] ?? "";
    expect(fixed).toContain(">1.00</td>");
  });

  test("with a Learner fed by the verifier and no Reflector (GRPO), the first try's reward is what was trained", () => {
    const html = renderReport(run([rightFirstTry]), { topology: GRPO });
    expect(/Right on the first try.*?<\/table>/s.exec(html)?.[0]).toContain(">1.00</td>");
    expect(html).not.toContain("not trained");
  });

  test("a run that recorded no topology is recognised as R3 by its logged reflections", () => {
    expect(shownReward(rightFirstTry, false)).toBe(1);
    const html = renderReport(run([rightFirstTry, fixedRetry]), {});
    expect(/Right on the first try.*?<\/table>/s.exec(html)?.[0]).toContain(">not trained</td>");
  });
});
