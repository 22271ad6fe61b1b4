// Finding and loading scenario files. A scenario is named by path, or by a shipped name
// ("r3-countdown" → scenarios/r3-countdown.ts in a checkout, dist/scenarios/r3-countdown.js in
// the installed package). Loading validates it completely before a run directory is touched, so
// a malformed scenario writes nothing.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { CODE_ROOT, MODULE_EXT } from "../paths.js";
import { parseScenario, ScenarioError, type Scenario } from "./scenario.js";
import { recordTopology } from "./record-topology.js";
import { isDefinedTask, registerDefinedTask, type DefinedTask } from "../tasks/define-task.js";

export const SCENARIOS_DIR = path.join(CODE_ROOT, "scenarios");

export function shippedScenarios(): string[] {
  return fs
    .readdirSync(SCENARIOS_DIR)
    .filter((f) => f.endsWith(MODULE_EXT) && !f.endsWith(".d.ts"))
    .map((f) => f.slice(0, -MODULE_EXT.length))
    .sort();
}

/** A scenario file is named as a path, with a directory part: "./x.ts", "scenarios/x.ts", "/abs/x.ts". */
function isPathLike(arg: string): boolean {
  return arg.includes("/") || arg.includes(path.sep);
}

/**
 * A shipped name always means the shipped scenario, even when a file of that name sits in the
 * current directory: typing "r3-countdown" must never run whatever code happens to be in
 * ./r3-countdown or ./r3-countdown.ts. A local file is loaded only when named as a path ("./x.ts").
 */
export function resolveScenarioPath(nameOrPath: string): string {
  if (!isPathLike(nameOrPath)) {
    const shipped = path.join(SCENARIOS_DIR, `${nameOrPath}${MODULE_EXT}`);
    if (/^[a-z0-9][a-z0-9-]*$/i.test(nameOrPath) && fs.existsSync(shipped)) return shipped;
  } else {
    if (fs.existsSync(nameOrPath) && fs.statSync(nameOrPath).isFile()) return path.resolve(nameOrPath);
    throw new ScenarioError(
      `no scenario file at ${path.resolve(nameOrPath)}${fs.existsSync(nameOrPath) ? " (it is not a file)" : ""}`,
    );
  }
  const local = fs.existsSync(nameOrPath)
    ? ` (to load the file ${JSON.stringify(nameOrPath)} here, name it by path: ./${nameOrPath})`
    : "";
  throw new ScenarioError(
    `no scenario "${nameOrPath}": not one of the shipped scenarios (${shippedScenarios().join(", ")})${local}; a scenario file is named by path, e.g. ./my-scenario.ts`,
  );
}

/**
 * Loads and validates a scenario: a shipped one by name ("r3-countdown") or a file by path
 * ("./my-scenario.ts"); errors name the file and the field. What `selfimprove run` loads before a
 * {@link ScenarioRun}.
 */
export async function loadScenario(nameOrPath: string): Promise<{ scenario: Scenario; file: string }> {
  const file = resolveScenarioPath(nameOrPath);
  let mod: { default?: unknown };
  try {
    mod = await importScenarioModule(file);
  } catch (err) {
    throw new ScenarioError(`${file}: failed to load (${err instanceof Error ? err.message : String(err)})`);
  }
  let def = mod.default;
  if (def !== null && typeof def === "object" && (def as { __esModule?: unknown }).__esModule === true)
    def = (def as { default?: unknown }).default;
  if (def === undefined) throw new ScenarioError(`${file}: no default export (export default defineScenario({...}))`);
  let scenario: Scenario;
  try {
    scenario = parseScenario(def, file, { dir: path.dirname(file) });
  } catch (err) {
    // A defined task that cannot be registered (a bad definition) is the scenario's error too.
    if (err instanceof ScenarioError) throw err;
    throw new ScenarioError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  recordTopology(scenario, file);
  return { scenario, file };
}

/**
 * A task of the user's own, named by the path to its module (`--task ./my-task.ts`): the module's
 * default export must be a defineTask result. It is registered for this process and returned, so
 * a command can use its parts (`verify` its JSONL reader) as well as its registered entry. The
 * module is code the user chose to run, as a scenario file is; data files are never imported.
 */
export async function loadTaskDefinition(file: string): Promise<DefinedTask> {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new ScenarioError(`no task module at ${abs}`);
  if (!fs.statSync(abs).isFile()) throw new ScenarioError(`no task module at ${abs} (it is not a file)`);
  let mod: { default?: unknown };
  try {
    mod = await importScenarioModule(abs);
  } catch (err) {
    throw new ScenarioError(`${abs}: failed to load (${err instanceof Error ? err.message : String(err)})`);
  }
  let def = mod.default;
  if (def !== null && typeof def === "object" && (def as { __esModule?: unknown }).__esModule === true)
    def = (def as { default?: unknown }).default;
  if (def === undefined) throw new ScenarioError(`${abs}: no default export (export default defineTask({...}))`);
  if (!isDefinedTask(def))
    throw new ScenarioError(`${abs}: the default export is not a task (export default defineTask({...}))`);
  try {
    registerDefinedTask(def);
  } catch (err) {
    throw new ScenarioError(`${abs}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return def;
}

/**
 * A compiled shipped scenario (the installed package) is plain JavaScript beside the compiled
 * framework: Node imports it as is, sharing the one copy of the framework that is running. Any
 * other file, a user's `.ts` above all, goes through tsx's programmatic loader, loaded only then:
 * tsImport compiles the file whatever package it lives in (a user's scenario need not sit in an
 * ESM package); a CommonJS-compiled file comes back with its exports under `default`.
 */
async function importScenarioModule(file: string): Promise<{ default?: unknown }> {
  const url = pathToFileURL(file).href;
  if (MODULE_EXT === ".js" && path.dirname(file) === SCENARIOS_DIR) return (await import(url)) as { default?: unknown };
  const { tsImport } = await import("tsx/esm/api");
  return (await tsImport(url, import.meta.url)) as { default?: unknown };
}
