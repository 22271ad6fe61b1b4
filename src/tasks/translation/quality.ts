// RLC's quality evaluation for translation: the judge reads (source, translation) and gives a
// score; the reward is that score clipped to [0, 10]. The ground truth a judge is pretrained
// towards is sentence BLEU against the reference, scaled to 0-10.

import type { TranslationProblem } from "./generate.js";
import { qualityPrompt, MAX_TOKENS } from "./prompts.js";
import { verifyTranslation } from "./verify.js";
import type { QualityEvaluation } from "../task.js";

export type { QualityEvaluation } from "../task.js";

const LEADING_NUMBER = /^\s*(\d{1,3})/;

/** The 0–10 score in a judge's reply, or undefined when there is none. */
export function parseQualityScore(reply: string): number | undefined {
  if (typeof reply !== "string") return undefined;
  const m = LEADING_NUMBER.exec(reply.slice(0, 16));
  return m === null ? undefined : Math.min(10, Number(m[1]));
}

/** Sentence BLEU scaled to an integer 0-10. */
export function qualityTarget(p: { reference: string }, answer: string): number {
  return Math.round(verifyTranslation(p, answer).score / 10);
}

/**
 * RLC's quality evaluation for translation: the judge scores an answer 0–10 (`selfEvalReward:
 * "quality"`).
 */
export const translationQuality: QualityEvaluation<TranslationProblem> = {
  prompt: qualityPrompt,
  parse: parseQualityScore,
  target: qualityTarget,
  maxTokens: MAX_TOKENS.quality,
};
