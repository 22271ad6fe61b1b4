import { describe, expect } from "vitest";
import { test, fc } from "@fast-check/vitest";
import { Rng } from "../src/util/rng.js";
import { Tokenizer } from "../src/engine/tokenizer.js";
import { generateCountdown } from "../src/tasks/countdown/generate.js";
import { solveCountdownSteps } from "../src/tasks/countdown/solve.js";
import { verifyCountdown } from "../src/tasks/countdown/verify.js";
import { COUNTDOWN_TOKENIZER, formatStep, formatSteps, SPECIAL } from "../src/tasks/countdown/prompts.js";
import {
  applyMove,
  corpusExample,
  isGoodMove,
  legalMoves,
  parseReflection,
  reflectionIsGood,
  wrongAnswer,
} from "../src/tasks/countdown/corpus.js";
import { encodeSegments } from "../src/train/segments.js";

const tok = new Tokenizer(COUNTDOWN_TOKENIZER);
const seeds = fc.integer({ min: 0, max: 2 ** 31 - 1 });

describe("step-ordered answers", () => {
  test.prop([seeds], { seed: 11, numRuns: 150 })("every solver solution, written in move order, verifies", (seed) => {
    const p = generateCountdown(new Rng(seed));
    for (const s of solveCountdownSteps(p, { limit: 4 })) {
      const text = formatSteps(p.nums, s.steps);
      expect(verifyCountdown(p, text)).toMatchObject({ correct: true });
    }
  });

  test.prop([seeds], { seed: 12, numRuns: 150 })("wrong answers never verify", (seed) => {
    const rng = new Rng(seed);
    const p = generateCountdown(rng);
    expect(verifyCountdown(p, wrongAnswer(rng, p)).correct).toBe(false);
  });
});

describe("moves and reflections", () => {
  test.prop([seeds], { seed: 13, numRuns: 100 })(
    "a move is good exactly when the pool it leaves can reach the target",
    (seed) => {
      const p = generateCountdown(new Rng(seed));
      for (const m of legalMoves(p.nums)) {
        const reachable =
          solveCountdownSteps({ nums: applyMove(p.nums, m), target: p.target }, { limit: 1 }).length > 0;
        expect(isGoodMove(p, m)).toBe(reachable);
        expect(reflectionIsGood(p, formatStep(m))).toBe(reachable);
      }
    },
  );

  test("a commuted move names the same move; bad arithmetic or foreign numbers are not good", () => {
    const p = { nums: [44, 19, 35], target: 98 };
    expect(reflectionIsGood(p, "44+35=79")).toBe(true);
    expect(reflectionIsGood(p, "35+44=79")).toBe(true);
    expect(reflectionIsGood(p, "44+35=80")).toBe(false);
    expect(reflectionIsGood(p, "44+36=80")).toBe(false);
    expect(reflectionIsGood(p, "44*19=836")).toBe(false);
  });

  test.prop([fc.string({ maxLength: 200 })], { seed: 14 })(
    "reflection parsing never throws on untrusted text",
    (text) => {
      expect(() => parseReflection(text)).not.toThrow();
      expect(() => reflectionIsGood({ nums: [1, 2, 3], target: 6 }, text)).not.toThrow();
    },
  );
});

describe("corpus", () => {
  test("examples have the promised mix and labels", () => {
    const rng = new Rng(5);
    const counts = { answer: 0, judge: 0, reflect: 0, arith: 0 };
    let answersRight = 0;
    let goodReflections = 0;
    let retriesRightAfterGood = 0;
    let retriesRightAfterBad = 0;
    for (let i = 0; i < 1500; i++) {
      const p = generateCountdown(rng);
      const ex = corpusExample(rng, p);
      counts[ex.kind]++;
      const [prompt, ...rest] = ex.segments;
      expect(prompt?.train).toBe(false);
      expect(rest.every((s) => s.train)).toBe(true);
      const { tokens } = encodeSegments(tok, ex.segments);
      expect(tokens).not.toContain(tok.unk);
      expect(tokens.length).toBeLessThanOrEqual(64);
      if (ex.kind === "answer") {
        const answer = (rest[0]?.text ?? "").replace(SPECIAL.eos, "");
        if (verifyCountdown(p, answer).correct) answersRight++;
      } else if (ex.kind === "judge") {
        const answer = (prompt?.text ?? "").split(SPECIAL.ans)[1]?.replace(SPECIAL.judge, "") ?? "";
        const label = rest[0]?.text;
        expect(label).toBe(verifyCountdown(p, answer).correct ? SPECIAL.yes : SPECIAL.no);
      } else {
        const reflection = (rest[0]?.text ?? "").replace(SPECIAL.retry, "");
        const retry = (rest[1]?.text ?? "").replace(SPECIAL.eos, "");
        const good = reflectionIsGood(p, reflection);
        const right = verifyCountdown(p, retry).correct;
        if (good) {
          goodReflections++;
          if (right) retriesRightAfterGood++;
        } else if (right) retriesRightAfterBad++;
        // The retry follows the move its reflection named.
        const m = parseReflection(reflection);
        expect(m).toBeDefined();
        expect(retry).toContain(`(${m?.a}${m?.op}${m?.b})`.replace(/^\((.*)\)$/, "$1"));
      }
    }
    expect(counts.answer / 1500).toBeCloseTo(0.35, 1);
    expect(counts.judge / 1500).toBeCloseTo(0.35, 1);
    expect(answersRight / counts.answer).toBeGreaterThan(0.2);
    expect(answersRight / counts.answer).toBeLessThan(0.4);
    expect(goodReflections / counts.reflect).toBeGreaterThan(0.4);
    expect(retriesRightAfterGood).toBe(goodReflections);
    expect(retriesRightAfterBad).toBe(0);
  });
});
