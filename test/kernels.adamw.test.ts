// The fused AdamW kernel (kernels/adamw.ts adamwStep via optim.ts AdamW.apply on wasm): global
// gradient norm, clip, moments and decoupled weight decay for every parameter in one kernel.
//  - against a float64 AdamW written from optim.ts's specification, over 6 steps with
//    gradient scales that switch clipping on and off, with and without weight decay (decay on
//    matrices only: not on ".g", ".b" or "wpe"), on sizes with a scalar tail (n % 4 != 0);
//  - against the stock-op AdamW (optim.ts on the cpu backend): the same float32 operations in
//    the same order, so without clipping the two must agree bit for bit;
//  - the optimizer state (m, v, step) saved with state() and loaded into a fresh optimizer
//    continues bit-identically to an uninterrupted run (also across fused -> stock);
//  - parameters without a gradient (a trainable subset) are left untouched.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, test } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import { fusedAvailable } from "../src/engine/wasm/runtime.js";
import { GPT, type ParamMap } from "../src/engine/gpt.js";
import { AdamW, type AdamWConfig, type OptimizerState } from "../src/engine/optim.js";
import { Trainer } from "../src/engine/train.js";
import { randomBatch, tinyConfig } from "./helpers/engine.js";
import {
  adamw64,
  describeWorst,
  labelsMatching,
  maxAbs,
  normals,
  sameBits,
  watchKernels,
  worst,
  type AdamW64Param,
  type KernelWatch,
} from "./helpers/kernels.js";

let watch: KernelWatch;

beforeAll(async () => {
  watch = watchKernels();
  const choice = await initBackend("wasm");
  expect(choice.active).toBe("wasm");
});

/** Parameter names as the model uses them (the decay rule keys on them), with tail sizes. */
const SHAPES: Array<[string, number[], boolean]> = [
  ["wte", [7, 5], true],
  ["wpe", [6, 4], false],
  ["h0.ln1.g", [5], false],
  ["h0.ln1.b", [5], false],
  ["h0.attn.q", [4, 4], true],
  ["h0.mlp.fc", [3, 7], true],
  ["lnf.b", [1], false],
  ["head", [9, 2], true],
];
const sizeOf = (s: number[]): number => s.reduce((a, b) => a * b, 1);

const initial = new Map(SHAPES.map(([n, s], i) => [n, normals(10 + i, sizeOf(s), 0.5)]));
/** Per-step gradient scales: the global norm crosses clipNorm = 1 both ways. */
const STEP_SCALES = [0.05, 3, 0.2, 10, 0.01, 1];
function gradData(step: number): Map<string, Float32Array> {
  return new Map(
    SHAPES.map(([n, s], i) => [
      n,
      normals(100 * step + i, sizeOf(s), (STEP_SCALES[step] as number) / Math.sqrt(sizeOf(s) * SHAPES.length)),
    ]),
  );
}

let made = 0;
function makeParams(from: Map<string, Float32Array>): ParamMap {
  made++;
  return new Map(
    SHAPES.map(([n, s]) => [
      n,
      tf.tidy(() => tf.variable(tf.tensor(from.get(n) as Float32Array, s), true, `adamw-test-${made}-${n}`)),
    ]),
  );
}
function disposeParams(p: ParamMap): void {
  for (const v of p.values()) v.dispose();
}
async function dataOf(p: ParamMap): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [n, v] of p) out.set(n, (await v.data()) as Float32Array);
  return out;
}

/** Applies gradients (only `names`, default all) from gradData(step). */
function applyStep(opt: AdamW, step: number, names?: string[]): number {
  const g = gradData(step);
  const grads: Record<string, tf.Tensor> = {};
  for (const [n, s] of SHAPES) if (!names || names.includes(n)) grads[n] = tf.tensor(g.get(n) as Float32Array, s);
  return opt.apply(grads);
}

const CONFIGS: Record<string, Partial<AdamWConfig>> = {
  "clip 1, decay 0.1": { lr: 1e-2, clipNorm: 1, weightDecay: 0.1 },
  "no clip, no decay": { lr: 3e-3, clipNorm: 0, weightDecay: 0 },
  "clip 0.5, decay 0.5, lr 0.05": { lr: 0.05, clipNorm: 0.5, weightDecay: 0.5, beta2: 0.99, eps: 1e-6 },
};

describe.each(Object.entries(CONFIGS))("fused AdamW (%s) against float64", (_, cfg) => {
  test("6 steps: weights, moments, step count and returned gradient norm", async () => {
    const params = makeParams(initial);
    const opt = new AdamW(params, cfg);
    const c = opt.config;
    const ref: AdamW64Param[] = SHAPES.map(([n, s, decay]) => ({
      p: Float64Array.from(initial.get(n) as Float32Array),
      m: new Float64Array(sizeOf(s)),
      v: new Float64Array(sizeOf(s)),
      decay,
    }));
    let clipped = 0;
    let unclipped = 0;
    try {
      expect(fusedAvailable()).toBe(true);
      for (let step = 0; step < STEP_SCALES.length; step++) {
        const { result: norm, calls } = watch.during(() => applyStep(opt, step));
        const g = gradData(step);
        const norm64 = adamw64(
          ref,
          SHAPES.map(([n]) => g.get(n) as Float32Array),
          step + 1,
          c,
        );
        if (c.clipNorm > 0 && norm64 > c.clipNorm) clipped++;
        else unclipped++;
        expect(Math.abs(norm - norm64), `gradient norm at step ${step + 1}`).toBeLessThanOrEqual(1e-6 * norm64);
        // One kernel did everything: a sum of squares and an update per parameter.
        expect(labelsMatching(calls, /^adam/)).toEqual(["adam.adam", "adam.sumsq"]);
        expect(calls.get("adam.adam")).toBe(SHAPES.length);
        expect(calls.get("adam.sumsq")).toBe(SHAPES.length);
        expect(opt.step).toBe(step + 1);
        const state = await opt.state();
        const p = await dataOf(params);
        SHAPES.forEach(([n], j) => {
          const R = ref[j] as AdamW64Param;
          const at = `${n} after step ${step + 1}`;
          expect(
            worst(p.get(n) as Float32Array, R.p, 2e-6, 1e-7).ratio,
            describeWorst(`p ${at}`, p.get(n) as Float32Array, R.p, 2e-6, 1e-7),
          ).toBeLessThanOrEqual(1);
          // Moments can cancel (β·m + (1-β)·g), so their tolerance is relative to the tensor's scale.
          const mTol = 2e-6 * maxAbs(R.m);
          const vTol = 2e-6 * maxAbs(R.v);
          expect(
            worst(state.m.get(n) as Float32Array, R.m, 2e-6, mTol).ratio,
            describeWorst(`m ${at}`, state.m.get(n) as Float32Array, R.m, 2e-6, mTol),
          ).toBeLessThanOrEqual(1);
          expect(
            worst(state.v.get(n) as Float32Array, R.v, 2e-6, vTol).ratio,
            describeWorst(`v ${at}`, state.v.get(n) as Float32Array, R.v, 2e-6, vTol),
          ).toBeLessThanOrEqual(1);
        });
      }
      // The schedule really exercised both branches where clipping is on.
      if (c.clipNorm > 0) expect(clipped).toBeGreaterThan(0);
      expect(unclipped).toBeGreaterThan(0);
    } finally {
      opt.dispose();
      disposeParams(params);
    }
  });
});

describe("weight decay and untouched parameters", () => {
  test("a zero gradient: matrices shrink by exactly fround(1 - lr·wd), gains, biases and wpe stay bit-identical", async () => {
    const params = makeParams(initial);
    const opt = new AdamW(params, { lr: 0.05, weightDecay: 0.5, clipNorm: 1 });
    try {
      const grads: Record<string, tf.Tensor> = {};
      for (const [n, s] of SHAPES) grads[n] = tf.zeros(s);
      expect(opt.apply(grads)).toBe(0);
      const p = await dataOf(params);
      const f = Math.fround(1 - 0.05 * 0.5);
      for (const [n, , decay] of SHAPES) {
        const want = (initial.get(n) as Float32Array).map((x) => (decay ? Math.fround(x * f) : x));
        expect(sameBits(p.get(n) as Float32Array, want), `${n} (decay ${decay})`).toBe(true);
      }
    } finally {
      opt.dispose();
      disposeParams(params);
    }
  });

  test("a trainable subset: parameters without a gradient keep their weights and moments bit for bit", async () => {
    const params = makeParams(initial);
    const opt = new AdamW(params, { lr: 1e-2, weightDecay: 0.1, clipNorm: 1 });
    try {
      applyStep(opt, 0);
      const before = await dataOf(params);
      const stateBefore = await opt.state();
      const subset = ["h0.attn.q", "head", "lnf.b"];
      const { calls } = watch.during(() => applyStep(opt, 1, subset));
      expect(calls.get("adam.adam")).toBe(subset.length);
      const after = await dataOf(params);
      const stateAfter = await opt.state();
      for (const [n] of SHAPES) {
        const same = sameBits(after.get(n) as Float32Array, before.get(n) as Float32Array);
        expect(same, n).toBe(!subset.includes(n));
        expect(sameBits(stateAfter.m.get(n) as Float32Array, stateBefore.m.get(n) as Float32Array), `m ${n}`).toBe(
          !subset.includes(n),
        );
      }
    } finally {
      opt.dispose();
      disposeParams(params);
    }
  });
});

/** Runs `steps` (from `from`) on the active backend; returns weights and optimizer state. */
async function run(
  cfg: Partial<AdamWConfig>,
  steps: number[],
  from?: { weights: Map<string, Float32Array>; state: OptimizerState },
): Promise<{ weights: Map<string, Float32Array>; state: OptimizerState }> {
  const params = makeParams(from?.weights ?? initial);
  const opt = new AdamW(params, cfg);
  try {
    if (from) opt.load(from.state);
    for (const s of steps) applyStep(opt, s);
    return { weights: await dataOf(params), state: await opt.state() };
  } finally {
    opt.dispose();
    disposeParams(params);
  }
}

function expectSameRun(
  a: { weights: Map<string, Float32Array>; state: OptimizerState },
  b: { weights: Map<string, Float32Array>; state: OptimizerState },
  what: string,
): void {
  expect(a.state.step, what).toBe(b.state.step);
  for (const [n] of SHAPES) {
    expect(sameBits(a.weights.get(n) as Float32Array, b.weights.get(n) as Float32Array), `${what}: weights ${n}`).toBe(
      true,
    );
    expect(sameBits(a.state.m.get(n) as Float32Array, b.state.m.get(n) as Float32Array), `${what}: m ${n}`).toBe(true);
    expect(sameBits(a.state.v.get(n) as Float32Array, b.state.v.get(n) as Float32Array), `${what}: v ${n}`).toBe(true);
  }
}

async function onCpu<T>(fn: () => Promise<T>): Promise<T> {
  await tf.setBackend("cpu");
  try {
    expect(fusedAvailable()).toBe(false);
    return await fn();
  } finally {
    await tf.setBackend("wasm");
  }
}

describe("fused against stock, and saved state", () => {
  const ALL = [0, 1, 2, 3, 4, 5];

  test("without clipping the fused kernel equals optim.ts's stock ops (cpu) bit for bit", async () => {
    const cfg = CONFIGS["no clip, no decay"] as Partial<AdamWConfig>;
    const decayCfg = { lr: 0.05, clipNorm: 0, weightDecay: 0.5 };
    for (const c of [cfg, decayCfg]) {
      const fused = await run(c, ALL);
      const stock = await onCpu(() => run(c, ALL));
      expectSameRun(fused, stock, `fused vs stock ${JSON.stringify(c)}`);
    }
  });

  test("with clipping the two agree to float32 rounding of the clip scale", async () => {
    const cfg = CONFIGS["clip 0.5, decay 0.5, lr 0.05"] as Partial<AdamWConfig>;
    const fused = await run(cfg, ALL);
    const stock = await onCpu(() => run(cfg, ALL));
    for (const [n] of SHAPES) {
      const a = fused.weights.get(n) as Float32Array;
      const b = stock.weights.get(n) as Float32Array;
      expect(worst(a, b, 1e-6, 1e-8).ratio, describeWorst(n, a, b, 1e-6, 1e-8)).toBeLessThanOrEqual(1);
    }
  });

  test.each(Object.keys(CONFIGS))(
    "%s: 3 steps, state() -> load() into a fresh optimizer, 3 more steps = 6 uninterrupted steps, bit for bit",
    async (name) => {
      const cfg = CONFIGS[name] as Partial<AdamWConfig>;
      const whole = await run(cfg, ALL);
      const first = await run(cfg, [0, 1, 2]);
      expect(first.state.step).toBe(3);
      // The state is plain data (what a checkpoint stores): copy it so nothing is shared.
      const saved: OptimizerState = {
        step: first.state.step,
        m: new Map([...first.state.m].map(([k, v]) => [k, v.slice()])),
        v: new Map([...first.state.v].map(([k, v]) => [k, v.slice()])),
      };
      const resumed = await run(cfg, [3, 4, 5], { weights: first.weights, state: saved });
      expectSameRun(resumed, whole, "resumed vs uninterrupted");
    },
  );

  test("a state saved by the fused kernel continues on the stock path exactly as the fused path would (no clipping)", async () => {
    const cfg = CONFIGS["no clip, no decay"] as Partial<AdamWConfig>;
    const whole = await run(cfg, ALL);
    const first = await run(cfg, [0, 1, 2]);
    const resumed = await onCpu(() => run(cfg, [3, 4, 5], first));
    expectSameRun(resumed, whole, "fused 3 + stock 3 vs fused 6");
  });

  test("Trainer on a fused tiny GPT (dModel 48, 4 heads): 2 steps + resume + 2 steps = 4 steps, bit for bit", async () => {
    const config = tinyConfig({ contextLength: 13, dModel: 48, nHeads: 4, nLayers: 1, mlpRatio: 4 });
    const batches = [0, 1, 2, 3].map((i) => randomBatch(90 + i, 2, 13, config.vocabSize, [1, 0, 1, 0.5]));
    const train = async (
      steps: number[],
      from?: { weights: Map<string, Float32Array>; state: OptimizerState },
    ): Promise<{ weights: Map<string, Float32Array>; state: OptimizerState }> => {
      const model = from ? new GPT(config, from.weights) : GPT.create(config, 4);
      const trainer = new Trainer(model, { lr: 3e-2 });
      try {
        if (from) trainer.optimizer.load(from.state);
        for (const s of steps) trainer.stepNll(batches[s] as (typeof batches)[number]);
        return { weights: await model.weights(), state: await trainer.optimizer.state() };
      } finally {
        trainer.dispose();
        model.dispose();
      }
    };
    const { result: whole, calls } = await (async () => {
      const before = new Map(watch.counts);
      const result = await train([0, 1, 2, 3]);
      const calls = new Map(
        [...watch.counts].map(([k, n]) => [k, n - (before.get(k) ?? 0)] as const).filter(([, n]) => n > 0),
      );
      return { result, calls };
    })();
    expect(calls.get("adam.sumsq")).toBeGreaterThan(0);
    const resumed = await train([2, 3], await train([0, 1]));
    expect(resumed.state.step).toBe(4);
    for (const [n, w] of whole.weights) expect(sameBits(resumed.weights.get(n) as Float32Array, w), n).toBe(true);
    for (const [n, m] of whole.state.m)
      expect(sameBits(resumed.state.m.get(n) as Float32Array, m), `m ${n}`).toBe(true);
    for (const [n, v] of whole.state.v)
      expect(sameBits(resumed.state.v.get(n) as Float32Array, v), `v ${n}`).toBe(true);
  });
});
