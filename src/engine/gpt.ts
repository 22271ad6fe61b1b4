// A decoder-only transformer in one file, nanoGPT style: learned token and position
// embeddings, pre-LayerNorm blocks with causal multi-head attention and a GELU MLP, a final
// LayerNorm and an untied LM head (no biases on linears, as in the PyTorch reference).
//
// Written for tfjs-wasm's fast paths: every linear layer is a plain 2-D matmul on [B*T, D]
// activations, embeddings are one-hot matmuls (tf.gather's gradient needs a kernel wasm lacks).
// On wasm, LayerNorm, GELU and attention are single fused kernels (kernels/) and Q/K/V come
// from one matmul against the three weights side by side; every other backend runs the same
// math as stock ops (the reference the fused path is tested against).
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "./config.js";
import { Rng } from "../util/rng.js";
import { attentionSupported, causalAttention } from "./kernels/attention.js";
import { attentionStep } from "./kernels/attention-step.js";
import { decodeLayer, decodeLayerSupported } from "./kernels/decode-layer.js";
import { embedRows } from "./kernels/embed.js";
import { gelu as fusedGelu } from "./kernels/gelu.js";
import { layerNorm as fusedLayerNorm } from "./kernels/layernorm.js";

export type ParamMap = Map<string, tf.Variable>;

/**
 * Keys and values of one layer, both [B*H, t, hd]. Growing them along axis 1 is about twice as
 * cheap on wasm as growing a transposed K along its last axis, and a flagged batched matmul
 * costs the same as an unflagged one.
 */
export interface LayerCache {
  k: tf.Tensor3D;
  v: tf.Tensor3D;
}

/** Options of {@link GPT.forward}: positions and masks for padded batches, KV caches, the value head. */
export interface ForwardOptions {
  /** Per-row positions [B, T] (left-padded prompts); default 0..T-1 for every row. */
  positions?: tf.Tensor2D;
  /** Additive attention mask [B, 1, 1, T] added to the causal mask (0 keep, -1e9 drop). */
  keyMask?: tf.Tensor4D;
  /** Return each layer's keys and values (to seed a KV cache). */
  withCache?: boolean;
  /** Also compute the value head (PPO critic) on every position. */
  withValues?: boolean;
}

/**
 * What {@link GPT.forward} returns: logits, and the value head's estimates and the KV caches when
 * asked for.
 */
export interface ForwardResult {
  /** [B*T, vocab] */
  logits: tf.Tensor2D;
  /** [B*T] when withValues */
  values?: tf.Tensor1D;
  caches?: LayerCache[];
}

const NEG = -1e9;

/** Names and shapes of every parameter, in a fixed order (the checkpoint order). */
export function parameterShapes(c: ModelConfig): Array<[string, number[]]> {
  const D = c.dModel;
  const shapes: Array<[string, number[]]> = [
    ["wte", [c.vocabSize, D]],
    ["wpe", [c.contextLength, D]],
  ];
  for (let l = 0; l < c.nLayers; l++) {
    shapes.push(
      [`h${l}.ln1.g`, [D]],
      [`h${l}.ln1.b`, [D]],
      [`h${l}.attn.q`, [D, D]],
      [`h${l}.attn.k`, [D, D]],
      [`h${l}.attn.v`, [D, D]],
      [`h${l}.attn.proj`, [D, D]],
      [`h${l}.ln2.g`, [D]],
      [`h${l}.ln2.b`, [D]],
      [`h${l}.mlp.fc`, [D, c.mlpRatio * D]],
      [`h${l}.mlp.out`, [c.mlpRatio * D, D]],
    );
  }
  shapes.push(["lnf.g", [D]], ["lnf.b", [D]], ["head", [D, c.vocabSize]]);
  if (c.valueHead) shapes.push(["value", [D, 1]]);
  return shapes;
}

/** GPT-2 initialisation from a seed: N(0, 0.02), residual projections scaled by 1/sqrt(2L). */
export function initialParameters(c: ModelConfig, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const out = new Map<string, Float32Array>();
  for (const [name, shape] of parameterShapes(c)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (name.endsWith(".g")) data.fill(1);
    else if (!name.endsWith(".b")) {
      const residual = name.endsWith("attn.proj") || name.endsWith("mlp.out");
      const std = residual ? 0.02 / Math.sqrt(2 * c.nLayers) : name === "value" ? 0 : 0.02;
      for (let i = 0; i < size; i++) data[i] = rng.normal() * std;
    }
    out.set(name, data);
  }
  return out;
}

/**
 * The decoder-only transformer itself (tfjs variables). Most code wants {@link LanguageModel},
 * which pairs it with its tokenizer; use GPT for custom training losses.
 */
export class GPT {
  readonly config: ModelConfig;
  readonly params: ParamMap;
  private readonly causal = new Map<number, tf.Tensor2D>();
  private readonly positionOneHot = new Map<number, tf.Tensor2D>();
  private readonly qkvCache = new Map<number, { ids: object[]; w: tf.Tensor2D }>();

  constructor(config: ModelConfig, weights: Map<string, Float32Array>) {
    this.config = config;
    this.params = new Map();
    for (const [name, shape] of parameterShapes(config)) {
      const w = weights.get(name);
      if (!w) throw new Error(`model: missing parameter ${name}`);
      const size = shape.reduce((a, b) => a * b, 1);
      if (w.length !== size)
        throw new Error(
          `model: parameter ${name} has ${w.length} values, expected ${size} (shape [${shape.join(", ")}])`,
        );
      // tf.variable keeps its own reference to the data; the temporary must be released.
      const init = tf.tensor(w, shape, "float32");
      this.params.set(name, tf.variable(init, true, `${name}_${nextId()}`));
      init.dispose();
    }
  }

  /** A fresh model with seeded initial weights (the same seed gives the same weights). */
  static create(config: ModelConfig, seed: number): GPT {
    return new GPT(config, initialParameters(config, seed));
  }

  /** The parameter named `name`; throws naming it if the model has none. */
  p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`model: no parameter ${name}`);
    return v;
  }

  /** Copies weights out (for checkpoints and worker sync). */
  async weights(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const [name, v] of this.params) out.set(name, (await v.data()) as Float32Array);
    return out;
  }

  /** Replaces every weight in place (a new weight version from the Learner). */
  setWeights(weights: Map<string, Float32Array>): void {
    for (const [name, v] of this.params) {
      const w = weights.get(name);
      if (!w || w.length !== v.size) throw new Error(`model: weight ${name} missing or of wrong size`);
      tf.tidy(() => v.assign(tf.tensor(w, v.shape, "float32")));
    }
  }

  /** The number of trainable values. */
  parameterCount(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  /** Frees the model's tensors; the model is unusable afterwards. */
  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    for (const t of this.causal.values()) t.dispose();
    for (const t of this.positionOneHot.values()) t.dispose();
    for (const e of this.qkvCache.values()) e.w.dispose();
    this.qkvCache.clear();
    this.params.clear();
    this.causal.clear();
    this.positionOneHot.clear();
  }

  /** Full-sequence forward pass. ids: int32 [B, T]. */
  forward(ids: tf.Tensor2D, opts: ForwardOptions = {}): ForwardResult {
    const c = this.config;
    const [B, T] = ids.shape;
    if (T > c.contextLength) throw new Error(`model: sequence of ${T} tokens exceeds context ${c.contextLength}`);
    const D = c.dModel;
    let x = this.embed(ids, opts.positions);
    const caches: LayerCache[] = [];
    const fused = attentionSupported(D, c.nHeads);
    for (let l = 0; l < c.nLayers; l++) {
      const h = this.layerNorm(x, `h${l}.ln1`);
      const { y, k, v } = fused
        ? this.fusedAttention(h, l, B, T, opts.keyMask, opts.withCache === true)
        : this.attention(h, l, B, T, opts.keyMask);
      if (opts.withCache) caches.push({ k: k as tf.Tensor3D, v: v as tf.Tensor3D });
      x = tf.add(x, y);
      x = tf.add(x, this.mlp(this.layerNorm(x, `h${l}.ln2`), l));
    }
    const hf = this.layerNorm(x, "lnf");
    const logits = tf.matMul(hf, this.p("head")) as tf.Tensor2D;
    const result: ForwardResult = { logits };
    if (opts.withValues) result.values = tf.reshape(tf.matMul(hf, this.p("value")), [B * T]) as tf.Tensor1D;
    if (opts.withCache) result.caches = caches;
    return result;
  }

  /**
   * One decoding step with a KV cache. tokens/positions: int32 [B]; keyMask: [B, 1, 1, t+1]
   * additive mask over every cached position plus the new one. Returns logits [B, V] and the
   * grown caches (the old ones are left to the caller's tidy scope).
   */
  step(
    tokens: tf.Tensor1D,
    positions: tf.Tensor1D,
    caches: LayerCache[],
    keyMask?: tf.Tensor4D,
  ): { logits: tf.Tensor2D; caches: LayerCache[] } {
    if (attentionSupported(this.config.dModel, this.config.nHeads))
      return this.fusedStep(tokens, positions, caches, keyMask);
    const c = this.config;
    const B = tokens.shape[0];
    const H = c.nHeads;
    const hd = c.dModel / H;
    const tokOh = oneHotF32(tokens, c.vocabSize);
    const posOh = oneHotF32(positions, c.contextLength);
    let x = tf.add(tf.matMul(tokOh, this.p("wte")), tf.matMul(posOh, this.p("wpe"))) as tf.Tensor2D;
    const next: LayerCache[] = [];
    for (let l = 0; l < c.nLayers; l++) {
      const cache = caches[l];
      if (!cache) throw new Error(`model: missing cache for layer ${l}`);
      const h = this.layerNorm(x, `h${l}.ln1`);
      const q = tf.matMul(h, this.p(`h${l}.attn.q`));
      // For a single position the per-head split is a pure reshape: [B, H*hd] -> [B*H, 1, hd].
      const kk = tf.concat(
        [cache.k, tf.reshape(tf.matMul(h, this.p(`h${l}.attn.k`)), [B * H, 1, hd])],
        1,
      ) as tf.Tensor3D;
      const vv = tf.concat(
        [cache.v, tf.reshape(tf.matMul(h, this.p(`h${l}.attn.v`)), [B * H, 1, hd])],
        1,
      ) as tf.Tensor3D;
      const t = kk.shape[1];
      let scores = tf.mul(tf.matMul(tf.reshape(q, [B * H, 1, hd]), kk, false, true), 1 / Math.sqrt(hd));
      if (keyMask) scores = tf.reshape(tf.add(tf.reshape(scores, [B, H, 1, t]), keyMask), [B * H, 1, t]);
      const y = tf.reshape(tf.matMul(tf.softmax(scores), vv), [B, c.dModel]);
      x = tf.add(x, tf.matMul(y, this.p(`h${l}.attn.proj`)));
      x = tf.add(x, this.mlp(this.layerNorm(x, `h${l}.ln2`), l));
      next.push({ k: kk, v: vv });
    }
    const logits = tf.matMul(this.layerNorm(x, "lnf"), this.p("head")) as tf.Tensor2D;
    return { logits, caches: next };
  }

  /**
   * step() on wasm: one kernel for the embeddings and one per layer (decodeLayer), or, for
   * MLP widths it does not cover, one Q/K/V matmul and one attention kernel per layer.
   */
  private fusedStep(
    tokens: tf.Tensor1D,
    positions: tf.Tensor1D,
    caches: LayerCache[],
    keyMask?: tf.Tensor4D,
  ): { logits: tf.Tensor2D; caches: LayerCache[] } {
    const c = this.config;
    const B = tokens.shape[0];
    const int = (t: tf.Tensor1D): tf.Tensor1D => (t.dtype === "int32" ? t : (tf.cast(t, "int32") as tf.Tensor1D));
    let x = embedRows(int(tokens), int(positions), this.p("wte") as tf.Tensor2D, this.p("wpe") as tf.Tensor2D);
    const mask = keyMask ? (tf.reshape(keyMask, [B, keyMask.shape[3]]) as tf.Tensor2D) : undefined;
    const whole = decodeLayerSupported(c.dModel, c.nHeads, c.mlpRatio * c.dModel);
    const next: LayerCache[] = [];
    for (let l = 0; l < c.nLayers; l++) {
      const cache = caches[l];
      if (!cache) throw new Error(`model: missing cache for layer ${l}`);
      if (whole) {
        const w = (n: string): tf.Variable => this.p(`h${l}.${n}`);
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
      const qkv = tf.matMul(this.layerNorm(x, `h${l}.ln1`), this.qkvWeights(l, false)) as tf.Tensor2D;
      const a = attentionStep(qkv, cache.k, cache.v, c.nHeads, mask);
      x = tf.add(x, tf.matMul(a.y, this.p(`h${l}.attn.proj`)));
      x = tf.add(x, this.mlp(this.layerNorm(x, `h${l}.ln2`), l));
      next.push({ k: a.k, v: a.v });
    }
    const logits = tf.matMul(this.layerNorm(x, "lnf"), this.p("head")) as tf.Tensor2D;
    return { logits, caches: next };
  }

  /**
   * The layer's Q, K and V weights side by side, [D, 3D]. For training it is a fresh concat
   * (the gradient flows back to the three variables); for decoding it is cached and rebuilt
   * only when a variable has been assigned new data (assign swaps the variable's dataId).
   */
  private qkvWeights(l: number, trainable: boolean): tf.Tensor2D {
    const parts = [this.p(`h${l}.attn.q`), this.p(`h${l}.attn.k`), this.p(`h${l}.attn.v`)];
    if (trainable) return tf.concat(parts, 1) as tf.Tensor2D;
    const ids = parts.map((p) => p.dataId);
    const hit = this.qkvCache.get(l);
    if (hit && !hit.w.isDisposed && hit.ids.every((id, i) => id === ids[i])) return hit.w;
    hit?.w.dispose();
    const w = tf.keep(tf.tidy(() => tf.concat(parts, 1) as tf.Tensor2D));
    this.qkvCache.set(l, { ids, w });
    return w;
  }

  private embed(ids: tf.Tensor2D, positions?: tf.Tensor2D): tf.Tensor2D {
    const c = this.config;
    const [B, T] = ids.shape;
    const tok = tf.matMul(oneHotF32(tf.reshape(ids, [B * T]), c.vocabSize), this.p("wte"));
    if (positions) {
      const pos = tf.matMul(oneHotF32(tf.reshape(positions, [B * T]), c.contextLength), this.p("wpe"));
      return tf.add(tok, pos) as tf.Tensor2D;
    }
    const pos = tf.matMul(this.positionsOneHot(T), this.p("wpe")); // [T, D]
    return tf.reshape(tf.add(tf.reshape(tok, [B, T, c.dModel]), pos), [B * T, c.dModel]) as tf.Tensor2D;
  }

  private attention(
    h: tf.Tensor2D,
    l: number,
    B: number,
    T: number,
    keyMask?: tf.Tensor4D,
  ): { y: tf.Tensor2D; k: tf.Tensor3D; v: tf.Tensor3D } {
    const c = this.config;
    const H = c.nHeads;
    const hd = c.dModel / H;
    // Separate Q/K/V weights: splitting a fused [B*T, 3D] product costs more on wasm than the
    // two extra matmul calls.
    const heads = (w: string): tf.Tensor3D =>
      tf.reshape(tf.transpose(tf.reshape(tf.matMul(h, this.p(`h${l}.attn.${w}`)), [B, T, H, hd]), [0, 2, 1, 3]), [
        B * H,
        T,
        hd,
      ]) as tf.Tensor3D;
    const qh = heads("q");
    const kh = heads("k");
    const vh = heads("v");
    let scores = tf.add(tf.mul(tf.matMul(qh, kh, false, true), 1 / Math.sqrt(hd)), this.causalMask(T));
    if (keyMask) scores = tf.reshape(tf.add(tf.reshape(scores, [B, H, T, T]), keyMask), [B * H, T, T]);
    const att = tf.matMul(tf.softmax(scores), vh); // [B*H, T, hd]
    const merged = tf.reshape(tf.transpose(tf.reshape(att, [B, H, T, hd]), [0, 2, 1, 3]), [B * T, c.dModel]);
    return { y: tf.matMul(merged, this.p(`h${l}.attn.proj`)) as tf.Tensor2D, k: kh, v: vh };
  }

  /** attention() on wasm: one matmul for Q/K/V, one kernel for the rest. */
  private fusedAttention(
    h: tf.Tensor2D,
    l: number,
    B: number,
    T: number,
    keyMask: tf.Tensor4D | undefined,
    withCache: boolean,
  ): { y: tf.Tensor2D; k?: tf.Tensor3D; v?: tf.Tensor3D } {
    const c = this.config;
    const D = c.dModel;
    const H = c.nHeads;
    const hd = D / H;
    const qkv = tf.matMul(h, this.qkvWeights(l, true)) as tf.Tensor2D;
    const mask = keyMask ? (tf.reshape(keyMask, [B, T]) as tf.Tensor2D) : undefined;
    const y = tf.matMul(causalAttention(qkv, B, H, mask), this.p(`h${l}.attn.proj`)) as tf.Tensor2D;
    if (!withCache) return { y };
    const heads = (col: number): tf.Tensor3D =>
      tf.reshape(tf.transpose(tf.reshape(tf.slice(qkv, [0, col], [B * T, D]), [B, T, H, hd]), [0, 2, 1, 3]), [
        B * H,
        T,
        hd,
      ]) as tf.Tensor3D;
    return { y, k: heads(D), v: heads(2 * D) };
  }

  private mlp(h: tf.Tensor2D, l: number): tf.Tensor2D {
    const u = tf.matMul(h, this.p(`h${l}.mlp.fc`));
    return tf.matMul(gelu(u), this.p(`h${l}.mlp.out`)) as tf.Tensor2D;
  }

  private layerNorm(x: tf.Tensor2D, prefix: string): tf.Tensor2D {
    return fusedLayerNorm(x, this.p(`${prefix}.g`), this.p(`${prefix}.b`)) as tf.Tensor2D;
  }

  /** Constant [T, T] additive causal mask, built once per length and kept out of any tidy. */
  private causalMask(T: number): tf.Tensor2D {
    let m = this.causal.get(T);
    if (!m) {
      const data = new Float32Array(T * T);
      for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) data[i * T + j] = NEG;
      m = tf.keep(tf.tensor2d(data, [T, T]));
      this.causal.set(T, m);
    }
    return m;
  }

  private positionsOneHot(T: number): tf.Tensor2D {
    let m = this.positionOneHot.get(T);
    if (!m) {
      const data = new Float32Array(T * this.config.contextLength);
      for (let i = 0; i < T; i++) data[i * this.config.contextLength + i] = 1;
      m = tf.keep(tf.tensor2d(data, [T, this.config.contextLength]));
      this.positionOneHot.set(T, m);
    }
    return m;
  }
}

/**
 * One-hot rows as float32. tfjs-wasm's OneHot kernel ignores the dtype argument and writes
 * int32 bits into a float32-labelled tensor (a 1 reads as 1.4e-45), so build int32 and cast.
 */
export function oneHotF32(indices: tf.Tensor, depth: number): tf.Tensor2D {
  return tf.cast(tf.oneHot(indices as tf.Tensor1D, depth), "float32") as tf.Tensor2D;
}

/**
 * GELU, tanh approximation (as the PyTorch reference uses), computed through the exact
 * identity 0.5·x·(1 + tanh u) = x·sigmoid(2u): wasm's sigmoid is vectorised, its tanh is
 * not (about 7x slower here).
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  return fusedGelu(x);
}

let idCounter = 0;
function nextId(): number {
  return idCounter++;
}

export { NEG as MASK_NEG };
