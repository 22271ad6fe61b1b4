// RLC's quality-evaluation prompt: the Teacher samples a 0-10 score for each translation and the
// reward is score / 10; a reply with no number is 0, and the prompt is only allowed where the
// task has one.
import { describe, expect, test } from "vitest";
import { teacherWork } from "../actors/teacher.js";
import { StepSeeds } from "../actors/seeds.js";
import { translationTask } from "../src/tasks/translation/spec.js";
import { countdownTask } from "../src/tasks/countdown/spec.js";
import { Tokenizer } from "../src/engine/tokenizer.js";
import type { Policy } from "../src/engine/policy.js";
import type { CompletionMessage } from "../src/messages.js";
import type { TaskSpec } from "../src/tasks/task.js";
import { loadScenario } from "../src/run/load.js";
import rlcDefinition from "../scenarios/rlc-countdown.js";
import { parseScenario, retargetScenario, ScenarioError, withSettings } from "../src/run/scenario.js";

/** A judge that replies with the given texts in order, and records its prompts. */
function scriptedJudge(replies: string[], prompts: string[]): Policy {
  const tokenizer = new Tokenizer(translationTask.tokenizer);
  return {
    tokenizer,
    version: 0,
    complete: async (ps) => {
      prompts.push(...ps);
      return ps.map((_, i) => ({ text: replies[i] ?? "", tokens: [], logprobs: [], finishReason: "eos" as const }));
    },
    logProb: async () => {
      throw new Error("the quality judge never asks for yes/no log-probs");
    },
  };
}

function completionFor(text: string, i: number): CompletionMessage {
  const problem = translationTask.heldOut(3)[i];
  return {
    kind: "completion",
    trace: { id: `c${i}`, taskId: problem?.id ?? "", attempt: 1, sample: 0, weightVersion: 0 },
    role: "attempt",
    problem,
    prompt: "",
    promptTokens: [],
    tokens: [],
    logprobs: [],
    text,
    finishReason: "eos",
    history: {},
  };
}

describe("quality self-evaluation", () => {
  test("reward = score / 10, clipped at 10, and 0 without a score", async () => {
    const prompts: string[] = [];
    const seeds = new StepSeeds(0);
    seeds.startStep(0);
    const work = teacherWork(
      translationTask as unknown as TaskSpec,
      scriptedJudge(["7", "42", "no idea"], prompts),
      seeds,
      "quality",
    );
    const out = await work([completionFor("ka", 0), completionFor("ta", 1), completionFor("mo", 2)]);
    expect(out.map((j) => [j.score, j.reward])).toEqual([
      [7, 0.7],
      [10, 1],
      [0, 0],
    ]);
    const problem = translationTask.heldOut(1)[0];
    expect(prompts[0]).toBe(translationTask.quality.prompt(problem as never, "ka"));
  });

  test("a task without a quality prompt is refused when the actor is built", () => {
    const seeds = new StepSeeds(0);
    expect(() => teacherWork(countdownTask as unknown as TaskSpec, scriptedJudge([], []), seeds, "quality")).toThrow(
      /task countdown has not/,
    );
  });

  test("scenarios: quality on a task without the prompt is an error at load, after --task and after --set", async () => {
    const { scenario } = await loadScenario("rlc-countdown");
    expect(() =>
      parseScenario({ ...rlcDefinition, settings: { ...rlcDefinition.settings, selfEvalReward: "quality" } }, "rlc.ts"),
    ).toThrow(
      /settings\.selfEvalReward: "quality" needs a quality-evaluation prompt, which task countdown has not \(tasks with one: translation\)/,
    );
    expect(() => withSettings(scenario, { selfEvalReward: "quality" }, "cli")).toThrow(ScenarioError);
    const tr = withSettings(retargetScenario(scenario, "translation"), { selfEvalReward: "quality" }, "cli");
    expect(tr.settings.selfEvalReward).toBe("quality");
    expect(() => retargetScenario(tr, "bbh")).toThrow(/task bbh has not/);
  });
});
