// Function-calling problems as JSON Lines, one per line:
//   {"id": "fn-...", "request": "weather in oslo", "tool": "weather", "args": {"city": "oslo"}}
// `id` is optional (a content id is derived), `solution` is derived and ignored on input, and
// every argument is checked against the catalogue so a bad file fails at its line, not mid-run.
// With an "answer" field per line the same file feeds `verify` (see verifyFunctionJsonl).

import { z } from "zod";
import { readJsonl, toJsonl } from "../../util/jsonl.js";
import { answerField, answerFormat, verifyJsonlStrict } from "../verify-jsonl.js";
import { paramOf, toolByName, type ArgValue } from "./catalogue.js";
import { functionProblem, type FunctionProblem } from "./generate.js";
import { validArg } from "./normalise.js";
import { verifyCall, type CallReason } from "./verify.js";

function describeParam(p: NonNullable<ReturnType<typeof paramOf>>): string {
  switch (p.type) {
    case "enum":
      return `one of ${p.values.join(", ")}`;
    case "integer":
    case "number":
      return `${p.type === "integer" ? "an integer" : "a number"} in [${p.min}, ${p.max}]`;
    default:
      return p.type === "string" ? "a non-empty string" : "a boolean";
  }
}

const lineSchema = z.object({
  id: z.string().min(1).max(200).optional(),
  request: z.string().min(1).max(500),
  tool: z.string(),
  // Checked by hand below: zod's record would silently drop a "__proto__" key rather than report it.
  args: z.unknown(),
});

type Line = z.output<typeof lineSchema>;

function toProblem(line: Line, ctx: z.RefinementCtx): FunctionProblem {
  const schema = toolByName(line.tool);
  if (schema === undefined) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["tool"], message: `unknown tool ${JSON.stringify(line.tool)}` });
    return z.NEVER;
  }
  const raw = line.args;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["args"], message: "expected an object" });
    return z.NEVER;
  }
  const entries = Object.entries(raw);
  let ok = true;
  for (const [name, value] of entries) {
    const param = paramOf(schema, name);
    if (param === undefined) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["args", name],
        message: `${line.tool} has no parameter ${JSON.stringify(name)}`,
      });
      ok = false;
    } else if (!validArg(param, value)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["args", name], message: `expected ${describeParam(param)}` });
      ok = false;
    }
  }
  for (const param of schema.params) {
    if (param.required && !Object.hasOwn(raw, param.name)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["args", param.name], message: "required" });
      ok = false;
    }
  }
  if (!ok) return z.NEVER;
  // Every key is a catalogue parameter by now; fromEntries defines, never assigns.
  const args = Object.fromEntries(entries) as Record<string, ArgValue>;
  const p = functionProblem(line.request, { tool: schema.name, args });
  return line.id === undefined ? p : { ...p, id: line.id };
}

/** The zod schema of one function-calling problem as written in JSONL (`request`, `tool`, `args`). */
export const functionProblemSchema = lineSchema.transform(toProblem);

/** One parsed JSONL line: its line number, the problem, and the raw object. */
export interface FunctionJsonlRecord {
  line: number;
  problem: FunctionProblem;
  raw: Record<string, unknown>;
}

/** Parses function-calling JSONL; throws JsonlError ("FILE:LINE: ...") on the first bad line. */
export function parseFunctionJsonl(text: string, fileName: string): FunctionJsonlRecord[] {
  return readJsonl(text, functionProblemSchema, fileName).map(({ line, value, raw }) => ({
    line,
    problem: value,
    raw,
  }));
}

/** One verified line of {@link verifyFunctionJsonl}: where it was, the answer and the verdict. */
export interface FunctionVerifyLine {
  line: number;
  id: string;
  request: string;
  answer: string;
  correct: boolean;
  reason: CallReason;
}

const answeredSchema = lineSchema
  .extend({ answer: answerField })
  .transform((line, ctx) => ({ problem: toProblem(line, ctx), answer: line.answer }));

/** A problem plus an "answer" per line, and its verdict: the shape `selfimprove verify` prints. */
export const functionAnswerFormat = answerFormat(answeredSchema, ({ problem, answer }, line): FunctionVerifyLine => {
  const verdict = verifyCall(problem, answer);
  return { line, id: problem.id, request: problem.request, answer, correct: verdict.correct, reason: verdict.reason };
});

/** Verifies every line; throws JsonlError at the first bad line. */
export function verifyFunctionJsonl(text: string, fileName: string): FunctionVerifyLine[] {
  return verifyJsonlStrict(text, fileName, functionAnswerFormat);
}

export { toJsonl };
