// Per-token estimators of KL(π ‖ π_ref) from the log-probabilities of the sampled token
// (Schulman, "Approximating KL divergence"). With d = logp_ref − logp and the token drawn from π:
//   k1 = −d            unbiased, high variance, can be negative
//   k2 = d²/2          biased, low variance, ≥ 0
//   k3 = e^d − d − 1   unbiased, low variance, ≥ 0 (GRPO / TRL's choice)
//
// The clamp: d is clamped to ±LOG_RATIO_LIMIT (20 nats) before any estimator sees it, in these
// number versions and in their tensor twins (src/rl/ops.ts) alike, so the two agree everywhere.
// The tensor side needs it (float32 e^d overflows at d ≈ 89, and one such token would make the
// loss Inf); the number side follows so that the specification and the loss never part ways.
// verl clamps d at the same ±20 (kl_penalty "low_var_kl"), then also clamps k3 itself to ±10;
// TRL does not clamp. Below |d| = 20 nothing changes; a token 20 nats away from the reference is a
// broken sample, and the estimate (and its gradient) simply stops growing there.

/**
 * Which per-token KL estimator to use: k1 (unbiased, noisy), k2 (biased, ≥ 0) or k3 (unbiased, ≥ 0;
 * GRPO's).
 */
export type KlEstimator = "k1" | "k2" | "k3";

/** |log-ratio| bound shared by every KL estimate and importance ratio (e^20 ≈ 4.9e8). */
export const LOG_RATIO_LIMIT = 20;

/** d = refLogp − logp, clamped to ±LOG_RATIO_LIMIT (see the header). */
export function clampedRefLogRatio(logp: number, refLogp: number): number {
  return Math.min(LOG_RATIO_LIMIT, Math.max(-LOG_RATIO_LIMIT, refLogp - logp));
}

/** k1 = logp − refLogp: the unbiased, high-variance KL sample (clamped to ±20 nats). */
export function k1(logp: number, refLogp: number): number {
  // logp − ref clamped (not −d: that would give −0 for equal log-probs).
  return Math.min(LOG_RATIO_LIMIT, Math.max(-LOG_RATIO_LIMIT, logp - refLogp));
}

/** k2 = d²/2 with d = refLogp − logp: biased, low variance, never negative. */
export function k2(logp: number, refLogp: number): number {
  const d = clampedRefLogRatio(logp, refLogp);
  return 0.5 * d * d;
}

/** k3 = e^d − d − 1 with d = refLogp − logp: unbiased, low variance, never negative (GRPO's and TRL's). */
export function k3(logp: number, refLogp: number): number {
  const d = clampedRefLogRatio(logp, refLogp);
  // expm1 avoids the cancellation of e^d − 1 near d = 0; the max absorbs the last rounding
  // error so the estimate is never (slightly) negative.
  return Math.max(0, Math.expm1(d) - d);
}

/** The per-token KL sample of the named estimator. */
export function klEstimate(estimator: KlEstimator, logp: number, refLogp: number): number {
  switch (estimator) {
    case "k1":
      return k1(logp, refLogp);
    case "k2":
      return k2(logp, refLogp);
    case "k3":
      return k3(logp, refLogp);
  }
}
