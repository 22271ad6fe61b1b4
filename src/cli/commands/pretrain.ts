// `selfimprove pretrain --task <task>`: trains a base model from the task's generated corpus and
// writes a checkpoint, by default into runs/pretrain-<task> under the working directory. It
// never replaces an existing model without --force: writing into the shipped models/<task>-base
// by default let a three-step try silently destroy the model every other command uses. With the
// default settings the result is bit for bit the shipped model, and it says whether it is.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { pretrain, type PretrainConfig } from "../../train/pretrain.js";
import { isPretrainableTask, PRETRAINABLE_TASKS, TASK_REGISTRY, unknownTaskMessage } from "../../tasks/registry.js";
import { backendOption, intFlag, numberFlag, useBackend } from "../options.js";
import { progressBar } from "../progress.js";
import { CliError } from "../errors.js";
import { checkOutputDir } from "../out-path.js";
import { MODELS_DIR } from "../../paths.js";

interface PretrainFlags {
  task: string;
  steps?: number;
  seed?: number;
  lr?: number;
  batchSize?: number;
  out?: string;
  work?: string;
  resume?: boolean;
  force?: boolean;
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
    .option("--out <dir>", "where the final model goes (default: runs/pretrain-<task>)")
    .option("--work <dir>", "resumable state and metrics (default: <out>.work)")
    .option("--resume", "continue from the work directory's last checkpoint")
    .option("--force", "replace the model already in --out (the shipped one included)")
    .option("--json", "print the result as JSON")
    .addOption(backendOption())
    .action(async (flags: PretrainFlags) => {
      if (!isPretrainableTask(flags.task)) throw new CliError(unknownTaskMessage(flags.task), 2);
      const entry = TASK_REGISTRY[flags.task];
      const out = path.resolve(flags.out ?? defaultPretrainOut(flags.task));
      // Refused before any training, not after minutes of it.
      const refusal = flags.force ? undefined : replaceRefusal(out, flags.task);
      if (refusal !== undefined) throw new CliError(refusal, 2);
      // An unwritable --out or --work fails now, naming the path, not after the training.
      checkOutputDir(out);
      checkOutputDir(path.resolve(flags.work ?? `${out}.work`));
      // Hashed now: with --out models/<task>-base --force the shipped file is about to be replaced.
      const shippedDir = path.resolve(entry.defaultModel);
      const shippedSha256 = weightsSha256(shippedDir);
      const backend = await useBackend(flags.backend);
      const cfg: PretrainConfig = {
        ...entry.pretrain,
        ...(flags.steps !== undefined ? { steps: flags.steps } : {}),
        ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
        ...(flags.lr !== undefined ? { lr: flags.lr } : {}),
        ...(flags.batchSize !== undefined ? { batchSize: flags.batchSize } : {}),
      };
      const work = path.resolve(flags.work ?? `${out}.work`);
      // A bar on a terminal, a line every few seconds on a pipe; nothing beside --json.
      const bar = progressBar(`pretrain ${cfg.task}`, cfg.steps, {
        enabled: !flags.json,
        fields: "loss {loss} | {tps} tok/s",
      });
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
      const sha256 = weightsSha256(out) ?? "";
      const defaults = JSON.stringify(cfg) === JSON.stringify(entry.pretrain);
      const shipped =
        shippedSha256 === undefined
          ? undefined
          : { dir: shippedDir, sha256: shippedSha256, same: shippedSha256 === sha256 };
      const result = {
        out,
        work,
        steps: cfg.steps,
        seed: cfg.seed,
        finalLoss: last.loss,
        seconds: (performance.now() - t0) / 1000,
        parameters: lm.model.parameterCount(),
        sha256,
        defaults,
        shipped,
      };
      if (flags.json) process.stdout.write(JSON.stringify(result) + "\n");
      else {
        process.stdout.write(
          `wrote ${out} (${result.parameters} parameters, final loss ${last.loss.toFixed(4)}, ${result.seconds.toFixed(0)} s)\n`,
        );
        process.stdout.write(
          `weights.bin sha256 ${sha256}${shipped ? `: ${compareWithShipped(shipped, defaults)}` : ""}\n`,
        );
      }
      lm.dispose();
    });
}

/** Where a model goes without --out: a run directory under the working directory, never models/. */
export function defaultPretrainOut(task: string): string {
  return path.resolve("runs", `pretrain-${task}`);
}

/** `dir` with symlinks resolved as far as it exists, so a link into models/ is still recognised. */
function realPathSoFar(dir: string): string {
  const missing: string[] = [];
  let head = dir;
  while (!fs.existsSync(head) && path.dirname(head) !== head) {
    missing.unshift(path.basename(head));
    head = path.dirname(head);
  }
  try {
    return path.join(fs.realpathSync(head), ...missing);
  } catch {
    return dir;
  }
}

/**
 * Why writing a model into `out` needs --force, or undefined when it does not: `out` already
 * holds a model (a checkpoint.json), and it is worse when that is one of the package's shipped
 * models (under `modelsDir`), which eval, run and every scenario load by default.
 */
export function replaceRefusal(out: string, task: string, modelsDir: string = MODELS_DIR): string | undefined {
  if (!fs.existsSync(path.join(out, "checkpoint.json"))) return undefined;
  const rel = path.relative(realPathSoFar(modelsDir), realPathSoFar(out));
  const shipped = rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
  if (shipped) {
    return `${out} is a shipped model (under ${modelsDir}), the one eval, run and the scenarios use by default; refusing to replace it. Leave out --out to write runs/pretrain-${task}, or pass --force to replace it`;
  }
  return `${out} already holds a model; refusing to replace it. Choose another --out, or pass --force to replace it`;
}

/** SHA-256 of a checkpoint's weights.bin, or undefined when it has none. */
export function weightsSha256(dir: string): string | undefined {
  const file = path.join(dir, "weights.bin");
  if (!fs.existsSync(file)) return undefined;
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

function compareWithShipped(shipped: { dir: string; same: boolean }, defaults: boolean): string {
  const name = path.relative(process.cwd(), shipped.dir) || shipped.dir;
  if (shipped.same) return `the same as the shipped ${name} (reproduced bit for bit)`;
  return defaults
    ? `differs from the shipped ${name} although every setting is the default (another backend than the shipped model's wasm?)`
    : `differs from the shipped ${name}, as expected: only the default settings reproduce it`;
}
