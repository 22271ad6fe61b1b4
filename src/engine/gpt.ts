// A decoder-only transformer, nanoGPT style: learned token and position embeddings,
// pre-LayerNorm blocks with causal multi-head attention and a GELU MLP, a final LayerNorm and an
// untied LM head (no biases on linears, as in the PyTorch reference). The model and its forward
// pass read top to bottom here; the parameters' names, shapes and initialisation are in
// gpt-params.ts, and the KV-cache decode step (GPT.step) in gpt-decode.ts.
//
// Written for tfjs-wasm's fast paths: every linear layer is a plain 2-D matmul on [B*T, D]
// activations, embeddings are one-hot matmuls (tf.gather's gradient needs a kernel wasm lacks).
// On wasm, LayerNorm, GELU and attention are single fused kernels (kernels/) and Q/K/V come
// from one matmul against the three weights side by side; every other backend runs the same
// math as stock ops (the reference the fused path is tested against).
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "./config.js";
import { attentionSupported, causalAttention } from "./kernels/attention.js";
import { gelu as fusedGelu } from "./kernels/gelu.js";
import { layerNorm as fusedLayerNorm } from "./kernels/layernorm.js";
import { decodeStep, type DecoderModel, type LayerCache } from "./gpt-decode.js";
import { initialParameters, parameterShapes } from "./gpt-params.js";
import { oneHotF32 } from "./one-hot.js";

// Names importers take from here, whose code has a module of its own.
export { initialParameters, parameterShapes } from "./gpt-params.js";
export { oneHotF32 } from "./one-hot.js";
export type { LayerCache } from "./gpt-decode.js";

export type ParamMap = Map<string, tf.Variable>;

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
  private decoding?: DecoderModel;

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
    return decodeStep(this.decoder(), tokens, positions, caches, keyMask);
  }

  /** What the decode step (gpt-decode.ts) uses of this model: the pieces forward() is built from. */
  private decoder(): DecoderModel {
    this.decoding ??= {
      config: this.config,
      p: (name) => this.p(name),
      layerNorm: (x, prefix) => this.layerNorm(x, prefix),
      mlp: (h, l) => this.mlp(h, l),
      qkvWeights: (l) => this.qkvWeights(l, false),
    };
    return this.decoding;
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
