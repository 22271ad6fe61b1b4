export {
  NOUNS,
  ADJECTIVES,
  VERBS,
  DEFINITE,
  PLURAL_SUFFIX,
  NEGATION,
  type Noun,
  type Verb,
  type Adjective,
} from "./lexicon.js";
export { randomSentence, toEnglish, toKalo, type Sentence, type NounPhrase } from "./sentence.js";
export {
  generateTranslation,
  generateTranslationSet,
  translationProblem,
  MAX_SOURCE_LENGTH,
  type TranslationProblem,
} from "./generate.js";
export {
  verifyTranslation,
  normaliseTranslation,
  extractTranslation,
  MAX_TRANSLATION_ANSWER,
  type TranslationReason,
  type TranslationVerdict,
} from "./verify.js";
export { translationQuality, parseQualityScore, qualityTarget, type QualityEvaluation } from "./quality.js";
export {
  translationProblemSchema,
  parseTranslationJsonl,
  verifyTranslationJsonl,
  toJsonl,
  type TranslationJsonlRecord,
  type TranslationVerifyLine,
} from "./jsonl.js";
export {
  TRANSLATION_TOKENIZER,
  answerPrompt,
  judgePrompt,
  qualityPrompt,
  reflectPrompt,
  retryPrompt,
  MAX_TOKENS,
  SPECIAL,
} from "./prompts.js";
export { translationTask, type TranslationTaskSpec } from "./spec.js";
export { kaloWord, wordsOfClass, glossOf, glossIsTrue, isPluralNoun, type KaloWord, type WordClass } from "./words.js";
export {
  translationMistake,
  wrongTranslation,
  TRANSLATION_MISTAKES,
  LEXICAL_MISTAKES,
  type TranslationMistake,
} from "./mistakes.js";
export { parseGloss, glossHelps, helpfulGloss, unhelpfulGlosses } from "./reflection.js";
export {
  translationCorpusExample,
  DEFAULT_TRANSLATION_MIX,
  type TranslationCorpusExample,
  type TranslationCorpusMix,
  type TranslationExampleKind,
} from "./corpus.js";
