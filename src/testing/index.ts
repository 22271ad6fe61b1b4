/**
 * fast-check arbitraries for property-testing reward logic: the generators the project's own
 * tests use. Puzzles with right and wrong answers, completions (well-formed, malformed and
 * hostile), token spans and masks, reward vectors and groups, and the values a buggy reward
 * returns. fast-check is a peer dependency: install it beside selfimprove.
 *
 * @example A reward stays in [0, 1] whatever the model writes
 * ```ts
 * import fc from "fast-check";
 * import { completion, countdownWithRightAnswer } from "selfimprove/testing";
 *
 * fc.assert(fc.property(countdownWithRightAnswer(), completion(), ({ puzzle }, text) => {
 *   const r = myReward(puzzle, text);
 *   return r >= 0 && r <= 1;
 * }));
 * ```
 *
 * @module selfimprove/testing
 */
import fc from "fast-check";
import { Rng } from "../util/rng.js";
import { generateCountdown, type CountdownProblem } from "../tasks/countdown/generate.js";
import { solveCountdownSteps } from "../tasks/countdown/solve.js";
import { formatSteps } from "../tasks/countdown/prompts.js";
import { wrongAnswer } from "../tasks/countdown/corpus.js";

/** A solvable Countdown puzzle from the project's generator (seeded, so it shrinks by seed). */
export const countdownPuzzle = (): fc.Arbitrary<CountdownProblem> =>
  fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((seed) => generateCountdown(new Rng(seed)));

/** A puzzle with one right answer (its solution written in move order). */
export const countdownWithRightAnswer = (): fc.Arbitrary<{ puzzle: CountdownProblem; answer: string }> =>
  countdownPuzzle().map((puzzle) => {
    const sol = solveCountdownSteps(puzzle, { limit: 1 })[0];
    return { puzzle, answer: sol ? formatSteps(puzzle.nums, sol.steps) : puzzle.solution };
  });

/** A puzzle with a wrong but well-formed answer (wrong value or wrong numbers). */
export const countdownWithWrongAnswer = (): fc.Arbitrary<{ puzzle: CountdownProblem; answer: string }> =>
  fc
    .tuple(countdownPuzzle(), fc.integer({ min: 0, max: 2 ** 31 - 1 }))
    .map(([puzzle, seed]) => ({ puzzle, answer: wrongAnswer(new Rng(seed), puzzle) }));

/** Text a model might emit: arithmetic-looking strings, including malformed ones. */
export const expressionLike = (): fc.Arbitrary<string> =>
  fc
    .array(fc.constantFrom(..."0123456789+-*/() ".split(""), "×", "÷", "−", "**", "^", "="), { maxLength: 40 })
    .map((xs) => xs.join(""));

/** Hostile completions: huge, deeply nested, code-like, unicode, control characters. */
export const hostileCompletion = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: "binary", maxLength: 200 }),
    fc.integer({ min: 1, max: 5000 }).map((n) => "(".repeat(n) + "1" + ")".repeat(n)),
    fc.integer({ min: 1, max: 20000 }).map((n) => "9".repeat(n)),
    fc.integer({ min: 1, max: 5000 }).map((n) => "1+".repeat(n) + "1"),
    fc.constantFrom(
      "process.exit(1)",
      "require('fs').rmSync('/')",
      "__proto__",
      "constructor.constructor('return 1')()",
      "２+３",
      "١+٢",
      "2**5",
      "NaN",
      "Infinity",
      "\u0000\u200b",
    ),
  );

/** Any completion: well-formed, malformed or hostile. */
export const completion = (): fc.Arbitrary<string> =>
  fc.oneof(expressionLike(), hostileCompletion(), fc.string({ maxLength: 60 }));

/** Token-id arrays over a vocabulary. */
export const tokens = (vocabSize = 28, maxLength = 40): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 0, max: vocabSize - 1 }), { maxLength });

/** An R3 conversation as token spans: prompt, attempt, reflection, retry (any lengths). */
export const r3Conversation = (
  vocabSize = 28,
): fc.Arbitrary<{ prompt: number[]; attempt: number[]; reflection: number[]; retry: number[] }> =>
  fc.record({
    prompt: tokens(vocabSize, 30).filter((t) => t.length > 0),
    attempt: tokens(vocabSize, 20),
    reflection: tokens(vocabSize, 15),
    retry: tokens(vocabSize, 20),
  });

/** A 0/1 mask of a given length. */
export const mask = (length: number): fc.Arbitrary<number[]> =>
  fc.array(fc.constantFrom(0, 1), { minLength: length, maxLength: length });

/** Rewards in [lo, hi] (finite). */
export const rewards = (
  opts: { minLength?: number; maxLength?: number; lo?: number; hi?: number } = {},
): fc.Arbitrary<number[]> =>
  fc.array(fc.double({ min: opts.lo ?? 0, max: opts.hi ?? 1, noNaN: true, noDefaultInfinity: true }), {
    minLength: opts.minLength ?? 1,
    maxLength: opts.maxLength ?? 16,
  });

/** Groups of rewards (GRPO's G samples per prompt), with group ids aligned to the flat list. */
export const rewardGroups = (
  opts: { groups?: number; groupSize?: number } = {},
): fc.Arbitrary<{ rewards: number[]; groupIds: string[] }> =>
  fc
    .array(rewards({ minLength: opts.groupSize ?? 2, maxLength: opts.groupSize ?? 8 }), {
      minLength: 1,
      maxLength: opts.groups ?? 6,
    })
    .map((gs) => ({ rewards: gs.flat(), groupIds: gs.flatMap((g, i) => g.map(() => `g${i}`)) }));

/** Values a buggy reward function might return. */
export const badReward = (): fc.Arbitrary<number> =>
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0.5, 1.5, 1e300);
