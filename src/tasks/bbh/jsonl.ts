// BBH-style problems as JSON Lines, in BBH's own record shape plus the sub-task:
//   {"sub": "boolean_expressions", "input": "not ( True ) and True", "target": "False"}
// `id` is optional (a content id is derived). With an "answer" field per line the same file feeds
// `verify` (see verifyBbhJsonl).

import { z } from "zod";
import { readJsonl, toJsonl } from "../../util/jsonl.js";
import { answerField, answerFormat, verifyJsonlStrict } from "../verify-jsonl.js";
import { bbhProblem } from "./generate.js";
import { BBH_SUBS, type BbhProblem } from "./problem.js";
import { verifyBbh, type BbhReason } from "./verify.js";

const lineSchema = z.object({
  id: z.string().min(1).max(200).optional(),
  sub: z.enum(BBH_SUBS),
  input: z.string().min(1).max(2000),
  target: z.string().min(1).max(500),
});

function toProblem(line: z.output<typeof lineSchema>): BbhProblem {
  const p = bbhProblem(line.sub, { input: line.input, target: line.target });
  return line.id === undefined ? p : { ...p, id: line.id };
}

/** The zod schema of one BBH problem as written in JSONL (`sub`, `input`, `target`). */
export const bbhProblemSchema = lineSchema.transform(toProblem);

/** One parsed JSONL line: its line number, the problem, and the raw object. */
export interface BbhJsonlRecord {
  line: number;
  problem: BbhProblem;
  raw: Record<string, unknown>;
}

/** Parses BBH-style JSONL; throws JsonlError ("FILE:LINE: ...") on the first bad line. */
export function parseBbhJsonl(text: string, fileName: string): BbhJsonlRecord[] {
  return readJsonl(text, bbhProblemSchema, fileName).map(({ line, value, raw }) => ({ line, problem: value, raw }));
}

/** One verified line of {@link verifyBbhJsonl}: where it was, the answer and the verdict. */
export interface BbhVerifyLine {
  line: number;
  id: string;
  sub: string;
  answer: string;
  correct: boolean;
  reason: BbhReason;
}

const answeredSchema = lineSchema
  .extend({ answer: answerField })
  .transform((line) => ({ problem: toProblem(line), answer: line.answer }));

/** A problem plus an "answer" per line, and its verdict: the shape `selfimprove verify` prints. */
export const bbhAnswerFormat = answerFormat(answeredSchema, ({ problem, answer }, line): BbhVerifyLine => {
  const v = verifyBbh(problem, answer);
  return { line, id: problem.id, sub: problem.sub, answer, correct: v.correct, reason: v.reason };
});

/** Verifies every line; throws JsonlError at the first bad line. */
export function verifyBbhJsonl(text: string, fileName: string): BbhVerifyLine[] {
  return verifyJsonlStrict(text, fileName, bbhAnswerFormat);
}

export { toJsonl };
