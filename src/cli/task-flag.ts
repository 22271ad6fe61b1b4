// What a `--task` value names, for every command that takes one (run, eval, verify): a shipped
// task by name ("countdown"), or a task of the user's own by the path to its module
// ("./my-task.ts"), which is then loaded and registered for this process. One rule for all
// commands, so `--task ./my-task.ts` means the same thing to each of them.
import path from "node:path";
import { loadTaskDefinition } from "../run/load.js";
import { ScenarioError } from "../run/scenario.js";
import type { DefinedTask } from "../tasks/define-task.js";
import { isKnownTask, unknownTaskMessage } from "../tasks/registry.js";
import { CliError } from "./errors.js";

/** The task a `--task` value resolved to: its registered name, and its definition when it is the user's. */
export interface TaskFlag {
  name: string;
  /** The user's defineTask result, when the value named a module. */
  definition?: DefinedTask;
}

/**
 * A value naming a module rather than a task: it has a directory part ("./t.ts", "src/t.ts") or
 * a module's extension ("t.ts"). Task names are letters, digits and dashes, so nothing is both.
 */
export function isTaskPath(value: string): boolean {
  return value.includes("/") || value.includes(path.sep) || /\.(c|m)?[jt]s$/.test(value);
}

/**
 * Resolves a `--task` value: a module path is loaded and registered (an error names the flag and
 * the file: not found, no default export, not a defineTask result, a bad definition); a name
 * must be a known task (the error lists them and says how to name a module).
 */
export async function resolveTaskFlag(value: string, flag = "--task"): Promise<TaskFlag> {
  if (isTaskPath(value)) {
    try {
      const definition = await loadTaskDefinition(value);
      return { name: definition.name, definition };
    } catch (err) {
      if (err instanceof ScenarioError) throw new CliError(`${flag}: ${err.message}`, 2);
      throw err;
    }
  }
  if (!isKnownTask(value))
    throw new CliError(
      `${flag}: ${unknownTaskMessage(value)}; a task of your own is named by the path to its module, e.g. ${flag} ./my-task.ts`,
      2,
    );
  return { name: value };
}
