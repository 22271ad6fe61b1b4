// Tensor twins of objective.ts and rewards/kl.ts, element-wise over [N] tensors. Kept formula
// for formula identical to the number versions, which the tests use as the reference.
import * as tf from "@tensorflow/tfjs";
import { LOG_RATIO_LIMIT, type KlEstimator } from "../rewards/kl.js";

/**
 * exp() of a log-ratio beyond ±20 (e^20 ≈ 5e8) only happens for a broken or very stale sample;
 * clamping keeps float32 finite (e^89 is Inf) so one token cannot turn the loss into NaN.
 * verl clamps at the same bound. One constant for the importance ratio and the KL estimates,
 * defined beside the number versions of the estimators (rewards/kl.ts), which clamp identically.
 */
export { LOG_RATIO_LIMIT };

/** Identity forward, zero gradient: tfjs has no stop_gradient. */
export const detach: (x: tf.Tensor) => tf.Tensor = tf.customGrad((x: tf.Tensor | tf.GradSaveFunc) => ({
  value: tf.clone(x as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));

/** min(r·A, clip(r, 1 − εlow, 1 + εhigh)·A), floored at c·A for A < 0 when dualClip = c. */
export function clippedSurrogateTf(
  ratio: tf.Tensor1D,
  adv: tf.Tensor1D,
  epsLow: number,
  epsHigh: number,
  dualClip?: number,
): tf.Tensor1D {
  const obj = tf.minimum(tf.mul(ratio, adv), tf.mul(tf.clipByValue(ratio, 1 - epsLow, 1 + epsHigh), adv));
  if (dualClip === undefined) return obj as tf.Tensor1D;
  return tf.where(tf.less(adv, 0), tf.maximum(obj, tf.mul(adv, dualClip)), obj) as tf.Tensor1D;
}

/** 1 where the clip sets the objective, else 0 (TRL's clip ratio). */
export function clippedIndicatorTf(ratio: tf.Tensor1D, adv: tf.Tensor1D, epsLow: number, epsHigh: number): tf.Tensor1D {
  const high = tf.logicalAnd(tf.greater(ratio, 1 + epsHigh), tf.greater(adv, 0));
  const low = tf.logicalAnd(tf.less(ratio, 1 - epsLow), tf.less(adv, 0));
  return tf.cast(tf.logicalOr(high, low), "float32") as tf.Tensor1D;
}

/** ½·max((V − R)², (clip(V, V_old ± c) − R)²). */
export function clippedValueLossTf(
  values: tf.Tensor1D,
  oldValues: tf.Tensor1D,
  returns: tf.Tensor1D,
  clip: number,
): tf.Tensor1D {
  const clipped = tf.add(oldValues, tf.clipByValue(tf.sub(values, oldValues), -clip, clip));
  return tf.mul(
    tf.maximum(tf.square(tf.sub(values, returns)), tf.square(tf.sub(clipped, returns))),
    0.5,
  ) as tf.Tensor1D;
}

/**
 * KL estimate per token from d = logp_ref − logp (see rewards/kl.ts). d is clamped like the
 * log-ratio: beyond ±20 the estimate (and its gradient) stops growing instead of overflowing.
 * k1/k2/k3 in rewards/kl.ts apply the same clamp, so the number and tensor versions agree for
 * every d (test/rl.reference.test.ts checks it out to |d| = 100).
 */
export function klFromRefLogRatio(d: tf.Tensor1D, estimator: KlEstimator): tf.Tensor1D {
  const x = tf.clipByValue(d, -LOG_RATIO_LIMIT, LOG_RATIO_LIMIT);
  switch (estimator) {
    case "k1":
      return tf.neg(x) as tf.Tensor1D;
    case "k2":
      return tf.mul(tf.square(x), 0.5) as tf.Tensor1D;
    case "k3":
      return tf.sub(tf.sub(tf.exp(x), x), 1) as tf.Tensor1D;
  }
}
