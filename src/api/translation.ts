/**
 * The translation task, English → Kalo (a small invented language): its {@link translationTask}
 * spec, problem generator, verifier (exact match, with sentence BLEU), RLC's 0–10 quality
 * evaluation, the JSONL format `selfimprove verify` reads, and the prompts of each role.
 *
 * @module
 */
// The package's `translation` namespace (src/index.ts) is this deliberate subset of the task; the
// full barrel (src/tasks/translation/index.ts) also holds the grammar, the lexicon and the
// pretraining corpus's building blocks.
export { translationTask, type TranslationTaskSpec } from "../tasks/translation/spec.js";
export { generateTranslation, generateTranslationSet, type TranslationProblem } from "../tasks/translation/generate.js";
export {
  verifyTranslation,
  extractTranslation,
  type TranslationReason,
  type TranslationVerdict,
} from "../tasks/translation/verify.js";
export { translationQuality, parseQualityScore, qualityTarget } from "../tasks/translation/quality.js";
export {
  translationProblemSchema,
  parseTranslationJsonl,
  verifyTranslationJsonl,
  toJsonl,
  type TranslationJsonlRecord,
  type TranslationVerifyLine,
} from "../tasks/translation/jsonl.js";
export {
  TRANSLATION_TOKENIZER,
  MAX_TOKENS,
  answerPrompt,
  judgePrompt,
  qualityPrompt,
  reflectPrompt,
  retryPrompt,
} from "../tasks/translation/prompts.js";
