// `selfimprove eval`: a model's first-try, judging and second-try accuracy on held-out problems.
// Countdown keeps its own evaluator (its output is what the runner and README quote); the other
// registered tasks use the generic one in tasks/evaluate.ts.
import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { LanguageModel } from "../../engine/language-model.js";
import { evaluateCountdown, type CountdownEvalResult } from "../../tasks/countdown/evaluate.js";
import { generateCountdownSet } from "../../tasks/countdown/generate.js";
import { parseCountdownJsonl } from "../../tasks/countdown/jsonl.js";
import type { CountdownPuzzle } from "../../tasks/countdown/verify.js";
import { DEFAULT_BASE_MODEL, HELD_OUT_SEED } from "../../paths.js";
import { evaluateTask, type TaskEvalResult } from "../../tasks/evaluate.js";
import { isPretrainableTask, PRETRAINABLE_TASKS, TASK_REGISTRY, taskEntry, unknownTaskMessage, type TaskEntry } from "../../tasks/registry.js";
import { modelTaskMismatch, resolveScenarioModel } from "../../tasks/model-task.js";
import { premiseVerdict, type PremiseVerdict } from "../../tasks/premise.js";
import type { Scenario } from "../../run/scenario.js";
import { BBH_SUBS, BBH_TASKS, isBbhSub, type BbhProblem } from "../../tasks/bbh/index.js";
import type { TaskProblem } from "../../tasks/task.js";
import { backendOption, intFlag, numberFlag, useBackend } from "../options.js";
import { progressBar } from "../progress.js";
import { CliError } from "../errors.js";

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
export function refuseForeignModel(modelDir: string, task: string, opts: { force?: boolean; what?: string; hint: string }): void {
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

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/** What the figures show about RLC's premise: judging vs chance and vs answering. */
export function premiseOf(r: CountdownEvalResult | TaskEvalResult): PremiseVerdict {
  return premiseVerdict({ judgeAccuracy: r.judge.accuracy, judgeN: r.judge.n, firstTry: r.firstTry, n: r.n });
}

export function formatEval(r: CountdownEvalResult): string {
  return [
    `puzzles            ${r.n} (temperature ${r.temperature})`,
    `first try          ${pct(r.firstTry)}`,
    `second try         ${pct(r.secondTry)}   (retry fixes ${pct(r.retryFixRate)} of failures; ${pct(r.goodReflectionRate)} of reflections name a good move, ${pct(r.exactReflectionRate)} with its result right)`,
    `judging            ${pct(r.judge.accuracy)}   (on ${r.judge.n} answers, half right: ${pct(r.judge.onRight)} of right ones accepted, ${pct(r.judge.onWrong)} of wrong ones rejected)`,
    `judging - answering ${r.judgeGap >= 0 ? "+" : ""}${(100 * r.judgeGap).toFixed(1)} points`,
    premiseOf(r).text,
  ].join("\n");
}

export function registerEval(program: Command): Command {
  return program
    .command("eval")
    .description("first-try, judging and second-try (after reflection) accuracy on held-out problems")
    .requiredOption("--task <task>", `task (${PRETRAINABLE_TASKS.join(", ")})`)
    .option("--model <dir>", "checkpoint directory (default: the shipped base model)")
    .option("--data <file>", "JSONL puzzles to use instead of generated held-out ones (countdown only)")
    .option("-n, --n <count>", "number of puzzles", intFlag("-n"), 300)
    .option("--seed <n>", "sampling seed", intFlag("--seed", 0), 0)
    .option("--temperature <t>", "sampling temperature (0 = greedy)", numberFlag("--temperature", 0, 10), 1)
    .option("--sub <name>", `bbh only: one sub-task (${BBH_SUBS.join(", ")})`)
    .option("--force", "evaluate a model whose checkpoint records another task")
    .option("--json", "print the result as JSON")
    .addOption(backendOption())
    .action(async (flags: EvalFlags) => {
      if (!isPretrainableTask(flags.task)) throw new CliError(unknownTaskMessage(flags.task), 2);
      if (flags.sub !== undefined && flags.task !== "bbh") throw new CliError(`--sub is only for --task bbh (got --task ${flags.task})`, 2);
      if (flags.task !== "countdown") {
        if (flags.data) throw new CliError(`--data is only supported for countdown (task "${flags.task}" evaluates on generated held-out problems)`, 2);
        await evalGeneric(flags.task, flags.sub === undefined ? taskEntry(flags.task) : bbhSubEntry(flags.sub), flags);
        return;
      }
      const modelDir = path.resolve(flags.model ?? DEFAULT_BASE_MODEL.countdown);
      refuseForeignModel(modelDir, flags.task, { force: flags.force === true, hint: FORCE_HINT });
      let puzzles: CountdownPuzzle[];
      if (flags.data) {
        if (!fs.existsSync(flags.data)) throw new CliError(`no such file: ${flags.data}`, 2);
        try {
          puzzles = parseCountdownJsonl(fs.readFileSync(flags.data, "utf8"), flags.data).map((r) => r.puzzle).slice(0, flags.n);
        } catch (err) {
          throw new CliError(err instanceof Error ? err.message : String(err), 2);
        }
      } else puzzles = generateCountdownSet(HELD_OUT_SEED, flags.n);
      await useBackend(flags.backend, { quiet: flags.json === true });
      const lm = loadModelOrFail(modelDir);
      const bar = progressBar("eval", 1, { enabled: !flags.json && process.stderr.isTTY === true });
      const r = evaluateCountdown(lm, puzzles, {
        seed: flags.seed,
        temperature: flags.temperature,
        onProgress: (done, total) => bar.update(done / total),
      });
      bar.stop();
      lm.dispose();
      if (flags.json) process.stdout.write(JSON.stringify({ model: modelDir, ...r, premise: premiseOf(r) }) + "\n");
      else process.stdout.write(`model ${modelDir}\n${formatEval(r)}\n`);
    });
}

/** Either evaluator's result, in its own words. */
export function formatAnyEval(r: CountdownEvalResult | TaskEvalResult): string {
  return "goodReflectionRate" in r ? formatEval(r) : formatTaskEval(r);
}

export function formatTaskEval(r: TaskEvalResult): string {
  return [
    `problems           ${r.n} (task ${r.task}, temperature ${r.temperature})`,
    `first try          ${pct(r.firstTry)}`,
    `second try         ${pct(r.secondTry)}   (retry fixes ${pct(r.retryFixRate)} of failures)`,
    `judging            ${pct(r.judge.accuracy)}   (on ${r.judge.n} answers: ${pct(r.judge.onRight)} of right ones accepted, ${pct(r.judge.onWrong)} of wrong ones rejected)`,
    `judging - answering ${r.judgeGap >= 0 ? "+" : ""}${(100 * r.judgeGap).toFixed(1)} points`,
    premiseOf(r).text,
    ...(r.overlong > 0 ? [`overlong prompts   ${r.overlong} (counted as failures)`] : []),
  ].join("\n");
}

/** The bbh entry narrowed to one sub-task: its problems and its TaskSpec name, the same model. */
function bbhSubEntry(sub: string): TaskEntry<BbhProblem> {
  if (!isBbhSub(sub)) throw new CliError(`--sub: unknown BBH sub-task "${sub}" (known: ${BBH_SUBS.join(", ")})`, 2);
  const spec = BBH_TASKS[sub];
  return { ...TASK_REGISTRY.bbh, spec, heldOut: (n) => spec.heldOut(n) };
}

async function evalGeneric<P extends TaskProblem>(task: string, entry: TaskEntry<P>, flags: EvalFlags): Promise<void> {
  const modelDir = path.resolve(flags.model ?? entry.defaultModel);
  refuseForeignModel(modelDir, task, { force: flags.force === true, hint: FORCE_HINT });
  const problems = entry.heldOut(flags.n);
  await useBackend(flags.backend, { quiet: flags.json === true });
  const lm = loadModelOrFail(modelDir);
  const bar = progressBar("eval", 1, { enabled: !flags.json && process.stderr.isTTY === true });
  let r: TaskEvalResult;
  try {
    r = evaluateTask(lm, entry, problems, { seed: flags.seed, temperature: flags.temperature, onProgress: (done, total) => bar.update(done / total) });
  } finally {
    bar.stop();
    lm.dispose();
  }
  if (flags.json) process.stdout.write(JSON.stringify({ model: modelDir, ...r, premise: premiseOf(r) }) + "\n");
  else process.stdout.write(`model ${modelDir}\n${formatTaskEval(r)}\n`);
}

