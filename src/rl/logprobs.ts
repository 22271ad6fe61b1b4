// Per-token log-probs (and critic values) of whole sequences under a model, without gradient, on
// the right-padded layout buildRlBatch uses: the old and reference log-probs a loss compares
// against come from exactly the positions the training forward sees, so at the first update the
// importance ratio is 1 up to rounding. The temperature is the sampler's: every log-prob of one
// update (behaviour, old, reference, current) must be taken under the same softmax(logits / T).
import * as tf from "@tensorflow/tfjs";
import type { GPT } from "../engine/gpt.js";
import { tokenLogProbs } from "../engine/train.js";
import { buildRlBatch } from "./batch.js";

/** How sequences are scored: chunk size and sampling temperature. */
export interface ScoreOptions {
  /** Sequences per forward pass (default 64). */
  chunk?: number;
  /** softmax(logits / temperature); default 1. */
  temperature?: number;
}

interface Rows {
  /** Per-token log p(token_i | tokens_<i); entry 0 (never predicted) is 0. */
  logp: number[][];
  /** Per-token V at the position predicting token i; entry 0 is 0. Only withValues. */
  values: number[][];
}

/** One no-grad forward per chunk; values only when asked (the model then needs a value head). */
export function scoreRows(
  model: GPT,
  seqs: ReadonlyArray<{ tokens: readonly number[] }>,
  pad: number,
  withValues: boolean,
  opts: ScoreOptions = {},
): Rows {
  const chunk = opts.chunk ?? 64;
  const temperature = opts.temperature ?? 1;
  const logp: number[][] = [];
  const values: number[][] = [];
  for (let start = 0; start < seqs.length; start += chunk) {
    const part = seqs.slice(start, start + chunk);
    const b = buildRlBatch(
      part.map((s) => ({ tokens: s.tokens, mask: s.tokens.map(() => 0), advantages: 0 })),
      pad,
    );
    const [lp, v] = tf.tidy(() => {
      const out = model.forward(
        tf.tensor2d(b.ids, [b.batch, b.length], "int32"),
        withValues ? { withValues: true } : {},
      );
      const l = tokenLogProbs(out.logits, tf.tensor1d(b.targets, "int32"), temperature).logp;
      return withValues ? [l, out.values as tf.Tensor1D] : [l];
    });
    const lpData = lp?.dataSync() as Float32Array;
    const vData = v?.dataSync() as Float32Array | undefined;
    lp?.dispose();
    v?.dispose();
    part.forEach((s, row) => {
      const T = s.tokens.length;
      const l = new Array<number>(T).fill(0);
      const val = new Array<number>(T).fill(0);
      for (let i = 1; i < T; i++) {
        l[i] = lpData[row * b.length + i - 1] as number;
        if (vData) val[i] = vData[row * b.length + i - 1] as number;
      }
      logp.push(l);
      if (vData) values.push(val);
    });
  }
  return { logp, values };
}

/** log p(token_i | tokens_<i) of every token, entry 0 set to 0: a Learner's old or reference log-probs. */
export function sequenceLogProbs(
  model: GPT,
  seqs: ReadonlyArray<{ tokens: readonly number[] }>,
  pad: number,
  opts: ScoreOptions = {},
): number[][] {
  return scoreRows(model, seqs, pad, false, opts).logp;
}
