import { test, fc } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { generateCountdown, generateCountdownSet } from "../src/tasks/countdown/generate.js";
import { solveCountdown, solveCountdownSteps, type SolveStep } from "../src/tasks/countdown/solve.js";
import { verifyCountdown } from "../src/tasks/countdown/verify.js";
import { Rng } from "../src/util/rng.js";
import { timeGrowth } from "./helpers/scaling.js";

const SEED = 4242;

function applyStep(s: SolveStep): number {
  switch (s.op) {
    case "+":
      return s.a + s.b;
    case "-":
      return s.a - s.b;
    case "*":
      return s.a * s.b;
    case "/":
      return s.a / s.b;
  }
}

/** Replays moves on the pool as in the game; returns the final pool. */
function replay(nums: readonly number[], steps: readonly SolveStep[]): number[] {
  const pool = nums.slice();
  for (const s of steps) {
    for (const x of [s.a, s.b]) {
      const k = pool.indexOf(x);
      expect(k).toBeGreaterThanOrEqual(0);
      pool.splice(k, 1);
    }
    expect(applyStep(s)).toBe(s.result);
    expect(Number.isInteger(s.result) && s.result > 0).toBe(true);
    pool.push(s.result);
  }
  return pool;
}

describe("generateCountdownSet", () => {
  const set = generateCountdownSet(1, 2000);

  test("matches the Countdown-Tasks-3to4 shape", () => {
    const counts = new Set<number>();
    for (const p of set) {
      counts.add(p.nums.length);
      expect(p.nums.length).toBeGreaterThanOrEqual(3);
      expect(p.nums.length).toBeLessThanOrEqual(4);
      for (const n of p.nums) expect(Number.isInteger(n) && n >= 1 && n <= 99).toBe(true);
      expect(Number.isInteger(p.target) && p.target >= 1 && p.target <= 100).toBe(true);
    }
    expect([...counts].sort()).toEqual([3, 4]);
    expect(new Set(set.map((p) => p.target)).size).toBeGreaterThan(90);
  });

  test("deterministic for a seed, different across seeds, ids cd-<seed>-<i>", () => {
    expect(generateCountdownSet(1, 50)).toEqual(set.slice(0, 50));
    expect(generateCountdownSet(2, 50)).not.toEqual(set.slice(0, 50));
    expect(set.slice(0, 3).map((p) => p.id)).toEqual(["cd-1-0", "cd-1-1", "cd-1-2"]);
  });

  test("every puzzle is solvable: its solution verifies and the solver finds one", () => {
    for (const p of set) {
      expect(p.solution).toMatch(/^[0-9+\-*/()]+$/);
      expect(verifyCountdown(p, p.solution).correct).toBe(true);
    }
    for (const p of set.slice(0, 300)) expect(solveCountdown(p, { limit: 1 })).toHaveLength(1);
  });

  test("nums are not listed in solution order", () => {
    const inOrder = set.filter((p) => (p.solution.match(/\d+/g) ?? []).join(",") === p.nums.join(","));
    expect(inOrder.length).toBeLessThan(set.length / 2);
  });

  test("generation is linear in the number of puzzles (1,000 → 10,000)", () => {
    // Side by side in CPU time, not against a clock: 10× the puzzles cost about 10×; a
    // generator that rescanned its earlier puzzles (say, for duplicates) would cost 100×.
    expect(
      timeGrowth(
        () => generateCountdownSet(99, 1_000),
        () => generateCountdownSet(99, 10_000),
        { rounds: 3 },
      ),
    ).toBeLessThan(50);
  });

  test("honours options and rejects impossible ones", () => {
    const p = generateCountdown(new Rng(3), {
      minNums: 5,
      maxNums: 5,
      maxNum: 10,
      minTarget: 50,
      maxTarget: 60,
      id: "x",
    });
    expect(p.id).toBe("x");
    expect(p.nums).toHaveLength(5);
    expect(p.target >= 50 && p.target <= 60).toBe(true);
    expect(verifyCountdown(p, p.solution).correct).toBe(true);
    expect(() => generateCountdown(new Rng(3), { minNums: 4, maxNums: 3 })).toThrow(RangeError);
    expect(() => generateCountdown(new Rng(3), { maxNum: 0 })).toThrow(RangeError);
  });
});

describe("solveCountdown", () => {
  test("finds the obvious solution with its steps", () => {
    const [first, ...rest] = solveCountdownSteps({ target: 98, nums: [44, 19, 35] });
    expect(rest).toEqual([]);
    expect(first?.expression).toBe("44+35+19");
    expect(replay([44, 19, 35], first?.steps ?? [])).toEqual([98]);
  });

  test("collapses commutative and associative variants", () => {
    const sols = solveCountdown({ target: 6, nums: [1, 2, 3] });
    expect(new Set(sols).size).toBe(sols.length);
    expect(sols).toContain("3+2+1");
    expect(sols).toContain("3*2*1");
    expect(sols.filter((s) => /^[123][+][123][+][123]$/.test(s))).toHaveLength(1);
  });

  test("integer-only versus exact rational search", () => {
    const p = { target: 24, nums: [1, 5, 5, 5] };
    expect(solveCountdown(p)).toEqual([]);
    expect(solveCountdown(p, { integerOnly: false })).toEqual(["5*(5-1/5)"]);
    const exact = solveCountdown({ target: 1, nums: [7, 3, 2, 3] }, { integerOnly: false });
    expect(exact.length).toBeGreaterThan(solveCountdown({ target: 1, nums: [7, 3, 2, 3] }).length);
    for (const s of exact) expect(verifyCountdown({ target: 1, nums: [7, 3, 2, 3] }, s).correct).toBe(true);
  });

  test("limit caps the number of solutions", () => {
    const p = { target: 24, nums: [2, 3, 4, 6] };
    expect(solveCountdown(p).length).toBeGreaterThan(3);
    expect(solveCountdown(p, { limit: 3 })).toHaveLength(3);
    expect(solveCountdown(p, { limit: 0 })).toEqual([]);
  });

  test.prop([fc.integer({ min: 0, max: 2 ** 31 })], { seed: SEED })("steps replay to the target", (seed) => {
    const p = generateCountdown(new Rng(seed));
    for (const s of solveCountdownSteps(p)) {
      expect(replay(p.nums, s.steps)).toEqual([p.target]);
      expect(verifyCountdown(p, s.expression).correct).toBe(true);
    }
  });

  test("a fourth number costs no more than the search's branching", () => {
    // The exhaustive search visits 60 pools for three numbers (3 pairs × 4 moves, then 1 × 4)
    // and 1,464 for four (6 × 4, then 3 × 4, then 1 × 4, summed): 24× the work. Measured side by
    // side in CPU time, a four-number solve must stay within a small factor of that.
    const set = generateCountdownSet(5, 200);
    const three = set.filter((p) => p.nums.length === 3);
    const four = set.filter((p) => p.nums.length === 4);
    expect(three.length).toBeGreaterThan(20);
    expect(four.length).toBeGreaterThan(20);
    const growth = timeGrowth(
      () => three.forEach((p) => solveCountdown(p)),
      () => four.forEach((p) => solveCountdown(p)),
    );
    const perPuzzle = (growth * three.length) / four.length;
    expect(perPuzzle).toBeLessThan(24 * 2.5);
  });
});
