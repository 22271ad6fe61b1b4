// The Learner's loss call sites: every algorithm honours the scenario's aggregation; Dr. GRPO's
// "constant" divisor is batch size × maxCompletionLength whatever the prompts; and at a sampling
// temperature ≠ 1 the loss scores under the sampler's softmax(logits / T), so the importance ratio
// is 1 on the first update (as TRL divides the logits by the temperature).
import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import { advantagesFor, defaultMaxCompletionLength, learnerUpdate, type LearnerSettings } from "../actors/learner.js";
import { initBackend } from "../src/engine/backend.js";
import { LanguageModel } from "../src/engine/language-model.js";
import { Trainer } from "../src/engine/train.js";
import type { ExperienceMessage } from "../src/messages.js";
import {
  buildRlBatch,
  parseAlgorithm,
  policyEstimates,
  reinforceLoss,
  type AlgorithmInput,
  type ReinforceConfig,
} from "../src/rl/index.js";
import { parseScenario, ScenarioError } from "../src/run/scenario.js";
import { TASK_REGISTRY } from "../src/tasks/registry.js";
import { answerPrompt, COUNTDOWN_TOKENIZER, SPECIAL } from "../src/tasks/countdown/prompts.js";
import { TINY_MODEL } from "./helpers/tiny-run.js";

beforeAll(async () => {
  await initBackend("wasm");
});

const disposables: Array<{ dispose(): void }> = [];
afterEach(() => {
  for (const d of disposables.splice(0)) d.dispose();
});

function tinyLm(seed = 3, valueHead = false): LanguageModel {
  const lm = LanguageModel.create({ ...TINY_MODEL, valueHead }, COUNTDOWN_TOKENIZER, seed);
  disposables.push(lm);
  return lm;
}

function trainerFor(lm: LanguageModel): Trainer {
  const t = new Trainer(lm.model);
  disposables.push(t);
  return t;
}

/** An answer experience: the prompt (not trained), then the answer tokens (trained) with their sampling log-probs. */
function experience(
  lm: LanguageModel,
  nums: number[],
  answer: { tokens: number[]; logprobs: number[] },
  reward: number,
  groupId: string,
  k: number,
): ExperienceMessage {
  const promptText = answerPrompt({ nums, target: 24 });
  const prompt = lm.tokenizer.encode(promptText);
  return {
    kind: "experience",
    trace: { id: `e-${groupId}-${k}`, taskId: groupId, attempt: 1, sample: k, weightVersion: 0 },
    groupId,
    segments: [
      { tokens: prompt, train: false, role: "prompt" },
      { tokens: answer.tokens, logprobs: answer.logprobs, train: true, role: "answer" },
    ],
    reward,
    source: {
      actor: "verifier",
      completion: {
        kind: "completion",
        trace: { id: `c-${groupId}-${k}`, taskId: groupId, attempt: 1, sample: k, weightVersion: 0 },
        role: "attempt",
        problem: { nums, target: 24 },
        prompt: promptText,
        promptTokens: prompt,
        tokens: answer.tokens,
        logprobs: answer.logprobs,
        text: "",
        finishReason: "eos",
        history: {},
      },
    },
  };
}

/** Fixed answers of different lengths (so token-, sequence- and constant-mean differ), two groups. */
function fixedBatch(lm: LanguageModel, nums: [number[], number[]]): ExperienceMessage[] {
  const ans = (s: string): { tokens: number[]; logprobs: number[] } => {
    const tokens = lm.tokenizer.encode(`${s}${SPECIAL.eos}`);
    return { tokens, logprobs: tokens.map(() => -1) };
  };
  return [
    experience(lm, nums[0], ans("3*8"), 1, "a", 0),
    experience(lm, nums[0], ans("(4+4)*3-2+1"), 0, "a", 1),
    experience(lm, nums[0], ans("6*4"), 0.5, "a", 2),
    experience(lm, nums[1], ans("2*12"), 0.25, "b", 0),
    experience(lm, nums[1], ans("12+12-1+1+0"), 1, "b", 1),
  ];
}

/** The Learner's settings for an algorithm block (parsed as a scenario's would be; GRPO without KL unless given). */
function settings(
  extra: Omit<Partial<LearnerSettings>, "algorithm"> = {},
  algorithm: Partial<AlgorithmInput> = {},
): LearnerSettings {
  return {
    algorithm: parseAlgorithm({
      name: "grpo",
      lr: 1e-3,
      klCoef: 0,
      aggregation: "token",
      ...algorithm,
    } as AlgorithmInput),
    ...extra,
  };
}

/** The loss REINFORCE/RLOO should report for a batch, computed from the model before the update. */
function expectedReinforceLoss(
  lm: LanguageModel,
  s: LearnerSettings,
  batch: ExperienceMessage[],
  cfg: Partial<ReinforceConfig>,
): number {
  const adv = advantagesFor(
    s,
    batch.map((e) => e.reward),
    batch.map((e) => e.groupId),
  );
  const seqs = batch.map((e, i) => {
    const tokens = e.segments.flatMap((g) => g.tokens);
    const mask = e.segments.flatMap((g) => g.tokens.map(() => (g.train ? 1 : 0)));
    return { tokens, mask, advantages: adv[i] as number };
  });
  const rl = buildRlBatch(seqs, lm.tokenizer.pad);
  return tf.tidy(() => reinforceLoss(lm.model, rl, cfg).loss.dataSync()[0] as number);
}

describe("REINFORCE and RLOO honour the aggregation", () => {
  const M = 20;
  for (const algorithm of ["reinforce", "rloo"] as const) {
    for (const aggregation of ["sequence", "constant"] as const) {
      test(`${algorithm}, ${aggregation}`, async () => {
        const lm = tinyLm();
        const batch = fixedBatch(lm, [
          [3, 8, 4],
          [2, 12, 1, 1],
        ]);
        const s = settings(
          {},
          {
            name: algorithm,
            klCoef: 0,
            aggregation,
            ...(aggregation === "constant" ? { maxCompletionLength: M } : {}),
          },
        );
        const want = expectedReinforceLoss(lm, s, batch, { aggregation, maxCompletionLength: M });
        const tokenMean = expectedReinforceLoss(lm, s, batch, { aggregation: "token" });
        // The batch tells the modes apart (else the check below could not fail).
        expect(Math.abs(want - tokenMean)).toBeGreaterThan(1e-3 * Math.max(1, Math.abs(want)));
        const stats = await learnerUpdate(lm, trainerFor(lm), undefined, s)(batch);
        expect(Math.abs(stats.loss - want)).toBeLessThan(1e-6 * Math.max(1, Math.abs(want)));
      });
    }
  }
});

describe('aggregation "constant" divides by batch size × maxCompletionLength', () => {
  test("the same completions under prompts of different lengths give the same loss, Σ m·ℓ / (B·M)", async () => {
    const M = 20;
    // On-policy GRPO without KL: ratio ≡ 1, so each trained token contributes −A and the loss is
    // −Σ_b A_b·n_b / (B·M), whatever the padded length.
    const losses: number[] = [];
    for (const nums of [
      [
        [3, 8, 4],
        [2, 12, 1, 1],
      ],
      [
        [31, 82, 47, 5],
        [2, 1],
      ],
    ] as Array<[number[], number[]]>) {
      const lm = tinyLm();
      const batch = fixedBatch(lm, nums);
      const s = settings({}, { klCoef: 0, aggregation: "constant", maxCompletionLength: M });
      const adv = advantagesFor(
        s,
        batch.map((e) => e.reward),
        batch.map((e) => e.groupId),
      );
      const trained = batch.map((e) => e.segments.filter((g) => g.train).reduce((n, g) => n + g.tokens.length, 0));
      const want = -adv.reduce((acc, a, i) => acc + a * (trained[i] as number), 0) / (batch.length * M);
      expect(Math.abs(want)).toBeGreaterThan(1e-3);
      const stats = await learnerUpdate(lm, trainerFor(lm), undefined, s)(batch);
      expect(Math.abs((stats.metrics.policyLoss as number) - want)).toBeLessThan(1e-6);
      losses.push(stats.metrics.policyLoss as number);
    }
    expect(Math.abs((losses[0] as number) - (losses[1] as number))).toBeLessThan(1e-6);
  });

  test("without maxCompletionLength the Learner refuses rather than divide by the padded length", () => {
    const lm = tinyLm();
    expect(() => learnerUpdate(lm, trainerFor(lm), undefined, settings({}, { aggregation: "constant" }))).toThrow(
      /aggregation "constant" needs maxCompletionLength/,
    );
  });

  test("the scenario setting: validated, only with aggregation constant; its default is the task's longest generation", () => {
    const def = (algorithm: Record<string, unknown>): unknown => ({
      name: "dr-grpo-test",
      description: "test",
      task: "countdown",
      model: "models/countdown-base",
      actors: ["student", "learner"],
      algorithm: { name: "grpo", lr: 1e-4, ...algorithm },
      settings: { steps: 1, tasksPerStep: 1, groupSize: 2 },
      wire: () => {},
    });
    expect(
      parseScenario(def({ aggregation: "constant", maxCompletionLength: 16 }), "x.ts").algorithm.maxCompletionLength,
    ).toBe(16);
    expect(() => parseScenario(def({ aggregation: "token", maxCompletionLength: 16 }), "x.ts")).toThrow(ScenarioError);
    expect(() => parseScenario(def({ aggregation: "token", maxCompletionLength: 16 }), "x.ts")).toThrow(
      /algorithm\.maxCompletionLength: .*aggregation "token" does not use it/,
    );
    expect(() => parseScenario(def({ aggregation: "constant", maxCompletionLength: 0 }), "x.ts")).toThrow(
      /algorithm\.maxCompletionLength/,
    );
    const countdown = TASK_REGISTRY.countdown.spec;
    expect(defaultMaxCompletionLength(countdown)).toBe(
      Math.max(countdown.maxTokens.answer, countdown.maxTokens.reflection),
    );
  });
});

describe("the loss scores at the sampling temperature", () => {
  const T = 0.7;

  /** Two groups of real samples at temperature T, with their sampling log-probs. */
  function sampledBatch(lm: LanguageModel): ExperienceMessage[] {
    const puzzles = [
      [3, 8, 4],
      [2, 12, 1, 1],
    ];
    const out: ExperienceMessage[] = [];
    puzzles.forEach((nums, g) => {
      const samples = lm.complete(
        [0, 1, 2].map(() => answerPrompt({ nums, target: 24 })),
        { maxTokens: 10, temperature: T, seed: 11 + g },
      );
      samples.forEach((smp, k) => out.push(experience(lm, nums, smp, k === g ? 1 : 0, `g${g}`, k)));
    });
    return out;
  }

  test("off-policy GRPO at temperature 0.7: the first update's importance ratio is 1 and nothing is clipped", async () => {
    const lm = tinyLm(5);
    const batch = sampledBatch(lm);
    const s = settings({ temperature: T, offPolicy: true }, { klCoef: 0, aggregation: "token", importanceRatioCap: 3 });
    const stats = await learnerUpdate(lm, trainerFor(lm), undefined, s)(batch);
    expect(Math.abs((stats.metrics.ratioMean as number) - 1)).toBeLessThan(1e-4);
    expect(stats.metrics.clipFrac).toBe(0);
  });

  test("control: scoring those samples at temperature 1 puts the ratio far from 1 (what the check above catches)", async () => {
    const lm = tinyLm(5);
    const batch = sampledBatch(lm);
    const stats = await learnerUpdate(
      lm,
      trainerFor(lm),
      undefined,
      settings({ temperature: 1, offPolicy: true }, { importanceRatioCap: 3 }),
    )(batch);
    expect(Math.abs((stats.metrics.ratioMean as number) - 1)).toBeGreaterThan(5e-3);
  });

  test("PPO's rollout log-probs are the sampler's at temperature 0.7", () => {
    const lm = tinyLm(6, true);
    const prompt = lm.tokenizer.encode(answerPrompt({ nums: [3, 8, 4], target: 24 }));
    const samples = lm.complete([answerPrompt({ nums: [3, 8, 4], target: 24 })], {
      maxTokens: 10,
      temperature: T,
      seed: 2,
    });
    const smp = samples[0] as { tokens: number[]; logprobs: number[] };
    const est = policyEstimates(lm.model, [{ tokens: [...prompt, ...smp.tokens] }], lm.tokenizer.pad, {
      temperature: T,
    });
    const got = (est.logp[0] as number[]).slice(prompt.length);
    smp.logprobs.forEach((lp, i) => expect(Math.abs((got[i] as number) - lp), `token ${i}`).toBeLessThan(1e-4));
  });
});
