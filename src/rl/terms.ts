// The tensors every policy-gradient loss starts from: per-token log-probs of the targets,
// entropies, and masks/weights. Masking discipline, relied on by the gradient tests: each constant
// field is zeroed off the mask, and each difference that feeds exp() is multiplied by the 0/1
// mask *before* exp, so untrained positions hold finite values and receive exactly zero gradient.
import * as tf from "@tensorflow/tfjs";
import { tokenLogProbs } from "../engine/train.js";
import { aggregationWeights, type Aggregation } from "./aggregate.js";
import type { RlBatch } from "./batch.js";

/**
 * The per-token pieces every policy loss starts from: log-probabilities (with gradient), entropies,
 * weights.
 */
export interface PolicyTerms {
  /** [N] log p(target) with gradient. */
  logp: tf.Tensor1D;
  /** [N] entropy of each position's distribution (reported only). */
  entropy: tf.Tensor1D;
  /** [N] 1 where mask > 0, else 0. */
  live: tf.Tensor1D;
  /** [N] aggregation weights: the loss is Σ w·ℓ. */
  weights: tf.Tensor1D;
  /** [N] mask / Σ mask: the token mean used for every reported metric. */
  metricWeights: tf.Tensor1D;
}

/** A batch field as a tensor with 0 wherever the mask is 0 (NaN or junk there is harmless). */
export function liveField(batch: RlBatch, field: Float32Array): tf.Tensor1D {
  const out = new Float32Array(field.length);
  for (let i = 0; i < field.length; i++) if ((batch.mask[i] as number) > 0) out[i] = field[i] as number;
  return tf.tensor1d(out, "float32");
}

/** What every loss config shares about turning logits into per-token terms. */
export interface TermSettings {
  aggregation: Aggregation;
  /** N for aggregation "constant", as is; takes precedence over maxCompletionLength. */
  constantNormalizer?: number;
  /**
   * Dr. GRPO's fixed length: aggregation "constant" divides by B × maxCompletionLength, as TRL's
   * dr_grpo does, so the divisor does not move with the batch's padding or prompt lengths.
   * Without it (and without constantNormalizer) the divisor is B·T of the padded batch.
   */
  maxCompletionLength?: number;
  /** The sampling temperature: log-probs are taken under softmax(logits / temperature). Default 1. */
  temperature?: number;
}

/** The divisor N of aggregation "constant" for a batch of `rows` sequences. */
export function constantDivisor(
  rows: number,
  s: Pick<TermSettings, "constantNormalizer" | "maxCompletionLength">,
): number | undefined {
  if (s.constantNormalizer !== undefined) return s.constantNormalizer;
  if (s.maxCompletionLength === undefined) return undefined;
  if (!(Number.isInteger(s.maxCompletionLength) && s.maxCompletionLength >= 1))
    throw new Error(`rl loss: maxCompletionLength must be a positive integer, got ${s.maxCompletionLength}`);
  return rows * s.maxCompletionLength;
}

/** Computes {@link PolicyTerms} from logits for a batch; throws when shapes disagree. */
export function policyTerms(logits: tf.Tensor2D, batch: RlBatch, s: TermSettings): PolicyTerms {
  const N = batch.batch * batch.length;
  if (logits.shape[0] !== N)
    throw new Error(
      `rl loss: logits have ${logits.shape[0]} rows but the batch has ${batch.batch}×${batch.length} positions`,
    );
  const { logp, entropy } = tokenLogProbs(logits, tf.tensor1d(batch.targets, "int32"), s.temperature ?? 1);
  const liveData = new Float32Array(N);
  for (let i = 0; i < N; i++) if ((batch.mask[i] as number) > 0) liveData[i] = 1;
  return {
    logp,
    entropy,
    live: tf.tensor1d(liveData, "float32"),
    weights: tf.tensor1d(
      aggregationWeights(batch.mask, batch.batch, batch.length, s.aggregation, constantDivisor(batch.batch, s)),
      "float32",
    ),
    metricWeights: tf.tensor1d(aggregationWeights(batch.mask, batch.batch, batch.length, "token"), "float32"),
  };
}

/** Σ w·x as a scalar. */
export function weightedSum(x: tf.Tensor1D, w: tf.Tensor1D): tf.Scalar {
  return tf.sum(tf.mul(x, w)) as tf.Scalar;
}

/** (logp − old)·live, clamped: the log importance ratio, 0 off the mask. */
export function maskedLogRatio(logp: tf.Tensor1D, old: tf.Tensor1D, live: tf.Tensor1D, limit: number): tf.Tensor1D {
  return tf.clipByValue(tf.mul(tf.sub(logp, old), live), -limit, limit) as tf.Tensor1D;
}
