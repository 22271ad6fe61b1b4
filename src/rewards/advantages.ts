// Advantage estimators on plain numbers. The RL losses only ever see per-token advantages, so every
// algorithm (GRPO, Dr.GRPO, RLOO, REINFORCE, PPO+GAE) reduces to one of these functions plus a mask.

/**
 * How group advantages are normalised: GRPO's (divide by the group's std) or Dr. GRPO's
 * (mean-centre only).
 */
export interface GroupNormOptions {
  /** Divide by the group's standard deviation (GRPO, default). false = Dr.GRPO: mean-centre only. */
  scaleByStd?: boolean;
  /** Added to the std before dividing, so a tiny spread cannot blow advantages up (TRL: 1e-4). */
  eps?: number;
  /** "sample" (Bessel-corrected, as TRL's torch.std) or "population". */
  std?: "sample" | "population";
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length === 0 ? 0 : s / xs.length;
}

/**
 * Exactly equal rewards carry no learning signal. Testing the rewards themselves (not r - mean,
 * which picks up rounding noise) makes such a group give exact zeros, never 0/0.
 */
export function hasZeroSpread(xs: readonly number[]): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i] !== xs[0]) return false;
  return true;
}

function standardDeviation(xs: readonly number[], m: number, kind: "sample" | "population"): number {
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  const n = kind === "sample" ? xs.length - 1 : xs.length;
  return n > 0 ? Math.sqrt(ss / n) : 0;
}

/** GRPO's advantages for one group of completions of the same prompt: (r - mean) / (std + eps). */
export function groupNormalizedAdvantages(rewards: readonly number[], opts: GroupNormOptions = {}): number[] {
  if (hasZeroSpread(rewards)) return rewards.map(() => 0);
  const m = mean(rewards);
  const centred = rewards.map((r) => r - m);
  if (opts.scaleByStd === false) return centred;
  const denom = standardDeviation(rewards, m, opts.std ?? "sample") + (opts.eps ?? 1e-4);
  return centred.map((c) => c / denom);
}

/** Group-normalised advantages for many groups at once; groupIds[i] names the prompt of rewards[i]. */
export function groupAdvantages(
  rewards: readonly number[],
  groupIds: ReadonlyArray<string | number>,
  opts: GroupNormOptions = {},
): number[] {
  if (rewards.length !== groupIds.length)
    throw new Error(`groupAdvantages: ${rewards.length} rewards but ${groupIds.length} group ids`);
  const out = new Array<number>(rewards.length).fill(0);
  for (const members of groupIndices(groupIds).values()) {
    const adv = groupNormalizedAdvantages(
      members.map((i) => rewards[i] as number),
      opts,
    );
    members.forEach((i, k) => (out[i] = adv[k] as number));
  }
  return out;
}

/** Indices of each group, in first-seen order. */
export function groupIndices(groupIds: ReadonlyArray<string | number>): Map<string | number, number[]> {
  const groups = new Map<string | number, number[]>();
  groupIds.forEach((g, i) => {
    const list = groups.get(g);
    if (list) list.push(i);
    else groups.set(g, [i]);
  });
  return groups;
}

/**
 * RLOO: each sample's baseline is the mean of the *other* samples of its group, so the baseline
 * is independent of the sample and the estimator stays unbiased. Equals n/(n-1)·(r - mean).
 */
export function rlooAdvantages(rewards: readonly number[]): number[] {
  const n = rewards.length;
  if (n < 2 || hasZeroSpread(rewards)) return rewards.map(() => 0);
  let total = 0;
  for (const r of rewards) total += r;
  return rewards.map((r) => r - (total - r) / (n - 1));
}

/** Plain REINFORCE with a baseline: a constant (e.g. a running mean) or one per sample. */
export function reinforceAdvantages(rewards: readonly number[], baseline: number | readonly number[] = 0): number[] {
  if (typeof baseline !== "number" && baseline.length !== rewards.length) {
    throw new Error(`reinforceAdvantages: ${rewards.length} rewards but ${baseline.length} baselines`);
  }
  return rewards.map((r, i) => r - (typeof baseline === "number" ? baseline : (baseline[i] as number)));
}

/**
 * Generalised advantage estimation over one sequence of T generated tokens (Schulman et al. 2016):
 *   δ_t = r_t + γ·V_{t+1} − V_t,  A_t = δ_t + γλ·A_{t+1},  returns_t = A_t + V_t,
 * with V_T = 0: the sequence ends after its last token, so nothing is bootstrapped past it. In the
 * LM setting the score sits on the last token and the others carry only KL penalties.
 */
export function gae(
  rewards: readonly number[],
  values: readonly number[],
  gamma: number,
  lambda: number,
): { advantages: number[]; returns: number[] } {
  const T = rewards.length;
  if (values.length !== T) throw new Error(`gae: ${T} rewards but ${values.length} values`);
  const advantages = new Array<number>(T).fill(0);
  let next = 0;
  for (let t = T - 1; t >= 0; t--) {
    const nextValue = t + 1 < T ? (values[t + 1] as number) : 0;
    const delta = (rewards[t] as number) + gamma * nextValue - (values[t] as number);
    next = delta + gamma * lambda * next;
    advantages[t] = next;
  }
  const returns = advantages.map((a, t) => a + (values[t] as number));
  return { advantages, returns };
}

/**
 * Zero mean, unit variance over the entries where mask > 0 (all when no mask), as trlx whitens
 * PPO advantages. Entries outside the mask become 0: they are never trained, and a finite value
 * keeps them harmless. shiftMean: false keeps the mean (trlx's option for rewards).
 */
export function whiten(xs: readonly number[], mask?: readonly number[], opts: { shiftMean?: boolean } = {}): number[] {
  if (mask && mask.length !== xs.length) throw new Error(`whiten: ${xs.length} values but ${mask.length} mask entries`);
  const live = (i: number): boolean => !mask || (mask[i] as number) > 0;
  let n = 0;
  let s = 0;
  xs.forEach((x, i) => {
    if (live(i)) {
      n++;
      s += x;
    }
  });
  if (n === 0) return xs.map(() => 0);
  const m = s / n;
  let ss = 0;
  xs.forEach((x, i) => {
    if (live(i)) ss += (x - m) * (x - m);
  });
  // Population variance (trlx uses the Bessel-corrected one; the difference is n/(n−1)); the same
  // 1e-8 as trlx, so a constant input maps to zeros.
  const scale = 1 / Math.sqrt(ss / n + 1e-8);
  const shift = opts.shiftMean === false ? m : 0;
  return xs.map((x, i) => (live(i) ? (x - m) * scale + shift : 0));
}

/** TRL's frac_reward_zero_std: the share of groups whose rewards are all equal (no GRPO signal). */
export function fracRewardZeroStd(groups: ReadonlyArray<readonly number[]>): number {
  if (groups.length === 0) return 0;
  let zero = 0;
  for (const g of groups) if (hasZeroSpread(g)) zero++;
  return zero / groups.length;
}
