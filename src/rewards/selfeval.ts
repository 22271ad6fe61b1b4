// RLC's rewards: the model, as teacher, evaluates its own answer and that evaluation is the
// reward (Pang et al., ICLR 2024). The judge's output is untrusted text or raw log-probs, so
// every parser here is total: it never throws and always lands in its documented range.

/**
 * Which self-evaluation is the reward: P(yes) or a sampled yes/no with the correctness prompt,
 * or the quality prompt's 0-10 score (tasks that have one).
 */
export const SELF_EVAL_REWARDS = ["p-yes", "sampled-yes", "quality"] as const;
/** How RLC turns the judge's reply into a reward: one of {@link SELF_EVAL_REWARDS}. */
export type SelfEvalReward = (typeof SELF_EVAL_REWARDS)[number];

/**
 * P("yes") as a correctness reward, clamped to [0, 1]. NaN stays NaN on purpose: a judge that
 * yields NaN is broken, and assertFiniteReward should stop the run rather than train on a guess.
 */
export function correctnessRewardFromPYes(pYes: number): number {
  if (Number.isNaN(pYes)) return NaN;
  return Math.min(1, Math.max(0, pYes));
}

/**
 * The judge's probability of "yes" normalised over the two allowed answers:
 * e^y / (e^y + e^n) = sigmoid(y − n), computed without overflow. Lower variance than sampling one
 * reply. Both answers impossible (−∞, −∞) gives 0.5: the judge expresses no preference.
 */
export function pYesFromLogProbs(logpYes: number, logpNo: number): number {
  if (Number.isNaN(logpYes) || Number.isNaN(logpNo)) return NaN;
  if (logpYes === logpNo) return 0.5; // also covers −∞ vs −∞, where y − n would be NaN
  const d = logpYes - logpNo;
  return d >= 0 ? 1 / (1 + Math.exp(-d)) : Math.exp(d) / (1 + Math.exp(d));
}

/**
 * RLC's official rule for the correctness-evaluation prompt: 1 when the judge's sampled reply
 * contains "yes" (any case; the `<|yes|>` special token contains it too), else 0.
 */
export function sampledYesReward(text: string): number {
  return typeof text === "string" && text.toLowerCase().includes("yes") ? 1 : 0;
}

/**
 * The quality prompt's 0-10 score as a reward in [0, 1]: score / 10, clipped. NaN stays NaN (a
 * broken parser is for the reward guard to stop, as with P(yes)).
 */
export function qualityReward(score: number): number {
  if (Number.isNaN(score)) return NaN;
  return Math.min(10, Math.max(0, score)) / 10;
}

const NUMBER = /[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?/;

/**
 * The quality-evaluation prompt's score: the first number in the reply, clipped to [0, 10]
 * ("11/10" → 10, "-3" → 0, "7.5" → 7.5, "1e999" → 10). No number → 0, the lowest score, so
 * an unparsable judgement never outranks a parsed one.
 */
export function parseQualityScore(text: string): number {
  if (typeof text !== "string") return 0;
  const m = NUMBER.exec(text);
  if (!m) return 0;
  const v = Number(m[0]);
  if (Number.isNaN(v)) return 0;
  return Math.min(10, Math.max(0, v));
}
