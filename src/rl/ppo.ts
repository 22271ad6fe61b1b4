// PPO's loss with a critic, as RLC's trlx runs it: clipped policy surrogate plus clipped value
// loss, no entropy bonus, the KL to the reference already folded into the rewards (see
// rewards/token-rewards.ts and adaptive-kl.ts). Advantages and returns come from GAE.
//   loss = Σ w·(−min(r·A, clip(r, 1 ± ε)·A)) + vfCoef·Σ w·½·max((V − R)², (clip(V, V_old ± εv) − R)²)
import * as tf from "@tensorflow/tfjs";
import type { GPT } from "../engine/gpt.js";
import type { LossOutput } from "../engine/train.js";
import type { Aggregation } from "./aggregate.js";
import type { RlBatch } from "./batch.js";
import { ALGORITHM_DEFAULTS } from "./config.js";
import { clippedIndicatorTf, clippedSurrogateTf, clippedValueLossTf, LOG_RATIO_LIMIT } from "./ops.js";
import { liveField, maskedLogRatio, policyTerms, weightedSum } from "./terms.js";

/** The PPO loss's settings: ratio clip, value clip and value-loss coefficient (trlx's). */
export interface PpoConfig {
  /** ε of the ratio clip (symmetric, as trlx). */
  clip: number;
  /** How far the critic may move from its old value per update. */
  valueClip: number;
  vfCoef: number;
  aggregation: Aggregation;
  /** N for aggregation "constant", as is (prefer maxCompletionLength). */
  constantNormalizer?: number;
  /** Aggregation "constant" divides by B × maxCompletionLength (TRL's dr_grpo); see terms.ts. */
  maxCompletionLength?: number;
  /** The sampling temperature: the loss scores under softmax(logits / temperature). Default 1. */
  temperature?: number;
  /** Dual-clip c > 1 for A < 0 (see objective.ts). */
  maxImportanceRatio?: number;
}

/** RLC's official settings (trlx), from the algorithm defaults (config.ts): clip 0.2, value clip 0.2, vf_coef 1.0, token-mean losses. */
export const PPO_DEFAULTS: PpoConfig = {
  clip: ALGORITHM_DEFAULTS.ppo.clip,
  valueClip: ALGORITHM_DEFAULTS.ppo.valueClip,
  vfCoef: ALGORITHM_DEFAULTS.ppo.vfCoef,
  aggregation: ALGORITHM_DEFAULTS.all.aggregation,
};

/**
 * The PPO loss (clipped policy objective plus clipped value loss) for a model with a value head,
 * for {@link Trainer.step}.
 */
export function ppoLoss(model: GPT, batch: RlBatch, cfg: Partial<PpoConfig> = {}): LossOutput {
  if (!model.config.valueHead) throw new Error("ppo: the model has no value head (create it with valueHead: true)");
  const ids = tf.tensor2d(batch.ids, [batch.batch, batch.length], "int32");
  const { logits, values } = model.forward(ids, { withValues: true });
  return ppoLossFromOutputs(logits, values as tf.Tensor1D, batch, cfg);
}

/** Metrics: policyLoss, valueLoss, approxKl (k3 between old and new policy), clipFrac, valueClipFrac, entropy, valueMean. */
export function ppoLossFromOutputs(
  logits: tf.Tensor2D,
  values: tf.Tensor1D,
  batch: RlBatch,
  cfg: Partial<PpoConfig> = {},
): LossOutput {
  const c = { ...PPO_DEFAULTS, ...cfg };
  if (!(c.clip >= 0 && c.clip < 1)) throw new Error(`ppo: clip must be in [0, 1), got ${c.clip}`);
  if (!(c.valueClip >= 0)) throw new Error(`ppo: valueClip must be ≥ 0, got ${c.valueClip}`);
  if (c.maxImportanceRatio !== undefined && !(c.maxImportanceRatio > 1))
    throw new Error(`ppo: maxImportanceRatio must be > 1, got ${c.maxImportanceRatio}`);
  const { oldLogp, returns, oldValues } = batch;
  if (!oldLogp || !returns || !oldValues) throw new Error("ppo: the batch needs oldLogp, returns and oldValues");
  const t = policyTerms(logits, batch, c);
  const logRatio = maskedLogRatio(t.logp, liveField(batch, oldLogp), t.live, LOG_RATIO_LIMIT);
  const ratio = tf.exp(logRatio) as tf.Tensor1D;
  const adv = liveField(batch, batch.advantages);
  const policyLoss = tf.neg(
    weightedSum(clippedSurrogateTf(ratio, adv, c.clip, c.clip, c.maxImportanceRatio), t.weights),
  ) as tf.Scalar;
  const oldV = liveField(batch, oldValues);
  const ret = liveField(batch, returns);
  const valueLoss = weightedSum(clippedValueLossTf(values, oldV, ret, c.valueClip), t.weights);
  const loss = tf.add(policyLoss, tf.mul(valueLoss, c.vfCoef)) as tf.Scalar;
  const valueClipped = tf.cast(tf.greater(tf.abs(tf.sub(values, oldV)), c.valueClip), "float32") as tf.Tensor1D;
  return {
    loss,
    metrics: {
      policyLoss,
      valueLoss,
      approxKl: weightedSum(tf.sub(tf.sub(ratio, 1), logRatio) as tf.Tensor1D, t.metricWeights),
      clipFrac: weightedSum(clippedIndicatorTf(ratio, adv, c.clip, c.clip), t.metricWeights),
      valueClipFrac: weightedSum(valueClipped, t.metricWeights),
      entropy: weightedSum(t.entropy, t.metricWeights),
      valueMean: weightedSum(values, t.metricWeights),
    },
  };
}
