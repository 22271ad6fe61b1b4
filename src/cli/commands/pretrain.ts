// `selfimprove pretrain --task countdown|functions|translation`: trains a base model from the
// task's generated corpus and writes a checkpoint (default for countdown: the shipped
// models/countdown-base, reproducible from the seed).
import path from "node:path";
import type { Command } from "commander";
import { pretrain, type PretrainConfig } from "../../train/pretrain.js";
import { isPretrainableTask, PRETRAINABLE_TASKS, TASK_REGISTRY, unknownTaskMessage } from "../../tasks/registry.js";
import { backendOption, intFlag, numberFlag, useBackend } from "../options.js";
import { progressBar } from "../progress.js";
import { CliError } from "../errors.js";

interface PretrainFlags {
  task: string;
  steps?: number;
  seed?: number;
  lr?: number;
  batchSize?: number;
  out?: string;
  work?: string;
  resume?: boolean;
  backend: string;
  json?: boolean;
}

export function registerPretrain(program: Command): Command {
  return program
    .command("pretrain")
    .description("train a base model on the task's synthetic corpus and write a checkpoint")
    .requiredOption("--task <task>", `task (${PRETRAINABLE_TASKS.join(", ")})`)
    .option("--steps <n>", "optimizer steps", intFlag("--steps"))
    .option("--seed <n>", "seed for weights and data", intFlag("--seed", 0))
    .option("--lr <x>", "peak learning rate", numberFlag("--lr", 0, 1))
    .option("--batch-size <n>", "sequences per step", intFlag("--batch-size"))
    .option("--out <dir>", "where the final model goes (default: models/<task>-base)")
    .option("--work <dir>", "resumable state and metrics (default: <out>.work)")
    .option("--resume", "continue from the work directory's last checkpoint")
    .option("--json", "print the result as JSON")
    .addOption(backendOption())
    .action(async (flags: PretrainFlags) => {
      if (!isPretrainableTask(flags.task)) throw new CliError(unknownTaskMessage(flags.task), 2);
      const entry = TASK_REGISTRY[flags.task];
      const backend = await useBackend(flags.backend);
      const cfg: PretrainConfig = {
        ...entry.pretrain,
        ...(flags.steps !== undefined ? { steps: flags.steps } : {}),
        ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
        ...(flags.lr !== undefined ? { lr: flags.lr } : {}),
        ...(flags.batchSize !== undefined ? { batchSize: flags.batchSize } : {}),
      };
      const out = path.resolve(flags.out ?? entry.defaultModel);
      const work = path.resolve(flags.work ?? `${out}.work`);
      // A bar on a terminal, a line every few seconds on a pipe; nothing beside --json.
      const bar = progressBar(`pretrain ${cfg.task}`, cfg.steps, { enabled: !flags.json, fields: "loss {loss} | {tps} tok/s" });
      const t0 = performance.now();
      let last = { loss: NaN, tokensPerSecond: NaN };
      const lm = await pretrain(cfg, work, {
        resume: flags.resume === true,
        onStep: (s) => {
          last = s;
          bar.update(s.step, { loss: s.loss.toFixed(3), tps: Math.round(s.tokensPerSecond) });
        },
      });
      bar.stop();
      // The shipped model holds weights only: optimizer state stays in the work directory.
      await lm.save(out, { meta: { task: cfg.task, seed: cfg.seed, steps: cfg.steps, pretrain: cfg, backend } });
      const result = { out, work, steps: cfg.steps, seed: cfg.seed, finalLoss: last.loss, seconds: (performance.now() - t0) / 1000, parameters: lm.model.parameterCount() };
      if (flags.json) process.stdout.write(JSON.stringify(result) + "\n");
      else process.stdout.write(`wrote ${out} (${result.parameters} parameters, final loss ${last.loss.toFixed(4)}, ${result.seconds.toFixed(0)} s)\n`);
      lm.dispose();
    });
}
