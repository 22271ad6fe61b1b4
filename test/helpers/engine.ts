// Shared fixtures for the engine tests: a 12-token character tokenizer, tiny model configs,
// seeded weights and batches, and array comparisons (tolerance ratios, bit equality).
import { ModelConfigSchema, type ModelConfig } from "../../src/engine/config.js";
import { BOS, EOS, PAD, UNK, Tokenizer, type TokenizerSpec } from "../../src/engine/tokenizer.js";
import { parameterShapes } from "../../src/engine/gpt.js";
import type { TokenBatch } from "../../src/engine/train.js";
import { Rng } from "../../src/util/rng.js";

/** 4 specials + 8 characters = vocab 12. */
export const TINY_TOKENIZER: TokenizerSpec = { version: 1, specials: [PAD, BOS, EOS, UNK], chars: "abcdefg " };

export function tinyTokenizer(): Tokenizer {
  return new Tokenizer(TINY_TOKENIZER);
}

/** A tiny but complete config: 2 layers, 2 heads, every parameter kind present. */
export function tinyConfig(over: Partial<ModelConfig> = {}): ModelConfig {
  return ModelConfigSchema.parse({
    vocabSize: 12,
    contextLength: 12,
    dModel: 8,
    nLayers: 2,
    nHeads: 2,
    mlpRatio: 2,
    ...over,
  });
}

/** Weights with a larger spread than the GPT-2 init so logits (and gradients) are far from uniform. */
export function spreadParameters(c: ModelConfig, seed: number, std = 0.5): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const out = new Map<string, Float32Array>();
  for (const [name, shape] of parameterShapes(c)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      const z = rng.normal() * std;
      // Gains near 1 keep LayerNorm well conditioned; everything else is centred at 0.
      data[i] = name.endsWith(".g") ? 1 + 0.3 * z : z;
    }
    out.set(name, data);
  }
  return out;
}

/** Deep copy of a weight map (Float32Arrays are mutable and shared otherwise). */
export function cloneWeights(w: Map<string, Float32Array>): Map<string, Float32Array> {
  return new Map([...w].map(([k, v]) => [k, v.slice()]));
}

/** A random right-padded batch over the ordinary tokens with the given per-token weights. */
export function randomBatch(
  seed: number,
  batch: number,
  length: number,
  vocab: number,
  weights?: number[],
): TokenBatch {
  const rng = new Rng(seed);
  const n = batch * length;
  const ids = new Int32Array(n);
  const targets = new Int32Array(n);
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    ids[i] = rng.int(0, vocab - 1);
    targets[i] = rng.int(0, vocab - 1);
    w[i] = weights ? (weights[i % weights.length] as number) : 1;
  }
  return { batch, length, ids, targets, weights: w };
}

/** max |a-b| / (atol + rtol·|b|) over all entries; ≤ 1 means within tolerance. */
export function worstRatio(a: ArrayLike<number>, b: ArrayLike<number>, rtol: number, atol: number): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    worst = Math.max(worst, Math.abs(x - y) / (atol + rtol * Math.abs(y)));
  }
  return worst;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** True when both arrays hold the same float32 bit patterns. */
export function bitEqual(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
