// Log-probabilities of given continuations under given prompts: a Teacher's P("yes"),
// PPO/GRPO's old and reference log-probs. Sequences are right-padded, so positions are the
// plain 0..T-1 and causality keeps padding from affecting any scored token.
import * as tf from "@tensorflow/tfjs";
import type { GPT } from "./gpt.js";
import { tokenLogProbs } from "./train.js";

export interface ScoreItem {
  prompt: readonly number[];
  continuation: readonly number[];
}

/** Per-token log p(continuation[i] | prompt, continuation[<i]), one array per item. */
export function scoreContinuations(
  model: GPT,
  items: readonly ScoreItem[],
  opts: { batchSize?: number; pad?: number } = {},
): Float32Array[] {
  const batchSize = opts.batchSize ?? 64;
  const pad = opts.pad ?? 0;
  const out: Float32Array[] = [];
  for (let start = 0; start < items.length; start += batchSize) {
    const chunk = items.slice(start, start + batchSize);
    const L = Math.max(...chunk.map((it) => it.prompt.length + it.continuation.length - 1));
    if (L + 1 > model.config.contextLength)
      throw new Error(`score: sequence of ${L + 1} tokens exceeds context ${model.config.contextLength}`);
    const B = chunk.length;
    const ids = new Int32Array(B * L).fill(pad);
    const targets = new Int32Array(B * L).fill(pad);
    chunk.forEach((it, b) => {
      if (it.prompt.length === 0) throw new Error("score: empty prompt");
      const seq = [...it.prompt, ...it.continuation];
      for (let t = 0; t < seq.length - 1; t++) {
        ids[b * L + t] = seq[t] as number;
        targets[b * L + t] = seq[t + 1] as number;
      }
    });
    const logp = tf.tidy(() => {
      const { logits } = model.forward(tf.tensor2d(ids, [B, L], "int32"));
      return tokenLogProbs(logits, tf.tensor1d(targets, "int32")).logp;
    });
    const data = logp.dataSync() as Float32Array;
    logp.dispose();
    chunk.forEach((it, b) => {
      const first = b * L + it.prompt.length - 1;
      out.push(data.slice(first, first + it.continuation.length));
    });
  }
  return out;
}
