// Per-token estimators of KL(π ‖ π_ref) from the log-probabilities of the sampled token
// (Schulman, "Approximating KL divergence"). With d = logp_ref − logp and the token drawn from π:
//   k1 = −d            unbiased, high variance, can be negative
//   k2 = d²/2          biased, low variance, ≥ 0
//   k3 = e^d − d − 1   unbiased, low variance, ≥ 0 (GRPO / TRL's choice)

export type KlEstimator = "k1" | "k2" | "k3";

export function k1(logp: number, refLogp: number): number {
  return logp - refLogp;
}

export function k2(logp: number, refLogp: number): number {
  const d = refLogp - logp;
  return 0.5 * d * d;
}

export function k3(logp: number, refLogp: number): number {
  const d = refLogp - logp;
  // expm1 avoids the cancellation of e^d − 1 near d = 0; the clamp absorbs the last rounding
  // error so the estimate is never (slightly) negative.
  return Math.max(0, Math.expm1(d) - d);
}

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
