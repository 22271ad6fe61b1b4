// `selfimprove study SCENARIO --seeds 0,1,2`: the scenario once per seed, then before → after
// as mean ± std over seeds (Markdown, or JSON with --json).
import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { loadForCli } from "./run.js";
import { runSeeds, seedRunLine, studyTable, type SeedStudy } from "../../study/seeds.js";
import { defaultRunsDir } from "../../paths.js";
import { backendOption, collectSetting, intFlag, seedList, useBackend } from "../options.js";
import { writeFileAtomic } from "../../util/atomic.js";
import { progressBar } from "../progress.js";
import { RUN_FIELDS, runProgressHooks } from "../run-progress.js";

export function registerStudy(program: Command): Command {
  return program
    .command("study")
    .description("run a scenario over several seeds and report before → after as mean ± std")
    .argument("<scenario>", "scenario name or file")
    .option("--seeds <list>", "comma-separated seeds", seedList, [0, 1, 2])
    .option("--task <task>", "run the scenario's topology on another task and its base model")
    .option("--set <key=value>", "replace one of the scenario's settings (repeatable)", collectSetting)
    .option("--steps <n>", "training steps (default: the scenario's)", intFlag("--steps"))
    .option("--eval-n <n>", "held-out problems per evaluation", intFlag("--eval-n"))
    .option("--out <dir>", "study directory (default: runs/study-<scenario>)")
    .option("--json", "print the study as JSON")
    .addOption(backendOption())
    .action(
      async (
        name: string,
        flags: {
          seeds: number[];
          task?: string;
          set?: Record<string, unknown>;
          steps?: number;
          evalN?: number;
          out?: string;
          json?: boolean;
          backend: string;
        },
      ) => {
        const scenario = await loadForCli(name, flags);
        await useBackend(flags.backend, { quiet: flags.json === true });
        const out = path.resolve(flags.out ?? path.join(defaultRunsDir(), `study-${scenario.name}`));
        fs.mkdirSync(out, { recursive: true });
        const steps = flags.steps ?? scenario.settings.steps;
        // One bar over every seed's steps (a line every few seconds on a pipe); nothing beside --json.
        const bar = progressBar(`study ${scenario.name}`, flags.seeds.length * steps, {
          enabled: !flags.json,
          fields: `seed {seed} | ${RUN_FIELDS}`,
        });
        const hooks = flags.seeds.map((seed, i) => runProgressHooks(bar, i * steps, { seed }));
        let study: SeedStudy;
        try {
          study = await runSeeds(scenario, flags.seeds, out, {
            ...(flags.steps ? { steps: flags.steps } : {}),
            ...(flags.evalN ? { evalN: flags.evalN } : {}),
            onPhase: (i, p) => hooks[i]?.onPhase(p),
            onStep: (i, m) => hooks[i]?.onStep(m),
            onRun: (seed, s) => bar.log(seedRunLine(seed, s)),
          });
        } finally {
          bar.stop();
        }
        writeFileAtomic(path.join(out, "study.json"), JSON.stringify(study, null, 1));
        writeFileAtomic(path.join(out, "study.md"), studyTable(study) + "\n");
        process.stdout.write(flags.json ? JSON.stringify(study) + "\n" : studyTable(study) + "\n");
      },
    );
}
