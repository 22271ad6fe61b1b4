// PPO's rollout side, as RLC's trlx builds it before any gradient step: for each sequence the
// current policy's log-probs and critic values (one no-grad forward), the reference's log-probs,
// per-token rewards with the KL folded in (klPenalizedRewards), GAE over the trained tokens, and
// advantages whitened across the whole batch. The result is an RlBatch that ppoLoss trains on.
//
// Alignment is RlBatch's: entry i of every per-token array belongs to token i, predicted at
// position i − 1, so the value for token i is V at the position that predicts it (the state just
// before the token is chosen). Entry 0 is never used.
import type { GPT } from "../engine/gpt.js";
import { gae, whiten } from "../rewards/advantages.js";
import { klPenalizedRewards } from "../rewards/token-rewards.js";
import { buildRlBatch, type RlBatch, type RlSequence } from "./batch.js";
import { ALGORITHM_DEFAULTS } from "./config.js";
import { scoreRows, type ScoreOptions } from "./logprobs.js";

/** PPO's rollout settings: discount γ, GAE's λ and the score clip. */
export interface PpoRolloutSettings {
  gamma: number;
  lambda: number;
  /** trlx's cliprange_reward: the score is clipped to ±rewardClip before it enters the rewards. */
  rewardClip: number;
}

/** RLC's official values (trlx config), from the algorithm defaults (config.ts). */
export const PPO_ROLLOUT_DEFAULTS: PpoRolloutSettings = {
  gamma: ALGORITHM_DEFAULTS.ppo.gamma,
  lambda: ALGORITHM_DEFAULTS.ppo.lambda,
  rewardClip: ALGORITHM_DEFAULTS.ppo.rewardClip,
};

/** One sampled sequence and its score, as a PPO rollout takes it. */
export interface RolloutInput {
  tokens: readonly number[];
  /** Per-token weight; > 0 marks the tokens the policy generated and is trained on. */
  mask: readonly number[];
  /** The sequence's score (RLC: the self-evaluation), placed on its last trained token. */
  score: number;
}

/** The policy's per-token log-probabilities and values for a set of sequences. */
export interface PolicyEstimates {
  /** Per-token log p(token_i | tokens_<i); entry 0 is 0. */
  logp: number[][];
  /** Per-token V at the position predicting token i; entry 0 is 0. */
  values: number[][];
}

/** A scored PPO rollout: the batch {@link ppoLoss} trains on, with its KL samples and statistics. */
export interface PpoRollout {
  /** The batch ppoLoss trains on: oldLogp, oldValues, returns and whitened advantages on the mask. */
  batch: RlBatch;
  /** One RlSequence per input (for minibatches: buildRlBatch over a subset with batch.length). */
  sequences: RlSequence[];
  /** Σ (logp − logp_ref) over each sequence's trained tokens: the KL sample trlx's controller tracks. */
  seqKl: number[];
  /** Token means over the trained tokens of the whole batch. */
  stats: { klPerToken: number; valueMean: number; returnMean: number; advantageMeanRaw: number; trainedTokens: number };
}

/** Indices i ≥ 1 whose token is trained (token 0 is never predicted). */
export function trainedIndices(mask: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < mask.length; i++) if ((mask[i] as number) > 0) out.push(i);
  return out;
}

/**
 * Log-probs and values of every token under the model, without gradient, on the same right-padded
 * layout buildRlBatch uses (so the training forward sees identical positions: at the first PPO
 * epoch the ratio is exactly 1 and V − V_old is 0 up to rounding). `temperature` must be the one
 * the loss uses (the sampler's).
 */
export function policyEstimates(
  model: GPT,
  seqs: ReadonlyArray<{ tokens: readonly number[] }>,
  pad: number,
  opts: ScoreOptions = {},
): PolicyEstimates {
  if (!model.config.valueHead)
    throw new Error("ppo: the policy has no value head (load it with languageModelWithValueHead)");
  return scoreRows(model, seqs, pad, true, opts);
}

/**
 * Rewards, GAE and whitening for a batch. `refLogp` absent means no reference (β·KL ≡ 0). GAE runs
 * over each sequence's trained tokens in order, bootstrapping 0 after the last one (the episode
 * ends there); for a mask with gaps (R3's reflection inside a longer sequence) the trained tokens
 * are treated as consecutive decisions, which is what "only these tokens are actions" means.
 * A sequence with no trained token contributes nothing.
 */
export function ppoRollout(
  inputs: readonly RolloutInput[],
  est: PolicyEstimates,
  refLogp: readonly (readonly number[])[] | undefined,
  klCoef: number,
  settings: PpoRolloutSettings,
  pad: number,
): PpoRollout {
  const { gamma, lambda, rewardClip } = settings;
  if (!(gamma >= 0 && gamma <= 1) || !(lambda >= 0 && lambda <= 1))
    throw new Error(`ppo: gamma and lambda must be in [0, 1], got ${gamma}, ${lambda}`);
  if (!(klCoef >= 0) || !Number.isFinite(klCoef)) throw new Error(`ppo: klCoef must be finite and ≥ 0, got ${klCoef}`);
  const seqKl: number[] = [];
  const returns: number[][] = [];
  const flatAdv: number[] = [];
  let klSum = 0;
  let vSum = 0;
  let rSum = 0;
  inputs.forEach((s, b) => {
    const T = s.tokens.length;
    const lp = est.logp[b];
    const vals = est.values[b];
    const ref = refLogp?.[b];
    if (!lp || !vals || lp.length !== T || vals.length !== T || (ref && ref.length !== T))
      throw new Error(`ppo: sequence ${b} has ${T} tokens but its log-probs/values/reference do not match`);
    const idx = trainedIndices(s.mask);
    const ret = new Array<number>(T).fill(0);
    returns.push(ret);
    if (idx.length === 0) {
      seqKl.push(0);
      return;
    }
    const lpT = idx.map((i) => lp[i] as number);
    // No reference: the policy is its own reference, so every KL term is exactly 0.
    const refT = ref ? idx.map((i) => ref[i] as number) : lpT;
    const shaped = klPenalizedRewards(s.score, lpT, refT, klCoef, { scoreClip: rewardClip });
    const vT = idx.map((i) => vals[i] as number);
    const g = gae(shaped.rewards, vT, gamma, lambda);
    idx.forEach((i, k) => {
      ret[i] = g.returns[k] as number;
      flatAdv.push(g.advantages[k] as number);
      vSum += vT[k] as number;
      rSum += ret[i];
    });
    seqKl.push(shaped.kl);
    klSum += shaped.kl;
  });
  // trlx whitens advantages over the whole batch: one scale for every sequence, so a sequence's
  // advantage keeps its sign relative to the others (per-sequence whitening would erase the score).
  const white = whiten(flatAdv);
  let at = 0;
  const sequences: RlSequence[] = inputs.map((s, b) => {
    const adv = new Array<number>(s.tokens.length).fill(0);
    for (const i of trainedIndices(s.mask)) adv[i] = white[at++] as number;
    return {
      tokens: s.tokens,
      mask: s.mask,
      advantages: adv,
      oldLogp: est.logp[b] as number[],
      oldValues: est.values[b] as number[],
      returns: returns[b] as number[],
    };
  });
  const n = flatAdv.length;
  const mean = (x: number): number => (n > 0 ? x / n : 0);
  return {
    batch: buildRlBatch(sequences, pad),
    sequences,
    seqKl,
    stats: {
      klPerToken: mean(klSum),
      valueMean: mean(vSum),
      returnMean: mean(rSum),
      advantageMeanRaw: mean(flatAdv.reduce((a, x) => a + x, 0)),
      trainedTokens: n,
    },
  };
}
