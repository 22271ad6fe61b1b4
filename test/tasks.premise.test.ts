// RLC's premise verdict: judging must be significantly above chance AND above answering before
// `eval` says the premise holds. Exact tails checked against BigInt sums; boundary cases on both
// sides of each test's critical value; eval's own lines for a judge at chance and a good judge.
import { describe, expect, test } from "vitest";
import { binomialUpperTailHalf, normalUpperTail, premiseVerdict, twoProportionZ } from "../src/tasks/premise.js";
import { formatEval } from "../src/cli/commands/eval.js";
import type { CountdownEvalResult } from "../src/tasks/countdown/evaluate.js";
import type { TaskEvalResult } from "../src/tasks/evaluate.js";

/** P(X ≥ k), X ~ Binomial(n, 1/2), exactly, as a float. */
function exactTail(k: number, n: number): number {
  let c = 1n;
  let sum = 0n;
  for (let i = 0; i <= n; i++) {
    if (i > 0) c = (c * BigInt(n - i + 1)) / BigInt(i);
    if (i >= k) sum += c;
  }
  // Scale down before converting: 2^n overflows a double past n = 1023.
  const shift = BigInt(Math.max(0, n - 52));
  return Number(sum >> shift) / 2 ** (n - Number(shift));
}

describe("binomial upper tail at 1/2", () => {
  test.each([
    [0, 10],
    [5, 10],
    [9, 10],
    [10, 10],
    [63, 100],
    [62, 100],
    [1040, 2000],
    [1100, 2000],
  ])("P(X ≥ %i) of %i matches the exact sum", (k, n) => {
    const want = exactTail(k, n);
    expect(Math.abs(binomialUpperTailHalf(k, n) - want)).toBeLessThanOrEqual(1e-12 + 1e-9 * want);
  });

  test("edges: k ≤ 0 is certain, k > n impossible, non-integers refused", () => {
    expect(binomialUpperTailHalf(0, 7)).toBe(1);
    expect(binomialUpperTailHalf(8, 7)).toBe(0);
    expect(() => binomialUpperTailHalf(1.5, 7)).toThrow(/integers/);
  });
});

describe("two-proportion z", () => {
  test("no variance is no evidence; the normal tail is right at known points", () => {
    expect(twoProportionZ(0, 10, 0, 10)).toEqual({ z: 0, p: 1 });
    expect(normalUpperTail(0)).toBeCloseTo(0.5, 7);
    expect(normalUpperTail(2.3263478740408408)).toBeCloseTo(0.01, 6);
    expect(normalUpperTail(-1.6448536269514722)).toBeCloseTo(0.95, 6);
  });
});

describe("premiseVerdict", () => {
  test("judging above chance: 63 of 100 right is significant at 1%, 62 is not (exact binomial)", () => {
    const at63 = premiseVerdict({ judgeAccuracy: 0.63, judgeN: 100, firstTry: 0, n: 50 });
    const at62 = premiseVerdict({ judgeAccuracy: 0.62, judgeN: 100, firstTry: 0, n: 50 });
    expect(at63.aboveChance).toBe(true);
    expect(at63.holds).toBe(true);
    expect(at62.aboveChance).toBe(false);
    expect(at62.holds).toBe(false);
    expect(at62.text).toMatch(
      /^RLC's premise does not hold: judging 62\.0% is not significantly above chance \(binomial p = 0\.010, 100 judged\)/,
    );
  });

  test("small n: 9 of 10 is not enough at 1%, 10 of 10 is", () => {
    expect(premiseVerdict({ judgeAccuracy: 0.9, judgeN: 10, firstTry: 0, n: 5 }).aboveChance).toBe(false);
    expect(premiseVerdict({ judgeAccuracy: 1, judgeN: 10, firstTry: 0, n: 5 }).aboveChance).toBe(true);
    // ... and at 5% the same 9 of 10 is (p = 0.0107).
    expect(premiseVerdict({ judgeAccuracy: 0.9, judgeN: 10, firstTry: 0, n: 5 }, 0.05).aboveChance).toBe(true);
  });

  test("judging above answering: 70% of 200 beats 56% of 100 (z = 2.40), not 57% (z = 2.24)", () => {
    const beats = premiseVerdict({ judgeAccuracy: 0.7, judgeN: 200, firstTry: 0.56, n: 100 });
    const ties = premiseVerdict({ judgeAccuracy: 0.7, judgeN: 200, firstTry: 0.57, n: 100 });
    expect(beats).toMatchObject({ aboveChance: true, aboveAnswering: true, holds: true });
    expect(ties).toMatchObject({ aboveChance: true, aboveAnswering: false, holds: false });
    expect(ties.text).toMatch(
      /does not hold: judging 70\.0% is above chance .*, but it is not significantly above answering 57\.0% \(z-test p = 0\.01[0-9], 100 answered\); one-sided, at the 1% level$/,
    );
  });

  test("the issue's case: a model judging at chance and answering 0% does not hold the premise", () => {
    const v = premiseVerdict({ judgeAccuracy: 0.5, judgeN: 400, firstTry: 0, n: 200 });
    expect(v.holds).toBe(false);
    expect(v.aboveChance).toBe(false);
    // It is above answering, and the line says so, but not that the premise holds.
    expect(v.aboveAnswering).toBe(true);
    expect(v.text).toMatch(
      /^RLC's premise does not hold: judging 50\.0% is not significantly above chance .*, though it is above answering 0\.0%/,
    );
  });

  test("judging below answering is said plainly, without a test", () => {
    const v = premiseVerdict({ judgeAccuracy: 0.7, judgeN: 400, firstTry: 0.8, n: 200 });
    expect(v).toMatchObject({ aboveChance: true, aboveAnswering: false, holds: false });
    expect(v.text).toContain("but it is not above answering 80.0% (200 answered)");
  });

  test("nothing judged or answered cannot hold anything", () => {
    expect(premiseVerdict({ judgeAccuracy: NaN, judgeN: 0, firstTry: 0.1, n: 10 })).toMatchObject({
      holds: false,
      text: "RLC's premise cannot be judged: no answers were judged",
    });
    expect(premiseVerdict({ judgeAccuracy: 0.9, judgeN: 10, firstTry: NaN, n: 0 }).holds).toBe(false);
    expect(() => premiseVerdict({ judgeAccuracy: 0.9, judgeN: 10, firstTry: 0, n: 5 }, 0.7)).toThrow(/alpha/);
  });
});

function judge(accuracy: number, n: number): CountdownEvalResult["judge"] {
  return { accuracy, n, onRight: accuracy, onWrong: accuracy, yesRate: 0.5 };
}

describe("eval's premise line", () => {
  const countdown = (judging: number, judgeN: number, firstTry: number, n: number): CountdownEvalResult => ({
    task: "countdown",
    n,
    temperature: 1,
    firstTry,
    secondTry: firstTry,
    retryFixRate: 0,
    goodReflectionRate: 0,
    exactReflectionRate: 0,
    judge: judge(judging, judgeN),
    judgeGap: judging - firstTry,
    overlong: 0,
  });

  test("a model at chance that answers nothing is not reported as holding RLC's premise", () => {
    const text = formatEval(countdown(0.5, 600, 0, 300));
    expect(text).not.toContain("premise holds");
    expect(text).toContain("RLC's premise does not hold: judging 50.0% is not significantly above chance");
  });

  test("the shipped model's figures (judging 88% of 600, first try 6.3% of 300) hold it", () => {
    expect(formatEval(countdown(0.88, 600, 0.063, 300))).toMatch(
      /RLC's premise holds: judging 88\.0% is above chance \(binomial p < 0\.0001, 600 judged\) and above answering 6\.3%/,
    );
  });

  test("the generic tasks' evaluation says it too (the BBH model judges at chance)", () => {
    const r: TaskEvalResult = {
      task: "bbh",
      n: 200,
      temperature: 1,
      firstTry: 0.205,
      secondTry: 0.36,
      retryFixRate: 0.2,
      judge: judge(0.5, 400),
      judgeGap: 0.295,
      overlong: 0,
    };
    expect(formatEval(r)).toContain("RLC's premise does not hold: judging 50.0% is not significantly above chance");
  });
});
