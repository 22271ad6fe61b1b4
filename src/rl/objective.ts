// The per-token PPO/GRPO objectives as plain number functions: the specification the tensor
// losses are tested against, and usable on their own for analysis.

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/**
 * The clipped surrogate objective for one token (to be maximised):
 *   min(r·A, clip(r, 1 − εlow, 1 + εhigh)·A)
 * For A > 0 it never exceeds (1 + εhigh)·A; for A < 0 it never exceeds (1 − εlow)·A: moving the
 * ratio past the trust region earns nothing. For A < 0 it is unbounded below as r grows, which
 * stale samples can trigger; `dualClip` = c > 1 floors it at c·A (dual-clip PPO, Ye et al. 2020;
 * verl's clip_ratio_c).
 */
export function clippedSurrogate(
  ratio: number,
  adv: number,
  epsLow: number,
  epsHigh: number,
  dualClip?: number,
): number {
  const obj = Math.min(ratio * adv, clamp(ratio, 1 - epsLow, 1 + epsHigh) * adv);
  return dualClip !== undefined && adv < 0 ? Math.max(obj, dualClip * adv) : obj;
}

/** Whether the clip is what sets the objective (TRL's clip ratio counts exactly these). */
export function isClipped(ratio: number, adv: number, epsLow: number, epsHigh: number): boolean {
  return (ratio > 1 + epsHigh && adv > 0) || (ratio < 1 - epsLow && adv < 0);
}

/**
 * PPO's clipped value loss for one token (to be minimised), as trlx:
 *   ½·max((V − R)², (clip(V, V_old − c, V_old + c) − R)²)
 * The critic may not gain by moving further than c from its old estimate.
 */
export function clippedValueLoss(value: number, oldValue: number, ret: number, clip: number): number {
  const clipped = clamp(value, oldValue - clip, oldValue + clip);
  return 0.5 * Math.max((value - ret) ** 2, (clipped - ret) ** 2);
}
