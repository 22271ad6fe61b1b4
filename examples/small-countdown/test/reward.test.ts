// The reward rule's properties, over any answer: in [0, 1]; a wrong answer earns 0; a right one
// earns at least the floor; a longer right answer never earns more than a shorter one.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { FLOOR, shapedReward } from "../src/reward.js";

describe("shapedReward", () => {
  test("is in [0, 1], 0 when wrong, at least the floor when right", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.string({ maxLength: 200 }), (correct, answer) => {
        const r = shapedReward(correct, answer);
        expect(r).toBeGreaterThanOrEqual(0);
        expect(r).toBeLessThanOrEqual(1);
        if (correct) expect(r).toBeGreaterThanOrEqual(FLOOR);
        else expect(r).toBe(0);
      }),
    );
  });

  test("prefers shorter right answers", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), fc.string({ minLength: 1, maxLength: 100 }), (answer, more) => {
        expect(shapedReward(true, answer + more)).toBeLessThanOrEqual(shapedReward(true, answer));
      }),
    );
  });
});
