// Fused causal attention (kernels/attention.ts causalAttention: forward kernel and one-kernel backward) on
// the wasm backend:
//  1. the kernel alone against a float64 reference, forward and qkv gradient, for sequence
//     lengths that are not multiples of 4 (the kernel pads to Tp = ceil4(T)), head sizes 4..32,
//     1-4 heads, batches of 1-3, with and without an additive key mask (left padding and a hole);
//  2. whole-model gradients (variableGrads on a tiny GPT, Q/K/V from one matmul against the
//     concatenated weights) against the cpu backend's stock ops, computed before wasm is
//     initialised (tf.registerGradient is global), for dModel 24/48 and 2/4 heads at context 13,
//     unpadded NLL and a left-padded loss with positions, key mask and the value head. A head
//     size of 6 (not a multiple of 4) must run the stock ops on wasm and match too.
// Query rows whose every visible key is masked are meaningless by design (kernels/attention.ts header), so
// they are excluded from forward comparisons and receive no upstream gradient.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, test } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import type { ModelConfig } from "../src/engine/config.js";
import { causalAttention } from "../src/engine/kernels/attention.js";
import { GPT, MASK_NEG } from "../src/engine/gpt.js";
import { weightedNllLoss, type TokenBatch } from "../src/engine/train.js";
import { randomBatch, spreadParameters, tinyConfig } from "./helpers/engine.js";
import {
  attention64,
  describeWorst,
  labelsMatching,
  maxAbs,
  modelGrads,
  normals,
  watchKernels,
  worst,
  type KernelWatch,
} from "./helpers/kernels.js";

let watch: KernelWatch;

// ---------------------------------------------------------------------------------------
// Model-level fixtures (cpu references are computed in beforeAll, before wasm exists)
// ---------------------------------------------------------------------------------------
interface ModelCase {
  label: string;
  config: ModelConfig;
  fused: boolean;
}
const modelCases: ModelCase[] = [
  {
    label: "dModel 24, 2 heads (hd 12)",
    config: tinyConfig({ contextLength: 13, dModel: 24, nHeads: 2, nLayers: 2, mlpRatio: 4, valueHead: true }),
    fused: true,
  },
  {
    label: "dModel 48, 2 heads (hd 24)",
    config: tinyConfig({ contextLength: 13, dModel: 48, nHeads: 2, nLayers: 2, mlpRatio: 4, valueHead: true }),
    fused: true,
  },
  {
    label: "dModel 48, 4 heads (hd 12)",
    config: tinyConfig({ contextLength: 13, dModel: 48, nHeads: 4, nLayers: 2, mlpRatio: 4, valueHead: true }),
    fused: true,
  },
  {
    label: "dModel 24, 4 heads (hd 6: stock fallback)",
    config: tinyConfig({ contextLength: 13, dModel: 24, nHeads: 4, nLayers: 2, mlpRatio: 4, valueHead: true }),
    fused: false,
  },
];
const weightsOf = (c: ModelCase, i: number): Map<string, Float32Array> => spreadParameters(c.config, 300 + i, 0.2);

const nllBatches: TokenBatch[] = [
  randomBatch(71, 3, 13, 12, [1, 0.5, 0, 2, 1]),
  randomBatch(72, 2, 7, 12, [1, 1, 0, 1]),
];

const nll =
  (b: TokenBatch) =>
  (m: GPT): tf.Scalar => {
    const out = weightedNllLoss(m, b);
    for (const t of Object.values(out.metrics ?? {})) t.dispose();
    return out.loss;
  };

/** Left-padded batch of 3 rows (pads 0, 4, 9) at T = 13, as sample.ts/PPO build it. */
const PADS = [0, 4, 9];
const PT = 13;
function paddedLoss(m: GPT): tf.Scalar {
  const B = PADS.length;
  const ids: number[] = [];
  const pos: number[] = [];
  const mask: number[] = [];
  const w: number[] = [];
  const tgt: number[] = [];
  PADS.forEach((p, b) => {
    for (let j = 0; j < PT; j++) {
      const real = j >= p;
      ids.push(real ? 4 + ((b * 5 + j * 3) % 8) : 0);
      pos.push(real ? j - p : 0);
      mask.push(real ? 0 : MASK_NEG);
      w.push(real && j < PT - 1 ? 1 + ((j + b) % 3) * 0.5 : 0);
      tgt.push(4 + ((b * 7 + j * 5) % 8));
    }
  });
  const { logits, values } = m.forward(tf.tensor2d(ids, [B, PT], "int32"), {
    positions: tf.tensor2d(pos, [B, PT], "int32"),
    keyMask: tf.tensor4d(mask, [B, 1, 1, PT]),
    withValues: true,
  });
  const wt = tf.tensor1d(w);
  const picked = tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor1d(tgt, "int32"), m.config.vocabSize)), 1);
  return tf.add(
    tf.neg(tf.mean(tf.mul(picked, wt))),
    tf.mean(tf.mul(tf.square(tf.sub(values as tf.Tensor1D, 0.5)), wt)),
  ) as tf.Scalar;
}

interface Reference {
  nll: Array<{ loss: number; grads: Map<string, Float32Array> }>;
  padded: { loss: number; grads: Map<string, Float32Array> };
  logits: Float32Array;
}
const cpuRef: Reference[] = [];

function logitsOf(m: GPT): Float32Array {
  const b = nllBatches[0] as TokenBatch;
  return tf.tidy(() => m.forward(tf.tensor2d(b.ids, [b.batch, b.length], "int32")).logits.dataSync() as Float32Array);
}

beforeAll(async () => {
  await initBackend("cpu");
  expect(tf.getBackend()).toBe("cpu");
  modelCases.forEach((c, i) => {
    const m = new GPT(c.config, weightsOf(c, i));
    cpuRef.push({
      nll: nllBatches.map((b) => modelGrads(m, nll(b))),
      padded: modelGrads(m, paddedLoss),
      logits: logitsOf(m),
    });
    m.dispose();
  });
  watch = watchKernels();
  const choice = await initBackend("wasm");
  expect(choice.active).toBe("wasm");
});

// ---------------------------------------------------------------------------------------
// 1. The kernel alone against float64
// ---------------------------------------------------------------------------------------
interface AttnCase {
  B: number;
  T: number;
  H: number;
  hd: number;
  /** Per-row left padding (masked keys at the start), or undefined for no mask. */
  pads?: number[];
  /** Additionally mask this key in every row (a hole, not left padding). */
  hole?: number;
  std?: number;
}

const attnCases: AttnCase[] = [
  { B: 1, T: 1, H: 1, hd: 4 },
  { B: 2, T: 4, H: 2, hd: 12 },
  { B: 1, T: 5, H: 3, hd: 16, pads: [2] },
  { B: 3, T: 7, H: 2, hd: 12, pads: [0, 3, 6] },
  { B: 2, T: 7, H: 4, hd: 24 },
  { B: 2, T: 13, H: 2, hd: 12, pads: [5, 0] },
  { B: 1, T: 13, H: 4, hd: 32, pads: [1], hole: 6 },
  { B: 3, T: 13, H: 3, hd: 16 },
  { B: 2, T: 12, H: 2, hd: 24, pads: [0, 11] },
  { B: 1, T: 33, H: 2, hd: 32, pads: [7] },
  // The shipped Countdown model's shape (dModel 96, 4 heads, context 64).
  { B: 2, T: 64, H: 4, hd: 24, pads: [0, 21] },
  // Peaky softmax (scores of tens): the max subtraction and exp range matter.
  { B: 2, T: 13, H: 2, hd: 12, pads: [3, 0], std: 3 },
];

function caseLabel(c: AttnCase): string {
  return `B=${c.B} T=${c.T} H=${c.H} hd=${c.hd}${c.pads ? ` pads=[${c.pads.join(",")}]` : ""}${c.hole !== undefined ? ` hole=${c.hole}` : ""}${c.std ? ` std=${c.std}` : ""}`;
}

describe("causalAttention kernel against float64", () => {
  test.each(attnCases.map((c) => [caseLabel(c), c] as const))("%s: forward and d/dqkv", (_, c) => {
    const { B, T, H, hd } = c;
    const D = H * hd;
    const qkv = normals(500 + T * 7 + hd, B * T * 3 * D, c.std ?? 1);
    const mask = c.pads ? new Float32Array(B * T) : undefined;
    if (mask && c.pads) {
      c.pads.forEach((p, b) => {
        for (let j = 0; j < p; j++) mask[b * T + j] = MASK_NEG;
        if (c.hole !== undefined) mask[b * T + c.hole] = MASK_NEG;
      });
    }
    const vis = attention64(qkv, B, T, H, mask).visible;
    // Upstream gradient: random on meaningful rows, zero on fully masked ones.
    const r = normals(600 + T, B * T * D);
    vis.forEach((v, row) => {
      if (!v) r.fill(0, row * D, (row + 1) * D);
    });
    const ref = attention64(qkv, B, T, H, mask, r);
    const { result, calls } = watch.during(() =>
      tf.tidy(() => {
        const x = tf.tensor2d(qkv, [B * T, 3 * D]);
        const m = mask ? tf.tensor2d(mask, [B, T]) : undefined;
        const y = causalAttention(x, B, H, m);
        const g = tf.grad((q: tf.Tensor) =>
          tf.sum(tf.mul(causalAttention(q as tf.Tensor2D, B, H, m), tf.tensor2d(r, [B * T, D]))),
        )(x);
        return { y: y.dataSync() as Float32Array, shape: y.shape, g: g.dataSync() as Float32Array };
      }),
    );
    expect(result.shape).toEqual([B * T, D]);
    // Forward on meaningful rows.
    const yGot: number[] = [];
    const yRef: number[] = [];
    vis.forEach((v, row) => {
      if (!v) return;
      for (let d = 0; d < D; d++) {
        yGot.push(result.y[row * D + d] as number);
        yRef.push(ref.y[row * D + d] as number);
      }
    });
    expect(yGot.length).toBeGreaterThan(0);
    expect(
      worst(yGot, yRef, 1e-4, 2e-6 * Math.max(1, maxAbs(yRef))).ratio,
      describeWorst("y", yGot, yRef, 1e-4, 2e-6),
    ).toBeLessThanOrEqual(1);
    // Gradient everywhere (fully masked query rows must get exactly nothing back).
    const scale = Math.max(1e-3, maxAbs(ref.dqkv));
    expect(
      worst(result.g, ref.dqkv, 2e-4, 2e-6 * scale).ratio,
      describeWorst("dqkv", result.g, ref.dqkv, 2e-4, 2e-6 * scale),
    ).toBeLessThanOrEqual(1);
    vis.forEach((v, row) => {
      if (!v) expect(maxAbs(result.g.subarray(row * 3 * D, row * 3 * D + D)), `dq of fully masked row ${row}`).toBe(0);
    });
    // Masked keys get no key or value gradient (up to the ~1e-38 weight vexp's clamp at -87.3
    // leaves on a -1e9 score; stock gets exactly 0).
    if (mask) {
      for (let row = 0; row < B * T; row++) {
        if (mask[row] !== 0)
          expect(
            maxAbs(result.g.subarray(row * 3 * D + D, (row + 1) * 3 * D)),
            `dk/dv of masked key row ${row}`,
          ).toBeLessThan(1e-30);
      }
    }
    // The fused kernels ran (not a stock fallback).
    const key = `attn:${T}:${H}:${hd}:${mask !== undefined}`;
    expect(labelsMatching(calls, /^attn:/)).toEqual([`${key}.bwd`, `${key}.fwd`]);
  });

  test("results do not depend on batch composition: a row alone equals the same row in a batch of 3", () => {
    const T = 13;
    const H = 2;
    const hd = 12;
    const D = H * hd;
    const qkv = normals(77, 3 * T * 3 * D);
    const mask = new Float32Array(3 * T);
    for (let j = 0; j < 4; j++) mask[T + j] = MASK_NEG;
    const [all, alone] = tf.tidy(() => [
      causalAttention(tf.tensor2d(qkv, [3 * T, 3 * D]), 3, H, tf.tensor2d(mask, [3, T])).dataSync() as Float32Array,
      causalAttention(
        tf.tensor2d(qkv.subarray(T * 3 * D, 2 * T * 3 * D), [T, 3 * D]),
        1,
        H,
        tf.tensor2d(mask.subarray(T, 2 * T), [1, T]),
      ).dataSync() as Float32Array,
    ]);
    // Same kernel, same data: bit-identical (stale scratch from batch row 0 must not leak in).
    expect(Array.from(all.subarray(T * D + 4 * D, 2 * T * D))).toEqual(Array.from(alone.subarray(4 * D)));
  });

  test("shape checks throw instead of reading past a buffer", () => {
    tf.tidy(() => {
      const x = tf.zeros([2 * 7, 3 * 24]) as tf.Tensor2D;
      expect(() => causalAttention(x, 2, 2, tf.zeros([2, 6]) as tf.Tensor2D)).toThrow(/mask/);
      expect(() => causalAttention(x, 3, 2)).toThrow(/does not split/);
    });
  });
});

// ---------------------------------------------------------------------------------------
// 2. Whole-model gradients on wasm against cpu stock
// ---------------------------------------------------------------------------------------
describe.each(modelCases.map((c, i) => [c.label, c, i] as const))("tiny GPT %s: wasm against cpu stock", (_, c, i) => {
  const compare = (got: Map<string, Float32Array>, want: Map<string, Float32Array>, what: string): void => {
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [name, g] of got) {
      const ref = want.get(name) as Float32Array;
      // Observed worst ratio ~0.2 at this tolerance; a wrong head offset, scale or mask is O(1).
      const atol = 1e-5 * Math.max(1e-3, maxAbs(ref));
      expect(worst(g, ref, 1e-3, atol).ratio, describeWorst(`${what} ${name}`, g, ref, 1e-3, atol)).toBeLessThanOrEqual(
        1,
      );
    }
  };

  test("logits and unpadded NLL gradients (T = 13 and T = 7)", () => {
    const ref = cpuRef[i] as Reference;
    const m = new GPT(c.config, weightsOf(c, i));
    try {
      const logits = logitsOf(m);
      expect(
        worst(logits, ref.logits, 1e-4, 1e-5).ratio,
        describeWorst("logits", logits, ref.logits, 1e-4, 1e-5),
      ).toBeLessThanOrEqual(1);
      nllBatches.forEach((b, k) => {
        const { result, calls } = watch.during(() => modelGrads(m, nll(b)));
        const want = ref.nll[k] as { loss: number; grads: Map<string, Float32Array> };
        expect(Math.abs(result.loss - want.loss)).toBeLessThan(1e-5 * Math.abs(want.loss));
        compare(result.grads, want.grads, `T=${b.length}`);
        // The attention gradient went through the fused backward exactly when hd % 4 == 0.
        const hd = c.config.dModel / c.config.nHeads;
        expect(labelsMatching(calls, /^attn:/)).toEqual(
          c.fused
            ? [
                `attn:${b.length}:${c.config.nHeads}:${hd}:false.bwd`,
                `attn:${b.length}:${c.config.nHeads}:${hd}:false.fwd`,
              ]
            : [],
        );
      });
      // The q, k and v weights all receive gradient (through the concatenated [D, 3D] matmul).
      const g = (ref.nll[0] as { grads: Map<string, Float32Array> }).grads;
      for (const n of ["h0.attn.q", "h0.attn.k", "h0.attn.v", "h1.attn.q", "h1.attn.k", "h1.attn.v"])
        expect(maxAbs(g.get(n) as Float32Array), n).toBeGreaterThan(1e-4);
    } finally {
      m.dispose();
    }
  });

  test("left-padded loss (positions, key mask, value head) gradients", () => {
    const ref = cpuRef[i] as Reference;
    const m = new GPT(c.config, weightsOf(c, i));
    try {
      const { result, calls } = watch.during(() => modelGrads(m, paddedLoss));
      expect(Math.abs(result.loss - ref.padded.loss)).toBeLessThan(1e-5 * Math.abs(ref.padded.loss));
      compare(result.grads, ref.padded.grads, "padded");
      const hd = c.config.dModel / c.config.nHeads;
      expect(labelsMatching(calls, /^attn:/)).toEqual(
        c.fused ? [`attn:${PT}:${c.config.nHeads}:${hd}:true.bwd`, `attn:${PT}:${c.config.nHeads}:${hd}:true.fwd`] : [],
      );
    } finally {
      m.dispose();
    }
  });
});
