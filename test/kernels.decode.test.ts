// Generation kernels on wasm: the embedding kernel (embedRows), the decoding-step attention
// (attentionStep) and the whole-decoder-layer kernel (decodeLayer, one per layer per step,
// driven by GPT.step). Teacher-forced decoding through the KV cache, exactly as sample.ts
// drives it (left-padded prompts of different lengths, per-row positions, an additive key
// mask), must give the same logits as
//  - a full forward pass of each row's unpadded sequence on wasm, and
//  - the same cached decoding on the cpu backend (stock ops, no fused kernels),
// for head sizes 24 and 12 (dModel 48 with 2 and 4 heads), plus hd 4 (dModel 20, a width with
// N % 8 == 4 in the layer's matmuls) and hd 40 (dModel 80: ten vectors per head, more than
// the step kernel's 8 accumulators), at batch sizes 1, 3 and 64. Dispatch is checked through
// the generated modules' labels: one "layer" call per layer per step and one "embed" per step.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, test } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import type { ModelConfig } from "../src/engine/config.js";
import { attentionStep } from "../src/engine/kernels/attention-step.js";
import { decodeLayerSupported } from "../src/engine/kernels/decode-layer.js";
import { embedRows } from "../src/engine/kernels/embed.js";
import { GPT, MASK_NEG, type LayerCache } from "../src/engine/gpt.js";
import { Rng } from "../src/util/rng.js";
import { Trainer } from "../src/engine/train.js";
import { randomBatch, spreadParameters, tinyConfig } from "./helpers/engine.js";
import {
  attention64,
  describeWorst,
  labelsMatching,
  maxAbs,
  normals,
  watchKernels,
  worst,
  type KernelWatch,
} from "./helpers/kernels.js";

let watch: KernelWatch;

const V = 12;
const PAD = 0;

interface DecodeCase {
  label: string;
  config: ModelConfig;
  batch: number;
}
const cfg = (dModel: number, nHeads: number, nLayers = 2): ModelConfig =>
  tinyConfig({ contextLength: 13, dModel, nHeads, nLayers, mlpRatio: 4 });
const CASES: DecodeCase[] = [
  { label: "hd 24 (dModel 48, 2 heads), batch 1", config: cfg(48, 2), batch: 1 },
  { label: "hd 24 (dModel 48, 2 heads), batch 3", config: cfg(48, 2), batch: 3 },
  { label: "hd 12 (dModel 48, 4 heads), batch 3", config: cfg(48, 4), batch: 3 },
  { label: "hd 12 (dModel 48, 4 heads), batch 64", config: cfg(48, 4), batch: 64 },
  { label: "hd 24 (dModel 48, 2 heads), batch 64", config: cfg(48, 2, 1), batch: 64 },
  { label: "hd 4 (dModel 20, 5 heads), batch 3", config: cfg(20, 5), batch: 3 },
  { label: "hd 40 (dModel 80, 2 heads), batch 3", config: cfg(80, 2, 1), batch: 3 },
];
const weightsOf = (i: number): Map<string, Float32Array> =>
  spreadParameters((CASES[i] as DecodeCase).config, 400 + i, 0.15);

const FORCED = 5;
/** Prompts of lengths 1..8 (all different where the batch allows) and forced continuations. */
function workload(i: number): { prompts: number[][]; forced: number[][] } {
  const c = CASES[i] as DecodeCase;
  const rng = new Rng(800 + i);
  const tok = (): number => rng.int(4, V - 1);
  const prompts = Array.from({ length: c.batch }, (_, b) =>
    Array.from({ length: c.batch === 1 ? 8 : 1 + ((b * 5) % 8) }, tok),
  );
  const forced = prompts.map(() => Array.from({ length: FORCED }, tok));
  return { prompts, forced };
}

/**
 * Teacher-forced decoding as sample.ts does it: prefill the left-padded prompts (positions +
 * key mask, withCache), then one GPT.step per forced token, with the key mask (as sample.ts
 * always passes it) or, when stepMask is false, without. Returns logits [B][FORCED+1][V].
 */
function cachedLogits(model: GPT, prompts: number[][], forced: number[][], stepMask: boolean): number[][][] {
  const B = prompts.length;
  const P = Math.max(...prompts.map((p) => p.length));
  const n = (forced[0] as number[]).length;
  const total = P + n;
  const ids: number[] = [];
  const pos: number[] = [];
  const mask = new Float32Array(B * total);
  prompts.forEach((p, b) => {
    const pad = P - p.length;
    for (let j = 0; j < P; j++) {
      ids.push(j >= pad ? (p[j - pad] as number) : PAD);
      pos.push(Math.max(j - pad, 0));
      if (j < pad) mask[b * total + j] = MASK_NEG;
    }
  });
  const keyMask = tf.tensor4d(mask, [B, 1, 1, total]);
  const out: number[][][] = prompts.map(() => []);
  const record = (logits: tf.Tensor2D): void => {
    const d = logits.dataSync();
    for (let b = 0; b < B; b++) (out[b] as number[][]).push(Array.from(d.subarray(b * V, (b + 1) * V)));
  };
  let caches: LayerCache[] = [];
  tf.tidy(() => {
    const r = model.forward(tf.tensor2d(ids, [B, P], "int32"), {
      positions: tf.tensor2d(pos, [B, P], "int32"),
      keyMask: prompts.some((p) => p.length < P)
        ? (tf.slice(keyMask, [0, 0, 0, 0], [B, 1, 1, P]) as tf.Tensor4D)
        : undefined,
      withCache: true,
    });
    caches = (r.caches ?? []).map((c) => ({ k: tf.keep(c.k), v: tf.keep(c.v) }));
    record(tf.reshape(tf.slice(tf.reshape(r.logits, [B, P, V]), [0, P - 1, 0], [B, 1, V]), [B, V]) as tf.Tensor2D);
  });
  for (let t = 0; t < n; t++) {
    const prev = caches;
    caches = tf.tidy(() => {
      const s = model.step(
        tf.tensor1d(
          forced.map((f) => f[t] as number),
          "int32",
        ),
        tf.tensor1d(
          prompts.map((p) => p.length + t),
          "int32",
        ),
        prev,
        stepMask ? (tf.slice(keyMask, [0, 0, 0, 0], [B, 1, 1, P + t + 1]) as tf.Tensor4D) : undefined,
      );
      record(s.logits);
      return s.caches.map((c) => ({ k: tf.keep(c.k), v: tf.keep(c.v) }));
    });
    for (const c of prev) {
      c.k.dispose();
      c.v.dispose();
    }
  }
  for (const c of caches) {
    c.k.dispose();
    c.v.dispose();
  }
  keyMask.dispose();
  return out;
}

/** Full-forward logits of one unpadded sequence: [T][V]. */
function fullLogits(model: GPT, seq: readonly number[]): number[][] {
  const d = tf.tidy(() => model.forward(tf.tensor2d([...seq], [1, seq.length], "int32")).logits.dataSync());
  return seq.map((_, t) => Array.from(d.subarray(t * V, (t + 1) * V)));
}

const cpuCached: number[][][][] = [];
/** Batch-1 cases decode without a step mask (the unmasked layer kernel); the rest with one. */
const stepMaskOf = (c: DecodeCase): boolean => c.batch > 1;

beforeAll(async () => {
  await initBackend("cpu");
  CASES.forEach((c, i) => {
    const m = new GPT(c.config, weightsOf(i));
    const { prompts, forced } = workload(i);
    cpuCached.push(cachedLogits(m, prompts, forced, stepMaskOf(c)));
    m.dispose();
  });
  watch = watchKernels();
  expect((await initBackend("wasm")).active).toBe("wasm");
});

const TOL = { rtol: 1e-4, atol: 2e-5 };

describe.each(CASES.map((c, i) => [c.label, c, i] as const))("cached decoding, %s", (_, c, i) => {
  test("step logits equal full-forward logits of each unpadded row, and the cpu backend's cached decoding", () => {
    const model = new GPT(c.config, weightsOf(i));
    try {
      const { prompts, forced } = workload(i);
      const H = c.config.nHeads;
      const hd = c.config.dModel / H;
      expect(decodeLayerSupported(c.config.dModel, H, 4 * c.config.dModel)).toBe(true);
      const masked = stepMaskOf(c);
      const { result: cached, calls } = watch.during(() => cachedLogits(model, prompts, forced, masked));
      // One whole-layer kernel per layer per step, one embedding kernel per step.
      const layerLabel = `layer:${H}:${hd}:${4 * c.config.dModel}:${masked}:true.layer`;
      expect(labelsMatching(calls, /^(layer|embed|step):/)).toEqual([`embed:${c.config.dModel}.embed`, layerLabel]);
      expect(calls.get(layerLabel)).toBe(FORCED * c.config.nLayers);
      expect(calls.get(`embed:${c.config.dModel}.embed`)).toBe(FORCED);
      const cpu = cpuCached[i] as number[][][];
      let spread = 0;
      prompts.forEach((p, b) => {
        const full = fullLogits(model, [...p, ...(forced[b] as number[])]);
        (cached[b] as number[][]).forEach((row, s) => {
          const want = full[p.length - 1 + s] as number[];
          const scale = maxAbs(want);
          spread = Math.max(spread, scale);
          expect(
            worst(row, want, TOL.rtol, TOL.atol * scale).ratio,
            describeWorst(
              `row ${b} (prompt ${p.length}) step ${s} vs full forward`,
              row,
              want,
              TOL.rtol,
              TOL.atol * scale,
            ),
          ).toBeLessThanOrEqual(1);
          const cpuRow = (cpu[b] as number[][])[s] as number[];
          expect(
            worst(row, cpuRow, TOL.rtol, TOL.atol * scale).ratio,
            describeWorst(`row ${b} step ${s} vs cpu`, row, cpuRow, TOL.rtol, TOL.atol * scale),
          ).toBeLessThanOrEqual(1);
        });
      });
      // Logits are far from constant (the comparison is not vacuous).
      expect(spread).toBeGreaterThan(0.1);
    } finally {
      model.dispose();
    }
  });
});

describe("after training", () => {
  test("cached decoding follows weights reassigned by the fused AdamW (no stale weight caches)", () => {
    const c = CASES[2] as DecodeCase;
    const model = new GPT(c.config, weightsOf(2));
    const trainer = new Trainer(model, { lr: 5e-2 });
    try {
      const { prompts, forced } = workload(2);
      const before = cachedLogits(model, prompts, forced, true);
      for (let s = 0; s < 2; s++) trainer.stepNll(randomBatch(60 + s, 3, 13, V));
      const after = cachedLogits(model, prompts, forced, true);
      prompts.forEach((p, b) => {
        const full = fullLogits(model, [...p, ...(forced[b] as number[])]);
        (after[b] as number[][]).forEach((row, s) => {
          const want = full[p.length - 1 + s] as number[];
          const tol = TOL.atol * maxAbs(want);
          expect(
            worst(row, want, TOL.rtol, tol).ratio,
            describeWorst(`row ${b} step ${s}`, row, want, TOL.rtol, tol),
          ).toBeLessThanOrEqual(1);
        });
      });
      // Training moved the logits (the comparison is against the new weights).
      expect(
        worst((after[0] as number[][])[1] as number[], (before[0] as number[][])[1] as number[], 0, 1e-3).ratio,
      ).toBeGreaterThan(1);
    } finally {
      trainer.dispose();
      model.dispose();
    }
  });
});

describe("the kernels alone", () => {
  test("embedRows is wte[token] + wpe[position] exactly, and rejects out-of-range ids", () => {
    const D = 20;
    const wte = normals(1, V * D);
    const wpe = normals(2, 13 * D);
    const toks = [4, 11, 0, 7, 7];
    const poss = [0, 12, 3, 3, 9];
    const out = tf.tidy(
      () =>
        embedRows(
          tf.tensor1d(toks, "int32"),
          tf.tensor1d(poss, "int32"),
          tf.tensor2d(wte, [V, D]),
          tf.tensor2d(wpe, [13, D]),
        ).dataSync() as Float32Array,
    );
    toks.forEach((t, r) => {
      for (let d = 0; d < D; d++)
        expect(out[r * D + d]).toBe(
          Math.fround((wte[t * D + d] as number) + (wpe[(poss[r] as number) * D + d] as number)),
        );
    });
    tf.tidy(() => {
      const w1 = tf.tensor2d(wte, [V, D]);
      const w2 = tf.tensor2d(wpe, [13, D]);
      expect(() => embedRows(tf.tensor1d([12], "int32"), tf.tensor1d([0], "int32"), w1, w2)).toThrow(
        /token id 12 out of range/,
      );
      expect(() => embedRows(tf.tensor1d([1], "int32"), tf.tensor1d([13], "int32"), w1, w2)).toThrow(
        /position 13 out of range/,
      );
      expect(() => embedRows(tf.tensor1d([-1], "int32"), tf.tensor1d([0], "int32"), w1, w2)).toThrow(/out of range/);
    });
  });

  // attentionStep is not reached from GPT (whenever hd % 4 == 0 the whole-layer kernel is used),
  // so it is checked here directly: the new query over the cache plus itself, as the last row
  // of a causal attention over the whole sequence.
  test.each([
    [1, 2, 12, 0, false],
    [3, 2, 12, 6, true],
    [2, 4, 16, 9, true],
    [3, 1, 40, 4, false],
    [2, 3, 4, 1, true],
  ])(
    "attentionStep B=%i H=%i hd=%i cache length %i (masked %s) against float64, caches grown by one row",
    (B, H, hd, t, masked) => {
      const D = H * hd;
      const T = t + 1;
      // A full sequence in the fused [rows, 3D] layout; the cache holds rows < t per head.
      const seq = normals(40 + t + hd, B * T * 3 * D);
      const mask = new Float32Array(B * T);
      if (masked) for (let b = 0; b < B; b++) for (let j = 0; j < Math.min(b + 1, t); j++) mask[b * T + j] = MASK_NEG;
      const ref = attention64(seq, B, T, H, masked ? mask : undefined);
      const kc = new Float32Array(B * H * t * hd);
      const vc = new Float32Array(B * H * t * hd);
      for (let b = 0; b < B; b++) {
        for (let h = 0; h < H; h++) {
          for (let j = 0; j < t; j++) {
            for (let d = 0; d < hd; d++) {
              const src = (b * T + j) * 3 * D + h * hd + d;
              kc[((b * H + h) * t + j) * hd + d] = seq[src + D] as number;
              vc[((b * H + h) * t + j) * hd + d] = seq[src + 2 * D] as number;
            }
          }
        }
      }
      const last = new Float32Array(B * 3 * D);
      for (let b = 0; b < B; b++) last.set(seq.subarray((b * T + t) * 3 * D, (b * T + T) * 3 * D), b * 3 * D);
      const { result, calls } = watch.during(() =>
        tf.tidy(() => {
          const r = attentionStep(
            tf.tensor2d(last, [B, 3 * D]),
            tf.tensor3d(kc, [B * H, t, hd]),
            tf.tensor3d(vc, [B * H, t, hd]),
            H,
            masked ? tf.tensor2d(mask, [B, T]) : undefined,
          );
          return {
            y: r.y.dataSync() as Float32Array,
            k: r.k.dataSync() as Float32Array,
            v: r.v.dataSync() as Float32Array,
            kShape: r.k.shape,
          };
        }),
      );
      expect(labelsMatching(calls, /^step:/)).toEqual([`step:${H}:${hd}:${masked}.step`]);
      expect(result.kShape).toEqual([B * H, T, hd]);
      const want: number[] = [];
      for (let b = 0; b < B; b++) want.push(...ref.y.subarray((b * T + t) * D, (b * T + T) * D));
      expect(
        worst(result.y, want, 1e-4, 2e-6).ratio,
        describeWorst("y", result.y, want, 1e-4, 2e-6),
      ).toBeLessThanOrEqual(1);
      // Grown caches: the old rows copied bit for bit, the new row from qkv's k and v columns.
      for (let b = 0; b < B; b++) {
        for (let h = 0; h < H; h++) {
          for (let j = 0; j <= t; j++) {
            for (let d = 0; d < hd; d++) {
              const src = (b * T + j) * 3 * D + h * hd + d;
              const dst = ((b * H + h) * T + j) * hd + d;
              if (result.k[dst] !== seq[src + D] || result.v[dst] !== seq[src + 2 * D])
                throw new Error(`cache mismatch at b=${b} h=${h} j=${j} d=${d}`);
            }
          }
        }
      }
    },
  );

  test("mismatched cache and mask shapes throw instead of reading past a buffer", () => {
    tf.tidy(() => {
      const qkv = tf.zeros([2, 3 * 24]) as tf.Tensor2D;
      const k = tf.zeros([4, 3, 12]) as tf.Tensor3D;
      expect(() => attentionStep(qkv, k, tf.zeros([4, 2, 12]) as tf.Tensor3D, 2)).toThrow(/value cache/);
      expect(() => attentionStep(qkv, k, k, 2, tf.zeros([2, 3]) as tf.Tensor2D)).toThrow(/step mask/);
      expect(() => attentionStep(qkv, tf.zeros([2, 3, 12]) as tf.Tensor3D, k, 2)).toThrow(/key cache/);
    });
  });
});
