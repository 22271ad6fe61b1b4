// How translation is written for the model, in the shapes Countdown uses (the role tokens of
// ../roles.ts), plus RLC's quality-evaluation prompt (QEP), where the judge gives a score from 0 to 10 rather
// than yes or no. <|score|> stands for the QEP sentence ("Please help me evaluate ... Only give a
// score from 1 to 10"), as <|judge|> stands for the correctness question.
//
//   answer   <|bos|>the big dog sleeps<|ans|>                 → bako gan ta dor<|eos|>
//   judge    <|bos|>the big dog sleeps<|ans|>T<|judge|>       → <|yes|> | <|no|>
//   quality  <|bos|>the big dog sleeps<|ans|>T<|score|>       → 7<|eos|>
//   reflect  <|bos|>the big dog sleeps<|ans|>T<|reflect|>     → dog=bako<|retry|>
//   retry    ...<|reflect|>dog=bako<|retry|>                  → bako gan ta dor<|eos|>
import type { TokenizerSpec } from "../../engine/tokenizer.js";
import { SPECIAL as BASE_SPECIAL } from "../roles.js";

export const SPECIAL = { ...BASE_SPECIAL, score: "<|score|>" } as const;

/** The character set of the translation models. */
export const TRANSLATION_TOKENIZER: TokenizerSpec = {
  version: 1,
  specials: Object.values(SPECIAL),
  // Both languages are lowercase words; digits are the quality judge's scores; "=" is for glosses.
  chars: " abcdefghijklmnopqrstuvwxyz0123456789=",
};

export interface HasSource {
  source: string;
}

/** The Student's prompt for a first attempt. */
export function answerPrompt(p: HasSource): string {
  return `${SPECIAL.bos}${p.source}${SPECIAL.ans}`;
}

/** RLC's Teacher prompt: is `answer` right? */
export function judgePrompt(p: HasSource, answer: string): string {
  return `${answerPrompt(p)}${answer}${SPECIAL.judge}`;
}

/** RLC's quality-evaluation prompt: the judge replies with a score 0-10 (see parseQualityScore). */
export function qualityPrompt(p: HasSource, answer: string): string {
  return `${answerPrompt(p)}${answer}${SPECIAL.score}`;
}

/** `instruction` replaces the <|reflect|> marker (a scenario's reflectionPrompt). */
export function reflectPrompt(p: HasSource, attempt: string, instruction: string = SPECIAL.reflect): string {
  return `${answerPrompt(p)}${attempt}${instruction}`;
}

/** R3's retry prompt: the failed attempt and the reflection in context. */
export function retryPrompt(
  p: HasSource,
  attempt: string,
  reflection: string,
  instruction: string = SPECIAL.reflect,
): string {
  return `${reflectPrompt(p, attempt, instruction)}${reflection}${SPECIAL.retry}`;
}

/** Sampling limits per role: the longest reference plus the stop token; "10" plus the stop token. */
export const MAX_TOKENS = { answer: 44, reflection: 16, judge: 1, quality: 3 } as const;
