// The learner's input: a right-padded token batch plus per-token RL fields.
//
// Alignment (the next-token convention of packBatch): a sequence's per-token arrays are indexed
// like its tokens, and entry i belongs to token i, which the model predicts at position i − 1.
// In the packed batch, position t of row b holds ids = tokens[t], targets = tokens[t + 1] and every
// field's entry for token t + 1. Entry 0 of each field is therefore never used (the first token
// is never predicted). A per-token mask from encodeSegments or r3TokenWeights drops straight in.
//
// Fields at untrained positions (mask 0) are written as 0, whatever the caller passed, so a
// sequence may carry NaN for, say, the old log-probs of prompt tokens it never sampled.

/**
 * A padded batch of sequences with everything a loss reads (ids, targets, mask, advantages, old and
 * reference log-probs), as flat arrays.
 */
export interface RlBatch {
  batch: number;
  length: number;
  /** int32 [batch·length] input ids. */
  ids: Int32Array;
  /** int32 [batch·length] the token predicted at each position. */
  targets: Int32Array;
  /** float32 [batch·length] per-target loss weight; 0 = not trained. */
  mask: Float32Array;
  /** float32 [batch·length] per-target advantage. */
  advantages: Float32Array;
  /** Behaviour-policy log-probs of the targets (from sampling). Absent: on-policy, ratio ≡ 1. */
  oldLogp?: Float32Array;
  /** Frozen reference policy's log-probs, for a KL term in the loss. */
  refLogp?: Float32Array;
  /** PPO: value targets. */
  returns?: Float32Array;
  /** PPO: the critic's values when the batch was sampled. */
  oldValues?: Float32Array;
}

/**
 * One sequence to train on: its tokens, per-token mask and advantages, and optional old or
 * reference log-probs.
 */
export interface RlSequence {
  tokens: readonly number[];
  /** Per-token weight, aligned with tokens. */
  mask: ArrayLike<number>;
  /** One advantage for every token (GRPO/RLOO), or one per token (PPO with GAE). */
  advantages: ArrayLike<number> | number;
  oldLogp?: ArrayLike<number>;
  refLogp?: ArrayLike<number>;
  returns?: ArrayLike<number>;
  oldValues?: ArrayLike<number>;
}

const OPTIONAL = ["oldLogp", "refLogp", "returns", "oldValues"] as const;
type OptionalField = (typeof OPTIONAL)[number];

/**
 * Packs sequences into an RlBatch. `length` (default: longest sequence − 1) may only be larger
 * than needed: truncating would silently drop trained tokens. An optional field must be given
 * for every sequence or for none.
 */
export function buildRlBatch(sequences: readonly RlSequence[], pad: number, opts: { length?: number } = {}): RlBatch {
  if (sequences.length === 0) throw new Error("buildRlBatch: no sequences");
  const need = Math.max(...sequences.map((s) => s.tokens.length - 1));
  const L = opts.length ?? need;
  if (L < need) throw new Error(`buildRlBatch: length ${L} is shorter than the longest sequence's ${need} targets`);
  if (L < 1) throw new Error("buildRlBatch: every sequence has fewer than 2 tokens; nothing to predict");
  const B = sequences.length;
  const n = B * L;
  const present = (f: OptionalField): boolean => {
    const count = sequences.filter((s) => s[f] !== undefined).length;
    if (count !== 0 && count !== B)
      throw new Error(`buildRlBatch: ${f} is given for ${count} of ${B} sequences; give it for all or none`);
    return count === B;
  };
  const batch: RlBatch = {
    batch: B,
    length: L,
    ids: new Int32Array(n).fill(pad),
    targets: new Int32Array(n).fill(pad),
    mask: new Float32Array(n),
    advantages: new Float32Array(n),
  };
  for (const f of OPTIONAL) if (present(f)) batch[f] = new Float32Array(n);
  sequences.forEach((s, b) => {
    const T = s.tokens.length;
    const check = (name: string, a: ArrayLike<number>): void => {
      if (a.length !== T)
        throw new Error(`buildRlBatch: sequence ${b} has ${T} tokens but ${a.length} ${name} entries`);
    };
    check("mask", s.mask);
    if (typeof s.advantages !== "number") check("advantages", s.advantages);
    for (const f of OPTIONAL) {
      const a = s[f];
      if (a !== undefined) check(f, a);
    }
    s.tokens.forEach((tok, t) => {
      if (!Number.isInteger(tok) || tok < 0)
        throw new Error(`buildRlBatch: sequence ${b} token ${t} is ${tok}, not a token id`);
    });
    for (let t = 0; t + 1 < T; t++) {
      const at = b * L + t;
      batch.ids[at] = s.tokens[t] as number;
      batch.targets[at] = s.tokens[t + 1] as number;
      const w = s.mask[t + 1] as number;
      if (!(w >= 0) || !Number.isFinite(w))
        throw new Error(`buildRlBatch: sequence ${b} mask[${t + 1}] is ${w}; weights must be finite and ≥ 0`);
      if (w === 0) continue;
      batch.mask[at] = w;
      const finite = (name: string, v: number): number => {
        if (!Number.isFinite(v))
          throw new Error(`buildRlBatch: sequence ${b} ${name}[${t + 1}] is ${v} on a trained token`);
        return v;
      };
      batch.advantages[at] = finite(
        "advantages",
        typeof s.advantages === "number" ? s.advantages : (s.advantages[t + 1] as number),
      );
      for (const f of OPTIONAL) {
        const src = s[f];
        const dst = batch[f];
        if (src !== undefined && dst !== undefined) dst[at] = finite(f, src[t + 1] as number);
      }
    }
  });
  return batch;
}

/** Number of positions whose target is trained. */
export function trainedTokenCount(batch: RlBatch): number {
  let c = 0;
  for (const w of batch.mask) if (w > 0) c++;
  return c;
}
