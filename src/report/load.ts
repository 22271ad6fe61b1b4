// Reading a finished run directory for the report, strictly: a missing or corrupt file is an
// error that names the file, the record and the field, not a blank chart. JSON has no NaN, so a
// metric that did not apply to a step is null on disk; the schemas accept that.
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { readJsonlLog } from "../util/log.js";

export class ReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReportError";
  }
}

const num = z.number().nullable();

const EvalSchema = z
  .object({
    n: z.number().int().min(0),
    temperature: num,
    firstTry: num,
    secondTry: num,
    retryFixRate: num,
    // Only for tasks with the reflectionQuality hook (Countdown).
    goodReflectionRate: num.optional(),
    exactReflectionRate: num.optional(),
    judge: z
      .object({ accuracy: num, n: z.number().int().min(0), onRight: num, onWrong: num, yesRate: num })
      .passthrough(),
    judgeGap: num,
  })
  .passthrough();

const SummarySchema = z
  .object({
    scenario: z.string().min(1),
    steps: z.number().int().min(0),
    /** Absent in runs written before the runner recorded them. */
    completedSteps: z.number().int().min(0).optional(),
    stopped: z.boolean().optional(),
    seed: z.number().int(),
    out: z.string(),
    seconds: z.number().min(0),
    before: EvalSchema.optional(),
    after: EvalSchema.optional(),
  })
  .passthrough();

const MetricsSchema = z
  .object({
    step: z.number().int().min(0),
    weight_version: z.number().int().min(0),
    updated: z.boolean(),
    skip_reason: z.string().optional(),
    reward_mean: num,
    reward_std: num,
    first_try_accuracy: num,
    second_try_accuracy: num,
    retry_accuracy: num,
    judge_p_yes: num,
    kl: num,
    entropy: num,
    loss: num,
    grad_norm: num,
    experiences: z.number().int().min(0),
    tokens_per_second: num,
    gave_up: z.number().int().min(0),
    checkpoint_error: z.string().optional(),
    seconds: num,
  })
  .passthrough();

const CompletionSchema = z
  .object({
    step: z.number().int().min(0),
    taskId: z.string(),
    prompt: z.string(),
    attempt: z.string().optional(),
    reflection: z.string().optional(),
    retry: z.string().optional(),
    correct: z.boolean().optional(),
    pYes: num.optional(),
    reward: num.optional(),
    weightVersion: z.number().int().min(0),
  })
  .passthrough();

export type EvalRecord = z.infer<typeof EvalSchema>;
export type SummaryRecord = z.infer<typeof SummarySchema>;
export type MetricsRecord = z.infer<typeof MetricsSchema>;
export type CompletionRow = z.infer<typeof CompletionSchema>;

export interface RunData {
  dir: string;
  summary: SummaryRecord;
  metrics: MetricsRecord[];
  /** Empty when the scenario logs none (completions are recorded from the verifier's verdicts). */
  completions: CompletionRow[];
  /** Whether completions.jsonl exists at all. */
  hasCompletionsFile: boolean;
  /** Problems in R3's failure set, where the run built one. */
  failureSetSize?: number;
}

function issues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length > 0 ? i.path.join(".") : "(record)"}: ${i.message}`).join("; ");
}

function readJson(file: string, name: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new ReportError(`${file}: cannot read ${name} (${err instanceof Error ? err.message : String(err)})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ReportError(`${file}: ${name} is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

function readLog<S extends z.ZodTypeAny>(file: string, schema: S): Array<z.infer<S>> {
  let raw: unknown[];
  try {
    raw = readJsonlLog<unknown>(file);
  } catch (err) {
    throw new ReportError(err instanceof Error ? err.message : String(err));
  }
  return raw.map((r, i) => {
    const parsed = schema.safeParse(r);
    if (!parsed.success)
      throw new ReportError(
        `${file}: record ${i + 1} is not a valid ${path.basename(file, ".jsonl")} line (${issues(parsed.error)})`,
      );
    return parsed.data as z.infer<S>;
  });
}

export function loadRunDir(dir: string): RunData {
  const abs = path.resolve(dir);
  if (!fs.existsSync(abs)) throw new ReportError(`no run directory at ${abs}`);
  if (!fs.statSync(abs).isDirectory()) throw new ReportError(`${abs} is a file, not a run directory`);
  const file = (name: string): string => path.join(abs, name);
  const required = ["summary.json", "metrics.jsonl"].filter((f) => !fs.existsSync(file(f)));
  if (required.length > 0) {
    throw new ReportError(
      `${abs}: missing ${required.join(" and ")}; a run directory has summary.json (written when a run ends) and metrics.jsonl (one line per step)` +
        (required.length === 2 ? ": is this a run directory?" : ""),
    );
  }
  const summaryRaw = SummarySchema.safeParse(readJson(file("summary.json"), "summary.json"));
  if (!summaryRaw.success)
    throw new ReportError(`${file("summary.json")}: not a run summary (${issues(summaryRaw.error)})`);
  const summary = summaryRaw.data;
  // A run resumed from its "before" evaluation keeps it only in eval-before.json.
  if (!summary.before && fs.existsSync(file("eval-before.json"))) {
    const before = EvalSchema.safeParse(readJson(file("eval-before.json"), "eval-before.json"));
    if (!before.success)
      throw new ReportError(`${file("eval-before.json")}: not an evaluation result (${issues(before.error)})`);
    summary.before = before.data;
  }
  const metrics = readLog(file("metrics.jsonl"), MetricsSchema);
  if (metrics.length === 0)
    throw new ReportError(`${file("metrics.jsonl")}: no steps logged (the run ended before its first step finished)`);
  const hasCompletionsFile = fs.existsSync(file("completions.jsonl"));
  const completions = hasCompletionsFile ? readLog(file("completions.jsonl"), CompletionSchema) : [];
  const data: RunData = { dir: abs, summary, metrics, completions, hasCompletionsFile };
  if (fs.existsSync(file("failure-set.json"))) {
    const set = readJson(file("failure-set.json"), "failure-set.json");
    if (!Array.isArray(set)) throw new ReportError(`${file("failure-set.json")}: expected a JSON array of problems`);
    data.failureSetSize = set.length;
  }
  return data;
}
