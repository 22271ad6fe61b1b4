// Learner: turns a batch of experiences into one (or a few) policy updates. Rewards are checked
// before anything else; advantages are computed per group; the loss is the scenario's algorithm
// over exactly the tokens each experience marks as trained.
import type { ExperienceMessage } from "../src/messages.js";
import type { LanguageModel } from "../src/engine/language-model.js";
import type { Trainer } from "../src/engine/train.js";
import { scoreContinuations } from "../src/engine/score.js";
import { assertFiniteReward, groupAdvantages, groupIndices, rlooAdvantages, fracRewardZeroStd } from "../src/rewards/index.js";
import { buildRlBatch, grpoLoss, reinforceLoss, type GrpoConfig, type RlSequence } from "../src/rl/index.js";
import type { UpdateStats } from "../machines/learner.js";

export interface LearnerSettings {
  algorithm: "grpo" | "rloo" | "reinforce";
  lr: number;
  /** Optimisation passes over each batch (>1 makes the importance ratio matter). */
  epochs: number;
  grpo: Partial<GrpoConfig>;
  /** GRPO divides by the group's std; Dr. GRPO does not. */
  scaleByStd: boolean;
  /** Which parameters learn (default: all). */
  trainable?: (name: string) => boolean;
}

interface Flattened {
  tokens: number[];
  mask: number[];
}

function flatten(e: ExperienceMessage): Flattened {
  const tokens: number[] = [];
  const mask: number[] = [];
  for (const s of e.segments) {
    tokens.push(...s.tokens);
    for (let i = 0; i < s.tokens.length; i++) mask.push(s.train ? 1 : 0);
  }
  return { tokens, mask };
}

/** log p(token_i | tokens_<i) under a model, with entry 0 (never predicted) set to 0. */
function perTokenLogp(lm: LanguageModel, seqs: readonly Flattened[]): number[][] {
  const scores = scoreContinuations(
    lm.model,
    seqs.map((s) => ({ prompt: s.tokens.slice(0, 1), continuation: s.tokens.slice(1) })),
    { pad: lm.tokenizer.pad },
  );
  return scores.map((s) => [0, ...Array.from(s)]);
}

export function advantagesFor(settings: LearnerSettings, rewards: number[], groups: string[]): number[] {
  if (settings.algorithm === "grpo") return groupAdvantages(rewards, groups, { scaleByStd: settings.scaleByStd });
  const out = new Array<number>(rewards.length).fill(0);
  for (const members of groupIndices(groups).values()) {
    const rs = members.map((i) => rewards[i] as number);
    const adv = settings.algorithm === "rloo" ? rlooAdvantages(rs) : rs;
    members.forEach((i, k) => (out[i] = adv[k] as number));
  }
  return out;
}

export function learnerUpdate(policy: LanguageModel, trainer: Trainer, reference: LanguageModel | undefined, settings: LearnerSettings) {
  return async (batch: ExperienceMessage[]): Promise<UpdateStats> => {
    const rewards = batch.map((e) => assertFiniteReward(e.reward, { actor: e.source.actor, taskId: e.trace.taskId }, { range: [0, 1] }));
    const groups = batch.map((e) => e.groupId);
    const advantages = advantagesFor(settings, rewards, groups);
    const flat = batch.map(flatten);
    const klCoef = settings.grpo.klCoef ?? 0;
    const ref = reference && klCoef > 0 ? perTokenLogp(reference, flat) : undefined;
    const old = settings.epochs > 1 ? perTokenLogp(policy, flat) : undefined;
    const sequences: RlSequence[] = flat.map((f, i) => ({
      tokens: f.tokens,
      mask: f.mask,
      advantages: advantages[i] as number,
      ...(ref ? { refLogp: ref[i] as number[] } : {}),
      ...(old ? { oldLogp: old[i] as number[] } : {}),
    }));
    const rl = buildRlBatch(sequences, policy.tokenizer.pad);
    let last = { loss: 0, gradNorm: 0, metrics: {} as Record<string, number> };
    for (let epoch = 0; epoch < settings.epochs; epoch++) {
      last = trainer.step(
        () => (settings.algorithm === "grpo" ? grpoLoss(policy.model, rl, settings.grpo) : reinforceLoss(policy.model, rl, { klCoef, ...(settings.grpo.klEstimator ? { klEstimator: settings.grpo.klEstimator } : {}) })),
        { lr: settings.lr, ...(settings.trainable ? { trainable: settings.trainable } : {}) },
      );
    }
    const byGroup = [...groupIndices(groups).values()].map((m) => m.map((i) => rewards[i] as number));
    const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
    const std = Math.sqrt(rewards.reduce((a, b) => a + (b - mean) ** 2, 0) / rewards.length);
    return {
      loss: last.loss,
      gradNorm: last.gradNorm,
      experiences: batch.length,
      metrics: { ...last.metrics, reward_mean: mean, reward_std: std, frac_reward_zero_std: fracRewardZeroStd(byGroup), groups: byGroup.length },
    };
  };
}
