// Translation pairs as JSON Lines: {"source": "the dog sleeps", "reference": "bako ta dor"}.
// `id` is optional (a content id is derived). With an "answer" field per line the same file feeds
// `verify` (see verifyTranslationJsonl), which also reports each answer's BLEU.

import { z } from "zod";
import { readJsonl, toJsonl } from "../../util/jsonl.js";
import { answerField, answerFormat, verifyJsonlStrict } from "../verify-jsonl.js";
import { translationProblem, type TranslationProblem } from "./generate.js";
import { verifyTranslation, type TranslationReason } from "./verify.js";

const lineSchema = z.object({
  id: z.string().min(1).max(200).optional(),
  source: z.string().min(1).max(2000),
  reference: z.string().min(1).max(2000),
});

function toProblem(line: z.output<typeof lineSchema>): TranslationProblem {
  const p = translationProblem(line.source, line.reference);
  return line.id === undefined ? p : { ...p, id: line.id };
}

/** The zod schema of one translation problem as written in JSONL (`source`, `reference`). */
export const translationProblemSchema = lineSchema.transform(toProblem);

/** One parsed JSONL line: its line number, the problem, and the raw object. */
export interface TranslationJsonlRecord {
  line: number;
  problem: TranslationProblem;
  raw: Record<string, unknown>;
}

/** Parses translation JSONL; throws JsonlError ("FILE:LINE: ...") on the first bad line. */
export function parseTranslationJsonl(text: string, fileName: string): TranslationJsonlRecord[] {
  return readJsonl(text, translationProblemSchema, fileName).map(({ line, value, raw }) => ({
    line,
    problem: value,
    raw,
  }));
}

/** One verified line of {@link verifyTranslationJsonl}: where it was, the answer, the verdict and its BLEU. */
export interface TranslationVerifyLine {
  line: number;
  id: string;
  answer: string;
  correct: boolean;
  reason: TranslationReason;
  /** Sentence BLEU, 0-100. */
  bleu: number;
}

const answeredSchema = lineSchema
  .extend({ answer: answerField })
  .transform((line) => ({ problem: toProblem(line), answer: line.answer }));

/** A pair plus an "answer" per line, and its verdict: the shape `selfimprove verify` prints. */
export const translationAnswerFormat = answerFormat(
  answeredSchema,
  ({ problem, answer }, line): TranslationVerifyLine => {
    const v = verifyTranslation(problem, answer);
    return { line, id: problem.id, answer, correct: v.correct, reason: v.reason, bleu: v.score };
  },
);

/** Verifies every line; throws JsonlError at the first bad line. */
export function verifyTranslationJsonl(text: string, fileName: string): TranslationVerifyLine[] {
  return verifyJsonlStrict(text, fileName, translationAnswerFormat);
}

export { toJsonl };
