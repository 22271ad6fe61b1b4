// Translation (English → Kalo) as a TaskSpec, with RLC's quality evaluation alongside.
import type { TaskSpec } from "../task.js";
import type { Rng } from "../../util/rng.js";
import { HELD_OUT_SEED } from "../../paths.js";
import { generateTranslation, generateTranslationSet, type TranslationProblem } from "./generate.js";
import {
  answerPrompt,
  judgePrompt,
  MAX_TOKENS,
  reflectPrompt,
  retryPrompt,
  SPECIAL,
  TRANSLATION_TOKENIZER,
} from "./prompts.js";
import { translationQuality, type QualityEvaluation } from "./quality.js";
import { extractTranslation, verifyTranslation } from "./verify.js";

/** The translation task's spec: a {@link TaskSpec} that also has a quality-evaluation prompt. */
export interface TranslationTaskSpec extends TaskSpec<TranslationProblem> {
  /** RLC's quality-evaluation prompt (a 0-10 score) for this open-ended task. */
  quality: QualityEvaluation<TranslationProblem>;
}

/** The translation task's {@link TaskSpec}: `task: "translation"` in a scenario. */
export const translationTask: TranslationTaskSpec = {
  name: "translation",
  tokenizer: TRANSLATION_TOKENIZER,
  // Ids are content-based (tr-<hash of the pair>), stable across runs and resumes.
  generate: (rng: Rng) => generateTranslation(rng),
  heldOut: (n: number) => generateTranslationSet(HELD_OUT_SEED, n),
  answerPrompt,
  judgePrompt,
  judgeReplies: { yes: SPECIAL.yes, no: SPECIAL.no },
  reflectPrompt,
  retryPrompt,
  extractAnswer: extractTranslation,
  // correct = exact match; the verdict also carries `score`, the sentence BLEU.
  verify: (p, answer) => verifyTranslation(p, answer),
  maxTokens: { answer: MAX_TOKENS.answer, reflection: MAX_TOKENS.reflection },
  demonstration: (p) => p.reference,
  reflectionStop: [SPECIAL.retry],
  quality: translationQuality,
};
