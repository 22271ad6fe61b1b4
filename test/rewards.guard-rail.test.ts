// A NaN (or infinite, or out-of-range) reward is stopped on the edge into the Learner: the run
// fails with an error naming the actor, task and value, and the Learner's update never runs.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { Tokenizer } from "../src/engine/tokenizer.js";
import type { Sample, SampleOptions } from "../src/engine/sample.js";
import type { Policy } from "../src/engine/policy.js";
import { ScenarioRun } from "../src/run/runner.js";
import { parseScenario, defineScenario } from "../src/run/scenario.js";
import { fanOut, map } from "../src/run/ops.js";
import { verifierExperience } from "../src/methods/experience.js";
import { RewardError } from "../src/rewards/guards.js";
import { COUNTDOWN_TOKENIZER } from "../src/tasks/countdown/prompts.js";
import type { ExperienceMessage, VerdictMessage } from "../src/messages.js";
import type { UpdateStats } from "../machines/learner.js";

class FixedPolicy implements Policy {
  readonly tokenizer = new Tokenizer(COUNTDOWN_TOKENIZER);
  version = 0;
  async complete(prompts: readonly string[], _opts: SampleOptions): Promise<Sample[]> {
    return prompts.map(() => ({
      tokens: this.tokenizer.encode("1+2"),
      text: "1+2",
      logprobs: [-1, -1, -1],
      finishReason: "eos",
    }));
  }
  async logProb(pairs: ReadonlyArray<{ prompt: string; continuation: string }>): Promise<number[]> {
    return pairs.map(() => -1);
  }
}

function scenarioWithReward(reward: number) {
  return parseScenario(
    defineScenario({
      name: "bad-reward",
      description: "a reward function with a bug",
      task: "countdown",
      model: "unused",
      actors: ["student", "verifier", "learner"],
      algorithm: { name: "grpo", lr: 1e-4, klCoef: 0 },
      settings: { steps: 2, tasksPerStep: 2, groupSize: 2, checkpointEvery: 0 },
      wire: (w) => {
        w.edge(
          w.tasks,
          w.student.in,
          fanOut("samples", 2),
          map("attempt", (task) => ({ task })),
        );
        w.edge(w.student.out, w.verifier.in);
        w.edge(
          w.verifier.out,
          w.learner.in,
          map("buggy reward", (v: VerdictMessage): ExperienceMessage => ({ ...verifierExperience(v), reward })),
        );
      },
    }),
    "test/bad-reward.ts",
  );
}

describe("reward guard rail", () => {
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -0.5, 2]) {
    test(`a reward of ${bad} stops the run before the Learner sees it`, async () => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), "guard-"));
      const seen: ExperienceMessage[][] = [];
      const run = await ScenarioRun.create(scenarioWithReward(bad), {
        out,
        skipEval: true,
        overrides: {
          policy: new FixedPolicy(),
          problems: (_step, n) =>
            Array.from({ length: n }, (_, i) => ({ id: `p${i}`, nums: [1, 2], target: 3, solution: "1+2" })),
          update: async (batch): Promise<UpdateStats> => {
            seen.push(batch);
            return { loss: 0, gradNorm: 0, metrics: {}, experiences: batch.length };
          },
        },
      });
      const err = await run.run().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RewardError);
      const msg = (err as Error).message;
      expect(msg).toContain("verifier");
      expect(msg).toContain("p0");
      expect(msg).toContain(String(bad));
      expect(seen).toHaveLength(0);
      fs.rmSync(out, { recursive: true, force: true });
    });
  }

  test("a good reward flows through", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "guard-"));
    const seen: number[] = [];
    const run = await ScenarioRun.create(scenarioWithReward(1), {
      out,
      skipEval: true,
      overrides: {
        policy: new FixedPolicy(),
        problems: (_step, n) =>
          Array.from({ length: n }, (_, i) => ({ id: `p${i}`, nums: [1, 2], target: 3, solution: "1+2" })),
        update: async (batch): Promise<UpdateStats> => {
          seen.push(batch.length);
          return { loss: 0, gradNorm: 0, metrics: {}, experiences: batch.length };
        },
      },
    });
    await run.run();
    expect(seen).toEqual([4, 4]);
    fs.rmSync(out, { recursive: true, force: true });
  });
});
