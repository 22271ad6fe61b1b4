// The reflection instruction is a scenario setting: it replaces the task's own instruction in
// both the Reflector's prompt and the Student's retry prompt.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "vitest";
import { Tokenizer } from "../src/engine/tokenizer.js";
import type { SampleOptions } from "../src/engine/sample.js";
import type { Policy, PolicySample } from "../src/engine/policy.js";
import { ScenarioRun } from "../src/run/runner.js";
import { loadScenario } from "../src/run/load.js";
import { COUNTDOWN_TOKENIZER, SPECIAL } from "../src/tasks/countdown/prompts.js";
import type { UpdateStats } from "../machines/learner.js";
import { TASK_REGISTRY } from "../src/tasks/registry.js";
import type { TaskProblem, TaskSpec } from "../src/tasks/task.js";

class RecordingPolicy implements Policy {
  readonly tokenizer = new Tokenizer(COUNTDOWN_TOKENIZER);
  version = 0;
  readonly prompts: string[] = [];
  async complete(prompts: readonly string[], _opts: SampleOptions): Promise<PolicySample[]> {
    this.prompts.push(...prompts);
    // Always wrong ("1+1"), so every attempt is reflected on and retried.
    return prompts.map(() => ({
      tokens: this.tokenizer.encode("1+1"),
      text: "1+1",
      logprobs: [-1, -1, -1],
      finishReason: "eos" as const,
    }));
  }
  async logProb(pairs: ReadonlyArray<{ prompt: string; continuation: string }>): Promise<number[]> {
    return pairs.map(() => -1);
  }
}

async function promptsWith(reflectionPrompt: string | undefined): Promise<string[]> {
  const { scenario } = await loadScenario("r3-countdown");
  const policy = new RecordingPolicy();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "reflect-prompt-"));
  const run = await ScenarioRun.create(
    {
      ...scenario,
      settings: {
        ...scenario.settings,
        steps: 1,
        tasksPerStep: 1,
        groupSize: 2,
        ...(reflectionPrompt ? { reflectionPrompt } : {}),
      },
    },
    {
      out,
      skipEval: true,
      overrides: {
        policy,
        problems: () => [{ id: "p0", nums: [44, 19, 35], target: 98, solution: "44+19+35" }],
        update: async (batch): Promise<UpdateStats> => ({
          loss: 0,
          gradNorm: 0,
          metrics: {},
          experiences: batch.length,
        }),
      },
    },
  );
  await run.run();
  fs.rmSync(out, { recursive: true, force: true });
  return policy.prompts;
}

test("by default the task's own instruction (<|reflect|>) is used", async () => {
  const prompts = await promptsWith(undefined);
  expect(prompts.filter((p) => p.endsWith(SPECIAL.reflect))).toHaveLength(2);
  expect(prompts.filter((p) => p.endsWith(SPECIAL.retry))).toHaveLength(2);
});

test("a scenario's reflectionPrompt replaces it in reflections and retries", async () => {
  const prompts = await promptsWith(" what went wrong? ");
  const reflections = prompts.filter((p) => p.endsWith(" what went wrong? "));
  const retries = prompts.filter((p) => p.endsWith(SPECIAL.retry));
  expect(reflections).toHaveLength(2);
  expect(retries).toHaveLength(2);
  for (const r of retries) expect(r).toContain("1+1 what went wrong? 1+1");
  expect(prompts.some((p) => p.includes(SPECIAL.reflect))).toBe(false);
});

test.each(["functions", "translation", "bbh"] as const)(
  "%s: a given instruction replaces <|reflect|> in the reflect and retry prompts; without one the task's own stays",
  (name) => {
    const spec = TASK_REGISTRY[name].spec as unknown as TaskSpec;
    const p = spec.heldOut(1)[0] as TaskProblem;
    const answer = spec.answerPrompt(p);
    expect(spec.reflectPrompt(p, "x")).toBe(`${answer}x${SPECIAL.reflect}`);
    expect(spec.reflectPrompt(p, "x", "why? ")).toBe(`${answer}xwhy? `);
    expect(spec.retryPrompt(p, "x", "r", "why? ")).toBe(`${answer}xwhy? r${SPECIAL.retry}`);
  },
);
