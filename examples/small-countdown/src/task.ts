// A task of this project's own: Countdown with three numbers up to 20 and targets up to 50. It
// is written in the shipped Countdown model's language (its prompts, tokenizer and role
// tokens), so it runs on that base model with no pretraining of its own.
import { countdown, defineTask, type Rng } from "selfimprove";

export interface SmallPuzzle {
  id: string;
  target: number;
  nums: number[];
  /** One right answer, known from how the puzzle was made. */
  solution: string;
}

function puzzleId(target: number, nums: readonly number[]): string {
  return `small-${target}-${nums.join("-")}`;
}

export default defineTask<SmallPuzzle>({
  name: "small-countdown",
  base: "countdown",
  generate: (rng: Rng) => {
    const p = countdown.generateCountdown(rng, { minNums: 3, maxNums: 3, maxNum: 20, maxTarget: 50 });
    return { id: puzzleId(p.target, p.nums), target: p.target, nums: p.nums, solution: p.solution };
  },
  prompts: {
    answer: (p) => countdown.answerPrompt(p),
    judge: (p, answer) => countdown.judgePrompt(p, answer),
    reflect: (p, attempt, instruction) => countdown.reflectPrompt(p, attempt, instruction),
    retry: (p, attempt, reflection, instruction) => countdown.retryPrompt(p, attempt, reflection, instruction),
  },
  extractAnswer: (text) => countdown.extractAnswer(text),
  // The model's text is parsed by the Countdown verifier, never evaluated.
  verify: (p, answer) => countdown.verifyCountdown(p, answer),
  rightAnswer: (p) => p.solution,
  wrongAnswer: (_rng, p) => p.nums.join("+") + "+1",
  jsonl: {
    parse: (r) => {
      const { target, nums, solution } = r;
      if (!Number.isInteger(target)) throw new Error("target: expected an integer");
      if (!Array.isArray(nums) || nums.length !== 3 || !nums.every((n) => Number.isInteger(n) && (n as number) > 0))
        throw new Error("nums: expected three positive integers");
      if (typeof solution !== "string") throw new Error("solution: expected a string");
      return {
        id: puzzleId(target as number, nums as number[]),
        target: target as number,
        nums: nums as number[],
        solution,
      };
    },
    format: (p) => ({ target: p.target, nums: p.nums, solution: p.solution }),
  },
});
