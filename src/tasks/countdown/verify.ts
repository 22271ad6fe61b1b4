// The Countdown reward: an answer is correct when it is an arithmetic expression that uses each given
// number exactly once and evaluates exactly to the target.

import { evaluateParsed, parseExpression, significantDigits } from "./expression.js";
import { Rational } from "./rational.js";

/** A Countdown puzzle: reach `target` using each of `nums` at most once with + − × ÷. */
export interface CountdownPuzzle {
  target: number;
  nums: number[];
}

/** Why {@link verifyCountdown} accepted or rejected an answer. */
export type CountdownReason = "ok" | "unparsable" | "wrong numbers" | "wrong value" | "division by zero";

/** The Countdown verifier's verdict on one answer. */
export interface CountdownVerdict {
  correct: boolean;
  reason: CountdownReason;
  /** Exact value ("p/q" or "n") when the answer evaluated. */
  value?: string;
}

/** Canonical decimal form of a literal, so "07" matches 7. */
function canonicalDigits(digits: string): string {
  return digits.slice(digits.length - significantDigits(digits));
}

function sameMultiset(literals: readonly string[], nums: readonly number[]): boolean {
  if (literals.length !== nums.length) return false;
  const counts = new Map<string, number>();
  for (const n of nums) {
    // A puzzle number that is not a non-negative integer can never be written as a literal.
    if (!Number.isSafeInteger(n) || n < 0) return false;
    const key = String(n);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  for (const digits of literals) {
    const key = canonicalDigits(digits);
    const c = counts.get(key);
    if (c === undefined || c === 0) return false;
    counts.set(key, c - 1);
  }
  return true;
}

function verify(puzzle: CountdownPuzzle, answer: string): CountdownVerdict {
  const parsed = parseExpression(answer);
  if (!parsed.ok) return { correct: false, reason: "unparsable" };
  // Checking literals first bounds the arithmetic to the puzzle's handful of small numbers.
  if (!sameMultiset(parsed.literals, puzzle.nums)) return { correct: false, reason: "wrong numbers" };
  const result = evaluateParsed(parsed);
  if (!result.ok) return { correct: false, reason: result.reason };
  const value = result.value.toString();
  const hit = Number.isSafeInteger(puzzle.target) && result.value.equals(Rational.fromInt(puzzle.target));
  return hit ? { correct: true, reason: "ok", value } : { correct: false, reason: "wrong value", value };
}

/** Checks a candidate expression against a puzzle. Never throws, whatever `answer` holds. */
export function verifyCountdown(puzzle: CountdownPuzzle, answer: string): CountdownVerdict {
  try {
    if (typeof answer !== "string") return { correct: false, reason: "unparsable" };
    return verify(puzzle, answer);
  } catch {
    // Unreachable by design; a reward function must still never crash a training run.
    return { correct: false, reason: "unparsable" };
  }
}

/** The candidate expression in a model completion: its first non-blank line, trimmed. */
export function extractAnswer(text: string): string {
  const trimmed = text.trim();
  const nl = trimmed.search(/\r|\n/);
  return (nl === -1 ? trimmed : trimmed.slice(0, nl)).trimEnd();
}
