// A user's own task: `defineTask({...})` in their project, used by a scenario's `task:` or by
// `selfimprove run --task ./my-task.ts`. A task without a model of its own speaks a shipped base
// model's language (its tokenizer, role tokens and judge replies): `base` names that task, and
// its base model is the one the task runs on unless the scenario names another.
//
// The definition is plain data plus functions, marked by `kind`: a user's file may import
// another copy of this module than the runner (tsx's loader, a compiled and a source copy), so
// nothing here relies on object identity or instanceof. The runner turns a definition into a
// TaskEntry (definedTaskEntry) and registers it under its name for the run's process.
import { z } from "zod";
import { HELD_OUT_SEED } from "../paths.js";
import { Rng } from "../util/rng.js";
import { JsonlError, readJsonl, toJsonl } from "../util/jsonl.js";
import { PRETRAINABLE_TASKS, registerTask, TASK_REGISTRY, type PretrainableTask, type TaskEntry } from "./registry.js";
import type { TaskProblem, TaskSpec, TaskVerdict } from "./task.js";

export const TASK_KIND = "selfimprove.task";

/** How a task is written for the model: one prompt per role the loops use. */
export interface TaskPrompts<P> {
  /** The first try's prompt. */
  answer(p: P): string;
  /** RLC's "Is the answer to this question correct?" for (problem, answer). */
  judge(p: P, answer: string): string;
  /** R3's prompt after a failed attempt; `instruction` is the scenario's reflectionPrompt when set. */
  reflect(p: P, attempt: string, instruction?: string): string;
  /** The retry's prompt, with the reflection in context. */
  retry(p: P, attempt: string, reflection: string, instruction?: string): string;
}

export interface TaskDefinitionInput<P extends TaskProblem> {
  /** Lower-case letters, digits and dashes; not a shipped task's name. */
  name: string;
  /** The shipped task whose base model (tokenizer, role tokens, judge replies) this task's prompts speak. */
  base: PretrainableTask;
  /** A fresh problem; deterministic in `rng`. Its `id` should depend on its content (stable across runs). */
  generate(rng: Rng): P;
  /** Held-out problems for evaluation (default: `generate` from a seed training never uses). */
  heldOut?(n: number): P[];
  prompts: TaskPrompts<P>;
  /** Cuts the model's untrusted text down to the answer `verify` reads (default: trimmed text). */
  extractAnswer?(text: string): string;
  /** The binary verifier. Model output is data: parse it, never evaluate it. */
  verify(p: P, answer: string): TaskVerdict | boolean;
  /** The label, for the oracle baseline and the judging evaluation (default: none). */
  rightAnswer?(p: P): string | undefined;
  /** A typical wrong answer, for the judging evaluation (default: an empty answer). */
  wrongAnswer?(rng: Rng, p: P): string;
  /** Sampling limits (default: the base task's). */
  maxTokens?: { answer: number; reflection: number };
  /** JSONL import/export: a problem from one parsed line (throw to reject it, saying why), and back. */
  jsonl: { parse(record: Record<string, unknown>): P; format(p: P): Record<string, unknown> };
}

/** What defineTask returns: the definition, marked, with its JSONL reader and writer. */
export interface DefinedTask<P extends TaskProblem = TaskProblem> extends TaskDefinitionInput<P> {
  readonly kind: typeof TASK_KIND;
  /** Problems as JSON Lines, one `jsonl.format(p)` object per line. */
  toJsonl(problems: readonly P[]): string;
  /** Problems from JSON Lines; a bad line throws a JsonlError naming `fileName` and the line. */
  fromJsonl(text: string, fileName: string): P[];
}

const NAME = /^[a-z][a-z0-9-]*$/;

/** Declares a task of your own (see TaskDefinitionInput); validated again when a scenario or --task loads it. */
export function defineTask<P extends TaskProblem>(def: TaskDefinitionInput<P>): DefinedTask<P> {
  const problem = taskDefinitionProblem(def);
  if (problem !== undefined) throw new Error(`defineTask: ${problem}`);
  return {
    ...def,
    kind: TASK_KIND,
    toJsonl: (problems) => toJsonl(problems.map((p) => def.jsonl.format(p))),
    fromJsonl: (text, fileName) =>
      readJsonl(text, z.record(z.unknown()), fileName).map(({ line, value }) => {
        try {
          return def.jsonl.parse(value);
        } catch (err) {
          throw new JsonlError(fileName, line, err instanceof Error ? err.message : String(err));
        }
      }),
  };
}

const fn = z.custom<(...args: never[]) => unknown>((x) => typeof x === "function", "expected a function");
const TaskDefinitionSchema = z.object({
  kind: z.literal(TASK_KIND),
  name: z.string().regex(NAME, "lower-case letters, digits and dashes, starting with a letter"),
  base: z.enum(PRETRAINABLE_TASKS),
  generate: fn,
  heldOut: fn.optional(),
  prompts: z.object({ answer: fn, judge: fn, reflect: fn, retry: fn }),
  extractAnswer: fn.optional(),
  verify: fn,
  rightAnswer: fn.optional(),
  wrongAnswer: fn.optional(),
  maxTokens: z
    .object({ answer: z.number().int().min(1).max(4096), reflection: z.number().int().min(1).max(4096) })
    .strict()
    .optional(),
  jsonl: z.object({ parse: fn, format: fn }),
});

/** Whether a value claims to be a defined task (it is then validated as one). */
export function isDefinedTask(x: unknown): x is DefinedTask {
  return x !== null && typeof x === "object" && (x as { kind?: unknown }).kind === TASK_KIND;
}

/** What is wrong with a task definition ("field: problem"), or undefined. */
export function taskDefinitionProblem(x: unknown): string | undefined {
  const r = TaskDefinitionSchema.passthrough().safeParse({ kind: TASK_KIND, ...(x as object) });
  if (!r.success) return r.error.issues.map((i) => `${i.path.join(".") || "(task)"}: ${i.message}`).join("; ");
  if ((PRETRAINABLE_TASKS as readonly string[]).includes(r.data.name))
    return `name: "${r.data.name}" is a shipped task; give yours another name`;
  return undefined;
}

/** A verifier's answer as a verdict: `true`/`false` become "ok"/"wrong". */
function asVerdict(v: TaskVerdict | boolean): TaskVerdict {
  return typeof v === "boolean" ? { correct: v, reason: v ? "ok" : "wrong" } : v;
}

/** The runner's view of a defined task: a TaskSpec on its base task's tokenizer, and a TaskEntry around it. */
export function definedTaskEntry<P extends TaskProblem>(def: DefinedTask<P>): TaskEntry<P> {
  const base = TASK_REGISTRY[def.base];
  const spec: TaskSpec<P> = {
    name: def.name,
    tokenizer: base.spec.tokenizer,
    generate: (rng) => def.generate(rng),
    heldOut: (n) => (def.heldOut ? def.heldOut(n) : heldOutFrom(def, n)),
    answerPrompt: (p) => def.prompts.answer(p),
    judgePrompt: (p, a) => def.prompts.judge(p, a),
    judgeReplies: base.spec.judgeReplies,
    reflectPrompt: (p, a, i) => def.prompts.reflect(p, a, i),
    retryPrompt: (p, a, r, i) => def.prompts.retry(p, a, r, i),
    extractAnswer: (t) => (def.extractAnswer ? def.extractAnswer(t) : t.trim()),
    verify: (p, a) => asVerdict(def.verify(p, a)),
    maxTokens: def.maxTokens ?? base.spec.maxTokens,
    reflectionStop: base.spec.reflectionStop,
    demonstration: (p) => def.rightAnswer?.(p),
  };
  return {
    spec,
    corpusExample: () => {
      throw new Error(`task ${def.name} has no pretraining corpus: it runs on the ${def.base} base model`);
    },
    rightAnswer: (_rng, p) => def.rightAnswer?.(p),
    wrongAnswer: (rng, p) => (def.wrongAnswer ? def.wrongAnswer(rng, p) : ""),
    heldOut: (n) => spec.heldOut(n),
    pretrain: base.pretrain,
    defaultModel: base.defaultModel,
  };
}

/** Held-out problems drawn from the held-out seed, which training steps never use. */
function heldOutFrom<P extends TaskProblem>(def: DefinedTask<P>, n: number): P[] {
  const rng = new Rng(HELD_OUT_SEED);
  return Array.from({ length: n }, () => def.generate(rng));
}

/** Registers a defined task for this process (a scenario's `task:` or `--task ./file.ts`). */
export function registerDefinedTask(def: DefinedTask): void {
  const problem = taskDefinitionProblem(def);
  if (problem !== undefined) throw new Error(`task ${JSON.stringify((def as { name?: unknown }).name)}: ${problem}`);
  registerTask(def.name, definedTaskEntry(def) as unknown as TaskEntry, def.base);
}
