// Gradient correctness. The analytic gradient of the weighted NLL is checked three ways:
//  1. against central finite differences on the wasm backend (where kernels/matmul.ts replaces the
//     BatchMatMul gradient), for a handful of entries of every kind of parameter;
//  2. against the cpu backend's analytic gradient computed with the *stock* tfjs BatchMatMul
//     gradient (captured before the wasm override is installed: tf.registerGradient is global);
//  3. entry by entry for the override alone, on every transpose-flag combination and with
//     broadcast batch axes.
// Masked tokens (weight 0) must contribute exactly nothing: changing their target leaves every
// gradient bit-identical.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, test } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import { GPT } from "../src/engine/gpt.js";
import { weightedNllLoss, type TokenBatch } from "../src/engine/train.js";
import { Rng } from "../src/util/rng.js";
import { bitEqual, maxAbsDiff, randomBatch, spreadParameters, tinyConfig, worstRatio } from "./helpers/engine.js";

const config = tinyConfig({ contextLength: 8, dModel: 8, nLayers: 2, nHeads: 2, mlpRatio: 2 });
const weights = spreadParameters(config, 11, 0.4);
// Non-uniform weights, some zero, so the mask and the weighted mean are both exercised.
const lossWeights = [1, 0, 0.5, 2, 0, 1.5, 0.25, 1, 0, 3, 1, 0.75, 0, 1, 2, 0.5];
const batch = randomBatch(5, 2, 8, config.vocabSize, lossWeights);

type Grads = Map<string, Float32Array>;

/** Analytic gradient of loss(model) w.r.t. every parameter, by parameter name. */
function analyticGrads(model: GPT, lossOf: (m: GPT) => tf.Scalar): { loss: number; grads: Grads } {
  const nameOf = new Map<string, string>();
  for (const [name, v] of model.params) nameOf.set(v.name, name);
  const { value, grads } = tf.variableGrads(() => lossOf(model), [...model.params.values()]);
  const out: Grads = new Map();
  for (const [varName, g] of Object.entries(grads)) {
    out.set(nameOf.get(varName) ?? varName, g.dataSync() as Float32Array);
    g.dispose();
  }
  const loss = value.dataSync()[0] as number;
  value.dispose();
  return { loss, grads: out };
}

const nll =
  (b: TokenBatch) =>
  (m: GPT): tf.Scalar => {
    const out = weightedNllLoss(m, b);
    for (const t of Object.values(out.metrics ?? {})) t.dispose();
    return out.loss;
  };

/** A loss over the left-padded path (positions + keyMask) and the value head, as PPO uses. */
function paddedLoss(m: GPT): tf.Scalar {
  const B = 2;
  const T = 6;
  const ids = tf.tensor2d([0, 0, 5, 6, 7, 8, 4, 9, 10, 5, 6, 11], [B, T], "int32");
  const pos = tf.tensor2d([0, 0, 0, 1, 2, 3, 0, 1, 2, 3, 4, 5], [B, T], "int32");
  const mask = tf.tensor4d([-1e9, -1e9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [B, 1, 1, T]);
  const { logits, values } = m.forward(ids, { positions: pos, keyMask: mask, withValues: true });
  const w = tf.tensor1d([0, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0]);
  const lsm = tf.logSoftmax(logits);
  const picked = tf.sum(
    tf.mul(lsm, tf.oneHot(tf.tensor1d([0, 0, 6, 7, 8, 0, 9, 10, 5, 6, 11, 0], "int32"), m.config.vocabSize)),
    1,
  );
  const v = values as tf.Tensor1D;
  return tf.add(tf.neg(tf.mean(tf.mul(picked, w))), tf.mean(tf.mul(tf.square(tf.sub(v, 0.5)), w))) as tf.Scalar;
}

const valueConfig = tinyConfig({ contextLength: 8, dModel: 8, nLayers: 1, nHeads: 2, mlpRatio: 2, valueHead: true });
const valueWeights = spreadParameters(valueConfig, 12, 0.4);

interface MatMulCase {
  label: string;
  a: number[];
  b: number[];
  ta: boolean;
  tb: boolean;
}

// Every flag combination, 2-D, batched and broadcast (rank-3 × rank-2, batch-1 × batch-n).
const matMulCases: MatMulCase[] = [];
for (const ta of [false, true]) {
  for (const tb of [false, true]) {
    const M = 3;
    const K = 4;
    const N = 5;
    const as = (batch: number[]) => [...batch, ...(ta ? [K, M] : [M, K])];
    const bs = (batch: number[]) => [...batch, ...(tb ? [N, K] : [K, N])];
    matMulCases.push(
      { label: `2d ta=${ta} tb=${tb}`, a: as([]), b: bs([]), ta, tb },
      { label: `3d ta=${ta} tb=${tb}`, a: as([2]), b: bs([2]), ta, tb },
      { label: `3d×2d ta=${ta} tb=${tb}`, a: as([2]), b: bs([]), ta, tb },
      { label: `1×n ta=${ta} tb=${tb}`, a: as([1]), b: bs([3]), ta, tb },
    );
  }
}

function randomData(seed: number, shape: number[]): Float32Array {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, () => rng.normal());
}

/**
 * dL/da and dL/db for L = sum(matMul(a, b) * r) with a fixed random r. The stock gradient does
 * not support broadcast batch axes (it returns the broadcast shape), so the reference run
 * broadcasts explicitly with tf.broadcastTo, whose own gradient sums the copies back.
 */
function matMulGrads(c: MatMulCase, i: number, explicitBroadcast = false): [Float32Array, Float32Array] {
  return tf.tidy(() => {
    const a = tf.tensor(randomData(100 + i, c.a), c.a);
    const b = tf.tensor(randomData(200 + i, c.b), c.b);
    const batchA = c.a.slice(0, -2);
    const batchB = c.b.slice(0, -2);
    const rank = Math.max(batchA.length, batchB.length);
    const full = Array.from({ length: rank }, (_, k) =>
      Math.max(batchA[k - rank + batchA.length] ?? 1, batchB[k - rank + batchB.length] ?? 1),
    );
    const widen = (x: tf.Tensor, shape: number[]): tf.Tensor =>
      explicitBroadcast && rank > 0 ? tf.broadcastTo(x, [...full, ...shape.slice(-2)]) : x;
    const f = (x: tf.Tensor, y: tf.Tensor): tf.Tensor => {
      const p = tf.matMul(widen(x, c.a), widen(y, c.b), c.ta, c.tb);
      return tf.sum(tf.mul(p, tf.tensor(randomData(300 + i, p.shape), p.shape)));
    };
    const [ga, gb] = tf.grads(f)([a, b]) as [tf.Tensor, tf.Tensor];
    expect(ga.shape).toEqual(c.a);
    expect(gb.shape).toEqual(c.b);
    return [ga.dataSync() as Float32Array, gb.dataSync() as Float32Array];
  });
}

// Reference values computed on cpu with the stock gradients, before wasm is initialised.
let cpuStock: { loss: number; grads: Grads };
let cpuStockPadded: Grads;
let cpuStockMatMul: Array<[Float32Array, Float32Array]>;

beforeAll(async () => {
  await initBackend("cpu");
  expect(tf.getBackend()).toBe("cpu");
  const m = new GPT(config, weights);
  cpuStock = analyticGrads(m, nll(batch));
  m.dispose();
  const mv = new GPT(valueConfig, valueWeights);
  cpuStockPadded = analyticGrads(mv, paddedLoss).grads;
  mv.dispose();
  cpuStockMatMul = matMulCases.map((c, i) => matMulGrads(c, i, true));
  const choice = await initBackend("wasm");
  expect(choice.active).toBe("wasm");
});

const FD_NAMES = [
  "wte",
  "wpe",
  "h0.ln1.g",
  "h0.ln1.b",
  "h0.attn.q",
  "h0.attn.k",
  "h0.attn.v",
  "h0.attn.proj",
  "h0.ln2.g",
  "h0.ln2.b",
  "h0.mlp.fc",
  "h0.mlp.out",
  "h1.attn.q",
  "h1.attn.k",
  "h1.mlp.fc",
  "lnf.g",
  "lnf.b",
  "head",
];

/** Mismatches between analytic and central-difference gradients on the active backend. */
function finiteDifferenceFailures(eps: number): { failures: string[]; checked: number; largest: number } {
  const model = new GPT(config, weights);
  const { grads } = analyticGrads(model, nll(batch));
  const lossAt = (): number => tf.tidy(() => nll(batch)(model).dataSync()[0] as number);
  const rng = new Rng(99);
  const failures: string[] = [];
  let checked = 0;
  let largest = 0;
  for (const name of FD_NAMES) {
    const g = grads.get(name);
    const base = weights.get(name);
    if (!g || !base) throw new Error(`no parameter ${name}`);
    // The two largest-magnitude entries (a meaningful relative check) and one random entry.
    const order = Array.from(g.keys()).sort((i, j) => Math.abs(g[j] as number) - Math.abs(g[i] as number));
    const picks = new Set([order[0] as number, order[1] as number, rng.int(0, g.length - 1)]);
    const variable = model.p(name);
    for (const idx of picks) {
      const probe = base.slice();
      const at = (delta: number): number => {
        probe[idx] = (base[idx] as number) + delta;
        tf.tidy(() => variable.assign(tf.tensor(probe, variable.shape)));
        return lossAt();
      };
      const fd = (at(eps) - at(-eps)) / (2 * eps);
      tf.tidy(() => variable.assign(tf.tensor(base, variable.shape)));
      const an = g[idx] as number;
      checked++;
      largest = Math.max(largest, Math.abs(an));
      if (Math.abs(fd - an) > 1e-4 + 5e-3 * Math.max(Math.abs(an), Math.abs(fd)))
        failures.push(`${name}[${idx}]: analytic ${an}, finite difference ${fd}`);
    }
  }
  model.dispose();
  return { failures, checked, largest };
}

describe.each(["cpu", "wasm"])("model gradients on %s", (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });

  test("analytic gradient matches central finite differences (eps 1e-2)", () => {
    const { failures, checked, largest } = finiteDifferenceFailures(1e-2);
    expect(checked).toBeGreaterThanOrEqual(FD_NAMES.length * 2);
    // The gradients are far from zero, so the relative check above is not vacuous.
    expect(largest).toBeGreaterThan(0.05);
    expect(failures).toEqual([]);
  });

  test("analytic gradient matches cpu stock (BatchMatMul override vs tfjs gradient)", () => {
    const model = new GPT(config, weights);
    const { loss, grads } = analyticGrads(model, nll(batch));
    model.dispose();
    expect(Math.abs(loss - cpuStock.loss)).toBeLessThan(1e-5 * Math.abs(cpuStock.loss));
    expect([...grads.keys()].sort()).toEqual([...cpuStock.grads.keys()].sort());
    for (const [name, g] of grads) {
      const ref = cpuStock.grads.get(name) as Float32Array;
      expect(worstRatio(g, ref, 1e-4, 1e-6), name).toBeLessThanOrEqual(1);
    }
  });

  test("left-padded forward (positions + keyMask) and value head match cpu stock", () => {
    const model = new GPT(valueConfig, valueWeights);
    const { grads } = analyticGrads(model, paddedLoss);
    model.dispose();
    expect(grads.size).toBe(cpuStockPadded.size);
    for (const [name, g] of grads) {
      const ref = cpuStockPadded.get(name) as Float32Array;
      expect(worstRatio(g, ref, 1e-4, 1e-6), name).toBeLessThanOrEqual(1);
    }
    expect(Math.max(...Array.from(grads.get("value") as Float32Array, Math.abs))).toBeGreaterThan(1e-4);
  });

  test("masked tokens (weight 0) contribute exactly zero gradient", () => {
    const model = new GPT(config, weights);
    const first = analyticGrads(model, nll(batch));
    const changed: TokenBatch = { ...batch, targets: batch.targets.slice() };
    let edits = 0;
    for (let i = 0; i < changed.targets.length; i++) {
      if (changed.weights[i] === 0) {
        changed.targets[i] = ((changed.targets[i] as number) + 1 + (i % 5)) % config.vocabSize;
        edits++;
      }
    }
    expect(edits).toBeGreaterThan(0);
    const second = analyticGrads(model, nll(changed));
    model.dispose();
    expect(second.loss).toBe(first.loss);
    for (const [name, g] of first.grads) expect(bitEqual(g, second.grads.get(name) as Float32Array), name).toBe(true);
  });

  test("changing a weighted target does change the gradient (the masking check is not vacuous)", () => {
    const model = new GPT(config, weights);
    const first = analyticGrads(model, nll(batch));
    const weighted: TokenBatch = { ...batch, targets: batch.targets.slice() };
    weighted.targets[0] = ((weighted.targets[0] as number) + 1) % config.vocabSize;
    const third = analyticGrads(model, nll(weighted));
    model.dispose();
    expect(Math.abs(third.loss - first.loss)).toBeGreaterThan(1e-3);
    expect(
      maxAbsDiff(first.grads.get("head") as Float32Array, third.grads.get("head") as Float32Array),
    ).toBeGreaterThan(1e-3);
  });
});

describe("BatchMatMul gradient override (kernels/matmul.ts)", () => {
  beforeAll(async () => {
    await tf.setBackend("wasm");
  });

  test.each(matMulCases.map((c, i) => [c.label, i] as const))("%s matches stock cpu gradient on wasm", (_label, i) => {
    const c = matMulCases[i] as MatMulCase;
    const [ga, gb] = matMulGrads(c, i);
    const [ra, rb] = cpuStockMatMul[i] as [Float32Array, Float32Array];
    expect(worstRatio(ga, ra, 1e-5, 1e-5)).toBeLessThanOrEqual(1);
    expect(worstRatio(gb, rb, 1e-5, 1e-5)).toBeLessThanOrEqual(1);
  });

  test("override on cpu (same backend, different gradient formula) matches stock cpu", async () => {
    await tf.setBackend("cpu");
    try {
      matMulCases.forEach((c, i) => {
        const [ga, gb] = matMulGrads(c, i);
        const [ra, rb] = cpuStockMatMul[i] as [Float32Array, Float32Array];
        expect(worstRatio(ga, ra, 1e-5, 1e-6), c.label).toBeLessThanOrEqual(1);
        expect(worstRatio(gb, rb, 1e-5, 1e-6), c.label).toBeLessThanOrEqual(1);
      });
      const model = new GPT(config, weights);
      const { grads } = analyticGrads(model, nll(batch));
      model.dispose();
      for (const [name, g] of grads)
        expect(worstRatio(g, cpuStock.grads.get(name) as Float32Array, 1e-5, 1e-7), name).toBeLessThanOrEqual(1);
    } finally {
      await tf.setBackend("wasm");
    }
  });
});
