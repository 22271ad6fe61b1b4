// KL estimators, the reward guard, Countdown's shaped reward, and RLC's KL-shaped token rewards.
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import {
  assertFiniteReward,
  checkedExperienceReward,
  k1,
  k2,
  k3,
  klEstimate,
  klPenalizedRewards,
  RewardError,
} from "../src/rewards/index.js";
import { countdownReward } from "../src/tasks/countdown/index.js";
import { verifyCountdown } from "../src/tasks/countdown/verify.js";

const SEED = 777;
const logProb = fc.double({ min: -50, max: 0, noNaN: true });

describe("KL estimators", () => {
  test.prop([logProb, logProb], { seed: SEED })("k3 ≥ 0 and k2 ≥ 0", (a, b) => {
    expect(k3(a, b)).toBeGreaterThanOrEqual(0);
    expect(k2(a, b)).toBeGreaterThanOrEqual(0);
  });

  test.prop([logProb], { seed: SEED })("all estimators are 0 when the log-probs agree", (a) => {
    expect(k1(a, a)).toBe(0);
    expect(k2(a, a)).toBe(0);
    expect(k3(a, a)).toBe(0);
  });

  test.prop([fc.double({ min: -1e-3, max: 1e-3, noNaN: true }), logProb], { seed: SEED })(
    "k3 ≈ k2 for small differences (second order)",
    (d, a) => {
      const b = a + d;
      const x = Math.abs(b - a);
      // k3 − k2 = d³/6 + O(d⁴); the second term bounds the rounding of expm1(d) − d.
      expect(Math.abs(k3(a, b) - k2(a, b))).toBeLessThanOrEqual(x ** 3 + 1e-15 * x);
    },
  );

  test("values and dispatch", () => {
    expect(k1(-1, -2)).toBe(1);
    expect(k2(-1, -2)).toBe(0.5);
    expect(k3(-1, -2)).toBeCloseTo(Math.exp(-1) + 1 - 1, 12);
    expect(klEstimate("k3", -1, -2)).toBe(k3(-1, -2));
    // Unbiasedness of k1 and k3: under π (here Bernoulli 0.7 vs ref 0.4) both average to the true KL.
    const p = [0.7, 0.3];
    const q = [0.4, 0.6];
    const kl = p.reduce((s, pi, i) => s + pi * Math.log(pi / (q[i] as number)), 0);
    const expect3 = p.reduce((s, pi, i) => s + pi * k3(Math.log(pi), Math.log(q[i] as number)), 0);
    const expect1 = p.reduce((s, pi, i) => s + pi * k1(Math.log(pi), Math.log(q[i] as number)), 0);
    expect(expect3).toBeCloseTo(kl, 12);
    expect(expect1).toBeCloseTo(kl, 12);
  });
});

describe("assertFiniteReward", () => {
  const ctx = { actor: "teacher", taskId: "cd-17" };

  test.each([NaN, Infinity, -Infinity])("rejects %d naming actor, task and value", (v) => {
    let err: unknown;
    try {
      assertFiniteReward(v, ctx);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RewardError);
    const e = err as RewardError;
    expect(e.message).toContain("teacher");
    expect(e.message).toContain("cd-17");
    expect(e.message).toContain(String(v));
    expect(e.actor).toBe("teacher");
    expect(e.taskId).toBe("cd-17");
    expect(Object.is(e.value, v)).toBe(true);
  });

  test("range and type checks; finite values pass through", () => {
    expect(assertFiniteReward(0.5, ctx, { range: [0, 1] })).toBe(0.5);
    expect(assertFiniteReward(1, ctx, { range: [0, 1] })).toBe(1);
    expect(() => assertFiniteReward(1.5, ctx, { range: [0, 1] })).toThrow(
      /teacher.*cd-17.*out of range \[0, 1\]: 1\.5/,
    );
    expect(() => assertFiniteReward(undefined, ctx)).toThrow(/not a number: undefined/);
    expect(() => assertFiniteReward("1", ctx)).toThrow(RewardError);
  });

  test.prop([fc.double({ noNaN: true, noDefaultInfinity: true })], { seed: SEED })(
    "accepts every finite number",
    (v) => {
      expect(assertFiniteReward(v, ctx)).toBe(v);
    },
  );
});

describe("checkedExperienceReward (the guard on the edge into the Learner, and in the Learner)", () => {
  const experience = (reward: unknown) => ({ reward, source: { actor: "verifier" }, trace: { taskId: "cd-3" } });
  test("a reward in [0, 1] passes; anything else names the actor, the task and the value", () => {
    expect(checkedExperienceReward(experience(0))).toBe(0);
    expect(checkedExperienceReward(experience(1))).toBe(1);
    for (const bad of [NaN, -0.01, 1.01, Infinity])
      expect(() => checkedExperienceReward(experience(bad))).toThrow(
        new RegExp(`verifier for task cd-3 .*${String(bad).replace(".", "\\.")}`),
      );
  });
});

describe("countdownReward", () => {
  const p = { nums: [44, 19, 35], target: 98 };

  test("1 correct, format credit for well-formed but wrong, 0 unparsable", () => {
    expect(countdownReward(verifyCountdown(p, "(44+35)+19"))).toBe(1);
    expect(countdownReward(verifyCountdown(p, "44+35-19"))).toBe(0.1); // wrong value
    expect(countdownReward(verifyCountdown(p, "44+35+20"))).toBe(0.1); // wrong numbers
    expect(countdownReward(verifyCountdown({ nums: [4, 2, 2], target: 1 }, "4/(2-2)"))).toBe(0.1); // division by zero
    expect(countdownReward(verifyCountdown(p, "44+"))).toBe(0);
    expect(countdownReward(verifyCountdown(p, "44+35-19"), { format: 0 })).toBe(0);
  });

  test.prop([fc.string({ maxLength: 30 })], { seed: SEED })("always one of 0, format, 1", (s) => {
    expect([0, 0.1, 1]).toContain(countdownReward(verifyCountdown(p, s)));
  });
});

describe("klPenalizedRewards (trlx / RLC)", () => {
  test("−β·(logp − ref) per token, clipped score added on the last", () => {
    const { rewards, kl } = klPenalizedRewards(25, [-1, -2, -0.5], [-1.5, -2, -1], 0.1);
    expect(rewards[0]).toBeCloseTo(-0.05, 12);
    expect(rewards[1]).toBeCloseTo(0, 12);
    expect(rewards[2]).toBeCloseTo(-0.05 + 10, 12);
    expect(kl).toBeCloseTo(1, 12);
    expect(klPenalizedRewards(0.5, [-1], [-1], 0.1, { scoreClip: 1 }).rewards).toEqual([0.5]);
    expect(() => klPenalizedRewards(1, [], [], 0.1)).toThrow(/at least one/);
  });
});
