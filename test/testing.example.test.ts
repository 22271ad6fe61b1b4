// The README's example: property-testing a reward function of your own with the arbitraries
// from `selfimprove/testing`. A reward that gives format credit must stay in [0, 1], pay right
// answers more than wrong ones, and never throw on hostile model output.
import { describe, expect } from "vitest";
import { test } from "@fast-check/vitest";
import { completion, countdownWithRightAnswer, countdownWithWrongAnswer, rewardGroups } from "../src/testing/index.js";
import { verifyCountdown, type CountdownPuzzle } from "../src/tasks/countdown/verify.js";
import { groupAdvantages } from "../src/rewards/index.js";

/** A user's reward: 1 if right, 0.1 if it parses but is wrong, 0 otherwise. */
function myReward(p: CountdownPuzzle, text: string): number {
  const v = verifyCountdown(p, text);
  return v.correct ? 1 : v.reason === "unparsable" ? 0 : 0.1;
}

describe("a user's reward function", () => {
  test.prop([countdownWithRightAnswer()], { seed: 1 })("pays 1 for right answers", ({ puzzle, answer }) => {
    expect(myReward(puzzle, answer)).toBe(1);
  });

  test.prop([countdownWithWrongAnswer()], { seed: 2 })("pays less for wrong ones", ({ puzzle, answer }) => {
    expect(myReward(puzzle, answer)).toBeLessThan(1);
  });

  test.prop([countdownWithRightAnswer(), completion()], { seed: 3 })(
    "stays in [0, 1] and never throws on any completion",
    ({ puzzle }, text) => {
      const r = myReward(puzzle, text);
      expect(r).toBeGreaterThanOrEqual(0);
      expect(r).toBeLessThanOrEqual(1);
    },
  );

  test.prop([rewardGroups()], { seed: 4 })(
    "its group-normalised advantages sum to zero per group",
    ({ rewards, groupIds }) => {
      const adv = groupAdvantages(rewards, groupIds);
      const sums = new Map<string, number>();
      groupIds.forEach((g, i) => sums.set(g, (sums.get(g) ?? 0) + (adv[i] as number)));
      for (const s of sums.values()) expect(Math.abs(s)).toBeLessThan(1e-9);
    },
  );
});
