// RLC's PPO (trlx) puts the KL penalty into the reward rather than the loss: every generated token
// is charged −β·(logp − logp_ref) (the k1 estimate), and the clipped self-evaluation score is
// added on the last token. GAE then spreads it back over the sequence.
import { ALGORITHM_DEFAULTS } from "../rl/config.js";

/** Per-token rewards with the KL penalty folded in (PPO's), and the sequence's KL. */
export interface KlShapedRewards {
  /** Per-token rewards, one per generated token. */
  rewards: number[];
  /** Σ (logp − logp_ref) over the sequence: the KL sample the adaptive controller tracks. */
  kl: number;
}

/**
 * PPO's per-token rewards: −klCoef·(logp − refLogp) on every token, plus the (clipped) score on the
 * last one.
 */
export function klPenalizedRewards(
  score: number,
  logp: readonly number[],
  refLogp: readonly number[],
  klCoef: number,
  opts: { scoreClip?: number } = {},
): KlShapedRewards {
  if (logp.length !== refLogp.length)
    throw new Error(`klPenalizedRewards: ${logp.length} log-probs but ${refLogp.length} reference log-probs`);
  if (logp.length === 0) throw new Error("klPenalizedRewards: a sequence needs at least one generated token");
  // trlx's cliprange_reward (10 in RLC's config) bounds a single score's pull on the update.
  const clip = opts.scoreClip ?? ALGORITHM_DEFAULTS.ppo.rewardClip;
  let kl = 0;
  const rewards = logp.map((lp, i) => {
    const d = lp - (refLogp[i] as number);
    kl += d;
    return -klCoef * d;
  });
  rewards[rewards.length - 1] = (rewards[rewards.length - 1] as number) + Math.min(clip, Math.max(-clip, score));
  return { rewards, kl };
}
