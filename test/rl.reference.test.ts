// Our advantages, KL estimators and losses against reference values computed from TRL's and
// verl's formulas (test/fixtures/rl/reference.json, written by scripts/rl_reference.py: see its
// docstring for the sources, how to regenerate, and the few deliberate differences, which are
// pinned here as differences). The losses run in float32 on the inputs the references were
// computed from (float64): agreement is to float32 rounding, checked as 1e-5 relative.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { fc, test } from "@fast-check/vitest";
import { beforeAll, describe, expect } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import {
  gae,
  groupAdvantages,
  groupNormalizedAdvantages,
  klEstimate,
  klPenalizedRewards,
  LOG_RATIO_LIMIT,
  rlooAdvantages,
  whiten,
  type KlEstimator,
} from "../src/rewards/index.js";
import {
  grpoLossFromLogits,
  klFromRefLogRatio,
  ppoLossFromOutputs,
  ppoRollout,
  type GrpoConfig,
  type PpoConfig,
  type RlBatch,
} from "../src/rl/index.js";
import { Rng } from "../src/util/rng.js";

type Matrix = number[][];

interface Fixture {
  advantages: Array<{ rewards: number[]; grpoTrl: number[]; grpoVerl: number[]; drGrpo: number[]; rloo: number[] }>;
  kl: { logp: number[]; refLogp: number[]; k1: number[]; k2: number[]; k3: number[] };
  grpo: Array<{
    name: string;
    config: GrpoConfig & { temperature: number; maxCompletionLength: number };
    batch: LossBatch & { refLogp: Matrix };
    expected: Record<string, number>;
  }>;
  ppo: Array<{
    name: string;
    config: PpoConfig & { temperature: number; maxCompletionLength: number };
    batch: LossBatch & { values: Matrix; oldValues: Matrix; returns: Matrix };
    expected: Record<string, number>;
  }>;
  gae: Array<{
    gamma: number;
    lambda: number;
    klCoef: number;
    scoreClip: number;
    mask: Matrix;
    logp: Matrix;
    refLogp: Matrix;
    values: Matrix;
    scores: number[];
    expected: {
      rewards: Matrix;
      advantages: Matrix;
      returns: Matrix;
      whitenedBessel: Matrix;
      whitenedPopulation: Matrix;
      seqKl: number[];
    };
  }>;
}

/** A loss case's completion part: [B, L] per-token fields and [B, L, V] logits. */
interface LossBatch {
  logits: number[][][];
  targets: Matrix;
  mask: Matrix;
  advantages: Matrix;
  oldLogp: Matrix;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURE = JSON.parse(fs.readFileSync(path.join(here, "fixtures", "rl", "reference.json"), "utf8")) as Fixture;

/** |got − want| ≤ tol·max(1, |want|), with the quantity named on failure. */
function expectClose(got: number | undefined, want: number, tol: number, what: string): void {
  expect(got, what).toBeDefined();
  expect(Math.abs((got as number) - want), `${what}: got ${got}, want ${want}`).toBeLessThanOrEqual(
    tol * Math.max(1, Math.abs(want)),
  );
}

beforeAll(async () => {
  await initBackend("wasm");
});

describe("advantages (TRL _generate_and_score_completions, verl compute_*_outcome_advantage)", () => {
  test.each(FIXTURE.advantages.map((c, i) => [i, c] as const))("group %i", (_, c) => {
    const check = (got: number[], want: number[], what: string): void =>
      want.forEach((w, k) => expectClose(got[k], w, 1e-9, `${what}[${k}]`));
    check(groupNormalizedAdvantages(c.rewards), c.grpoTrl, "GRPO, TRL (std + 1e-4)");
    check(groupNormalizedAdvantages(c.rewards, { eps: 1e-6 }), c.grpoVerl, "GRPO, verl (std + 1e-6)");
    check(groupNormalizedAdvantages(c.rewards, { scaleByStd: false }), c.drGrpo, "Dr. GRPO (unnormalised)");
    check(rlooAdvantages(c.rewards), c.rloo, "RLOO leave-one-out");
  });

  test("groupAdvantages over all groups at once gives each group's own", () => {
    const rewards = FIXTURE.advantages.flatMap((c) => c.rewards);
    const ids = FIXTURE.advantages.flatMap((c, g) => c.rewards.map(() => `g${g}`));
    const want = FIXTURE.advantages.flatMap((c) => c.grpoTrl);
    groupAdvantages(rewards, ids).forEach((a, i) => expectClose(a, want[i] as number, 1e-9, `advantage ${i}`));
  });
});

describe("KL estimators k1, k2, k3 (verl kl_penalty_forward, TRL's k3)", () => {
  const { logp, refLogp } = FIXTURE.kl;
  const estimators: KlEstimator[] = ["k1", "k2", "k3"];

  test.each(estimators)("%s, number version, including |d| > 20 where d is clamped to ±20", (est) => {
    const want = FIXTURE.kl[est];
    logp.forEach((lp, i) =>
      expectClose(
        klEstimate(est, lp, refLogp[i] as number),
        want[i] as number,
        1e-12,
        `${est} at d = ${(refLogp[i] as number) - lp}`,
      ),
    );
    // The clamp cases really are beyond the clamp (and the clamp is what the reference applied).
    expect(logp.filter((lp, i) => Math.abs((refLogp[i] as number) - lp) > LOG_RATIO_LIMIT).length).toBe(6);
  });

  test.each(estimators)("%s, tensor version, equals the reference", (est) => {
    const got = tf.tidy(() =>
      klFromRefLogRatio(tf.tensor1d(logp.map((lp, i) => (refLogp[i] as number) - lp)), est).arraySync(),
    );
    FIXTURE.kl[est].forEach((w, i) => expectClose(got[i], w, 2e-6, `${est}[${i}]`));
  });

  // The clamp: both versions clamp d = ref − logp to ±LOG_RATIO_LIMIT (20) before estimating, so
  // they agree for every d, not only inside ±20 (before, only the tensor version clamped and
  // k3 at d = 25 was 7.2e10 on one side and 4.9e8 on the other). Log-probs down to −300 put most
  // draws far beyond the clamp, so the agreement there is really exercised.
  const logProb = fc.double({ min: -300, max: 0, noNaN: true });
  test.prop([fc.array(fc.tuple(logProb, logProb), { minLength: 1, maxLength: 40 }), fc.constantFrom(...estimators)], {
    seed: 4242,
  })("number and tensor versions agree for any pair of log-probs", (pairs, est) => {
    // The tensor holds d in float32: the number version gets that same d (as ref − 0).
    const d = pairs.map(([lp, ref]) => Math.fround(ref - lp));
    const got = tf.tidy(() => klFromRefLogRatio(tf.tensor1d(d), est).arraySync());
    d.forEach((x, i) => {
      const want = klEstimate(est, 0, x);
      expect(Math.abs((got[i] as number) - want), `${est} at d = ${x}`).toBeLessThanOrEqual(
        2e-6 * Math.max(1, Math.abs(want)),
      );
    });
  });
});

/**
 * An RlBatch holding a case's completion after `prompt` untrained positions per row (junk logits
 * and fields there), as the Learner's batches hold the prompt: the losses must not depend on it.
 */
function embed(
  c: LossBatch & Partial<Record<"refLogp" | "values" | "oldValues" | "returns", Matrix>>,
  prompt: number,
  seed: number,
): { batch: RlBatch; logits: tf.Tensor2D; values: tf.Tensor1D } {
  const B = c.mask.length;
  const Lc = (c.mask[0] as number[]).length;
  const V = (c.logits[0]?.[0] as number[]).length;
  const L = prompt + Lc;
  const rng = new Rng(seed);
  const field = (m: Matrix | undefined, junk: () => number): Float32Array | undefined => {
    if (!m) return undefined;
    const out = new Float32Array(B * L);
    for (let b = 0; b < B; b++)
      for (let t = 0; t < L; t++) out[b * L + t] = t < prompt ? junk() : ((m[b] as number[])[t - prompt] as number);
    return out;
  };
  const noise = (): number => rng.normal() * 5;
  const batch: RlBatch = {
    batch: B,
    length: L,
    ids: new Int32Array(B * L),
    targets: Int32Array.from(field(c.targets, () => rng.int(0, V - 1)) as Float32Array),
    mask: field(c.mask, () => 0) as Float32Array,
    advantages: field(c.advantages, noise) as Float32Array,
    oldLogp: field(c.oldLogp, noise) as Float32Array,
    ...(c.refLogp ? { refLogp: field(c.refLogp, noise) as Float32Array } : {}),
    ...(c.oldValues ? { oldValues: field(c.oldValues, noise) as Float32Array } : {}),
    ...(c.returns ? { returns: field(c.returns, noise) as Float32Array } : {}),
  };
  const rows: number[][] = [];
  for (let b = 0; b < B; b++)
    for (let t = 0; t < L; t++)
      rows.push(t < prompt ? Array.from({ length: V }, noise) : (c.logits[b]?.[t - prompt] as number[]));
  const values = field(c.values ?? c.mask, noise) as Float32Array;
  return { batch, logits: tf.tensor2d(rows), values: tf.tensor1d(values) };
}

function metricsOf(out: { loss: tf.Scalar; metrics?: Record<string, tf.Scalar> }): Record<string, number> {
  const r: Record<string, number> = { loss: out.loss.dataSync()[0] as number };
  for (const [k, v] of Object.entries(out.metrics ?? {})) r[k] = v.dataSync()[0] as number;
  return r;
}

describe("GRPO loss (TRL _compute_loss: grpo / bnpo / dr_grpo; verl compute_policy_loss_vanilla + agg_loss)", () => {
  test.each(FIXTURE.grpo.map((c) => [c.name, c] as const))("%s", (_, c) => {
    // Same value with no prompt positions and with 5: the constant divisor is B × maxCompletionLength,
    // not the padded length.
    for (const prompt of [0, 5]) {
      const got = tf.tidy(() => {
        const { batch, logits } = embed(c.batch, prompt, 7);
        return metricsOf(grpoLossFromLogits(logits, batch, c.config));
      });
      for (const [k, want] of Object.entries(c.expected)) expectClose(got[k], want, 1e-5, `${k} (prompt ${prompt})`);
    }
  });
});

describe("PPO loss (verl compute_policy_loss_vanilla + compute_value_loss, TRL's dr_grpo divisor)", () => {
  test.each(FIXTURE.ppo.map((c) => [c.name, c] as const))("%s", (_, c) => {
    for (const prompt of [0, 4]) {
      const got = tf.tidy(() => {
        const { batch, logits, values } = embed(c.batch, prompt, 8);
        return metricsOf(ppoLossFromOutputs(logits, values, batch, c.config));
      });
      for (const [k, want] of Object.entries(c.expected)) expectClose(got[k], want, 1e-5, `${k} (prompt ${prompt})`);
    }
  });
});

describe("GAE and the PPO rollout (verl compute_rewards + compute_gae_advantage_return)", () => {
  const at = (m: Matrix, b: number, t: number): number => (m[b] as number[])[t] as number;

  test.each(FIXTURE.gae.map((c) => [`γ ${c.gamma}, λ ${c.lambda}, β ${c.klCoef}`, c] as const))("%s", (_, c) => {
    const B = c.mask.length;
    const live = (b: number): number[] => (c.mask[b] as number[]).flatMap((m, t) => (m > 0 ? [t] : []));
    const flatAdv: number[] = [];
    const flatBessel: number[] = [];
    const flatPopulation: number[] = [];
    for (let b = 0; b < B; b++) {
      const idx = live(b);
      const shaped = klPenalizedRewards(
        c.scores[b] as number,
        idx.map((t) => at(c.logp, b, t)),
        idx.map((t) => at(c.refLogp, b, t)),
        c.klCoef,
        { scoreClip: c.scoreClip },
      );
      idx.forEach((t, k) => expectClose(shaped.rewards[k], at(c.expected.rewards, b, t), 1e-6, `reward ${b},${t}`));
      expectClose(shaped.kl, c.expected.seqKl[b] as number, 1e-6, `sequence KL ${b}`);
      // verl skips untrained positions inside the recursion; ours runs over the trained tokens only.
      const g = gae(
        shaped.rewards,
        idx.map((t) => at(c.values, b, t)),
        c.gamma,
        c.lambda,
      );
      idx.forEach((t, k) => {
        expectClose(g.advantages[k], at(c.expected.advantages, b, t), 1e-6, `advantage ${b},${t}`);
        expectClose(g.returns[k], at(c.expected.returns, b, t), 1e-6, `return ${b},${t}`);
        flatAdv.push(g.advantages[k] as number);
        flatBessel.push(at(c.expected.whitenedBessel, b, t));
        flatPopulation.push(at(c.expected.whitenedPopulation, b, t));
      });
    }
    // Whitening: ours divides by the population std; verl's masked_whiten by the Bessel-corrected
    // one. A documented difference of the factor √((n−1)/n), pinned as such.
    const n = flatAdv.length;
    whiten(flatAdv).forEach((w, i) => {
      expectClose(w, flatPopulation[i] as number, 1e-6, `whitened ${i}`);
      expectClose(w * Math.sqrt((n - 1) / n), flatBessel[i] as number, 1e-6, `whitened ${i} vs verl`);
    });

    // The same through ppoRollout: token i + 1 of a sequence is position i of the fixture's row.
    const T = (c.mask[0] as number[]).length;
    const shift = (m: Matrix, b: number): number[] => [0, ...(m[b] as number[])];
    const inputs = Array.from({ length: B }, (_, b) => ({
      tokens: Array.from({ length: T + 1 }, (_, i) => 1 + (i % 5)),
      mask: shift(c.mask, b),
      score: c.scores[b] as number,
    }));
    const est = { logp: inputs.map((_, b) => shift(c.logp, b)), values: inputs.map((_, b) => shift(c.values, b)) };
    const rollout = ppoRollout(
      inputs,
      est,
      inputs.map((_, b) => shift(c.refLogp, b)),
      c.klCoef,
      { gamma: c.gamma, lambda: c.lambda, rewardClip: c.scoreClip },
      0,
    );
    let k = 0;
    for (let b = 0; b < B; b++) {
      expectClose(rollout.seqKl[b], c.expected.seqKl[b] as number, 1e-6, `rollout sequence KL ${b}`);
      const seq = rollout.sequences[b];
      for (const t of live(b)) {
        expectClose(
          (seq?.advantages as number[])[t + 1],
          flatPopulation[k++] as number,
          1e-6,
          `rollout advantage ${b},${t}`,
        );
        expectClose(seq?.returns?.[t + 1], at(c.expected.returns, b, t), 1e-6, `rollout return ${b},${t}`);
      }
    }
  });
});
