// `selfimprove verify` for any task: a JSONL file of problems with candidate answers, one verdict
// per line. A bad line (not UTF-8, not JSON, a wrong field, an answer over the length limit) gets
// its own error verdict naming its line and the rest are still verified; `strict` rejects the
// whole file at the first bad line instead. Lengths are checked before anything is parsed or
// normalised, so a hostile line costs no more than a short one.
import { z } from "zod";
import { checkJsonlLine, JsonlError, splitJsonlBytes } from "../util/jsonl.js";

/** Candidate answers longer than this are not verified (model answers here are under 300 characters). */
export const MAX_ANSWER_CHARS = 20_000;

/** The "answer" field every task's verify format carries. */
export const answerField = z.string().max(MAX_ANSWER_CHARS, {
  message: `longer than ${MAX_ANSWER_CHARS} characters, the limit for an answer (not verified)`,
});

/** A task's verify format: the line's schema and the verdict on a valid line. */
export interface AnswerFormat<S extends z.ZodTypeAny, R extends { correct: boolean }> {
  schema: S;
  verdict: (value: z.output<S>, line: number) => R;
}

/** Defines a format with its types inferred from the schema. */
export function answerFormat<S extends z.ZodTypeAny, R extends { correct: boolean }>(
  schema: S,
  verdict: (value: z.output<S>, line: number) => R,
): AnswerFormat<S, R> {
  return { schema, verdict };
}

/** A line that could not be verified, in place of its verdict. */
export interface BadLine {
  line: number;
  error: string;
}

export function isBadLine(v: object): v is BadLine {
  return "error" in v && typeof (v as { error: unknown }).error === "string";
}

/** Verdicts (or bad-line errors) in file order, one per non-blank line, computed as they are read. */
export function* verifyJsonlLines<S extends z.ZodTypeAny, R extends { correct: boolean }>(
  bytes: Uint8Array,
  format: AnswerFormat<S, R>,
): Generator<R | BadLine> {
  for (const raw of splitJsonlBytes(bytes)) {
    if ("problem" in raw) {
      yield { line: raw.line, error: raw.problem };
      continue;
    }
    const checked = checkJsonlLine(raw.text, format.schema);
    yield checked.ok ? format.verdict(checked.value, raw.line) : { line: raw.line, error: checked.problem };
  }
}

/** Every verdict, or JsonlError at the first bad line (the whole file is rejected). */
export function verifyJsonlStrict<S extends z.ZodTypeAny, R extends { correct: boolean }>(
  data: Uint8Array | string,
  fileName: string,
  format: AnswerFormat<S, R>,
): R[] {
  const out: R[] = [];
  for (const v of verifyJsonlLines(typeof data === "string" ? Buffer.from(data, "utf8") : data, format)) {
    if (isBadLine(v)) throw new JsonlError(fileName, v.line, v.error);
    out.push(v);
  }
  return out;
}
