// RLC's self-evaluation rewards: total parsers that always land in range, whatever the judge says.
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import {
  correctnessRewardFromPYes,
  parseQualityScore,
  pYesFromLogProbs,
  sampledYesReward,
} from "../src/rewards/index.js";

const SEED = 9001;
const anyDouble = fc.double({ noNaN: true });
const logProb = fc.oneof(fc.double({ min: -1e6, max: 0, noNaN: true }), fc.constant(-Infinity));

describe("parseQualityScore", () => {
  test.prop([fc.string({ unit: "binary", maxLength: 200 })], { seed: SEED })(
    "always in [0, 10] for any string",
    (s) => {
      const v = parseQualityScore(s);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(10);
    },
  );

  test.prop([fc.string({ unit: fc.constantFrom(..."0123456789.-+eE/ xNaInfity"), maxLength: 40 })], { seed: SEED })(
    "always in [0, 10] for number-like text",
    (s) => {
      const v = parseQualityScore(s);
      expect(Number.isFinite(v) && v >= 0 && v <= 10).toBe(true);
    },
  );

  test.prop(
    [fc.double({ min: 0, max: 10, noNaN: true }), fc.string({ maxLength: 10 }).filter((s) => !/[\d.]/.test(s))],
    { seed: SEED },
  )("reads a score in range back exactly", (x, suffix) => {
    expect(parseQualityScore(`Score: ${x.toString()}${suffix}`)).toBe(x === 0 ? 0 : x);
  });

  test.each([
    ["8", 8],
    ["11/10", 10],
    ["-3", 0],
    ["7.5", 7.5],
    ["Score: 6 out of 10", 6],
    ["9".repeat(400), 10],
    ["1e999", 10],
    ["NaN", 0],
    ["Infinity", 0],
    ["no number here", 0],
    ["", 0],
    [".5", 0.5],
    ["3.", 3],
  ])("%j → %d", (text, want) => {
    expect(parseQualityScore(text)).toBe(want);
  });

  test("never throws on non-strings", () => {
    expect(parseQualityScore(undefined as unknown as string)).toBe(0);
    expect(parseQualityScore(42 as unknown as string)).toBe(0);
  });
});

describe("correctness rewards", () => {
  test.prop([logProb, logProb], { seed: SEED })(
    "P(yes) from two log-probs is a probability, symmetric in the answers",
    (y, n) => {
      const p = pYesFromLogProbs(y, n);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThanOrEqual(1);
      expect(p + pYesFromLogProbs(n, y)).toBeCloseTo(1, 12);
      expect(correctnessRewardFromPYes(p)).toBe(p);
    },
  );

  test("P(yes) normalises over the two answers", () => {
    expect(pYesFromLogProbs(Math.log(0.3), Math.log(0.1))).toBeCloseTo(0.75, 12);
    expect(pYesFromLogProbs(-Infinity, -Infinity)).toBe(0.5);
    expect(pYesFromLogProbs(-Infinity, -1)).toBe(0);
    expect(pYesFromLogProbs(-1000, -1)).toBe(0);
    expect(pYesFromLogProbs(-1, -1000)).toBe(1);
  });

  test.prop([anyDouble], { seed: SEED })("correctness reward is in [0, 1] for any non-NaN input", (x) => {
    const r = correctnessRewardFromPYes(x);
    expect(r >= 0 && r <= 1).toBe(true);
  });

  test("NaN propagates so the reward guard stops the run instead of training on a guess", () => {
    expect(correctnessRewardFromPYes(NaN)).toBeNaN();
    expect(pYesFromLogProbs(NaN, -1)).toBeNaN();
  });

  test.prop([fc.string({ unit: "binary", maxLength: 100 })], { seed: SEED })("sampled reward is 0 or 1", (s) => {
    expect([0, 1]).toContain(sampledYesReward(s));
  });

  test.each([
    ["<|yes|>", 1],
    ["Yes, it is correct.", 1],
    ["YES", 1],
    ["<|no|>", 0],
    ["No.", 0],
    ["", 0],
    ["y e s", 0],
  ])("sampled reply %j → %d", (text, want) => {
    expect(sampledYesReward(text)).toBe(want);
  });
});
