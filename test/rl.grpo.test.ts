// GRPO's tensor loss: equals the mean of the pure per-token objective on a real model's
// log-probs, and masked tokens (R3: everything but the reflection) get exactly zero gradient.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, test } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import { GPT } from "../src/engine/gpt.js";
import { tokenLogProbs, Trainer } from "../src/engine/train.js";
import {
  groupNormalizedAdvantages,
  k3,
  klEstimate,
  r3TokenWeights,
  type R3Conversation,
} from "../src/rewards/index.js";
import {
  buildRlBatch,
  clippedSurrogate,
  grpoLoss,
  grpoLossFromLogits,
  isClipped,
  reinforceLossFromLogits,
  type GrpoConfig,
  type RlBatch,
} from "../src/rl/index.js";
import { Rng } from "../src/util/rng.js";
import { bitEqual } from "./helpers/engine.js";

const CONFIG = { vocabSize: 12, contextLength: 16, dModel: 16, nLayers: 1, nHeads: 2, mlpRatio: 4, valueHead: false };
const PAD = 0;
let model: GPT;

beforeAll(async () => {
  await initBackend("wasm");
  model = GPT.create(CONFIG, 1);
});

/** Current log-probs of every target, as plain numbers. */
function currentLogp(batch: RlBatch): Float32Array {
  return tf.tidy(() => {
    const { logits } = model.forward(tf.tensor2d(batch.ids, [batch.batch, batch.length], "int32"));
    return tokenLogProbs(logits, tf.tensor1d(batch.targets, "int32")).logp.dataSync() as Float32Array;
  });
}

/** A random batch whose old/ref log-probs sit around the model's own, so ratios straddle the clip range. */
function randomBatch(seed: number, withOld = true): RlBatch {
  const rng = new Rng(seed);
  const seqs = Array.from({ length: 4 }, () => {
    const n = rng.int(4, 13);
    const tokens = Array.from({ length: n }, () => rng.int(1, 11));
    return { tokens, mask: tokens.map(() => (rng.next() < 0.6 ? 1 : 0)), advantages: tokens.map(() => rng.normal()) };
  });
  seqs[0]?.mask.fill(1);
  const base = buildRlBatch(seqs, PAD);
  const logp = currentLogp(base);
  const noisy = (scale: number): Float32Array => logp.map((x) => x + rng.normal() * scale);
  return { ...base, ...(withOld ? { oldLogp: noisy(0.3) } : {}), refLogp: noisy(0.5) };
}

/** The loss recomputed from the pure per-token functions, in float64. */
function referenceLoss(
  batch: RlBatch,
  cfg: GrpoConfig,
): { loss: number; kl: number; clipFrac: number; ratioMean: number } {
  const logp = currentLogp(batch);
  const { batch: B, length: T, mask } = batch;
  const perToken = (i: number): { l: number; kl: number; ratio: number; clipped: boolean } => {
    const lp = logp[i] as number;
    const ratio = batch.oldLogp ? Math.exp(lp - (batch.oldLogp[i] as number)) : 1;
    const a = batch.advantages[i] as number;
    const kl = klEstimate(cfg.klEstimator, lp, batch.refLogp?.[i] as number);
    const l = -clippedSurrogate(ratio, a, cfg.clipLow, cfg.clipHigh, cfg.maxImportanceRatio) + cfg.klCoef * kl;
    return { l, kl, ratio, clipped: isClipped(ratio, a, cfg.clipLow, cfg.clipHigh) };
  };
  let num = 0;
  let den = 0;
  let kl = 0;
  let clip = 0;
  let ratio = 0;
  const rowMeans: number[] = [];
  for (let b = 0; b < B; b++) {
    let rn = 0;
    let rd = 0;
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      const m = mask[i] as number;
      if (m === 0) continue;
      const p = perToken(i);
      rn += m * p.l;
      rd += m;
      kl += m * p.kl;
      clip += m * (p.clipped ? 1 : 0);
      ratio += m * p.ratio;
    }
    num += rn;
    den += rd;
    if (rd > 0) rowMeans.push(rn / rd);
  }
  const loss =
    cfg.aggregation === "token"
      ? num / den
      : cfg.aggregation === "sequence"
        ? rowMeans.reduce((a, x) => a + x, 0) / rowMeans.length
        : num / (B * T);
  return { loss, kl: kl / den, clipFrac: clip / den, ratioMean: ratio / den };
}

function evaluate(batch: RlBatch, cfg: Partial<GrpoConfig>): Record<string, number> {
  return tf.tidy(() => {
    const out = grpoLoss(model, batch, cfg);
    const r: Record<string, number> = { loss: out.loss.dataSync()[0] as number };
    for (const [k, v] of Object.entries(out.metrics ?? {})) r[k] = v.dataSync()[0] as number;
    return r;
  });
}

const CASES: Array<[string, GrpoConfig]> = [
  [
    "token, symmetric clip, k3",
    { clipLow: 0.2, clipHigh: 0.2, klCoef: 0.001, klEstimator: "k3", aggregation: "token" },
  ],
  [
    "sequence, clip-higher 0.28, k1",
    { clipLow: 0.2, clipHigh: 0.28, klCoef: 0.05, klEstimator: "k1", aggregation: "sequence" },
  ],
  [
    "constant (Dr.GRPO), dual clip 1.5, k2",
    { clipLow: 0.1, clipHigh: 0.1, klCoef: 0.1, klEstimator: "k2", aggregation: "constant", maxImportanceRatio: 1.5 },
  ],
];

describe("grpoLoss value", () => {
  test.each(CASES)("equals the aggregated pure per-token objective (%s)", (_, cfg) => {
    const batch = randomBatch(3);
    const got = evaluate(batch, cfg);
    const want = referenceLoss(batch, cfg);
    expect(Math.abs((got.loss as number) - want.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want.loss)));
    expect(got.kl).toBeCloseTo(want.kl, 4);
    expect(got.clipFrac).toBeCloseTo(want.clipFrac, 5);
    expect(got.ratioMean).toBeCloseTo(want.ratioMean, 4);
    // The batch really exercises the clip (otherwise the comparison proves little).
    expect(want.clipFrac).toBeGreaterThan(0.05);
    expect(want.clipFrac).toBeLessThan(0.95);
  });

  test("on-policy (no oldLogp): ratio ≡ 1, and the gradient equals REINFORCE's −A·∇log π", () => {
    const batch = randomBatch(4, false);
    const cfg = { klCoef: 0 };
    const got = evaluate(batch, cfg);
    expect(got.ratioMean).toBeCloseTo(1, 6);
    expect(got.clipFrac).toBe(0);
    const logits = tf.variable(
      tf.randomNormal([batch.batch * batch.length, CONFIG.vocabSize], 0, 1, "float32", 5) as tf.Tensor2D,
    );
    const g1 = tf.grad(() => grpoLossFromLogits(logits, batch, cfg).loss)(logits);
    const g2 = tf.grad(() => reinforceLossFromLogits(logits, batch, { aggregation: "token" }).loss)(logits);
    expect(tf.max(tf.abs(tf.sub(g1, g2))).dataSync()[0]).toBeLessThan(1e-7);
    tf.dispose([logits, g1, g2]);
  });

  test("klCoef > 0 without refLogp is a configuration error", () => {
    const { refLogp: _, ...noRef } = randomBatch(5);
    expect(() => grpoLoss(model, noRef, { klCoef: 0.001 })).toThrow(/refLogp/);
    expect(Number.isFinite(evaluate(noRef, { klCoef: 0 }).loss)).toBe(true);
  });
});

/** A group of R3 conversations for one failed puzzle: random reflections, some retries succeed. */
function r3Group(seed: number, firstTrySucceeded = false): RlBatch {
  const rng = new Rng(seed);
  const ids = (lo: number, hi: number): number[] => Array.from({ length: rng.int(lo, hi) }, () => rng.int(1, 11));
  const prompt = ids(2, 4);
  const attempt = ids(0, 4); // may be empty
  const samples = Array.from({ length: 4 }, (_, k) => {
    const conv: R3Conversation = { prompt, attempt, reflectPrompt: [11], reflection: ids(1, 4), retry: ids(1, 3) };
    return r3TokenWeights(conv, k % 2 === 0, firstTrySucceeded);
  });
  const adv = groupNormalizedAdvantages(samples.map((s) => s.reward));
  return buildRlBatch(
    samples.map((s, k) => ({
      tokens: s.tokens,
      mask: s.mask,
      advantages: adv[k] as number,
      // The sampler only scored generated tokens: NaN elsewhere must be harmless.
      oldLogp: s.tokens.map((_, i) => ((s.mask[i] as number) > 0 ? -1.5 - 0.1 * i : NaN)),
      refLogp: s.tokens.map((_, i) => ((s.mask[i] as number) > 0 ? -1.2 - 0.05 * i : NaN)),
    })),
    PAD,
  );
}

/** Puts hostile values on every untrained position of a batch (bypassing buildRlBatch's zeroing). */
function poisonUntrained(batch: RlBatch, seed: number): RlBatch {
  const rng = new Rng(seed);
  const poison = (a: Float32Array | undefined): Float32Array | undefined =>
    a?.map((x, i) =>
      (batch.mask[i] as number) > 0 ? x : ([NaN, Infinity, -1e30, rng.normal() * 1e6][rng.int(0, 3)] as number),
    );
  return {
    ...batch,
    advantages: poison(batch.advantages) as Float32Array,
    oldLogp: poison(batch.oldLogp),
    refLogp: poison(batch.refLogp),
  };
}

function paramGrads(batch: RlBatch, cfg: Partial<GrpoConfig>): { loss: number; grads: Map<string, Float32Array> } {
  const nameOf = new Map([...model.params].map(([n, v]) => [v.name, n]));
  const { value, grads } = tf.variableGrads(() => grpoLoss(model, batch, cfg).loss, [...model.params.values()]);
  const out = new Map<string, Float32Array>();
  for (const [k, g] of Object.entries(grads)) {
    out.set(nameOf.get(k) ?? k, g.dataSync() as Float32Array);
    g.dispose();
  }
  const loss = value.dataSync()[0] as number;
  value.dispose();
  return { loss, grads: out };
}

describe("R3 reflection-only gradients", () => {
  const cfg: Partial<GrpoConfig> = { klCoef: 0.001, clipHigh: 0.28 };

  test("d loss / d logits is exactly zero at every position whose target is not a reflection token", () => {
    for (const seed of [1, 2, 3]) {
      const batch = r3Group(seed);
      const logits = tf.variable(
        tf.randomNormal([batch.batch * batch.length, CONFIG.vocabSize], 0, 2, "float32", seed) as tf.Tensor2D,
      );
      const g = tf.grad(() => grpoLossFromLogits(logits, batch, cfg).loss)(logits);
      const data = g.dataSync();
      let liveRows = 0;
      for (let i = 0; i < batch.batch * batch.length; i++) {
        const row = Array.from(data.subarray(i * CONFIG.vocabSize, (i + 1) * CONFIG.vocabSize));
        if ((batch.mask[i] as number) === 0) expect(row.every((x) => x === 0)).toBe(true);
        else if (row.some((x) => x !== 0)) liveRows++;
      }
      // Every reflection position does receive gradient (the advantages are ±, never 0 here).
      expect(liveRows).toBe(batch.mask.filter((m) => m > 0).length);
      tf.dispose([logits, g]);
    }
  });

  test("hostile values (NaN, ±Inf, 1e30) at untrained positions change neither loss nor any parameter gradient", () => {
    const batch = r3Group(7);
    const clean = paramGrads(batch, cfg);
    const dirty = paramGrads(poisonUntrained(batch, 8), cfg);
    expect(Number.isFinite(clean.loss)).toBe(true);
    expect(dirty.loss).toBe(clean.loss);
    for (const [name, g] of clean.grads) expect(bitEqual(g, dirty.grads.get(name) as Float32Array), name).toBe(true);
    // And the gradient is not trivially zero.
    expect([...clean.grads.values()].some((g) => g.some((x) => x !== 0))).toBe(true);
  });

  test("a batch of first-try successes (all-zero masks) gives zero loss and all-zero gradients", () => {
    const batch = r3Group(9, true);
    expect(batch.mask.every((m) => m === 0)).toBe(true);
    const { loss, grads } = paramGrads(poisonUntrained(batch, 10), cfg);
    expect(loss).toBe(0);
    expect(grads.size).toBe(model.params.size);
    for (const [name, g] of grads)
      expect(
        g.every((x) => x === 0),
        name,
      ).toBe(true);
  });

  test("works inside Trainer.step: finite loss, metrics reported, no tensors leaked", () => {
    const trainee = GPT.create(CONFIG, 2);
    const trainer = new Trainer(trainee, { lr: 1e-3 });
    const batch = r3Group(11);
    trainer.step(() => grpoLoss(trainee, batch, cfg)); // warm-up allocates optimizer state
    const before = tf.memory().numTensors;
    const r = trainer.step(() => grpoLoss(trainee, batch, cfg));
    expect(tf.memory().numTensors).toBe(before);
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.gradNorm).toBeGreaterThan(0);
    expect(Object.keys(r.metrics).sort()).toEqual(["clipFrac", "entropy", "kl", "policyLoss", "ratioMean"]);
    expect(r.metrics.kl).toBeGreaterThanOrEqual(0);
    trainer.dispose();
    trainee.dispose();
  });
});

test("k3 sanity across the tensor and number versions at the clamp-free range", () => {
  const lp = [-0.5, -2, -3];
  const ref = [-0.7, -1.5, -3];
  const batch: RlBatch = {
    batch: 1,
    length: 3,
    ids: new Int32Array(3),
    targets: new Int32Array([0, 1, 2]),
    mask: new Float32Array([1, 1, 1]),
    advantages: new Float32Array(3),
    refLogp: Float32Array.from(ref),
  };
  // Logits whose log-softmax at the targets equals lp: put lp on the target and make the rest share the remainder.
  const rows = lp.map((x, t) => {
    const rest = Math.log((1 - Math.exp(x)) / (CONFIG.vocabSize - 1));
    return Array.from({ length: CONFIG.vocabSize }, (_, v) => (v === t ? x : rest));
  });
  const kl = tf.tidy(
    () => grpoLossFromLogits(tf.tensor2d(rows), batch, { klCoef: 0.5 }).metrics?.kl?.dataSync()[0] as number,
  );
  expect(kl).toBeCloseTo(lp.reduce((s, x, i) => s + k3(x, ref[i] as number), 0) / 3, 5);
});
