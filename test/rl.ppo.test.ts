// PPO (with the value head) and REINFORCE tensor losses against the pure per-token functions,
// plus the masking guarantee for the critic's fields.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, test } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import { GPT } from "../src/engine/gpt.js";
import { tokenLogProbs } from "../src/engine/train.js";
import { gae, k3 } from "../src/rewards/index.js";
import {
  buildRlBatch,
  clippedSurrogate,
  clippedValueLoss,
  ppoLoss,
  reinforceLoss,
  type PpoConfig,
  type RlBatch,
} from "../src/rl/index.js";
import { Rng } from "../src/util/rng.js";
import { bitEqual, spreadParameters } from "./helpers/engine.js";

const CONFIG = { vocabSize: 12, contextLength: 16, dModel: 16, nLayers: 1, nHeads: 2, mlpRatio: 4, valueHead: true };
let model: GPT;

beforeAll(async () => {
  await initBackend("wasm");
  // Spread weights so the value head (zero at GPT-2 init) predicts something nonzero.
  model = new GPT(CONFIG, spreadParameters(CONFIG, 3, 0.3));
});

function forwardData(batch: RlBatch): { logp: Float32Array; values: Float32Array } {
  return tf.tidy(() => {
    const { logits, values } = model.forward(tf.tensor2d(batch.ids, [batch.batch, batch.length], "int32"), {
      withValues: true,
    });
    return {
      logp: tokenLogProbs(logits, tf.tensor1d(batch.targets, "int32")).logp.dataSync() as Float32Array,
      values: (values as tf.Tensor1D).dataSync() as Float32Array,
    };
  });
}

/** Prompt + completion sequences with GAE advantages/returns from noisy old values, as RLC's rollouts would carry. */
function ppoBatch(seed: number): RlBatch {
  const rng = new Rng(seed);
  const seqs = Array.from({ length: 3 }, () => {
    const promptLen = rng.int(2, 5);
    const genLen = rng.int(2, 8);
    const tokens = Array.from({ length: promptLen + genLen }, () => rng.int(1, 11));
    const mask = tokens.map((_, i) => (i >= promptLen ? 1 : 0));
    const oldValues = tokens.map(() => rng.normal() * 0.3);
    const rewards = Array.from({ length: genLen }, (_, t) => (t === genLen - 1 ? rng.next() : -0.01));
    const { advantages, returns } = gae(rewards, oldValues.slice(promptLen), 0.99, 0.95);
    const pad = (xs: number[]): number[] => [...Array<number>(promptLen).fill(NaN), ...xs];
    return {
      tokens,
      mask,
      advantages: pad(advantages),
      returns: pad(returns),
      oldValues: pad(oldValues.slice(promptLen)),
    };
  });
  const base = buildRlBatch(seqs, 0);
  const { logp, values } = forwardData(base);
  // Old log-probs and values near the current ones so both clips are partly active.
  return {
    ...base,
    oldLogp: logp.map((x) => x + rng.normal() * 0.3),
    oldValues: values.map((v) => v + rng.normal() * 0.3),
  };
}

function evaluate(fn: () => { loss: tf.Scalar; metrics?: Record<string, tf.Scalar> }): Record<string, number> {
  return tf.tidy(() => {
    const out = fn();
    const r: Record<string, number> = { loss: out.loss.dataSync()[0] as number };
    for (const [k, v] of Object.entries(out.metrics ?? {})) r[k] = v.dataSync()[0] as number;
    return r;
  });
}

describe("ppoLoss", () => {
  test.each<[string, Partial<PpoConfig>]>([
    ["RLC defaults", {}],
    ["tight clips, vfCoef 0.5, sequence mean", { clip: 0.1, valueClip: 0.05, vfCoef: 0.5, aggregation: "sequence" }],
  ])("equals the pure clipped policy + value objective (%s)", (_, cfg) => {
    const c: PpoConfig = { clip: 0.2, valueClip: 0.2, vfCoef: 1, aggregation: "token", ...cfg };
    const batch = ppoBatch(1);
    const { logp, values } = forwardData(batch);
    const { batch: B, length: T } = batch;
    const rows: Array<{ pg: number; vf: number; n: number }> = [];
    let valueClipped = 0;
    let n = 0;
    for (let b = 0; b < B; b++) {
      const row = { pg: 0, vf: 0, n: 0 };
      for (let t = 0; t < T; t++) {
        const i = b * T + t;
        if ((batch.mask[i] as number) === 0) continue;
        const r = Math.exp((logp[i] as number) - (batch.oldLogp?.[i] as number));
        row.pg -= clippedSurrogate(r, batch.advantages[i] as number, c.clip, c.clip);
        const v = values[i] as number;
        const old = batch.oldValues?.[i] as number;
        row.vf += clippedValueLoss(v, old, batch.returns?.[i] as number, c.valueClip);
        row.n++;
        if (Math.abs(v - old) > c.valueClip) valueClipped++;
        n++;
      }
      rows.push(row);
    }
    const agg = (k: "pg" | "vf"): number =>
      c.aggregation === "token"
        ? rows.reduce((s, r) => s + r[k], 0) / n
        : rows.reduce((s, r) => s + r[k] / r.n, 0) / rows.length;
    const got = evaluate(() => ppoLoss(model, batch, c));
    const want = agg("pg") + c.vfCoef * agg("vf");
    expect(Math.abs((got.loss as number) - want)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want)));
    expect(got.policyLoss).toBeCloseTo(agg("pg"), 5);
    expect(got.valueLoss).toBeCloseTo(agg("vf"), 5);
    expect(got.valueClipFrac).toBeCloseTo(valueClipped / n, 5);
    expect(got.approxKl).toBeGreaterThanOrEqual(0);
    // The batch exercises the value clip.
    expect(valueClipped).toBeGreaterThan(0);
    expect(valueClipped).toBeLessThan(n);
  });

  test("values, returns and advantages off the mask change neither loss nor gradients", () => {
    const batch = ppoBatch(2);
    const grads = (b: RlBatch): { loss: number; g: Float32Array[] } => {
      const { value, grads } = tf.variableGrads(() => ppoLoss(model, b).loss, [...model.params.values()]);
      const g = Object.values(grads).map((t) => t.dataSync() as Float32Array);
      const loss = value.dataSync()[0] as number;
      tf.dispose([value, ...Object.values(grads)]);
      return { loss, g };
    };
    const junk = (a: Float32Array | undefined): Float32Array | undefined =>
      a?.map((x, i) => ((batch.mask[i] as number) > 0 ? x : i % 2 ? NaN : 1e30));
    const clean = grads(batch);
    const dirty = grads({
      ...batch,
      advantages: junk(batch.advantages) as Float32Array,
      returns: junk(batch.returns),
      oldValues: junk(batch.oldValues),
      oldLogp: junk(batch.oldLogp),
    });
    expect(Number.isFinite(clean.loss)).toBe(true);
    expect(dirty.loss).toBe(clean.loss);
    clean.g.forEach((g, k) => expect(bitEqual(g, dirty.g[k] as Float32Array)).toBe(true));
    expect(clean.g.some((g) => g.some((x) => x !== 0))).toBe(true);
  });

  test("refuses a model without a value head and a batch without critic fields", () => {
    const noHead = GPT.create({ ...CONFIG, valueHead: false }, 1);
    const batch = ppoBatch(3);
    expect(() => ppoLoss(noHead, batch)).toThrow(/value head/);
    const { returns: _, ...noReturns } = batch;
    expect(() => ppoLoss(model, noReturns)).toThrow(/returns/);
    noHead.dispose();
  });
});

describe("reinforceLoss", () => {
  test("equals −Σ m·A·log π / Σ m (+ β·k3)", () => {
    const batch = ppoBatch(4);
    const ref = forwardData(batch).logp.map((x, i) => x - 0.1 * (i % 3));
    const withRef = { ...batch, refLogp: ref };
    const { logp } = forwardData(batch);
    let num = 0;
    let kl = 0;
    let n = 0;
    batch.mask.forEach((m, i) => {
      if (m === 0) return;
      num -= (batch.advantages[i] as number) * (logp[i] as number);
      kl += k3(logp[i] as number, ref[i] as number);
      n++;
    });
    const got = evaluate(() => reinforceLoss(model, withRef, { klCoef: 0.1 }));
    expect(got.loss).toBeCloseTo(num / n + (0.1 * kl) / n, 5);
    expect(got.kl).toBeCloseTo(kl / n, 5);
  });
});
