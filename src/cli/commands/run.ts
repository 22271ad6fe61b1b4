// `selfimprove run SCENARIO`: runs a scenario with a progress bar; writes metrics, completions,
// checkpoints and a summary into the run directory. Ctrl-C finishes the current step, keeps the
// last checkpoint valid, and exits; `--resume` continues from there.
import os from "node:os";
import path from "node:path";
import type { Command } from "commander";
import { loadScenario, resolveScenarioPath, SCENARIOS_DIR } from "../../run/load.js";
import { retargetScenario, ScenarioError, withSettings, type Scenario } from "../../run/scenario.js";
import { modelTaskOf, PRETRAINABLE_TASKS } from "../../tasks/registry.js";
import { resolveTaskFlag } from "../task-flag.js";
import { typecheckScenario } from "../typecheck-scenario.js";
import { ScenarioRun, type RunSummary } from "../../run/runner.js";
import { RunDirError } from "../../run/run-dir.js";
import { capWorkers } from "../../run/worker-cap.js";
import { defaultRunsDir } from "../../paths.js";
import { backendOption, collectSetting, intFlag, useBackend } from "../options.js";
import type { BackendRequest } from "../../engine/backend.js";
import { progressBar } from "../progress.js";
import { RUN_FIELDS, runProgressHooks } from "../run-progress.js";
import { CliError } from "../errors.js";
import { RewardError } from "../../rewards/guards.js";
import { formatEval, refuseScenarioModelMismatch } from "./eval.js";
import {
  endInspection,
  hostOption,
  inspectOption,
  keepOpenOption,
  openInspection,
  portOption,
  type InspectFlags,
} from "../inspect-flags.js";

interface RunFlags extends InspectFlags {
  task?: string;
  set?: Record<string, unknown>;
  steps?: number;
  seed?: number;
  out?: string;
  resume?: boolean;
  evalN?: number;
  workers?: number;
  maxStaleness?: number;
  force?: boolean;
  eval: boolean;
  backend: string;
  json?: boolean;
  typecheck: boolean;
}

function fmt(x: number, digits = 3): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "-";
}

export function formatSummary(s: RunSummary): string {
  // The steps done, not the steps asked for: a stopped run says how far it got.
  const steps = s.stopped
    ? `stopped after ${s.completedSteps} of ${s.steps} steps (--resume continues)`
    : `${s.completedSteps} steps`;
  const lines = [`scenario ${s.scenario}: ${steps}, seed ${s.seed}, ${s.seconds.toFixed(0)} s → ${s.out}`];
  if (s.before) lines.push("before:", formatEval(s.before));
  if (s.after) lines.push("after:", formatEval(s.after));
  if (s.before && s.after) {
    const rel = (a: number, b: number): string => (a > 0 ? `${(((b - a) / a) * 100).toFixed(1)}%` : "n/a");
    lines.push(
      `first try  ${fmt(s.before.firstTry)} → ${fmt(s.after.firstTry)} (relative ${rel(s.before.firstTry, s.after.firstTry)})`,
      `second try ${fmt(s.before.secondTry)} → ${fmt(s.after.secondTry)} (relative ${rel(s.before.secondTry, s.after.secondTry)})`,
    );
  }
  return lines.join("\n");
}

/**
 * Refuses a user's scenario file that does not typecheck (`file:line:col message` lines, exit 2),
 * when a TypeScript compiler is at hand. Shipped scenarios are checked by this package's own build.
 */
async function refuseTypeErrors(name: string): Promise<void> {
  const file = resolveScenarioPath(name);
  if (path.dirname(file) === SCENARIOS_DIR || !/\.(c|m)?ts$/.test(file)) return;
  const result = await typecheckScenario(file);
  if (result.errors.length > 0)
    throw new CliError(`${file} does not typecheck (--no-typecheck runs it anyway):\n${result.errors.join("\n")}`, 2);
}

/** Loads a scenario and applies --task and --set; every problem is a CliError naming it. */
export async function loadForCli(
  name: string,
  flags: { task?: string; set?: Record<string, unknown>; typecheck?: boolean },
): Promise<Scenario> {
  try {
    if (flags.typecheck === true) await refuseTypeErrors(name);
    const loaded = await loadScenario(name);
    const file = loaded.file;
    let scenario = loaded.scenario;
    if (flags.task !== undefined) {
      scenario = retargetScenario(scenario, (await resolveTaskFlag(flags.task)).name);
    }
    if (flags.set) scenario = withSettings(scenario, flags.set, `${file} with --set`, { flag: "--set" });
    // A user's task runs on its base task's model: that is the task the checkpoint must record.
    refuseScenarioModelMismatch({ ...scenario, task: modelTaskOf(scenario.task) });
    return scenario;
  } catch (err) {
    if (err instanceof ScenarioError) throw new CliError(err.message, 2);
    throw err;
  }
}

export function registerRun(program: Command): Command {
  return program
    .command("run")
    .description("run a scenario (a shipped name such as r3-countdown, or a path to a scenario file)")
    .argument("<scenario>", "scenario name or file")
    .option(
      "--task <task>",
      `run the scenario's topology on another task and its base model (${PRETRAINABLE_TASKS.join(", ")}, or the path to a module whose default export is a defineTask)`,
    )
    .option(
      "--set <key=value>",
      "replace one of the scenario's settings (repeatable), e.g. --set tasksPerStep=8",
      collectSetting,
    )
    .option("--steps <n>", "training steps (default: the scenario's)", intFlag("--steps"))
    .option("--seed <n>", "seed (default: the scenario's)", intFlag("--seed", 0))
    .option("--out <dir>", "run directory (default: runs/<scenario>)")
    .option("--resume", "continue from the run directory's last checkpoint")
    .option("--eval-n <n>", "held-out problems for the before/after evaluation", intFlag("--eval-n"))
    .option("--no-eval", "skip the held-out evaluations")
    .option(
      "--workers <n>",
      "generation worker threads (0 = in-process; default: the scenario's)",
      intFlag("--workers", 0),
    )
    .option(
      "--max-staleness <n>",
      "weight versions generation may lag the Learner by (default: the scenario's, 0)",
      intFlag("--max-staleness", 0),
    )
    .option("--force", "run more workers than there are cores")
    .option("--json", "print the summary as JSON")
    .option("--no-typecheck", "run a scenario file of your own without typechecking it first")
    .addOption(backendOption())
    .addOption(inspectOption())
    .addOption(portOption())
    .addOption(hostOption())
    .addOption(keepOpenOption())
    .action(async (name: string, flags: RunFlags) => {
      const scenario = await loadForCli(name, flags);
      await useBackend(flags.backend, { quiet: flags.json === true });
      const out = path.resolve(flags.out ?? path.join(defaultRunsDir(), scenario.name));
      const steps = flags.steps ?? scenario.settings.steps;
      // A bar on a terminal, a line every few seconds on a pipe; nothing beside --json.
      const bar = progressBar(scenario.name, steps, { enabled: !flags.json, fields: RUN_FIELDS });
      const progress = runProgressHooks(bar);
      const workers = capWorkers(flags.workers ?? scenario.settings.workers, {
        cores: os.availableParallelism(),
        force: flags.force === true,
        source: flags.workers !== undefined ? "--workers" : "settings.workers",
      });
      if (workers.warning) process.stderr.write(`selfimprove: warning: ${workers.warning}\n`);
      const inspection = await openInspection(flags, scenario, steps);
      // The run directory is taken (writable, not in use, a resume that matches) before any work.
      const run = await ScenarioRun.create(scenario, {
        out,
        steps,
        ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
        resume: flags.resume === true,
        skipEval: !flags.eval,
        ...(flags.evalN !== undefined ? { evalN: flags.evalN } : {}),
        workers: workers.workers,
        ...(flags.maxStaleness !== undefined ? { maxStaleness: flags.maxStaleness } : {}),
        // Workers pick their backend as the main thread did (a native GPU backend where installed).
        workerBackend: flags.backend as BackendRequest,
        ...(inspection ? { inspect: inspection.hooks.inspect, onCompletions: inspection.hooks.onCompletions } : {}),
        onPhase: (p) => {
          inspection?.hooks.onPhase(p);
          progress.onPhase(p);
        },
        onStep: (m) => {
          inspection?.hooks.onStep(m);
          progress.onStep(m);
        },
        onWarning: (w) => process.stderr.write(`selfimprove: note: ${w}\n`),
      }).catch((err: unknown) => {
        throw err instanceof RunDirError ? new CliError(err.message, 2) : err;
      });
      inspection?.attach(run);
      let interrupts = 0;
      const onSigint = (): void => {
        interrupts += 1;
        if (interrupts > 1) process.exit(130);
        process.stderr.write("\nstopping after the current step (Ctrl-C again to quit now)\n");
        run.stop();
      };
      // SIGTERM ends the process at once; exiting (not dying of the signal) releases the run
      // directory's lock. What the step had not finished is redone by --resume.
      const onSigterm = (): void => process.exit(143);
      process.on("SIGINT", onSigint);
      process.on("SIGTERM", onSigterm);
      let summary: RunSummary;
      try {
        summary = await run.run();
      } catch (err) {
        bar.stop();
        process.off("SIGINT", onSigint);
        process.off("SIGTERM", onSigterm);
        if (inspection) await endInspection(inspection, err instanceof Error ? err.message : String(err));
        if (err instanceof RewardError) throw new CliError(`run stopped: ${err.message}`, 4);
        throw err;
      }
      process.off("SIGINT", onSigint);
      process.off("SIGTERM", onSigterm);
      bar.stop();
      if (flags.json) process.stdout.write(JSON.stringify(summary) + "\n");
      else process.stdout.write(formatSummary(summary) + "\n");
      if (inspection) await endInspection(inspection);
    });
}
