// Scoring a translation: correct means an exact match with the reference (after whitespace and
// case normalisation), the binary signal R3 and RLC's correctness prompt need; `score` is sentence
// BLEU (sacreBLEU's sentence_bleu settings, 0-100), the graded signal translation is measured by.

import { sentenceBleu } from "../../metrics/bleu.js";

/** Why {@link verifyTranslation} accepted or rejected an answer. */
export type TranslationReason = "ok" | "wrong value" | "unparsable";

/** The translation verifier's verdict on one answer, with its sentence BLEU. */
export interface TranslationVerdict {
  correct: boolean;
  reason: TranslationReason;
  /** Sentence BLEU against the reference, 0..100. */
  score: number;
}

/** Translations are a few words; longer text is not one (and is not worth n-gram counting). */
export const MAX_TRANSLATION_ANSWER = 1000;

export function normaliseTranslation(text: string): string {
  return text.trim().replace(/\s+/g, " ").toLowerCase();
}

function verify(p: { reference: string }, answer: string): TranslationVerdict {
  const a = normaliseTranslation(answer);
  if (a === "" || answer.length > MAX_TRANSLATION_ANSWER) return { correct: false, reason: "unparsable", score: 0 };
  const ref = normaliseTranslation(p.reference);
  const score = sentenceBleu(a, [ref]).score;
  return a === ref ? { correct: true, reason: "ok", score } : { correct: false, reason: "wrong value", score };
}

/** Checks a translation against the reference. Never throws, whatever `answer` holds. */
export function verifyTranslation(p: { reference: string }, answer: string): TranslationVerdict {
  try {
    if (typeof answer !== "string" || typeof p.reference !== "string")
      return { correct: false, reason: "unparsable", score: 0 };
    return verify(p, answer);
  } catch {
    // Unreachable by design; a reward function must still never crash a training run.
    return { correct: false, reason: "unparsable", score: 0 };
  }
}

/** The translation in a model completion: its first non-blank line, trimmed. */
export function extractTranslation(text: string): string {
  const trimmed = typeof text === "string" ? text.trim() : "";
  const nl = trimmed.search(/\r|\n/);
  return (nl === -1 ? trimmed : trimmed.slice(0, nl)).trimEnd();
}
