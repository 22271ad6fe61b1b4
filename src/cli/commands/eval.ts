// `selfimprove eval`: a model's first-try, judging and second-try accuracy on held-out problems,
// through the one evaluator every task shares (tasks/evaluate.ts); a task's extra figures
// (Countdown's reflection-quality rates) come from its TaskSpec's hooks.
import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { LanguageModel } from "../../engine/language-model.js";
import { parseCountdownJsonl } from "../../tasks/countdown/jsonl.js";
import type { CountdownPuzzle } from "../../tasks/countdown/verify.js";
import { evaluateTask, type TaskEvalResult } from "../../tasks/evaluate.js";
import { evalMetric, percent as pct } from "../../tasks/eval-metrics.js";
import { modelTaskOf, PRETRAINABLE_TASKS, TASK_REGISTRY, taskEntry, type TaskEntry } from "../../tasks/registry.js";
import type { DefinedTask } from "../../tasks/define-task.js";
import { modelTaskMismatch, resolveScenarioModel } from "../../tasks/model-task.js";
import { premiseVerdict, type PremiseVerdict } from "../../tasks/premise.js";
import type { Scenario } from "../../run/scenario.js";
import { BBH_SUBS, BBH_TASKS, isBbhSub, type BbhProblem } from "../../tasks/bbh/index.js";
import type { TaskProblem } from "../../tasks/task.js";
import { backendOption, intFlag, numberFlag, useBackend } from "../options.js";
import { progressBar } from "../progress.js";
import { CliError } from "../errors.js";
import { resolveTaskFlag } from "../task-flag.js";

interface EvalFlags {
  task: string;
  model?: string;
  data?: string;
  n: number;
  seed: number;
  temperature: number;
  backend: string;
  json?: boolean;
  sub?: string;
  force?: boolean;
}

export function loadModelOrFail(dir: string): LanguageModel {
  try {
    return LanguageModel.load(dir);
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err), 2);
  }
}

/** Refuses a checkpoint that records another task than `task` (tasks/model-task.ts), unless forced. */
export function refuseForeignModel(
  modelDir: string,
  task: string,
  opts: { force?: boolean; what?: string; hint: string },
): void {
  if (opts.force) return;
  const why = modelTaskMismatch(modelDir, task, opts.what);
  if (why !== undefined) throw new CliError(`${why}; ${opts.hint}`, 2);
}

/** `run`'s check before anything starts: the scenario's model must be one for the scenario's task. */
export function refuseScenarioModelMismatch(scenario: Pick<Scenario, "name" | "task" | "model">): void {
  refuseForeignModel(resolveScenarioModel(scenario.model), scenario.task, {
    what: `scenario ${scenario.name}'s task`,
    hint: "point the scenario's model at a checkpoint for its task, or run it with --task set to the model's task",
  });
}

const FORCE_HINT = "pass --model with a checkpoint for this task, or --force to evaluate it anyway";

/** What the figures show about RLC's premise: judging vs chance and vs answering. */
export function premiseOf(r: TaskEvalResult): PremiseVerdict {
  return premiseVerdict({ judgeAccuracy: r.judge.accuracy, judgeN: r.judge.n, firstTry: r.firstTry, n: r.n });
}

/** One evaluation in words: the figures of every task, and the ones its hooks add. */
export function formatEval(r: TaskEvalResult): string {
  const line = (key: "first_try" | "second_try" | "judging", value: number): string =>
    `${evalMetric(key).label.padEnd(19)}${pct(value)}`;
  const reflections =
    r.goodReflectionRate !== undefined && r.exactReflectionRate !== undefined
      ? `; ${pct(r.goodReflectionRate)} of reflections name a good move, ${pct(r.exactReflectionRate)} with its result right`
      : "";
  return [
    `problems           ${r.n} (task ${r.task}, temperature ${r.temperature})`,
    line("first_try", r.firstTry),
    `${line("second_try", r.secondTry)}   (retry fixes ${pct(r.retryFixRate)} of failures${reflections})`,
    `${line("judging", r.judge.accuracy)}   (on ${r.judge.n} answers: ${pct(r.judge.onRight)} of right ones accepted, ${pct(r.judge.onWrong)} of wrong ones rejected)`,
    `judging - answering ${r.judgeGap >= 0 ? "+" : ""}${(100 * r.judgeGap).toFixed(1)} points`,
    premiseOf(r).text,
    ...(r.overlong > 0 ? [`overlong prompts   ${r.overlong} (counted as failures)`] : []),
  ].join("\n");
}

export function registerEval(program: Command): Command {
  return program
    .command("eval")
    .description("first-try, judging and second-try (after reflection) accuracy on held-out problems")
    .requiredOption(
      "--task <task>",
      `task (${PRETRAINABLE_TASKS.join(", ")}, or the path to a module whose default export is a defineTask)`,
    )
    .option("--model <dir>", "checkpoint directory (default: the shipped base model)")
    .option(
      "--data <file>",
      "JSONL problems to use instead of generated held-out ones (countdown, or a task of your own)",
    )
    .option("-n, --n <count>", "number of puzzles", intFlag("-n"), 300)
    .option("--seed <n>", "sampling seed", intFlag("--seed", 0), 0)
    .option("--temperature <t>", "sampling temperature (0 = greedy)", numberFlag("--temperature", 0, 10), 1)
    .option("--sub <name>", `bbh only: one sub-task (${BBH_SUBS.join(", ")})`)
    .option("--force", "evaluate a model whose checkpoint records another task")
    .option("--json", "print the result as JSON")
    .addOption(backendOption())
    .action(async (flags: EvalFlags) => {
      // A module path is loaded and registered here: from then on its name is a task like any other.
      const { name: task, definition } = await resolveTaskFlag(flags.task);
      if (flags.sub !== undefined && task !== "bbh")
        throw new CliError(`--sub is only for --task bbh (got --task ${flags.task})`, 2);
      if (flags.data !== undefined && task !== "countdown" && definition === undefined)
        throw new CliError(
          `--data is only supported for countdown and tasks of your own (task "${task}" evaluates on generated held-out problems)`,
          2,
        );
      const data = flags.data;
      if (data !== undefined && definition !== undefined) {
        const own = definition;
        await evaluate(task, taskEntry(task), () => readTaskData(data, flags.n, own), flags);
        return;
      }
      if (data !== undefined) {
        // The puzzles hold the fields Countdown's spec reads (target, nums), not a generator's label.
        const countdown: TaskEntry<CountdownPuzzle & TaskProblem> = TASK_REGISTRY.countdown;
        await evaluate(task, countdown, () => readCountdownData(data, flags.n), flags);
        return;
      }
      const entry = flags.sub === undefined ? taskEntry(task) : bbhSubEntry(flags.sub);
      await evaluate(task, entry, () => entry.heldOut(flags.n), flags);
    });
}

/** The bbh entry narrowed to one sub-task: its problems and its TaskSpec name, the same model. */
function bbhSubEntry(sub: string): TaskEntry<BbhProblem> {
  if (!isBbhSub(sub)) throw new CliError(`--sub: unknown BBH sub-task "${sub}" (known: ${BBH_SUBS.join(", ")})`, 2);
  const spec = BBH_TASKS[sub];
  return { ...TASK_REGISTRY.bbh, spec, heldOut: (n) => spec.heldOut(n) };
}

/** Countdown puzzles from a JSONL file (--data), the first `n` of them. */
function readCountdownData(file: string, n: number): Array<CountdownPuzzle & TaskProblem> {
  if (!fs.existsSync(file)) throw new CliError(`no such file: ${file}`, 2);
  try {
    return parseCountdownJsonl(fs.readFileSync(file, "utf8"), file)
      .slice(0, n)
      .map((r) => ({ id: `${path.basename(file)}:${r.line}`, ...r.puzzle }));
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err), 2);
  }
}

/** A task of the user's own: its problems from a JSONL file (--data) through its reader, the first `n`. */
function readTaskData(file: string, n: number, def: DefinedTask): TaskProblem[] {
  if (!fs.existsSync(file)) throw new CliError(`no such file: ${file}`, 2);
  try {
    return def.fromJsonl(fs.readFileSync(file, "utf8"), file).slice(0, n);
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err), 2);
  }
}

/** Evaluates `problems()` (read once the model is known to fit the task) and prints the result. */
async function evaluate<P extends TaskProblem>(
  task: string,
  entry: TaskEntry<P>,
  problemsOf: () => P[],
  flags: EvalFlags,
): Promise<void> {
  const modelDir = path.resolve(flags.model ?? entry.defaultModel);
  // A task of the user's own runs on its base task's model: that is the task the checkpoint records.
  refuseForeignModel(modelDir, modelTaskOf(task), { force: flags.force === true, hint: FORCE_HINT });
  const problems = problemsOf();
  await useBackend(flags.backend, { quiet: flags.json === true });
  const lm = loadModelOrFail(modelDir);
  const bar = progressBar("eval", 1, { enabled: !flags.json && process.stderr.isTTY === true });
  let r: TaskEvalResult;
  try {
    r = evaluateTask(lm, entry, problems, {
      seed: flags.seed,
      temperature: flags.temperature,
      onProgress: (done, total) => bar.update(done / total),
    });
  } finally {
    bar.stop();
    lm.dispose();
  }
  if (flags.json) process.stdout.write(JSON.stringify({ model: modelDir, ...r, premise: premiseOf(r) }) + "\n");
  else process.stdout.write(`model ${modelDir}\n${formatEval(r)}\n`);
}
