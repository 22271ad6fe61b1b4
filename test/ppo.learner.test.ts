// PPO as a Learner algorithm (RLC's trainer): a base checkpoint gains a value head; the rollout
// math (KL-shaped rewards, GAE over the trained tokens, batch whitening) matches the plain-number
// functions; updates fit the critic to the returns; gradient reaches only trained tokens and, with
// trainLayers 2, only the top two blocks and the value head; the adaptive KL coefficient moves the
// right way and persists between steps; and the shipped scenario runs for real on a tiny model.
//
// What learns under trainLayers N with PPO: blocks h(L−N)..h(L−1) and the value head. The
// embeddings, the final LayerNorm and the LM head stay frozen, exactly as for the other
// algorithms under the same setting (so a comparison across algorithms trains the same policy
// parameters); trlx additionally trains the untied LM head, a difference noted in the scenario.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import { loadCheckpoint, type Checkpoint } from "../src/engine/checkpoint.js";
import { parameterShapes } from "../src/engine/gpt.js";
import { LanguageModel } from "../src/engine/language-model.js";
import { Trainer } from "../src/engine/train.js";
import { languageModelWithValueHead, VALUE_PARAM, withValueHead } from "../src/engine/value-head.js";
import { learnerUpdate, type LearnerSettings } from "../actors/learner.js";
import { gae, klPenalizedRewards } from "../src/rewards/index.js";
import {
  parseAlgorithm,
  policyEstimates,
  ppoLossFromOutputs,
  ppoRollout,
  type AlgorithmInput,
  type PolicyEstimates,
} from "../src/rl/index.js";
import { ScenarioRun } from "../src/run/runner.js";
import { loadScenario } from "../src/run/load.js";
import { parseScenario } from "../src/run/scenario.js";
import type { CompletionMessage, ExperienceMessage } from "../src/messages.js";
import { COUNTDOWN_TOKENIZER, SPECIAL, answerPrompt } from "../src/tasks/countdown/prompts.js";
import type { UpdateStats } from "../machines/learner.js";
import { bitEqual } from "./helpers/engine.js";
import { cachedTensors, readMetrics, saveTinyModel, TINY_MODEL, tinyScenario } from "./helpers/tiny-run.js";

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-ppo-"));
let baseDir = "";

beforeAll(async () => {
  await initBackend("wasm");
  baseDir = await saveTinyModel(path.join(tmpRoot, "base"), 5);
});
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

const PPO = {
  name: "ppo",
  lr: 3e-3,
  epochs: 4,
  aggregation: "token",
  gamma: 0.99,
  lambda: 0.95,
  rewardClip: 10,
  clipLow: 0.2,
  valueClip: 0.2,
  vfCoef: 1,
  klCoef: 0,
  klTarget: 6,
  klHorizon: 10000,
} as const;

/** The Learner's settings for a ppo block (parsed as a scenario's would be). */
function settings(
  ppo: Partial<Extract<AlgorithmInput, { name: "ppo" }>> = {},
  extra: Partial<LearnerSettings> = {},
): LearnerSettings {
  return { algorithm: parseAlgorithm({ ...PPO, ...ppo }), ...extra };
}

/** An RLC-shaped experience: the answer prompt (not trained), then the answer (trained). */
function experience(
  lm: LanguageModel,
  nums: number[],
  target: number,
  answer: string,
  reward: number,
  groupId: string,
): ExperienceMessage {
  const prompt = lm.tokenizer.encode(answerPrompt({ nums, target }));
  const tokens = lm.tokenizer.encode(`${answer}${SPECIAL.eos}`);
  const completion: CompletionMessage = {
    kind: "completion",
    trace: { id: `c-${groupId}-${answer}`, taskId: groupId, attempt: 1, sample: 0, weightVersion: 0 },
    role: "attempt",
    problem: { nums, target },
    prompt: answerPrompt({ nums, target }),
    promptTokens: prompt,
    tokens,
    logprobs: tokens.map(() => -1),
    text: answer,
    finishReason: "eos",
    history: {},
  };
  return {
    kind: "experience",
    trace: { id: `e-${groupId}-${answer}`, taskId: groupId, attempt: 1, sample: 0, weightVersion: 0 },
    groupId,
    segments: [
      { tokens: prompt, train: false, role: "prompt" },
      { tokens, logprobs: completion.logprobs, train: true, role: "answer" },
    ],
    reward,
    source: { actor: "teacher", completion },
  };
}

function fixedBatch(lm: LanguageModel): ExperienceMessage[] {
  return [
    experience(lm, [3, 4, 5], 12, "3+4+5", 0.9, "a"),
    experience(lm, [3, 4, 5], 12, "3*4", 0.2, "a"),
    experience(lm, [8, 2, 6], 10, "8+2", 0.7, "b"),
    experience(lm, [8, 2, 6], 10, "(8-6)*2+6", 0.1, "b"),
  ];
}

function policyWithValueHead(): LanguageModel {
  return languageModelWithValueHead(loadCheckpoint(baseDir));
}

async function weightsOf(lm: LanguageModel): Promise<Map<string, Float32Array>> {
  return lm.model.weights();
}

describe("loading a base checkpoint with a value head", () => {
  test("adds a zero [D, 1] value head; every other weight, and the logits, are unchanged", async () => {
    const base = loadCheckpoint(baseDir);
    expect(base.config.valueHead).toBe(false);
    const ckpt = withValueHead(base);
    expect(ckpt.config).toEqual({ ...base.config, valueHead: true });
    expect(base.config.valueHead).toBe(false);
    expect(base.weights.has(VALUE_PARAM)).toBe(false);
    const value = ckpt.weights.get(VALUE_PARAM) as Float32Array;
    expect(value.length).toBe(TINY_MODEL.dModel);
    expect(value.every((x) => x === 0)).toBe(true);
    for (const [name, w] of base.weights) expect(bitEqual(ckpt.weights.get(name) as Float32Array, w), name).toBe(true);

    const plain = LanguageModel.fromCheckpoint(base);
    const critic = LanguageModel.fromCheckpoint(ckpt);
    try {
      expect(critic.model.p(VALUE_PARAM).shape).toEqual([TINY_MODEL.dModel, 1]);
      const ids = tf.tensor2d([[1, 12, 13, 14, 5]], [1, 5], "int32");
      const a = tf.tidy(() => plain.model.forward(ids).logits.dataSync() as Float32Array);
      const out = critic.model.forward(ids, { withValues: true });
      expect(bitEqual(out.logits.dataSync() as Float32Array, a)).toBe(true);
      expect(Array.from(out.values?.dataSync() ?? [])).toEqual([0, 0, 0, 0, 0]);
      tf.dispose([ids, out.logits, out.values]);
    } finally {
      plain.dispose();
      critic.dispose();
    }
  });

  test("optimizer state gains zero moments for the value head (AdamW.load needs every parameter)", () => {
    const base = loadCheckpoint(baseDir);
    const zeros = (n: string): Float32Array => new Float32Array(base.weights.get(n)?.length ?? 0);
    const names = [...base.weights.keys()];
    const withOpt: Checkpoint = {
      ...base,
      optimizer: { step: 7, m: new Map(names.map((n) => [n, zeros(n)])), v: new Map(names.map((n) => [n, zeros(n)])) },
    };
    const ckpt = withValueHead(withOpt);
    expect(ckpt.optimizer?.step).toBe(7);
    expect(ckpt.optimizer?.m.get(VALUE_PARAM)?.length).toBe(TINY_MODEL.dModel);
    expect(ckpt.optimizer?.v.get(VALUE_PARAM)?.length).toBe(TINY_MODEL.dModel);
    expect(withOpt.optimizer?.m.has(VALUE_PARAM)).toBe(false);
    const lm = LanguageModel.fromCheckpoint(ckpt);
    const trainer = new Trainer(lm.model);
    try {
      expect(() => trainer.optimizer.load(ckpt.optimizer as NonNullable<Checkpoint["optimizer"]>)).not.toThrow();
    } finally {
      trainer.dispose();
      lm.dispose();
    }
  });

  test("a checkpoint saved from it keeps the value head and loads back exactly (and passes through unchanged)", async () => {
    const lm = policyWithValueHead();
    try {
      const v = lm.model.p(VALUE_PARAM);
      v.assign(tf.tidy(() => tf.randomNormal([TINY_MODEL.dModel, 1], 0, 0.1, "float32", 3)));
      const dir = path.join(tmpRoot, "with-value");
      await lm.save(dir);
      const back = loadCheckpoint(dir);
      expect(back.config.valueHead).toBe(true);
      expect(parameterShapes(back.config).map(([n]) => n)).toContain(VALUE_PARAM);
      const saved = await weightsOf(lm);
      for (const [name, w] of saved) expect(bitEqual(back.weights.get(name) as Float32Array, w), name).toBe(true);
      expect(withValueHead(back)).toBe(back);
      const again = languageModelWithValueHead(back);
      try {
        for (const [name, w] of await weightsOf(again))
          expect(bitEqual(saved.get(name) as Float32Array, w), name).toBe(true);
      } finally {
        again.dispose();
      }
    } finally {
      lm.dispose();
    }
  });

  test("a value tensor without the config flag is refused, not silently replaced", () => {
    const base = loadCheckpoint(baseDir);
    const weights = new Map(base.weights);
    weights.set(VALUE_PARAM, new Float32Array(TINY_MODEL.dModel).fill(1));
    expect(() => withValueHead({ ...base, weights })).toThrow(/valueHead: false/);
  });
});

describe("rollout math", () => {
  test("KL-shaped rewards, GAE over the trained tokens (V at the predicting position, 0 after the last), batch whitening", () => {
    // Two sequences: 3 prompt tokens then 3 and 2 trained tokens, with hand-set estimates.
    const inputs = [
      { tokens: [1, 5, 6, 7, 8, 9], mask: [0, 0, 0, 1, 1, 1], score: 0.8 },
      { tokens: [1, 5, 6, 7, 8], mask: [0, 0, 0, 1, 1], score: 12 },
    ];
    const est: PolicyEstimates = {
      logp: [
        [0, -1, -1, -0.5, -0.7, -0.2],
        [0, -1, -1, -0.3, -0.4],
      ],
      values: [
        [0, 9, 9, 0.1, 0.3, 0.5],
        [0, 9, 9, 0.2, -0.1],
      ],
    };
    const ref = [
      [0, -2, -2, -0.6, -0.5, -0.9],
      [0, -2, -2, -0.1, -0.4],
    ];
    const beta = 0.1;
    const r = ppoRollout(inputs, est, ref, beta, { gamma: 0.99, lambda: 0.95, rewardClip: 10 }, 0);
    const raw: number[] = [];
    const rets: number[][] = [];
    inputs.forEach((s, b) => {
      const idx = [3, 4, 5].slice(0, s.tokens.length - 3);
      const shaped = klPenalizedRewards(
        s.score,
        idx.map((i) => est.logp[b]?.[i] as number),
        idx.map((i) => ref[b]?.[i] as number),
        beta,
        { scoreClip: 10 },
      );
      expect(r.seqKl[b]).toBeCloseTo(shaped.kl, 12);
      const g = gae(
        shaped.rewards,
        idx.map((i) => est.values[b]?.[i] as number),
        0.99,
        0.95,
      );
      raw.push(...g.advantages);
      rets.push(g.returns);
    });
    // Score 12 was clipped to 10. The last token bootstraps 0, so its return is its reward:
    // 10 − β·(logp − ref) = 10 − β·(−0.4 − −0.4) = 10.
    expect(rets[1]?.[1]).toBeCloseTo(10, 6);
    const m = raw.reduce((a, b) => a + b, 0) / raw.length;
    const sd = Math.sqrt(raw.reduce((a, b) => a + (b - m) ** 2, 0) / raw.length + 1e-8);
    const seq = r.sequences;
    inputs.forEach((s, b) => {
      const adv = seq[b]?.advantages as number[];
      const ret = seq[b]?.returns as number[];
      for (let i = 0; i < s.tokens.length; i++) {
        if (s.mask[i] === 0) {
          expect(adv[i]).toBe(0);
          expect(ret[i]).toBe(0);
        } else {
          const k = b === 0 ? i - 3 : 3 + i - 3;
          expect(adv[i]).toBeCloseTo(((raw[k] as number) - m) / sd, 6);
          expect(ret[i]).toBeCloseTo(rets[b]?.[i - 3] as number, 6);
        }
      }
    });
    // The packed batch: fields only on the 5 trained targets; V_old at the predicting position.
    expect(Array.from(r.batch.mask).filter((w) => w > 0)).toHaveLength(5);
    const L = r.batch.length;
    expect(r.batch.oldValues?.[0 * L + 2]).toBeCloseTo(0.1, 6);
    expect(r.batch.oldValues?.[1 * L + 3]).toBeCloseTo(-0.1, 6);
    expect(r.batch.oldValues?.[0]).toBe(0);
    expect(r.stats.trainedTokens).toBe(5);
  });

  test("the gradient of the PPO loss reaches only trained positions (policy and critic)", () => {
    const lm = policyWithValueHead();
    try {
      const batch = fixedBatch(lm);
      const flat = batch.map((e) => ({
        tokens: e.segments.flatMap((s) => s.tokens),
        mask: e.segments.flatMap((s) => s.tokens.map(() => (s.train ? 1 : 0))),
      }));
      const est = policyEstimates(lm.model, flat, lm.tokenizer.pad);
      const r = ppoRollout(
        flat.map((f, i) => ({ ...f, score: batch[i]?.reward as number })),
        est,
        undefined,
        0,
        { gamma: 0.99, lambda: 0.95, rewardClip: 10 },
        lm.tokenizer.pad,
      );
      const b = r.batch;
      const ids = tf.tensor2d(b.ids, [b.batch, b.length], "int32");
      const out = lm.model.forward(ids, { withValues: true });
      const logits = tf.variable(out.logits);
      const values = tf.variable(out.values as tf.Tensor1D);
      // Move the critic off its old values so the value loss has a gradient everywhere it may.
      values.assign(tf.add(values, tf.scalar(0.05)) as tf.Tensor1D);
      const { grads } = tf.variableGrads(() => ppoLossFromOutputs(logits, values, b).loss, [logits, values]);
      const gl = (grads[logits.name] as tf.Tensor2D).arraySync();
      const gv = (grads[values.name] as tf.Tensor1D).arraySync();
      let trained = 0;
      for (let i = 0; i < b.batch * b.length; i++) {
        const rowNorm = (gl[i] as number[]).reduce((a, x) => a + Math.abs(x), 0);
        if ((b.mask[i] as number) > 0) {
          trained++;
          expect(Math.abs(gv[i] as number), `value grad at trained ${i}`).toBeGreaterThan(0);
        } else {
          expect(rowNorm, `logit grad at untrained ${i}`).toBe(0);
          expect(gv[i], `value grad at untrained ${i}`).toBe(0);
        }
      }
      expect(trained).toBe(flat.reduce((a, f) => a + f.mask.filter((x) => x > 0).length, 0));
      tf.dispose([ids, out.logits, out.values, logits, values, ...Object.values(grads)]);
    } finally {
      lm.dispose();
    }
  });
});

describe("the PPO learner", () => {
  test("repeated updates on a fixed batch fit the critic to the returns: value loss falls", async () => {
    const lm = policyWithValueHead();
    const trainer = new Trainer(lm.model, { clipNorm: 1 });
    try {
      const update = learnerUpdate(lm, trainer, undefined, settings());
      const batch = fixedBatch(lm);
      const stats: UpdateStats[] = [];
      for (let i = 0; i < 6; i++) stats.push(await update(batch));
      const vl = stats.map((s) => s.metrics.valueLoss as number);
      expect(vl[vl.length - 1]).toBeLessThan((vl[0] as number) * 0.5);
      // The critic starts at 0 and moves toward the (positive) returns.
      expect(stats[0]?.metrics.value_mean).toBe(0);
      expect(stats[stats.length - 1]?.metrics.value_mean).toBeGreaterThan(0.1);
      const value = (await lm.model.p(VALUE_PARAM).data()) as Float32Array;
      expect(value.some((x) => x !== 0)).toBe(true);
      for (const s of stats) {
        for (const k of [
          "policyLoss",
          "valueLoss",
          "approxKl",
          "clipFrac",
          "entropy",
          "kl_coef",
          "value_mean",
          "return_mean",
          "reward_mean",
        ])
          expect(Number.isFinite(s.metrics[k]), k).toBe(true);
        expect(s.metrics.optimizer_steps).toBe(4);
        expect(s.experiences).toBe(4);
      }
      // Without a reference every KL is 0 and β stays 0 (the controller is multiplicative).
      expect(stats.every((s) => s.metrics.kl_coef === 0 && s.metrics.kl === 0)).toBe(true);
    } finally {
      trainer.dispose();
      lm.dispose();
    }
  });

  test("old log-probs and values line up with the training forward: a vanishing step is exactly on-policy", async () => {
    // A one-position misalignment between the rollout estimates and ppoLoss's forward would show
    // here as a large approxKl and clipped ratios.
    const lm = policyWithValueHead();
    const trainer = new Trainer(lm.model, { clipNorm: 1 });
    try {
      const s = await learnerUpdate(lm, trainer, undefined, settings({ lr: 1e-12, epochs: 1 }))(fixedBatch(lm));
      expect(Math.abs(s.metrics.approxKl as number)).toBeLessThan(1e-6);
      expect(s.metrics.clipFrac).toBe(0);
      expect(s.metrics.valueClipFrac).toBe(0);
    } finally {
      trainer.dispose();
      lm.dispose();
    }
  });

  test("minibatches: ceil(B / size) optimizer steps per epoch", async () => {
    const lm = policyWithValueHead();
    const trainer = new Trainer(lm.model, { clipNorm: 1 });
    try {
      const update = learnerUpdate(lm, trainer, undefined, settings({ minibatchSize: 3, epochs: 2 }));
      const s = await update(fixedBatch(lm));
      expect(s.metrics.optimizer_steps).toBe(4);
    } finally {
      trainer.dispose();
      lm.dispose();
    }
  });

  test("a policy without a value head is refused with a pointer to the loader", async () => {
    const lm = LanguageModel.load(baseDir);
    const trainer = new Trainer(lm.model);
    try {
      await expect(learnerUpdate(lm, trainer, undefined, settings())(fixedBatch(lm))).rejects.toThrow(
        /value head.*languageModelWithValueHead/,
      );
    } finally {
      trainer.dispose();
      lm.dispose();
    }
  });

  test("with trainLayers 2 (through the runner), only the top two blocks and the value head change", async () => {
    const dir = path.join(tmpRoot, "three-layers");
    const three = LanguageModel.create({ ...TINY_MODEL, nLayers: 3 }, COUNTDOWN_TOKENIZER, 9);
    await three.save(dir);
    three.dispose();
    const scenario = await tinyScenario(
      "rlc-ppo-countdown",
      dir,
      { tasksPerStep: 4, groupSize: 2 },
      { trainLayers: 2, lr: 1e-2 },
    );
    const out = path.join(tmpRoot, "three-layers-run");
    await (await ScenarioRun.create(scenario, { out, steps: 1, skipEval: true })).run();
    const before = loadCheckpoint(dir).weights;
    const after = loadCheckpoint(path.join(out, "checkpoint")).weights;
    const changed = (n: string): boolean => !bitEqual(before.get(n) as Float32Array, after.get(n) as Float32Array);
    for (const n of before.keys()) {
      if (/^h[12]\./.test(n)) continue;
      expect(changed(n), `${n} must stay frozen`).toBe(false);
    }
    for (const l of [1, 2])
      expect([...before.keys()].filter((n) => n.startsWith(`h${l}.`)).some(changed), `block h${l} learns`).toBe(true);
    expect(after.get(VALUE_PARAM)?.some((x) => x !== 0)).toBe(true);
  });
});

describe("adaptive KL", () => {
  /** β across two updates, with the given reference and target. */
  async function betas(
    reference: LanguageModel,
    klTarget: number,
    batchOf: (lm: LanguageModel) => ExperienceMessage[],
  ): Promise<number[]> {
    const lm = policyWithValueHead();
    const trainer = new Trainer(lm.model, { clipNorm: 1 });
    try {
      const update = learnerUpdate(
        lm,
        trainer,
        reference,
        settings({ klCoef: 0.1, klTarget, klHorizon: 100, lr: 1e-5 }),
      );
      const batch = batchOf(lm);
      const a = await update(batch);
      const b = await update(batch);
      expect(b.metrics.kl_coef).toBe(a.metrics.kl_coef_next);
      return [
        a.metrics.kl_coef as number,
        a.metrics.kl_coef_next as number,
        b.metrics.kl_coef_next as number,
        a.metrics.kl_seq as number,
      ];
    } finally {
      trainer.dispose();
      lm.dispose();
    }
  }

  test("KL below the target: β falls, and the closure carries it to the next step", async () => {
    // The reference is the policy's own starting weights: the measured KL is 0 at the first step.
    const reference = LanguageModel.load(baseDir);
    try {
      const [b0, b1, b2, kl] = await betas(reference, 6, fixedBatch);
      expect(kl).toBe(0);
      expect(b0).toBe(0.1);
      // e = clip(0/6 − 1) = −0.2, n = epochs·B = 16, horizon 100: β·(1 − 0.032).
      expect(b1).toBeCloseTo(0.1 * (1 - (0.2 * 16) / 100), 12);
      expect(b2).toBeLessThan(b1 as number);
    } finally {
      reference.dispose();
    }
  });

  test("KL above the target: β rises", async () => {
    // A uniform reference (zero LM head) and the policy's greedy answers: every trained token is
    // at least as likely under the policy as under the reference, so the KL sample is > 0.
    const ckpt = loadCheckpoint(baseDir);
    const weights = new Map(ckpt.weights);
    weights.set("head", new Float32Array(ckpt.weights.get("head")?.length ?? 0));
    const reference = LanguageModel.fromCheckpoint({ ...ckpt, weights });
    const greedy = (lm: LanguageModel): ExperienceMessage[] =>
      [
        [3, 4, 5, 12],
        [8, 2, 6, 10],
        [7, 1, 9, 63],
        [2, 5, 3, 13],
      ].map(([a, b, c, t], i) => {
        const nums = [a, b, c] as number[];
        const [s] = lm.complete([answerPrompt({ nums, target: t as number })], { maxTokens: 8, temperature: 0 });
        return experience(lm, nums, t as number, s?.text ?? "", i % 2 === 0 ? 0.8 : 0.3, `g${i}`);
      });
    try {
      const [b0, b1, b2, kl] = await betas(reference, 1e-3, greedy);
      expect(kl).toBeGreaterThan(1e-3);
      expect(b0).toBe(0.1);
      expect(b1).toBeCloseTo(0.1 * (1 + (0.2 * 16) / 100), 12);
      expect(b2).toBeGreaterThan(b1 as number);
    } finally {
      reference.dispose();
    }
  });

  test("klTarget 0 keeps β fixed", async () => {
    const reference = LanguageModel.load(baseDir);
    try {
      const [b0, b1, b2] = await betas(reference, 0, fixedBatch);
      expect([b0, b1, b2]).toEqual([0.1, 0.1, 0.1]);
    } finally {
      reference.dispose();
    }
  });
});

describe("scenarios/rlc-ppo-countdown.ts", () => {
  test("validates with RLC's official PPO settings", async () => {
    const { scenario } = await loadScenario("rlc-ppo-countdown");
    expect(scenario.algorithm).toMatchObject({
      name: "ppo",
      epochs: 4,
      clipLow: 0.2,
      clipHigh: 0.2,
      klCoef: 0.1,
      klTarget: 6,
      klHorizon: 10000,
      gamma: 0.99,
      lambda: 0.95,
      vfCoef: 1,
      valueClip: 0.2,
      rewardClip: 10,
      trainLayers: 2,
    });
    expect(scenario.settings).toMatchObject({ temperature: 1, judge: "frozen", selfEvalReward: "p-yes" });
    expect(scenario.actors).toEqual(["student", "teacher", "verifier", "learner"]);
  });

  test("defaults: ppo fills RLC's values when omitted; the other algorithms keep theirs", () => {
    const base = {
      name: "x",
      description: "d",
      task: "countdown",
      model: "m",
      actors: ["student", "learner"],
      settings: { steps: 1, tasksPerStep: 1, groupSize: 1 },
      wire: () => {},
    };
    const ppo = parseScenario({ ...base, algorithm: { name: "ppo", lr: 1e-4 } }, "ppo.ts").algorithm;
    if (ppo.name !== "ppo") throw new Error(`parsed as ${ppo.name}`);
    expect(ppo).toMatchObject({
      epochs: 4,
      clipLow: 0.2,
      clipHigh: 0.2,
      klCoef: 0.1,
      klTarget: 6,
      klHorizon: 10000,
      gamma: 0.99,
      lambda: 0.95,
      vfCoef: 1,
      valueClip: 0.2,
      rewardClip: 10,
    });
    expect(ppo.minibatchSize).toBeUndefined();
    expect(
      parseScenario({ ...base, algorithm: { name: "ppo", lr: 1e-4, clipHigh: 0.3 } }, "ppo.ts").algorithm,
    ).toMatchObject({ clipLow: 0.3, clipHigh: 0.3 });
    expect(parseScenario({ ...base, algorithm: { name: "grpo", lr: 1e-4 } }, "x.ts").algorithm).toMatchObject({
      name: "grpo",
      epochs: 1,
      clipLow: 0.2,
      clipHigh: 0.2,
      klCoef: 0.001,
      klEstimator: "k3",
    });
    // REINFORCE and RLOO have no ratio, so no clip: their settings carry no clip fields (src/rl/config.ts).
    for (const name of ["rloo", "reinforce"] as const) {
      const a = parseScenario({ ...base, algorithm: { name, lr: 1e-4 } }, "x.ts").algorithm;
      expect(a).toMatchObject({ name, epochs: 1, klCoef: 0.001, klEstimator: "k3" });
      expect(a).not.toHaveProperty("clipLow");
      expect(a).not.toHaveProperty("clipHigh");
    }
    expect(
      parseScenario({ ...base, algorithm: { name: "grpo", lr: 1e-4, clipHigh: 0.28 } }, "x.ts").algorithm,
    ).toMatchObject({ clipLow: 0.2, clipHigh: 0.28 });
  });

  test("2 real steps on a tiny model: PPO metrics logged, a value-head checkpoint, plain frozen reference, no tensor leaks", async () => {
    const scenario = await tinyScenario("rlc-ppo-countdown", baseDir, { checkpointEvery: 1 });
    const out = path.join(tmpRoot, "smoke");
    const loads = vi.spyOn(LanguageModel, "fromCheckpoint");
    const models = (): LanguageModel[] => loads.mock.results.map((r) => r.value as LanguageModel);
    const tensorsAtStep: number[] = [];
    const run = await ScenarioRun.create(scenario, {
      out,
      steps: 2,
      evalN: 4,
      onStep: () => tensorsAtStep.push(tf.memory().numTensors - models().reduce((a, m) => a + cachedTensors(m), 0)),
    });
    const loaded = models();
    // The policy has the critic; the frozen reference/judge is the plain base model.
    expect(loaded.map((m) => m.model.config.valueHead)).toEqual([true, false]);
    const summary = await run.run();
    loads.mockRestore();
    expect(summary.completedSteps).toBe(2);
    const metrics = readMetrics(out);
    expect(metrics.map((m) => m.updated)).toEqual([true, true]);
    expect(metrics.map((m) => m.weight_version)).toEqual([1, 2]);
    for (const m of metrics) {
      for (const k of ["policyLoss", "valueLoss", "approxKl", "clipFrac", "entropy", "kl_coef", "value_mean"])
        expect(Number.isFinite(m.learner?.[k]), k).toBe(true);
      expect(m.learner?.optimizer_steps).toBeGreaterThan(0);
    }
    expect(metrics[0]?.learner?.kl_coef).toBe(0.1);
    expect(metrics[1]?.learner?.kl_coef).toBe(metrics[0]?.learner?.kl_coef_next);
    const ckpt = loadCheckpoint(path.join(out, "checkpoint"), { withOptimizer: true });
    expect(ckpt.config.valueHead).toBe(true);
    expect(ckpt.weights.get(VALUE_PARAM)?.some((x) => x !== 0)).toBe(true);
    expect(ckpt.optimizer?.m.has(VALUE_PARAM)).toBe(true);
    expect(tensorsAtStep).toHaveLength(2);
    expect(tensorsAtStep[1]).toBe(tensorsAtStep[0]);
  });
});
