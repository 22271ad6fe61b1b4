// How the BBH-style tasks are written for the model, in the shapes Countdown uses (the role
// tokens of ../roles.ts). BBH's long instructions would not fit a 64-128 character context, so
// each input is self-describing instead: True/False words, digits and "=", bare brackets, "sort:", a question.
//
//   answer   <|bos|>not ( True and False ) or True<|ans|>   → T and F=F, not F=T, T or T=T; True<|eos|>
//   judge    <|bos|>((-1 + 2) * 3) =<|ans|>-1+2=1, 1*3=3; 3<|judge|>   → <|yes|> | <|no|>
//   reflect  <|bos|>[ { (<|ans|>) ]<|reflect|>               → REFLECTION<|retry|>
//   retry    ...<|reflect|>REFLECTION<|retry|>               → ) } ]<|eos|>
//
// Boolean, arithmetic and counting answers show their work before "; " (work.ts).
import type { TokenizerSpec } from "../../engine/tokenizer.js";
import { SPECIAL } from "../roles.js";

export { SPECIAL };

/** The character set of the BBH models. */
export const BBH_TOKENIZER: TokenizerSpec = {
  version: 1,
  specials: Object.values(SPECIAL),
  // Lowercase words plus the capitals of True, False, "I have" and "How many"; digits and
  // arithmetic; the four bracket pairs; the punctuation of the questions; ";" ends worked steps.
  chars: " abcdefghijklmnopqrstuvwxyzFHIT0123456789+-*=()[]{}<>:,.?;",
};

export interface HasInput {
  input: string;
}

/** The Student's prompt for a first attempt. */
export function answerPrompt(p: HasInput): string {
  return `${SPECIAL.bos}${p.input}${SPECIAL.ans}`;
}

/** RLC's Teacher prompt: is `answer` right? */
export function judgePrompt(p: HasInput, answer: string): string {
  return `${answerPrompt(p)}${answer}${SPECIAL.judge}`;
}

/** `instruction` replaces the <|reflect|> marker (a scenario's reflectionPrompt). */
export function reflectPrompt(p: HasInput, attempt: string, instruction: string = SPECIAL.reflect): string {
  return `${answerPrompt(p)}${attempt}${instruction}`;
}

/** R3's retry prompt: the failed attempt and the reflection in context. */
export function retryPrompt(
  p: HasInput,
  attempt: string,
  reflection: string,
  instruction: string = SPECIAL.reflect,
): string {
  return `${reflectPrompt(p, attempt, instruction)}${reflection}${SPECIAL.retry}`;
}

/** Sampling limits per role: the longest worked answer (a boolean one, about 80) plus room. */
export const MAX_TOKENS = { answer: 96, reflection: 24, judge: 1 } as const;
