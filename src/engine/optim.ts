// AdamW with global-norm gradient clipping. Written out (rather than tf.train.adam) because we
// need decoupled weight decay, clipping, a learning-rate schedule, and a state that can be
// saved into checkpoints and restored bit-exactly.
import * as tf from "@tensorflow/tfjs";
import type { ParamMap } from "./gpt.js";
import { adamwStep } from "./kernels/adamw.js";
import { fusedAvailable } from "./wasm/runtime.js";

/** AdamW's hyper-parameters (learning rate, betas, weight decay, gradient-norm clip). */
export interface AdamWConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global gradient-norm clip; 0 disables. */
  clipNorm: number;
}

/**
 * The defaults for {@link AdamWConfig}, nanoGPT's: {@link AdamW} fills in what its config leaves
 * out from these.
 */
export const DEFAULT_ADAMW: AdamWConfig = {
  lr: 1e-3,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  weightDecay: 0.1,
  clipNorm: 1.0,
};

/**
 * AdamW's moments and step count as plain arrays: saved in a checkpoint so a resumed run continues
 * exactly.
 */
export interface OptimizerState {
  step: number;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

/** Decay matrices only: gains, biases and embeddings' positions are left alone (nanoGPT). */
function decays(name: string): boolean {
  return !name.endsWith(".g") && !name.endsWith(".b") && name !== "wpe";
}

/**
 * AdamW with decoupled weight decay and global-norm clipping, on a model's parameters; a
 * {@link Trainer} owns one.
 */
export class AdamW {
  config: AdamWConfig;
  step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(
    private readonly params: ParamMap,
    config: Partial<AdamWConfig> = {},
  ) {
    this.config = { ...DEFAULT_ADAMW, ...config };
    for (const [name, p] of params) {
      tf.tidy(() => {
        this.m.set(name, tf.variable(tf.zerosLike(p), false));
        this.v.set(name, tf.variable(tf.zerosLike(p), false));
      });
    }
  }

  /**
   * Clips and applies gradients (disposing them). Returns the pre-clip global norm.
   * `lr` overrides the configured rate for schedules; `trainable` restricts the update.
   */
  apply(grads: Record<string, tf.Tensor>, lr = this.config.lr): number {
    const { beta1, beta2, eps, weightDecay, clipNorm } = this.config;
    const names = Object.keys(grads);
    if (fusedAvailable()) return this.applyFused(grads, names, lr);
    const normSq = tf.tidy(() => tf.addN(names.map((n) => tf.sum(tf.square(grads[n] as tf.Tensor)))));
    const gradNorm = Math.sqrt(normSq.dataSync()[0] as number);
    normSq.dispose();
    const scale = clipNorm > 0 && gradNorm > clipNorm ? clipNorm / gradNorm : 1;
    this.step += 1;
    const bc1 = 1 - Math.pow(beta1, this.step);
    const bc2 = 1 - Math.pow(beta2, this.step);
    tf.tidy(() => {
      for (const name of names) {
        const p = this.params.get(name);
        const m = this.m.get(name);
        const v = this.v.get(name);
        if (!p || !m || !v) throw new Error(`optimizer: unknown parameter ${name}`);
        const g = scale === 1 ? (grads[name] as tf.Tensor) : tf.mul(grads[name] as tf.Tensor, scale);
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const update = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), eps));
        const decayed = decays(name) && weightDecay > 0 ? tf.mul(p, 1 - lr * weightDecay) : p;
        p.assign(tf.sub(decayed, tf.mul(update, lr)));
      }
    });
    for (const n of names) (grads[n] as tf.Tensor).dispose();
    return gradNorm;
  }

  /** apply() on wasm: one kernel for the norm, the clip and every update (same arithmetic). */
  private applyFused(grads: Record<string, tf.Tensor>, names: string[], lr: number): number {
    const { beta1, beta2, eps, weightDecay, clipNorm } = this.config;
    const entries = names.map((name) => {
      const p = this.params.get(name);
      const m = this.m.get(name);
      const v = this.v.get(name);
      if (!p || !m || !v) throw new Error(`optimizer: unknown parameter ${name}`);
      return { p, m, v, g: grads[name] as tf.Tensor, decay: decays(name) };
    });
    this.step += 1;
    const bc1 = 1 - Math.pow(beta1, this.step);
    const bc2 = 1 - Math.pow(beta2, this.step);
    try {
      return adamwStep(entries, { lr, beta1, beta2, eps, weightDecay, clipNorm, bc1, bc2 });
    } finally {
      for (const n of names) (grads[n] as tf.Tensor).dispose();
    }
  }

  /** The moments and step count, copied out (for a checkpoint). */
  async state(): Promise<OptimizerState> {
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    for (const [n, t] of this.m) m.set(n, (await t.data()) as Float32Array);
    for (const [n, t] of this.v) v.set(n, (await t.data()) as Float32Array);
    return { step: this.step, m, v };
  }

  /** Restores moments and step count saved by {@link AdamW.state}. */
  load(state: OptimizerState): void {
    this.step = state.step;
    for (const [store, src, label] of [
      [this.m, state.m, "m"],
      [this.v, state.v, "v"],
    ] as const) {
      for (const [n, t] of store) {
        const data = src.get(n);
        if (!data || data.length !== t.size) throw new Error(`optimizer state: ${label}.${n} missing or of wrong size`);
        tf.tidy(() => t.assign(tf.tensor(data, t.shape, "float32")));
      }
    }
  }

  /** Frees the moment tensors. */
  dispose(): void {
    for (const t of this.m.values()) t.dispose();
    for (const t of this.v.values()) t.dispose();
  }
}

/** Cosine decay with linear warm-up, from lr to minLr over total steps. */
export function cosineLr(step: number, total: number, lr: number, minLr: number, warmup = 0): number {
  if (step < warmup) return (lr * (step + 1)) / warmup;
  const t = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
  return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * t));
}
