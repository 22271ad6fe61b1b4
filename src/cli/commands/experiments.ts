// `selfimprove experiments [--quick]`: the papers' studies in one command. Every method (R3, RLC,
// GRPO, oracle labels) on every task for every seed, each a scenario run in its own process, then
// a report with tables and figures in docs/. Finished runs are kept, so running it again after an
// interruption only does what is missing. `--quick` is a smoke test: its runs and report stay in
// a scratch directory (runs/experiments-quick) and leave the committed docs/ alone unless --out
// names them.
import os from "node:os";
import path from "node:path";
import type { Command } from "commander";
import { isPretrainableTask, TASK_REGISTRY, unknownTaskMessage, type PretrainableTask } from "../../tasks/registry.js";
import {
  EXPERIMENT_TASKS,
  FULL_SCALE,
  METHOD_NAMES,
  planExperiments,
  QUICK_SCALE,
  type Method,
  type RunScale,
} from "../../experiments/plan.js";
import { executePlan } from "../../experiments/execute.js";
import { summarise } from "../../experiments/summarise.js";
import { writeReport } from "../../experiments/report.js";
import { intFlag, seedList } from "../options.js";
import { CliError } from "../errors.js";
import fs from "node:fs";

interface ExperimentsFlags {
  quick?: boolean;
  tasks?: string;
  methods?: string;
  seeds?: number[];
  jobs: number;
  steps?: number;
  evalN?: number;
  runs?: string;
  out?: string;
  reportOnly?: boolean;
}

function list<T extends string>(
  value: string | undefined,
  all: readonly T[],
  flag: string,
  valid: (s: string) => s is T,
  why: (s: string) => string,
): T[] {
  if (value === undefined) return [...all];
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (items.length === 0) throw new CliError(`${flag} needs at least one name`, 2);
  for (const it of items) if (!valid(it)) throw new CliError(`${flag}: ${why(it)}`, 2);
  return items as T[];
}

export function registerExperiments(program: Command): Command {
  return program
    .command("experiments")
    .description(
      "run R3, RLC, GRPO and the oracle-label baseline on every task over seeds, and write the report (into docs/experiments; with --quick, beside its runs)",
    )
    .option("--quick", "smoke scale: the whole matrix in under ten minutes (numbers are noise)")
    .option("--tasks <list>", `comma-separated tasks (default: ${EXPERIMENT_TASKS.join(",")})`)
    .option("--methods <list>", `comma-separated methods (default: ${METHOD_NAMES.join(",")})`)
    .option("--seeds <list>", "comma-separated seeds (default: 0,1,2)", seedList)
    .option(
      "--jobs <n>",
      "runs in parallel (each is one process)",
      intFlag("--jobs"),
      Math.max(1, Math.min(2, os.availableParallelism())),
    )
    .option("--steps <n>", "training steps for every run (default: each scenario's)", intFlag("--steps"))
    .option("--eval-n <n>", "held-out problems per evaluation", intFlag("--eval-n"))
    .option("--runs <dir>", "where the run directories go (default: runs/experiments[-quick])")
    .option("--out <dir>", "where the report goes (default: docs/experiments; with --quick, the runs directory)")
    .option("--report-only", "write the report from the runs already done, running nothing")
    .action(async (flags: ExperimentsFlags) => {
      const quick = flags.quick === true;
      const tasks = list<PretrainableTask>(
        flags.tasks,
        EXPERIMENT_TASKS,
        "--tasks",
        isPretrainableTask,
        unknownTaskMessage,
      );
      const methods = list<Method>(
        flags.methods,
        METHOD_NAMES,
        "--methods",
        (s): s is Method => (METHOD_NAMES as string[]).includes(s),
        (s) => `unknown method "${s}" (known: ${METHOD_NAMES.join(", ")})`,
      );
      const seeds = flags.seeds ?? [0, 1, 2];
      for (const t of tasks) {
        const model = TASK_REGISTRY[t].defaultModel;
        if (!fs.existsSync(path.join(model, "checkpoint.json")))
          throw new CliError(
            `task ${t} has no base model at ${model}; train it with: npx selfimprove pretrain --task ${t} --out ${model}`,
            2,
          );
      }
      const base = quick ? QUICK_SCALE : FULL_SCALE;
      const scale: RunScale = {
        ...base,
        ...(flags.steps !== undefined ? { steps: flags.steps } : {}),
        ...(flags.evalN !== undefined ? { evalN: flags.evalN } : {}),
      };
      const { runsDir, outDir } = experimentDirs(quick, flags);
      const plan = planExperiments({ tasks, methods, seeds, runsDir, scale });
      if (!flags.reportOnly) {
        process.stderr.write(
          `experiments: ${plan.length} runs (${tasks.length} tasks × ${methods.length} methods × ${seeds.length} seeds), ${flags.jobs} at a time → ${runsDir}\n`,
        );
        const outcomes = await executePlan(plan, {
          jobs: flags.jobs,
          onOutcome: (o, done, total) =>
            process.stderr.write(
              `[${done}/${total}] ${o.run.id}: ${o.status}${o.status === "done" ? ` in ${o.seconds.toFixed(0)} s` : ""}${o.error ? ` (${o.error})` : ""}\n`,
            ),
        });
        const failed = outcomes.filter((o) => o.status === "failed").length;
        if (failed > 0) process.stderr.write(`experiments: ${failed} run(s) failed; the report lists them\n`);
      }
      const res = summarise(plan);
      const settings = Object.entries(scale.settings ?? {})
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");
      const scaleNote = `${quick ? "quick" : "full"} scale: ${scale.steps ?? "each scenario's own"} steps per run, ${scale.evalN ?? "each scenario's own number of"} held-out problems per evaluation${settings ? `, ${settings}` : ""}; everything else as in each scenario file.`;
      const file = await writeReport(outDir, res, {
        quick,
        seeds,
        methods,
        command: `selfimprove experiments${quick ? " --quick" : ""}`,
        machine: `${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? "unknown CPU"}), tfjs wasm backend`,
        jobs: flags.jobs,
        scaleNote,
        date: new Date(),
      });
      process.stdout.write(`report: ${path.relative(process.cwd(), file)}\n`);
    });
}

/**
 * Where runs and report go, under the working directory like every run.
 * The full matrix's report is the committed docs/experiments; a quick
 * pass only shows that everything runs, so by default its report goes beside its runs instead of
 * rewriting tracked files (`--out docs/experiments-quick` refreshes the committed quick report).
 */
export function experimentDirs(
  quick: boolean,
  flags: { runs?: string; out?: string },
  root: string = process.cwd(),
): { runsDir: string; outDir: string } {
  const runsDir = path.resolve(flags.runs ?? path.join(root, "runs", quick ? "experiments-quick" : "experiments"));
  const outDir = path.resolve(flags.out ?? (quick ? runsDir : path.join(root, "docs", "experiments")));
  return { runsDir, outDir };
}
