// Does a checkpoint belong to the task it is about to be used for? Every model `pretrain` writes
// records its task in checkpoint.json's meta (run checkpoints inherit it), and a model used on
// another task reads the prompts as characters it never learnt: it scores 0% and looks like a
// bad model rather than a wrong flag. `eval` and `run` ask here before loading anything.
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { PROJECT_ROOT } from "../paths.js";

const MetaTask = z.object({ meta: z.object({ task: z.string() }).passthrough() }).passthrough();

/**
 * The task a checkpoint directory records, or undefined when it records none or cannot be read
 * (the loader reports an unreadable checkpoint with its own, more precise, message).
 */
export function recordedTask(modelDir: string): string | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(path.join(modelDir, "checkpoint.json"), "utf8"));
  } catch {
    return undefined;
  }
  const parsed = MetaTask.safeParse(raw);
  return parsed.success ? parsed.data.meta.task : undefined;
}

/** A scenario's `model` is relative to the project root, as the runner resolves it. */
export function resolveScenarioModel(model: string): string {
  return path.isAbsolute(model) ? model : path.join(PROJECT_ROOT, model);
}

/** Shown as given when relative to the working directory would be longer than absolute. */
function shown(dir: string): string {
  const rel = path.relative(process.cwd(), dir);
  return rel === "" ? "." : rel.startsWith("..") && rel.length > dir.length ? dir : rel;
}

/**
 * The reason `modelDir` should not be used for `task`, or undefined when it may: its checkpoint
 * records another task. `what` says who asked ("--task", "scenario r3-countdown's task").
 */
export function modelTaskMismatch(modelDir: string, task: string, what = "--task"): string | undefined {
  const recorded = recordedTask(modelDir);
  if (recorded === undefined || recorded === task) return undefined;
  return `model ${shown(modelDir)} was trained for task "${recorded}", but ${what} is "${task}": it would read the prompts as unknown text and score near 0%`;
}
