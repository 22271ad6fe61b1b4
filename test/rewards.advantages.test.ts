// Advantage estimators: the invariances GRPO relies on, RLOO's unbiased baseline, GAE against a
// hand computation, whitening, and TRL's frac_reward_zero_std.
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import {
  fracRewardZeroStd,
  gae,
  groupAdvantages,
  groupNormalizedAdvantages,
  reinforceAdvantages,
  rlooAdvantages,
  whiten,
} from "../src/rewards/index.js";

const SEED = 4242;
// Multiples of 1/8 are exact in binary, so "zero spread" and the invariances are tested on the
// arithmetic, not on decimal rounding.
const reward = fc.integer({ min: -80, max: 80 }).map((k) => k / 8);
const group = fc.array(reward, { minLength: 1, maxLength: 16 });
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const closeAll = (a: number[], b: number[], tol: number): void => {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => expect(Math.abs(x - (b[i] as number))).toBeLessThanOrEqual(tol));
};

describe("groupNormalizedAdvantages", () => {
  test.prop([group, fc.boolean()], { seed: SEED })("sums to zero and is finite", (rs, scale) => {
    const adv = groupNormalizedAdvantages(rs, { scaleByStd: scale });
    expect(adv.every(Number.isFinite)).toBe(true);
    expect(Math.abs(sum(adv))).toBeLessThan(1e-9);
  });

  test.prop([group, reward, fc.boolean()], { seed: SEED })("invariant to adding a constant", (rs, c, scale) => {
    closeAll(
      groupNormalizedAdvantages(
        rs.map((r) => r + c),
        { scaleByStd: scale },
      ),
      groupNormalizedAdvantages(rs, { scaleByStd: scale }),
      1e-9,
    );
  });

  test.prop([group, fc.integer({ min: 1, max: 1000 }).map((k) => k / 16)], { seed: SEED })(
    "invariant to positive scaling (eps 0)",
    (rs, s) => {
      closeAll(
        groupNormalizedAdvantages(
          rs.map((r) => r * s),
          { eps: 0 },
        ),
        groupNormalizedAdvantages(rs, { eps: 0 }),
        1e-9,
      );
    },
  );

  test.prop([group, fc.integer({ min: 8, max: 64 }).map((k) => k / 8)], { seed: SEED })(
    "scaling up changes the default-eps result by at most the eps effect",
    (rs, s) => {
      const a = groupNormalizedAdvantages(rs.map((r) => r * s));
      const b = groupNormalizedAdvantages(rs);
      // A nonzero sample std of ≤ 16 multiples of 1/8 is ≥ 1/32, so eps = 1e-4 moves results by < 1e-2 relative.
      a.forEach((x, i) => expect(Math.abs(x - (b[i] as number))).toBeLessThanOrEqual(1e-2 * Math.max(1, Math.abs(x))));
    },
  );

  test.prop([reward, fc.integer({ min: 1, max: 16 }), fc.boolean()], { seed: SEED })(
    "zero spread gives zeros, never NaN",
    (r, n, scale) => {
      expect(groupNormalizedAdvantages(Array<number>(n).fill(r), { scaleByStd: scale, eps: 0 })).toEqual(
        Array<number>(n).fill(0),
      );
    },
  );

  test("decimal rewards with no spread give exact zeros (0.1·3 ≠ 0.3 in floats)", () => {
    expect(groupNormalizedAdvantages([0.1, 0.1, 0.1], { eps: 0 })).toEqual([0, 0, 0]);
  });

  test("binary group: sample std as TRL (torch.std), population on request", () => {
    const [a, b] = groupNormalizedAdvantages([1, 0], { eps: 0 });
    expect(a).toBeCloseTo(Math.SQRT1_2, 12);
    expect(b).toBeCloseTo(-Math.SQRT1_2, 12);
    expect(groupNormalizedAdvantages([1, 0], { eps: 0, std: "population" })).toEqual([1, -1]);
    expect(groupNormalizedAdvantages([1, 0, 0, 0], { scaleByStd: false })).toEqual([0.75, -0.25, -0.25, -0.25]);
  });

  test.prop([fc.array(fc.tuple(reward, fc.integer({ min: 0, max: 4 })), { minLength: 1, maxLength: 24 })], {
    seed: SEED,
  })("groupAdvantages equals normalising each group alone", (pairs) => {
    const rs = pairs.map(([r]) => r);
    const ids = pairs.map(([, g]) => `g${g}`);
    const all = groupAdvantages(rs, ids);
    for (const g of new Set(ids)) {
      const idx = ids.flatMap((x, i) => (x === g ? [i] : []));
      closeAll(
        idx.map((i) => all[i] as number),
        groupNormalizedAdvantages(idx.map((i) => rs[i] as number)),
        1e-12,
      );
    }
  });

  test("groupAdvantages rejects mismatched lengths", () => {
    expect(() => groupAdvantages([1, 2], [0])).toThrow(/2 rewards but 1 group ids/);
  });
});

describe("rloo / reinforce", () => {
  test.prop([group], { seed: SEED })("RLOO advantages have mean zero and use the leave-one-out mean", (rs) => {
    const adv = rlooAdvantages(rs);
    expect(Math.abs(sum(adv))).toBeLessThan(1e-9);
    if (rs.length >= 2) {
      adv.forEach((a, i) => {
        const others = rs.filter((_, j) => j !== i);
        expect(a).toBeCloseTo((rs[i] as number) - sum(others) / others.length, 9);
      });
    }
  });

  test("RLOO on a single sample is zero; REINFORCE subtracts its baseline", () => {
    expect(rlooAdvantages([3])).toEqual([0]);
    expect(reinforceAdvantages([1, 0, 1], 0.5)).toEqual([0.5, -0.5, 0.5]);
    expect(reinforceAdvantages([1, 0], [0.25, 0.75])).toEqual([0.75, -0.75]);
    expect(() => reinforceAdvantages([1, 0], [1])).toThrow(/baselines/);
  });
});

describe("gae", () => {
  test("matches a hand computation with a terminal reward", () => {
    const gamma = 0.9;
    const lambda = 0.5;
    const values = [0.2, 0.4, 0.1];
    const rewards = [0, 0, 1];
    const d2 = 1 - 0.1;
    const d1 = 0 + gamma * 0.1 - 0.4;
    const d0 = 0 + gamma * 0.4 - 0.2;
    const a2 = d2;
    const a1 = d1 + gamma * lambda * a2;
    const a0 = d0 + gamma * lambda * a1;
    const { advantages, returns } = gae(rewards, values, gamma, lambda);
    closeAll(advantages, [a0, a1, a2], 1e-12);
    closeAll(returns, [a0 + 0.2, a1 + 0.4, a2 + 0.1], 1e-12);
  });

  test.prop([fc.array(fc.tuple(reward, reward), { minLength: 1, maxLength: 12 })], { seed: SEED })(
    "γ = λ = 1: returns are reward-to-go (Monte Carlo)",
    (pairs) => {
      const rs = pairs.map(([r]) => r);
      const vs = pairs.map(([, v]) => v);
      const { returns } = gae(rs, vs, 1, 1);
      closeAll(
        returns,
        rs.map((_, t) => sum(rs.slice(t))),
        1e-9,
      );
    },
  );

  test("λ = 0 gives one-step TD errors; mismatched lengths throw", () => {
    const { advantages } = gae([1, 2], [0.5, 0.25], 0.5, 0);
    closeAll(advantages, [1 + 0.5 * 0.25 - 0.5, 2 - 0.25], 1e-12);
    expect(() => gae([1], [1, 2], 1, 1)).toThrow(/values/);
  });
});

describe("whiten / fracRewardZeroStd", () => {
  test.prop([fc.array(reward, { minLength: 2, maxLength: 20 })], { seed: SEED })(
    "masked whitening has mean 0, variance ≈ 1, zeros off the mask",
    (xs) => {
      const mask = xs.map((_, i) => (i % 3 === 2 ? 0 : 1));
      const w = whiten(xs, mask);
      const live = w.filter((_, i) => mask[i] === 1);
      const liveIn = xs.filter((_, i) => mask[i] === 1);
      expect(w.filter((_, i) => mask[i] === 0).every((x) => x === 0)).toBe(true);
      expect(Math.abs(sum(live) / live.length)).toBeLessThan(1e-9);
      const variance = sum(live.map((x) => x * x)) / live.length;
      const spread = Math.max(...liveIn) - Math.min(...liveIn);
      if (spread > 0) expect(variance).toBeCloseTo(1, 3);
      else expect(variance).toBe(0);
    },
  );

  test("shiftMean: false keeps the mean", () => {
    const w = whiten([1, 2, 3], undefined, { shiftMean: false });
    expect(sum(w) / 3).toBeCloseTo(2, 9);
  });

  test("frac_reward_zero_std counts groups with equal rewards", () => {
    expect(fracRewardZeroStd([[1, 1], [0, 1], [0, 0, 0], [0.5]])).toBe(0.75);
    expect(fracRewardZeroStd([])).toBe(0);
  });
});
