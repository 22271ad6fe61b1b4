// The public Countdown JSONL format: {"target": 98, "nums": [44, 19, 35]} per line. Extra fields
// (ids, reference solutions, candidate answers) pass through untouched in `raw`.

import { z } from "zod";
import { readJsonl, toJsonl } from "../../util/jsonl.js";
import { answerField, answerFormat } from "../verify-jsonl.js";
import { verifyCountdown, type CountdownPuzzle, type CountdownReason } from "./verify.js";

/**
 * The zod schema of one puzzle as written in JSONL (`target`, `nums`): validate your own data files
 * with it.
 */
export const countdownPuzzleSchema = z.object({
  target: z.number().int().safe(),
  nums: z.array(z.number().int().positive().safe()).min(1).max(6),
});

/** One parsed JSONL line: its line number, the puzzle, and the raw object. */
export interface CountdownJsonlRecord {
  line: number;
  puzzle: CountdownPuzzle;
  raw: Record<string, unknown>;
}

/** Parses Countdown JSONL; throws JsonlError ("FILE:LINE: ...") on the first bad line. */
export function parseCountdownJsonl(text: string, fileName: string): CountdownJsonlRecord[] {
  return readJsonl(text, countdownPuzzleSchema, fileName).map(({ line, value, raw }) => ({
    line,
    puzzle: { target: value.target, nums: value.nums },
    raw,
  }));
}

export interface CountdownVerifyLine {
  line: number;
  target: number;
  nums: number[];
  answer: string;
  correct: boolean;
  reason: CountdownReason;
}

/** A puzzle plus an "answer" per line, and its verdict: the shape `selfimprove verify` prints. */
export const countdownAnswerFormat = answerFormat(
  countdownPuzzleSchema.extend({ answer: answerField }),
  ({ target, nums, answer }, line): CountdownVerifyLine => {
    const verdict = verifyCountdown({ target, nums }, answer);
    return { line, target, nums, answer, correct: verdict.correct, reason: verdict.reason };
  },
);

export { toJsonl };
