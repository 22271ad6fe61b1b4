// Plain policy gradient, −A·log π, for REINFORCE and RLOO (advantages from rewards/advantages.ts).
// No ratio and no clip: it assumes on-policy samples, so oldLogp is ignored.
import * as tf from "@tensorflow/tfjs";
import type { GPT } from "../engine/gpt.js";
import type { LossOutput } from "../engine/train.js";
import type { KlEstimator } from "../rewards/kl.js";
import type { Aggregation } from "./aggregate.js";
import type { RlBatch } from "./batch.js";
import { ALGORITHM_DEFAULTS } from "./config.js";
import { klFromRefLogRatio } from "./ops.js";
import { liveField, policyTerms, weightedSum } from "./terms.js";

/** The REINFORCE loss's settings: aggregation and an optional KL penalty. */
export interface ReinforceConfig {
  aggregation: Aggregation;
  /** N for aggregation "constant", as is (prefer maxCompletionLength). */
  constantNormalizer?: number;
  /** Aggregation "constant" divides by B × maxCompletionLength (TRL's dr_grpo); see terms.ts. */
  maxCompletionLength?: number;
  /** The sampling temperature: the loss scores under softmax(logits / temperature). Default 1. */
  temperature?: number;
  klCoef: number;
  klEstimator: KlEstimator;
}

/**
 * The loss alone charges no KL unless asked (klCoef 0, so a batch needs no refLogp); a scenario's
 * REINFORCE and RLOO default to β = ALGORITHM_DEFAULTS.reinforce.klCoef, which the Learner passes.
 */
export const REINFORCE_DEFAULTS: ReinforceConfig = {
  aggregation: ALGORITHM_DEFAULTS.all.aggregation,
  klCoef: 0,
  klEstimator: ALGORITHM_DEFAULTS.reinforce.klEstimator,
};

/**
 * The REINFORCE loss −A·log p (with REINFORCE's advantages, or reward 1 on labels: SFT), for
 * {@link Trainer.step}.
 */
export function reinforceLoss(model: GPT, batch: RlBatch, cfg: Partial<ReinforceConfig> = {}): LossOutput {
  const ids = tf.tensor2d(batch.ids, [batch.batch, batch.length], "int32");
  return reinforceLossFromLogits(model.forward(ids).logits, batch, cfg);
}

/** Metrics: policyLoss, kl (when refLogp is given), entropy. */
export function reinforceLossFromLogits(
  logits: tf.Tensor2D,
  batch: RlBatch,
  cfg: Partial<ReinforceConfig> = {},
): LossOutput {
  const c = { ...REINFORCE_DEFAULTS, ...cfg };
  if (!(c.klCoef >= 0) || !Number.isFinite(c.klCoef))
    throw new Error(`reinforce: klCoef must be finite and ≥ 0, got ${c.klCoef}`);
  if (c.klCoef > 0 && !batch.refLogp) throw new Error(`reinforce: klCoef ${c.klCoef} needs the batch's refLogp`);
  const t = policyTerms(logits, batch, c);
  const adv = liveField(batch, batch.advantages);
  const policyLoss = tf.neg(weightedSum(tf.mul(adv, t.logp) as tf.Tensor1D, t.weights)) as tf.Scalar;
  let loss = policyLoss;
  let kl: tf.Scalar = tf.scalar(0);
  if (batch.refLogp) {
    const perToken = klFromRefLogRatio(
      tf.mul(tf.sub(liveField(batch, batch.refLogp), t.logp), t.live) as tf.Tensor1D,
      c.klEstimator,
    );
    kl = weightedSum(perToken, t.metricWeights);
    if (c.klCoef > 0) loss = tf.add(loss, tf.mul(weightedSum(perToken, t.weights), c.klCoef)) as tf.Scalar;
  }
  return { loss, metrics: { policyLoss, kl, entropy: weightedSum(t.entropy, t.metricWeights) } };
}
