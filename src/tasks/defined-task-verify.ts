// `selfimprove verify --task ./my-task.ts`: a user's task's verify format. A line is the task's own
// JSONL problem (read by its `jsonl.parse`) plus an "answer", verified by its `verify`. The
// task's functions are the user's code: whatever they throw or return that is not a verdict
// becomes that line's error verdict, like a malformed line, and the rest of the file is still
// verified.
import { z } from "zod";
import type { DefinedTask } from "./define-task.js";
import type { TaskProblem } from "./task.js";
import { answerField, answerFormat } from "./verify-jsonl.js";

/** One verified line: where it was, the problem as the task writes it, the answer and the verdict. */
export interface DefinedTaskVerifyLine {
  line: number;
  [field: string]: unknown;
  answer: string;
  correct: boolean;
  reason: string;
}

/** The verdict's own fields: a problem field of the same name is left out rather than overwrite them. */
const RESERVED = new Set(["line", "answer", "correct", "reason"]);

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The verify format of a defined task: its JSONL problem plus "answer", its verifier's verdict. */
export function definedTaskAnswerFormat<P extends TaskProblem>(def: DefinedTask<P>) {
  const schema = z
    .object({ answer: answerField })
    .passthrough()
    .transform((value, ctx) => {
      const { answer, ...record } = value as { answer: string } & Record<string, unknown>;
      const fail = (message: string): never => {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message });
        return z.NEVER;
      };
      let problem: P;
      try {
        problem = def.jsonl.parse(record);
      } catch (err) {
        return fail(messageOf(err));
      }
      let fields: unknown;
      let verdict: unknown;
      try {
        fields = def.jsonl.format(problem);
        verdict = def.verify(problem, answer);
      } catch (err) {
        return fail(`task ${def.name}'s verify failed: ${messageOf(err)}`);
      }
      if (fields === null || typeof fields !== "object" || Array.isArray(fields))
        return fail(`task ${def.name}'s jsonl.format returned no object`);
      if (typeof verdict === "boolean") return { fields, answer, correct: verdict, reason: verdict ? "ok" : "wrong" };
      const v = verdict as { correct?: unknown; reason?: unknown } | null;
      if (v === null || typeof v !== "object" || typeof v.correct !== "boolean" || typeof v.reason !== "string")
        return fail(`task ${def.name}'s verify returned neither a boolean nor { correct, reason }`);
      return { fields, answer, correct: v.correct, reason: v.reason };
    });
  return answerFormat(schema, ({ fields, answer, correct, reason }, line): DefinedTaskVerifyLine => {
    const shown = Object.fromEntries(Object.entries(fields as object).filter(([k]) => !RESERVED.has(k)));
    return { line, ...shown, answer, correct, reason };
  });
}
