// Every task the CLI can pretrain and evaluate, by name: its TaskSpec, how to write one corpus
// example for a problem, the answers the evaluator judges (the generator's own right answers and
// the task's typical mistakes), and its pretraining defaults. Countdown's entry is built from
// the same pieces the Countdown pipeline always used, so its corpus is unchanged.
import type { Rng } from "../util/rng.js";
import type { TextSegment } from "../train/segments.js";
import { BBH_BASE, COUNTDOWN_BASE, FUNCTIONS_BASE, TRANSLATION_BASE, type PretrainConfig } from "../train/config.js";
import { DEFAULT_BASE_MODEL } from "../paths.js";
import type { TaskName } from "./names.js";
import type { TaskProblem, TaskSpec } from "./task.js";
import { countdownTask } from "./countdown/spec.js";
import type { CountdownProblem } from "./countdown/generate.js";
import { correctAnswer, corpusExample, wrongAnswer } from "./countdown/corpus.js";
import { functionsTask } from "./functions/spec.js";
import type { FunctionProblem } from "./functions/generate.js";
import { functionCorpusExample } from "./functions/corpus.js";
import { wrongCall } from "./functions/mistakes.js";
import { translationTask } from "./translation/spec.js";
import type { TranslationProblem } from "./translation/generate.js";
import { translationCorpusExample } from "./translation/corpus.js";
import { wrongTranslation } from "./translation/mistakes.js";
import { bbhMixedTask } from "./bbh/spec.js";
import type { BbhProblem } from "./bbh/problem.js";
import { bbhCorpusExample } from "./bbh/corpus.js";
import { wrongBbhAnswer } from "./bbh/mistakes.js";
import { solveBbh } from "./bbh/work.js";

export interface TaskEntry<P extends TaskProblem = TaskProblem> {
  spec: TaskSpec<P>;
  /** One pretraining example for a problem, drawn from the task's default corpus mix. */
  corpusExample(rng: Rng, problem: P): { segments: TextSegment[] };
  /** A right answer from the generator itself (undefined when the problem has none). */
  rightAnswer(rng: Rng, problem: P): string | undefined;
  /** A wrong answer of the kind the task's corpus teaches the judge to reject. */
  wrongAnswer(rng: Rng, problem: P): string;
  /** Held-out problems (the TaskSpec's, disjoint from training seeds). */
  heldOut(n: number): P[];
  /** Pretraining defaults; the model's context fits every corpus example. */
  pretrain: PretrainConfig;
  /** The shipped base model eval and the scenarios load; `pretrain` replaces it only with --out naming it and --force. */
  defaultModel: string;
}

const countdown: TaskEntry<CountdownProblem> = {
  spec: countdownTask,
  // No mix argument: corpusExample's default is DEFAULT_MIX, as in the shipped pretraining run.
  corpusExample: (rng, p) => corpusExample(rng, p),
  rightAnswer: (rng, p) => correctAnswer(rng, p),
  wrongAnswer: (rng, p) => wrongAnswer(rng, p),
  heldOut: (n) => countdownTask.heldOut(n),
  pretrain: COUNTDOWN_BASE,
  defaultModel: DEFAULT_BASE_MODEL.countdown,
};

const functions: TaskEntry<FunctionProblem> = {
  spec: functionsTask,
  corpusExample: (rng, p) => functionCorpusExample(rng, p),
  rightAnswer: (_rng, p) => p.solution,
  wrongAnswer: (rng, p) => wrongCall(rng, p).text,
  heldOut: (n) => functionsTask.heldOut(n),
  pretrain: FUNCTIONS_BASE,
  defaultModel: DEFAULT_BASE_MODEL.functions,
};

const translation: TaskEntry<TranslationProblem> = {
  spec: translationTask,
  corpusExample: (rng, p) => translationCorpusExample(rng, p),
  rightAnswer: (_rng, p) => p.reference,
  wrongAnswer: (rng, p) => wrongTranslation(rng, p.reference),
  heldOut: (n) => translationTask.heldOut(n),
  pretrain: TRANSLATION_BASE,
  defaultModel: DEFAULT_BASE_MODEL.translation,
};

// The five BBH-style sub-tasks mixed in one model, as RLC reports its average over BBH tasks.
const bbh: TaskEntry<BbhProblem> = {
  spec: bbhMixedTask,
  corpusExample: (rng, p) => bbhCorpusExample(rng, p),
  rightAnswer: (_rng, p) => solveBbh(p),
  wrongAnswer: (rng, p) => wrongBbhAnswer(rng, p),
  heldOut: (n) => bbhMixedTask.heldOut(n),
  pretrain: BBH_BASE,
  defaultModel: DEFAULT_BASE_MODEL.bbh,
};

// `satisfies` holds the keys to TaskName exactly (a missing or extra task is a type error).
export const TASK_REGISTRY = { countdown, functions, translation, bbh } as const satisfies Record<TaskName, TaskEntry>;

export type PretrainableTask = keyof typeof TASK_REGISTRY;
/** Every registered task's name, as a non-empty tuple (what a scenario's `task` may be). */
export const PRETRAINABLE_TASKS = Object.keys(TASK_REGISTRY) as [PretrainableTask, ...PretrainableTask[]];

export function isPretrainableTask(name: string): name is PretrainableTask {
  return Object.hasOwn(TASK_REGISTRY, name);
}

/**
 * Tasks a user defined (defineTask), registered for this process when a scenario or `--task`
 * names one; each runs on the base model of the shipped task it names as its `base`.
 */
const USER_TASKS = new Map<string, { entry: TaskEntry; base: PretrainableTask }>();

/**
 * Registers a user's task under its name (a later definition of the same name replaces it: the
 * same file loaded again). A shipped task's name is refused.
 */
export function registerTask(name: string, entry: TaskEntry, base: PretrainableTask): void {
  if (isPretrainableTask(name)) throw new Error(`task "${name}" is a shipped task and cannot be redefined`);
  USER_TASKS.set(name, { entry, base });
}

/** A shipped task, or one registered in this process. */
export function isKnownTask(name: string): boolean {
  return isPretrainableTask(name) || USER_TASKS.has(name);
}

/** The shipped task whose base model `name` runs on: itself, or a user task's `base`. */
export function modelTaskOf(name: string): string {
  return USER_TASKS.get(name)?.base ?? name;
}

/** The entry for `name` (shipped or registered); the error names the known tasks. */
export function taskEntry(name: string): TaskEntry {
  if (isPretrainableTask(name)) return TASK_REGISTRY[name];
  const user = USER_TASKS.get(name);
  if (user) return user.entry;
  throw new Error(unknownTaskMessage(name));
}

export function unknownTaskMessage(name: string): string {
  const known = [...PRETRAINABLE_TASKS, ...USER_TASKS.keys()];
  return `unknown task "${name}" (known tasks: ${known.join(", ")})`;
}
