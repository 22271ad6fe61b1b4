// How Countdown is written for the model. Every role the loops need has one prompt shape:
//
//   answer   <|bos|>44 19 35=98<|ans|>            → "(44+35)+19<|eos|>"
//   judge    <|bos|>44 19 35=98<|ans|>A<|judge|>  → "<|yes|>" | "<|no|>"
//   reflect  <|bos|>44 19 35=98<|ans|>A<|reflect|> → "44+35=79<|retry|>"
//   retry    ...<|reflect|>44+35=79<|retry|>      → "(44+35)+19<|eos|>"
//
// The role tokens (<|judge|>, <|reflect|>, ...) are every task's, from ../roles.ts.
import type { TokenizerSpec } from "../../engine/tokenizer.js";
import { SPECIAL } from "../roles.js";
import type { CountdownPuzzle } from "./verify.js";
import type { SolveStep } from "./solve.js";

// Re-exported: tests and older imports read the role tokens from here.
export { SPECIAL };

/** The character set of Countdown's models (digits, operators, role tokens). */
export const COUNTDOWN_TOKENIZER: TokenizerSpec = {
  version: 1,
  specials: Object.values(SPECIAL),
  chars: "0123456789+-*/()= ",
};

/** The puzzle as the model reads it: `44 19 35=98`. */
export function questionText(p: CountdownPuzzle): string {
  return `${p.nums.join(" ")}=${p.target}`;
}

/** The Student's prompt for a first attempt. */
export function answerPrompt(p: CountdownPuzzle): string {
  return `${SPECIAL.bos}${questionText(p)}${SPECIAL.ans}`;
}

/** RLC's Teacher prompt: is `answer` right? (the model replies `<|yes|>` or `<|no|>`). */
export function judgePrompt(p: CountdownPuzzle, answer: string): string {
  return `${answerPrompt(p)}${answer}${SPECIAL.judge}`;
}

/** R3's Reflector prompt after a failed attempt. */
export function reflectPrompt(p: CountdownPuzzle, attempt: string, instruction: string = SPECIAL.reflect): string {
  return `${answerPrompt(p)}${attempt}${instruction}`;
}

/** R3's retry prompt: the failed attempt and the reflection in context. */
export function retryPrompt(
  p: CountdownPuzzle,
  attempt: string,
  reflection: string,
  instruction: string = SPECIAL.reflect,
): string {
  return `${reflectPrompt(p, attempt, instruction)}${reflection}${SPECIAL.retry}`;
}

/** Sampling limits per role: long enough for any well-formed output, short enough to be cheap. */
export const MAX_TOKENS = { answer: 20, reflection: 12, judge: 1 } as const;

/** Writes a move sequence as one expression, every inner operation parenthesised, in move order. */
export function formatSteps(nums: readonly number[], steps: readonly SolveStep[]): string {
  const pool: Array<{ value: number; text: string }> = nums.map((n) => ({ value: n, text: String(n) }));
  const take = (value: number): string => {
    const i = pool.findIndex((x) => x.value === value);
    if (i < 0) throw new Error(`formatSteps: ${value} is not available`);
    const [item] = pool.splice(i, 1);
    return (item as { text: string }).text;
  };
  for (const s of steps) {
    const a = take(s.a);
    const b = take(s.b);
    pool.push({ value: s.result, text: `(${a}${s.op}${b})` });
  }
  if (pool.length !== 1) throw new Error(`formatSteps: ${pool.length} values left, expected 1`);
  const text = (pool[0] as { text: string }).text;
  return text.startsWith("(") && text.endsWith(")") && steps.length > 0 ? text.slice(1, -1) : text;
}

/** A reflection names one move: "44+35=79". */
export function formatStep(s: SolveStep): string {
  return `${s.a}${s.op}${s.b}=${s.result}`;
}
