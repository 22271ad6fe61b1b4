// Worked BBH answers: the work is read from the input text alone and always reaches the target; a
// mistake is exactly one slipped step carried on consistently (so a judge can find it where it
// stands); the good reflection names that step and its retry is the right work, word for word.
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { bbhProblem, generateBbhProblem } from "../src/tasks/bbh/generate.js";
import { wrongBbhAnswer } from "../src/tasks/bbh/mistakes.js";
import type { BbhProblem, BbhSub } from "../src/tasks/bbh/problem.js";
import { applyBbhReflection, goodBbhReflection } from "../src/tasks/bbh/reflection.js";
import { finalBbhAnswer, verifyBbh } from "../src/tasks/bbh/verify.js";
import {
  evaluateWork,
  readWork,
  solveBbh,
  workSlips,
  workSteps,
  writeWork,
  WORKED_SUBS,
} from "../src/tasks/bbh/work.js";
import { Rng } from "../src/util/rng.js";

const seed = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const worked = fc.constantFrom(...WORKED_SUBS);
const problemOf = (s: number, k: BbhSub): BbhProblem => generateBbhProblem(new Rng(s), [k]);

describe("worked answers", () => {
  test("by example", () => {
    expect(solveBbh(bbhProblem("multistep_arithmetic", { input: "((-1 + 2) * (3 - 4)) =", target: "-1" }))).toBe(
      "-1+2=1, 3-4=-1, 1*-1=-1; -1",
    );
    expect(
      solveBbh(bbhProblem("boolean_expressions", { input: "not ( True and False ) or False", target: "True" })),
    ).toBe("T and F=F, not F=T, T or F=T; True");
    // Python precedence: "and" binds tighter than "or"; chains group to the left.
    expect(solveBbh(bbhProblem("boolean_expressions", { input: "True or False and not False", target: "True" }))).toBe(
      "not F=T, F and T=F, T or F=T; True",
    );
    // Only the asked-for category is counted; a lone item needs no sum.
    expect(
      solveBbh(
        bbhProblem("object_counting", { input: "I have two pears, a cat and a plum. How many fruits?", target: "3" }),
      ),
    ).toBe("pears 2, plum 1, 2+1=3; 3");
    expect(
      solveBbh(
        bbhProblem("object_counting", { input: "I have a yam and four tables. How many vegetables?", target: "1" }),
      ),
    ).toBe("yam 1; 1");
    // Bare sub-tasks answer with the target alone.
    expect(solveBbh(bbhProblem("dyck_languages", { input: "[ {", target: "} ]" }))).toBe("} ]");
  });

  test.prop([seed, worked])("reach the target, read back as written, and have no slip", (s, k) => {
    const p = problemOf(s, k);
    const text = solveBbh(p);
    expect(finalBbhAnswer(text)).toBe(p.target);
    expect(verifyBbh(p, text).correct).toBe(true);
    const steps = workSteps(p);
    if (steps === undefined) throw new Error("worked sub-task without steps");
    const values = readWork(steps, text);
    expect(values).toEqual(evaluateWork(steps));
    expect(workSlips(steps, values ?? []).size).toBe(0);
  });

  test('the verifier scores the answer after the last "; ", as BBH scores chain-of-thought answers; the work is the judge\'s business', () => {
    const p = bbhProblem("object_counting", {
      input: "I have two pears, a cat and a plum. How many fruits?",
      target: "3",
    });
    expect(verifyBbh(p, "pears 2, plum 1, 2+1=3; 3").correct).toBe(true);
    expect(verifyBbh(p, "3").correct).toBe(true);
    expect(verifyBbh(p, "pears 2, plum 1, 2+1=4; 3").correct).toBe(true);
    expect(verifyBbh(p, "pears 2, plum 1, 2+1=3; 4")).toEqual({ correct: false, reason: "wrong value" });
    expect(verifyBbh(p, "pears 2, plum 1, 2+1=3; three")).toEqual({ correct: false, reason: "unparsable" });
  });

  test("inputs that are not the sub-task's are refused with the input named, never evaluated", () => {
    const bad = (sub: BbhSub, input: string) => () => workSteps({ sub, input });
    expect(bad("multistep_arithmetic", "process.exit(1) =")).toThrow(
      /not a BBH arithmetic expression: "process.exit\(1\) ="/,
    );
    expect(bad("multistep_arithmetic", "((1 + 2) =")).toThrow(SyntaxError);
    expect(bad("multistep_arithmetic", "(1 / 2) =")).toThrow(SyntaxError);
    expect(bad("boolean_expressions", "True and")).toThrow(/not a BBH boolean expression/);
    expect(bad("boolean_expressions", "( True or False")).toThrow(SyntaxError);
    expect(bad("object_counting", "I have a unicorn. How many animals?")).toThrow(/cannot read "a unicorn"/);
    expect(bad("object_counting", "I have a chair. How many animals?")).toThrow(/nothing to count/);
    expect(workSteps({ sub: "word_sorting", input: "sort: b a" })).toBeUndefined();
  });

  test.prop([seed, fc.string({ maxLength: 120 })])(
    "reading untrusted work never throws and accepts only the exact format",
    (s, text) => {
      const p = problemOf(s, "multistep_arithmetic");
      const steps = workSteps(p);
      if (steps === undefined) throw new Error("no steps");
      const values = readWork(steps, text);
      if (values !== undefined) expect(writeWork(steps, values)).toBe(text.trim());
      expect(readWork(steps, `${solveBbh(p)} `)).toBeDefined();
      expect(readWork(steps, solveBbh(p).replace("; ", ";"))).toBeUndefined();
      expect(readWork(steps, "x".repeat(10_000))).toBeUndefined();
    },
  );
});

describe("mistakes and their reflections", () => {
  test.prop([seed, worked])("a mistake is exactly one slipped step, carried on to a wrong answer", (s, k) => {
    const p = problemOf(s, k);
    const wrong = wrongBbhAnswer(new Rng(s + 1), p);
    const steps = workSteps(p);
    if (steps === undefined) throw new Error("no steps");
    const values = readWork(steps, wrong);
    expect(values, wrong).toBeDefined();
    expect(workSlips(steps, values ?? []).size).toBe(1);
    expect(verifyBbh(p, wrong).correct).toBe(false);
  });

  test.prop([seed, worked])("the good reflection names the slipped step, and its retry is the right work", (s, k) => {
    const p = problemOf(s, k);
    const wrong = wrongBbhAnswer(new Rng(s + 3), p);
    const good = goodBbhReflection(p, wrong);
    expect(good).toMatch(/^step \d+=(-?\d+|T|F)$/);
    expect(applyBbhReflection(p, wrong, good as string)).toBe(solveBbh(p));
  });

  test("slips land on every kind of step: miscounts, wrong sums, wrong intermediate values", () => {
    const rng = new Rng(5);
    const slipped = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const p = generateBbhProblem(rng, WORKED_SUBS);
      const steps = workSteps(p);
      if (steps === undefined) continue;
      const values = readWork(steps, wrongBbhAnswer(rng, p)) ?? [];
      for (const k of workSlips(steps, values).keys())
        slipped.add(`${p.sub}:${k === steps.length - 1 ? "last" : steps[k]?.args.length === 0 ? "item" : "inner"}`);
    }
    expect([...slipped].sort()).toEqual([
      "boolean_expressions:inner",
      "boolean_expressions:last",
      "multistep_arithmetic:inner",
      "multistep_arithmetic:last",
      "object_counting:item",
      "object_counting:last",
    ]);
  });
});
