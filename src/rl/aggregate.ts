// How per-token losses become one scalar. Every mode is a fixed weighting Σ_i w_i·ℓ_i with w_i = 0
// wherever the mask is 0, computed here on the CPU: the tensor side is then one multiply-sum,
// and a masked token provably contributes nothing.

/**
 * token:    Σ m·ℓ / Σ m over the whole batch (DAPO's token-level loss: long sequences are not
 *           diluted).
 * sequence: mean over sequences of each one's Σ m·ℓ / Σ m (original GRPO); rows with no trained
 *           token are left out of the mean.
 * constant: Σ m·ℓ / N for a fixed N (Dr.GRPO: no length normalisation). The losses pass
 *           N = B × maxCompletionLength, TRL's dr_grpo divisor (see terms.ts); the fallback
 *           N = B·T uses the padded length, prompt positions included, so it changes from batch
 *           to batch: the Learner never relies on it.
 */
export type Aggregation = "token" | "sequence" | "constant";

/**
 * Per-token weights that turn per-token losses into one scalar under an {@link Aggregation} mode;
 * zero wherever the mask is.
 */
export function aggregationWeights(
  mask: Float32Array,
  batch: number,
  length: number,
  mode: Aggregation,
  constantNormalizer?: number,
): Float32Array {
  if (mask.length !== batch * length)
    throw new Error(`aggregationWeights: mask has ${mask.length} entries, expected ${batch}×${length}`);
  const w = new Float32Array(mask.length);
  if (mode === "token" || mode === "constant") {
    let total = 0;
    for (const m of mask) total += m;
    const denom = mode === "token" ? total : (constantNormalizer ?? batch * length);
    if (!(denom > 0)) return w; // nothing trained: all-zero weights, zero loss
    for (let i = 0; i < mask.length; i++) w[i] = (mask[i] as number) / denom;
    return w;
  }
  const rowSums: number[] = [];
  for (let b = 0; b < batch; b++) {
    let s = 0;
    for (let t = 0; t < length; t++) s += mask[b * length + t] as number;
    rowSums.push(s);
  }
  const liveRows = rowSums.filter((s) => s > 0).length;
  if (liveRows === 0) return w;
  for (let b = 0; b < batch; b++) {
    const s = rowSums[b] as number;
    if (s <= 0) continue;
    for (let t = 0; t < length; t++) w[b * length + t] = (mask[b * length + t] as number) / (s * liveRows);
  }
  return w;
}
