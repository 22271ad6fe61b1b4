// One optimisation step: forward, backward, clip, AdamW. The loss is whatever the caller builds
// from the model (weighted NLL for pretraining, a PPO/GRPO objective for RL), so every
// algorithm shares the same step and the same bookkeeping.
import * as tf from "@tensorflow/tfjs";
import { oneHotF32, type GPT } from "./gpt.js";
import { AdamW, type AdamWConfig } from "./optim.js";

/** Right-padded token batch; weights select which target tokens count (0 = masked). */
export interface TokenBatch {
  batch: number;
  length: number;
  /** int32 [batch * length] */
  ids: Int32Array;
  /** int32 [batch * length]: the next token at each position */
  targets: Int32Array;
  /** float32 [batch * length]: per-token loss weight */
  weights: Float32Array;
}

/** What a loss function given to {@link Trainer.step} returns: the scalar to minimise and extra metrics. */
export interface LossOutput {
  loss: tf.Scalar;
  /** Extra scalars to report (computed in the same forward pass). */
  metrics?: Record<string, tf.Scalar>;
}

/** One {@link Trainer.step}'s outcome as numbers: loss, gradient norm, metrics. */
export interface StepResult {
  loss: number;
  gradNorm: number;
  metrics: Record<string, number>;
}

/**
 * Per-token log-probabilities of `targets` and per-token entropies, both [B*T].
 * The target log-probs carry gradient; entropy is reported, not trained.
 * `temperature` scores under softmax(logits / temperature), the distribution the sampler drew
 * from: an RL loss must use it, or its importance ratio compares two different policies (TRL
 * divides the logits the same way). At 1 the logits are used as they are (no extra op).
 */
export function tokenLogProbs(
  logits: tf.Tensor2D,
  targets: tf.Tensor1D,
  temperature = 1,
): { logp: tf.Tensor1D; entropy: tf.Tensor1D } {
  if (!(temperature > 0) || !Number.isFinite(temperature))
    throw new Error(`tokenLogProbs: temperature must be finite and > 0, got ${temperature}`);
  const logSm = tf.logSoftmax(temperature === 1 ? logits : tf.div(logits, temperature));
  const oh = oneHotF32(targets, logits.shape[1]);
  const logp = tf.sum(tf.mul(logSm, oh), 1) as tf.Tensor1D;
  const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logSm), logSm), 1)) as tf.Tensor1D;
  return { logp, entropy };
}

/** Weighted mean negative log-likelihood: -Σ w·log p / Σ w. Also reports weighted entropy. */
export function weightedNllLoss(model: GPT, batch: TokenBatch): LossOutput {
  const ids = tf.tensor2d(batch.ids, [batch.batch, batch.length], "int32");
  const targets = tf.tensor1d(batch.targets, "int32");
  const w = tf.tensor1d(batch.weights, "float32");
  const { logits } = model.forward(ids);
  const { logp, entropy } = tokenLogProbs(logits, targets);
  const denom = Math.max(sumOf(batch.weights), 1e-8);
  const loss = tf.div(tf.neg(tf.sum(tf.mul(logp, w))), denom) as tf.Scalar;
  const ent = tf.div(tf.sum(tf.mul(entropy, w)), denom) as tf.Scalar;
  return { loss, metrics: { entropy: ent } };
}

function sumOf(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] as number;
  return s;
}

/**
 * Gradient steps on a {@link GPT} with {@link AdamW}: give it any loss (the losses of {@link rl} or
 * your own). The Learner actor uses one.
 */
export class Trainer {
  readonly optimizer: AdamW;
  private readonly nameOf = new Map<string, string>();

  constructor(
    readonly model: GPT,
    optim: Partial<AdamWConfig> = {},
  ) {
    this.optimizer = new AdamW(model.params, optim);
    for (const [name, v] of model.params) this.nameOf.set(v.name, name);
  }

  /**
   * Runs one update. `trainable` limits which parameters learn (RLC's paper unfreezes only the
   * top layers); the default is all of them.
   */
  step(lossFn: () => LossOutput, opts: { lr?: number; trainable?: (name: string) => boolean } = {}): StepResult {
    const vars: tf.Variable[] = [];
    for (const [name, v] of this.model.params) if (!opts.trainable || opts.trainable(name)) vars.push(v);
    const kept: Record<string, tf.Scalar> = {};
    const { value, grads } = tf.variableGrads(() => {
      const out = lossFn();
      // A clone, because a metric may be the loss tensor itself (a loss with no extra terms),
      // which is disposed below once its value is read.
      for (const [k, t] of Object.entries(out.metrics ?? {})) kept[k] = tf.keep(tf.clone(t));
      return out.loss;
    }, vars);
    const loss = value.dataSync()[0] as number;
    value.dispose();
    const named: Record<string, tf.Tensor> = {};
    for (const [varName, g] of Object.entries(grads)) named[this.nameOf.get(varName) ?? varName] = g;
    if (!Number.isFinite(loss)) {
      for (const g of Object.values(named)) g.dispose();
      for (const t of Object.values(kept)) t.dispose();
      throw new Error(`training step: loss is ${loss}; update skipped (check rewards and learning rate)`);
    }
    const gradNorm = this.optimizer.apply(named, opts.lr);
    const metrics: Record<string, number> = {};
    for (const [k, t] of Object.entries(kept)) {
      metrics[k] = t.dataSync()[0] as number;
      t.dispose();
    }
    return { loss, gradNorm, metrics };
  }

  /** Supervised step on a weighted token batch; returns loss, gradient norm and entropy. */
  stepNll(batch: TokenBatch, opts: { lr?: number } = {}): StepResult & { entropy: number } {
    const r = this.step(() => weightedNllLoss(this.model, batch), opts);
    return { ...r, entropy: r.metrics.entropy ?? NaN };
  }

  /** Frees the optimizer's tensors (not the model's). */
  dispose(): void {
    this.optimizer.dispose();
  }
}

/** Packs (input, target, weight) sequences into a right-padded batch. */
export function packBatch(
  seqs: ReadonlyArray<{ tokens: readonly number[]; weights: readonly number[] }>,
  pad: number,
  length?: number,
): TokenBatch {
  const L = length ?? Math.max(...seqs.map((s) => s.tokens.length - 1));
  const B = seqs.length;
  const ids = new Int32Array(B * L).fill(pad);
  const targets = new Int32Array(B * L).fill(pad);
  const weights = new Float32Array(B * L);
  seqs.forEach((s, b) => {
    if (s.weights.length !== s.tokens.length) throw new Error("packBatch: weights must align with tokens");
    const n = Math.min(s.tokens.length - 1, L);
    for (let t = 0; t < n; t++) {
      ids[b * L + t] = s.tokens[t] as number;
      targets[b * L + t] = s.tokens[t + 1] as number;
      // weights[i] belongs to token i, which is predicted at position i-1.
      weights[b * L + t] = s.weights[t + 1] as number;
    }
  });
  return { batch: B, length: L, ids, targets, weights };
}
