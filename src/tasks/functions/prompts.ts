// How function calling is written for the model, in the shapes Countdown uses (the role
// tokens of ../roles.ts, so actors and machinery treat every task alike):
//
//   answer   <|bos|>weather in oslo<|ans|>                  → {"n":"weather","a":{"city":"oslo"}}<|eos|>
//   judge    <|bos|>weather in oslo<|ans|>CALL<|judge|>     → <|yes|> | <|no|>
//   reflect  <|bos|>weather in oslo<|ans|>CALL<|reflect|>   → use weather<|retry|>
//   retry    ...<|reflect|>use weather<|retry|>             → {"n":"weather",...}<|eos|>
//
// The catalogue is not in the prompt (it would not fit a 128-character context): the base model
// learns the tools in pretraining, as a fine-tuned model would.
import type { TokenizerSpec } from "../../engine/tokenizer.js";
import { SPECIAL } from "../roles.js";

export { SPECIAL };

/** The character set of the function-calling models. */
export const FUNCTIONS_TOKENIZER: TokenizerSpec = {
  version: 1,
  specials: Object.values(SPECIAL),
  // Requests are lowercase words, numbers and "?:." ; calls add JSON punctuation; reflections "=".
  chars: ' abcdefghijklmnopqrstuvwxyz0123456789{}":,.?=',
};

export interface HasRequest {
  request: string;
}

/** The Student's prompt for a first attempt. */
export function answerPrompt(p: HasRequest): string {
  return `${SPECIAL.bos}${p.request}${SPECIAL.ans}`;
}

/** RLC's Teacher prompt: is `answer` right? */
export function judgePrompt(p: HasRequest, answer: string): string {
  return `${answerPrompt(p)}${answer}${SPECIAL.judge}`;
}

/** `instruction` replaces the <|reflect|> marker (a scenario's reflectionPrompt). */
export function reflectPrompt(p: HasRequest, attempt: string, instruction: string = SPECIAL.reflect): string {
  return `${answerPrompt(p)}${attempt}${instruction}`;
}

/** R3's retry prompt: the failed attempt and the reflection in context. */
export function retryPrompt(
  p: HasRequest,
  attempt: string,
  reflection: string,
  instruction: string = SPECIAL.reflect,
): string {
  return `${reflectPrompt(p, attempt, instruction)}${reflection}${SPECIAL.retry}`;
}

/** Sampling limits per role: the longest canonical call or reflection, plus the stop token. */
export const MAX_TOKENS = { answer: 64, reflection: 32, judge: 1 } as const;
