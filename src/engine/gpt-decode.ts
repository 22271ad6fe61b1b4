// GPT's KV-cache decode path (GPT.step in gpt.ts): one new token per row, attending to the cached
// keys and values of every earlier position. It exists only for speed and comes in two forms,
// stock ops and the fused wasm kernels, so it lives here and gpt.ts reads top to bottom as the
// model. Both forms build on the model's own layer pieces (DecoderModel), the ones forward() uses,
// so decoding and the full forward pass share one definition of each.
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "./config.js";
import { attentionSupported } from "./kernels/attention.js";
import { attentionStep } from "./kernels/attention-step.js";
import { decodeLayer, decodeLayerSupported } from "./kernels/decode-layer.js";
import { embedRows } from "./kernels/embed.js";
import { oneHotF32 } from "./one-hot.js";

/**
 * Keys and values of one layer, both [B*H, t, hd]. Growing them along axis 1 is about twice as
 * cheap on wasm as growing a transposed K along its last axis, and a flagged batched matmul
 * costs the same as an unflagged one.
 */
export interface LayerCache {
  k: tf.Tensor3D;
  v: tf.Tensor3D;
}

/** What decoding uses of a GPT: its config and weights, and the per-layer pieces of its forward pass. */
export interface DecoderModel {
  readonly config: ModelConfig;
  /** The parameter named `name`. */
  p(name: string): tf.Variable;
  /** LayerNorm with the `${prefix}.g` / `${prefix}.b` parameters. */
  layerNorm(x: tf.Tensor2D, prefix: string): tf.Tensor2D;
  /** Layer `l`'s MLP. */
  mlp(h: tf.Tensor2D, l: number): tf.Tensor2D;
  /** Layer `l`'s Q, K and V weights side by side, [D, 3D], kept between steps. */
  qkvWeights(l: number): tf.Tensor2D;
}

/**
 * One decoding step with a KV cache (what GPT.step does): the fused kernels where they cover the
 * model's shape, stock ops elsewhere.
 */
export function decodeStep(
  m: DecoderModel,
  tokens: tf.Tensor1D,
  positions: tf.Tensor1D,
  caches: LayerCache[],
  keyMask?: tf.Tensor4D,
): { logits: tf.Tensor2D; caches: LayerCache[] } {
  if (attentionSupported(m.config.dModel, m.config.nHeads)) return fusedStep(m, tokens, positions, caches, keyMask);
  return stockStep(m, tokens, positions, caches, keyMask);
}

/** The step in stock tfjs ops: the reference the fused step is tested against. */
function stockStep(
  m: DecoderModel,
  tokens: tf.Tensor1D,
  positions: tf.Tensor1D,
  caches: LayerCache[],
  keyMask?: tf.Tensor4D,
): { logits: tf.Tensor2D; caches: LayerCache[] } {
  const c = m.config;
  const B = tokens.shape[0];
  const H = c.nHeads;
  const hd = c.dModel / H;
  const tokOh = oneHotF32(tokens, c.vocabSize);
  const posOh = oneHotF32(positions, c.contextLength);
  let x = tf.add(tf.matMul(tokOh, m.p("wte")), tf.matMul(posOh, m.p("wpe"))) as tf.Tensor2D;
  const next: LayerCache[] = [];
  for (let l = 0; l < c.nLayers; l++) {
    const cache = caches[l];
    if (!cache) throw new Error(`model: missing cache for layer ${l}`);
    const h = m.layerNorm(x, `h${l}.ln1`);
    const q = tf.matMul(h, m.p(`h${l}.attn.q`));
    // For a single position the per-head split is a pure reshape: [B, H*hd] -> [B*H, 1, hd].
    const kk = tf.concat([cache.k, tf.reshape(tf.matMul(h, m.p(`h${l}.attn.k`)), [B * H, 1, hd])], 1) as tf.Tensor3D;
    const vv = tf.concat([cache.v, tf.reshape(tf.matMul(h, m.p(`h${l}.attn.v`)), [B * H, 1, hd])], 1) as tf.Tensor3D;
    const t = kk.shape[1];
    let scores = tf.mul(tf.matMul(tf.reshape(q, [B * H, 1, hd]), kk, false, true), 1 / Math.sqrt(hd));
    if (keyMask) scores = tf.reshape(tf.add(tf.reshape(scores, [B, H, 1, t]), keyMask), [B * H, 1, t]);
    const y = tf.reshape(tf.matMul(tf.softmax(scores), vv), [B, c.dModel]);
    x = tf.add(x, tf.matMul(y, m.p(`h${l}.attn.proj`)));
    x = tf.add(x, m.mlp(m.layerNorm(x, `h${l}.ln2`), l));
    next.push({ k: kk, v: vv });
  }
  const logits = tf.matMul(m.layerNorm(x, "lnf"), m.p("head")) as tf.Tensor2D;
  return { logits, caches: next };
}

/**
 * The step on wasm: one kernel for the embeddings and one per layer (decodeLayer), or, for
 * MLP widths it does not cover, one Q/K/V matmul and one attention kernel per layer.
 */
function fusedStep(
  m: DecoderModel,
  tokens: tf.Tensor1D,
  positions: tf.Tensor1D,
  caches: LayerCache[],
  keyMask?: tf.Tensor4D,
): { logits: tf.Tensor2D; caches: LayerCache[] } {
  const c = m.config;
  const B = tokens.shape[0];
  const int = (t: tf.Tensor1D): tf.Tensor1D => (t.dtype === "int32" ? t : (tf.cast(t, "int32") as tf.Tensor1D));
  let x = embedRows(int(tokens), int(positions), m.p("wte") as tf.Tensor2D, m.p("wpe") as tf.Tensor2D);
  const mask = keyMask ? (tf.reshape(keyMask, [B, keyMask.shape[3]]) as tf.Tensor2D) : undefined;
  const whole = decodeLayerSupported(c.dModel, c.nHeads, c.mlpRatio * c.dModel);
  const next: LayerCache[] = [];
  for (let l = 0; l < c.nLayers; l++) {
    const cache = caches[l];
    if (!cache) throw new Error(`model: missing cache for layer ${l}`);
    if (whole) {
      const w = (n: string): tf.Variable => m.p(`h${l}.${n}`);
      const r = decodeLayer(
        x,
        cache.k,
        cache.v,
        {
          g1: w("ln1.g"),
          b1: w("ln1.b"),
          wq: w("attn.q"),
          wk: w("attn.k"),
          wv: w("attn.v"),
          wp: w("attn.proj"),
          g2: w("ln2.g"),
          b2: w("ln2.b"),
          wfc: w("mlp.fc"),
          wout: w("mlp.out"),
        },
        c.nHeads,
        mask,
      );
      x = r.x;
      next.push({ k: r.k, v: r.v });
      continue;
    }
    const qkv = tf.matMul(m.layerNorm(x, `h${l}.ln1`), m.qkvWeights(l)) as tf.Tensor2D;
    const a = attentionStep(qkv, cache.k, cache.v, c.nHeads, mask);
    x = tf.add(x, tf.matMul(a.y, m.p(`h${l}.attn.proj`)));
    x = tf.add(x, m.mlp(m.layerNorm(x, `h${l}.ln2`), l));
    next.push({ k: a.k, v: a.v });
  }
  const logits = tf.matMul(m.layerNorm(x, "lnf"), m.p("head")) as tf.Tensor2D;
  return { logits, caches: next };
}
