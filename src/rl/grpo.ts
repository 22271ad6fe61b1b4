// GRPO's loss (Shao et al. 2024, DeepSeekMath), with the knobs later work added: DAPO's
// asymmetric clip ("clip-higher") and token-level aggregation, Dr.GRPO's constant normaliser,
// dual-clip for stale samples. Per token, on the mask only:
//   ℓ = −min(r·A, clip(r, 1 − εlow, 1 + εhigh)·A) + β·KL(π ‖ π_ref),   r = π/π_old
// R3 trains with exactly this and a mask that covers only the reflection tokens.
import * as tf from "@tensorflow/tfjs";
import type { GPT } from "../engine/gpt.js";
import type { LossOutput } from "../engine/train.js";
import type { KlEstimator } from "../rewards/kl.js";
import type { Aggregation } from "./aggregate.js";
import type { RlBatch } from "./batch.js";
import { ALGORITHM_DEFAULTS } from "./config.js";
import { clippedIndicatorTf, clippedSurrogateTf, detach, klFromRefLogRatio, LOG_RATIO_LIMIT } from "./ops.js";
import { liveField, maskedLogRatio, policyTerms, weightedSum } from "./terms.js";

/** The GRPO loss's settings: asymmetric ratio clip, KL coefficient and estimator, aggregation. */
export interface GrpoConfig {
  /** εlow: the ratio's floor is 1 − clipLow. */
  clipLow: number;
  /** εhigh: the ratio's ceiling is 1 + clipHigh (DAPO's clip-higher: 0.28). */
  clipHigh: number;
  /** β on the KL to the reference; 0 needs no refLogp. R3's paper uses 0.001. */
  klCoef: number;
  /** k3 is TRL's and GRPO's choice; k1's gradient is zero in expectation on-policy. */
  klEstimator: KlEstimator;
  aggregation: Aggregation;
  /** N for aggregation "constant", as is (prefer maxCompletionLength). */
  constantNormalizer?: number;
  /** Aggregation "constant" divides by B × maxCompletionLength (TRL's dr_grpo); see terms.ts. */
  maxCompletionLength?: number;
  /** The sampling temperature: the loss scores under softmax(logits / temperature), as TRL. Default 1. */
  temperature?: number;
  /** Dual-clip c > 1: for A < 0 the objective is floored at c·A, capping how far a stale sample with a large ratio can push. */
  maxImportanceRatio?: number;
}

/** From the algorithm defaults (config.ts). */
export const GRPO_DEFAULTS: GrpoConfig = {
  clipLow: ALGORITHM_DEFAULTS.grpo.clipLow,
  clipHigh: ALGORITHM_DEFAULTS.grpo.clipHigh,
  klCoef: ALGORITHM_DEFAULTS.grpo.klCoef,
  klEstimator: ALGORITHM_DEFAULTS.grpo.klEstimator,
  aggregation: ALGORITHM_DEFAULTS.all.aggregation,
};

/** A full GrpoConfig from partial settings (defaults filled in), checked: throws naming the bad field. */
export function resolveGrpoConfig(cfg: Partial<GrpoConfig>): GrpoConfig {
  const c = { ...GRPO_DEFAULTS, ...cfg };
  if (!(c.clipLow >= 0 && c.clipLow < 1)) throw new Error(`grpo: clipLow must be in [0, 1), got ${c.clipLow}`);
  if (!(c.clipHigh >= 0)) throw new Error(`grpo: clipHigh must be ≥ 0, got ${c.clipHigh}`);
  if (!(c.klCoef >= 0) || !Number.isFinite(c.klCoef))
    throw new Error(`grpo: klCoef must be finite and ≥ 0, got ${c.klCoef}`);
  if (c.maxImportanceRatio !== undefined && !(c.maxImportanceRatio > 1))
    throw new Error(`grpo: maxImportanceRatio must be > 1, got ${c.maxImportanceRatio}`);
  return c;
}

/** The GRPO loss for a model: one forward pass, then grpoLossFromLogits. */
export function grpoLoss(model: GPT, batch: RlBatch, cfg: Partial<GrpoConfig> = {}): LossOutput {
  const ids = tf.tensor2d(batch.ids, [batch.batch, batch.length], "int32");
  return grpoLossFromLogits(model.forward(ids).logits, batch, cfg);
}

/**
 * The GRPO loss from logits [B·T, V] (any source: a model, or a variable in a test).
 * Metrics are token means over the mask: kl, clipFrac, entropy, ratioMean, policyLoss.
 */
export function grpoLossFromLogits(logits: tf.Tensor2D, batch: RlBatch, cfg: Partial<GrpoConfig> = {}): LossOutput {
  const c = resolveGrpoConfig(cfg);
  if (c.klCoef > 0 && !batch.refLogp)
    throw new Error(`grpo: klCoef ${c.klCoef} needs the batch's refLogp (or set klCoef: 0)`);
  const t = policyTerms(logits, batch, c);
  // Without behaviour log-probs the batch is on-policy: π_old is the current policy, held fixed.
  const old = batch.oldLogp ? liveField(batch, batch.oldLogp) : (detach(t.logp) as tf.Tensor1D);
  const ratio = tf.exp(maskedLogRatio(t.logp, old, t.live, LOG_RATIO_LIMIT)) as tf.Tensor1D;
  const adv = liveField(batch, batch.advantages);
  const surrogate = clippedSurrogateTf(ratio, adv, c.clipLow, c.clipHigh, c.maxImportanceRatio);
  const policyLoss = tf.neg(weightedSum(surrogate, t.weights)) as tf.Scalar;
  let loss = policyLoss;
  let kl: tf.Scalar = tf.scalar(0);
  if (batch.refLogp) {
    const d = tf.mul(tf.sub(liveField(batch, batch.refLogp), t.logp), t.live) as tf.Tensor1D;
    const perToken = klFromRefLogRatio(d, c.klEstimator);
    kl = weightedSum(perToken, t.metricWeights);
    if (c.klCoef > 0) loss = tf.add(loss, tf.mul(weightedSum(perToken, t.weights), c.klCoef)) as tf.Scalar;
  }
  return {
    loss,
    metrics: {
      policyLoss,
      kl,
      clipFrac: weightedSum(clippedIndicatorTf(ratio, adv, c.clipLow, c.clipHigh), t.metricWeights),
      entropy: weightedSum(t.entropy, t.metricWeights),
      ratioMean: weightedSum(ratio, t.metricWeights),
    },
  };
}
