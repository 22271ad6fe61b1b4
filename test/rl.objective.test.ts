// The pure pieces of the RL losses: the clipped per-token objectives, batch packing (its
// alignment must match packBatch's next-token convention), aggregation weights, and the adaptive
// KL controller.
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { packBatch } from "../src/engine/train.js";
import {
  AdaptiveKlController,
  aggregationWeights,
  buildRlBatch,
  clippedSurrogate,
  clippedValueLoss,
  FixedKlController,
  isClipped,
  trainedTokenCount,
  type RlSequence,
} from "../src/rl/index.js";

const SEED = 31337;
const ratio = fc.oneof(fc.double({ min: 0, max: 3, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true }));
const adv = fc.double({ min: -10, max: 10, noNaN: true });
const epsLow = fc.double({ min: 0, max: 0.9, noNaN: true });
const epsHigh = fc.double({ min: 0, max: 1, noNaN: true });

describe("clippedSurrogate", () => {
  test.prop([ratio, adv, epsLow, epsHigh], { seed: SEED })(
    "stays within its bounds for any ratio and advantage",
    (r, a, el, eh) => {
      const obj = clippedSurrogate(r, a, el, eh);
      // Pessimistic: never more than the unclipped objective.
      expect(obj).toBeLessThanOrEqual(r * a);
      if (a > 0) {
        expect(obj).toBeLessThanOrEqual((1 + eh) * a * (1 + 1e-15));
        expect(obj).toBeGreaterThanOrEqual(0);
      }
      if (a < 0) expect(obj).toBeLessThanOrEqual((1 - el) * a * (1 - 1e-15));
      if (a === 0) expect(obj).toBe(0);
      // Inside the trust region the objective is exactly r·A.
      if (r >= 1 - el && r <= 1 + eh) expect(obj).toBe(r * a);
    },
  );

  test.prop([ratio, adv, epsLow, epsHigh], { seed: SEED })(
    "flat (no gradient) exactly where the clip is active",
    (r, a, el, eh) => {
      const h = 1e-3;
      if (isClipped(r, a, el, eh) && isClipped(r + h, a, el, eh)) {
        expect(clippedSurrogate(r + h, a, el, eh)).toBe(clippedSurrogate(r, a, el, eh));
      }
    },
  );

  test.prop(
    [ratio, adv, epsLow, fc.double({ min: 0, max: 0.5, noNaN: true }), fc.double({ min: 1.5, max: 10, noNaN: true })],
    { seed: SEED },
  )("dual clip floors A < 0 at c·A and changes nothing while r ≤ c", (r, a, el, eh, c) => {
    const obj = clippedSurrogate(r, a, el, eh, c);
    if (a < 0) expect(obj).toBeGreaterThanOrEqual(c * a);
    if (a >= 0 || r <= c) expect(obj).toBe(clippedSurrogate(r, a, el, eh));
  });

  test("DAPO clip-higher: positive advantages may grow further than negative ones shrink", () => {
    expect(clippedSurrogate(2, 1, 0.2, 0.28)).toBeCloseTo(1.28, 12);
    expect(clippedSurrogate(0.1, -1, 0.2, 0.28)).toBeCloseTo(-0.8, 12);
    expect(clippedSurrogate(0.1, 1, 0.2, 0.28)).toBeCloseTo(0.1, 12);
    expect(clippedSurrogate(5, -1, 0.2, 0.28)).toBe(-5);
    expect(clippedSurrogate(5, -1, 0.2, 0.28, 3)).toBe(-3);
  });
});

describe("clippedValueLoss", () => {
  const v = fc.double({ min: -10, max: 10, noNaN: true });
  test.prop([v, v, v, fc.double({ min: 0, max: 2, noNaN: true })], { seed: SEED })(
    "≥ the unclipped loss, equal inside the clip range",
    (value, old, ret, c) => {
      const l = clippedValueLoss(value, old, ret, c);
      expect(l).toBeGreaterThanOrEqual(0.5 * (value - ret) ** 2);
      if (Math.abs(value - old) <= c) expect(l).toBe(0.5 * (value - ret) ** 2);
    },
  );
});

describe("buildRlBatch", () => {
  const seqArb = fc.array(fc.integer({ min: 0, max: 11 }), { minLength: 2, maxLength: 10 }).chain((tokens) =>
    fc.record({
      tokens: fc.constant(tokens),
      mask: fc.array(fc.constantFrom(0, 0, 1, 0.5), { minLength: tokens.length, maxLength: tokens.length }),
      advantages: fc.array(fc.integer({ min: -9, max: 9 }), { minLength: tokens.length, maxLength: tokens.length }),
      oldLogp: fc.array(fc.integer({ min: -9, max: 0 }), { minLength: tokens.length, maxLength: tokens.length }),
    }),
  );

  test.prop([fc.array(seqArb, { minLength: 1, maxLength: 5 })], { seed: SEED })(
    "aligns exactly like packBatch; field i sits at position i − 1",
    (seqs) => {
      const rl = buildRlBatch(seqs, 0);
      const packed = packBatch(
        seqs.map((s) => ({ tokens: s.tokens, weights: s.mask })),
        0,
      );
      expect(rl.length).toBe(packed.length);
      expect(Array.from(rl.ids)).toEqual(Array.from(packed.ids));
      expect(Array.from(rl.targets)).toEqual(Array.from(packed.targets));
      expect(Array.from(rl.mask)).toEqual(Array.from(packed.weights));
      seqs.forEach((s, b) => {
        for (let t = 0; t < rl.length; t++) {
          const at = b * rl.length + t;
          const live = t + 1 < s.tokens.length && (s.mask[t + 1] as number) > 0;
          expect(rl.advantages[at]).toBe(live ? s.advantages[t + 1] : 0);
          expect(rl.oldLogp?.[at]).toBe(live ? s.oldLogp[t + 1] : 0);
        }
      });
      expect(trainedTokenCount(rl)).toBe(packed.weights.filter((w) => w > 0).length);
    },
  );

  test("scalar advantages broadcast; junk off the mask is ignored", () => {
    const b = buildRlBatch(
      [{ tokens: [1, 2, 3, 4], mask: [0, 0, 1, 1], advantages: 0.5, oldLogp: [NaN, NaN, -1, -2] }],
      0,
    );
    expect(Array.from(b.mask)).toEqual([0, 1, 1]);
    expect(Array.from(b.advantages)).toEqual([0, 0.5, 0.5]);
    expect(Array.from(b.oldLogp ?? [])).toEqual([0, -1, -2]);
    expect(b.refLogp).toBeUndefined();
  });

  test("rejects misaligned, partial, non-finite or truncated input", () => {
    const ok: RlSequence = { tokens: [1, 2, 3], mask: [0, 1, 1], advantages: 1 };
    expect(() => buildRlBatch([{ ...ok, mask: [1, 1] }], 0)).toThrow(/3 tokens but 2 mask/);
    expect(() => buildRlBatch([ok, { ...ok, oldLogp: [0, 0, 0] }], 0)).toThrow(/oldLogp is given for 1 of 2/);
    expect(() => buildRlBatch([{ ...ok, advantages: [0, NaN, 1] }], 0)).toThrow(
      /advantages\[1\] is NaN on a trained token/,
    );
    expect(() => buildRlBatch([{ ...ok, mask: [0, -1, 1] }], 0)).toThrow(/mask\[1\] is -1/);
    expect(() => buildRlBatch([{ ...ok, tokens: [1, 2.5, 3] }], 0)).toThrow(/not a token id/);
    expect(() => buildRlBatch([ok], 0, { length: 1 })).toThrow(/shorter/);
    expect(() => buildRlBatch([], 0)).toThrow(/no sequences/);
    expect(buildRlBatch([ok], 0, { length: 5 }).length).toBe(5);
  });
});

describe("aggregationWeights", () => {
  const maskArb = fc
    .integer({ min: 1, max: 5 })
    .chain((B) =>
      fc
        .integer({ min: 1, max: 6 })
        .chain((T) =>
          fc.tuple(
            fc.constant(B),
            fc.constant(T),
            fc.array(fc.constantFrom<number>(0, 1, 0.5), { minLength: B * T, maxLength: B * T }),
          ),
        ),
    );

  test.prop([maskArb], { seed: SEED })(
    "zero off the mask; token weights sum to 1; each live row sums to 1/rows",
    ([B, T, m]) => {
      const mask = Float32Array.from(m);
      const total = m.reduce((a, b) => a + b, 0);
      const tok = aggregationWeights(mask, B, T, "token");
      const seq = aggregationWeights(mask, B, T, "sequence");
      const cst = aggregationWeights(mask, B, T, "constant");
      m.forEach((x, i) => {
        if (x === 0) expect([tok[i], seq[i], cst[i]]).toEqual([0, 0, 0]);
        expect(cst[i]).toBeCloseTo(x / (B * T), 6);
      });
      const sum = (a: Float32Array): number => a.reduce((s, x) => s + x, 0);
      expect(sum(tok)).toBeCloseTo(total > 0 ? 1 : 0, 5);
      const rows = Array.from({ length: B }, (_, b) => m.slice(b * T, (b + 1) * T));
      const live = rows.filter((r) => r.some((x) => x > 0)).length;
      rows.forEach((r, b) => {
        const rowSum = sum(seq.subarray(b * T, (b + 1) * T));
        expect(rowSum).toBeCloseTo(r.some((x) => x > 0) ? 1 / live : 0, 5);
      });
    },
  );
});

describe("KL controllers", () => {
  test("adaptive: trlx's update rule with RLC's settings", () => {
    const c = new AdaptiveKlController();
    expect(c.value).toBe(0.1);
    c.update(9, 512); // KL above target: error clipped to +0.2
    expect(c.value).toBeCloseTo(0.1 * (1 + (0.2 * 512) / 10000), 15);
    const before = c.value;
    c.update(5.4, 100); // below target: error −0.1
    expect(c.value).toBeCloseTo(before * (1 - (0.1 * 100) / 10000), 15);
    c.update(6, 100); // on target: unchanged
    expect(c.value).toBeCloseTo(before * (1 - (0.1 * 100) / 10000), 15);
    const resumed = AdaptiveKlController.fromState(c.state());
    expect(resumed.value).toBe(c.value);
    expect(resumed.settings).toEqual(c.settings);
    expect(() => c.update(NaN, 1)).toThrow(/observed KL is NaN/);
  });

  test("fixed: never moves", () => {
    const f = new FixedKlController(0.05);
    f.update();
    expect(f.value).toBe(0.05);
  });
});
