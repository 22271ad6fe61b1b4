// Scenarios: a TypeScript file that names the actors, sets the task, model, algorithm and
// hyper-parameters, and wires the actors' ports with (labelled) RxJS operators. Everything but
// the wiring is data, validated before anything runs. This module is the API (the types, parsing
// and validation, settings overrides); the schema is in scenario-schema.ts, the ports and edges a
// wiring works with in wiring.ts, and recording a topology in record-topology.ts.
import { z } from "zod";
import type { RoleName } from "../../machines/run.js";
import { taskEntry } from "../tasks/registry.js";
import { registerDefinedTask, type DefinedTask } from "../tasks/define-task.js";
import { PROJECT_ROOT } from "../paths.js";
import { selfEvalRewardProblem } from "../../actors/teacher.js";
import type { AlgorithmConfig, AlgorithmInput } from "../rl/config.js";
import fs from "node:fs";
import path from "node:path";
import { SettingsSchema, type RunSettings } from "./settings.js";
import { isActorDefinition, type AnyActorDefinition } from "./define-actor.js";
import { ScenarioSchema } from "./scenario-schema.js";
import type { Wiring } from "./wiring.js";

export { ROLE_NAMES, ScenarioSchema } from "./scenario-schema.js";
export { wireEdge, type EdgeInfo, type Ports, type Sink, type Source, type Wiring } from "./wiring.js";

export type { RunSettings };

/** A scenario's parsed algorithm block: the union of src/rl/config.ts, one branch per algorithm. */
export type AlgorithmSettings = AlgorithmConfig;

/**
 * A scenario as written in a scenario file and passed to {@link defineScenario}: its task, model,
 * actors, algorithm, settings and wiring.
 */
export interface ScenarioDefinition {
  name: string;
  description: string;
  /** A shipped task's name ("countdown"), or a task of your own made with defineTask. */
  task: string | DefinedTask;
  /** Checkpoint directory, relative to this file's folder (or absolute); none: the task's base model. */
  model?: string;
  /** The roles it uses, and any actors of its own (defineActor). */
  actors: Array<RoleName | AnyActorDefinition>;
  algorithm: AlgorithmInput;
  settings: z.input<typeof SettingsSchema>;
  /** Connects the actors' ports with edges; called once per run (and once to record the topology). */
  wire: (w: Wiring) => void;
}

/**
 * A validated scenario ({@link parseScenario}): settings and algorithm parsed with their defaults,
 * the model resolved.
 */
export interface Scenario extends Omit<ScenarioDefinition, "algorithm" | "settings" | "task" | "model" | "actors"> {
  /** The task's name: shipped, or registered from the scenario's defined task. */
  task: string;
  /** The model as resolved when loaded: absolute, or relative to the package root (a shipped model). */
  model: string;
  /** The roles, in the scenario's order. */
  actors: RoleName[];
  /** The scenario's own actors (defineActor), in its order. */
  custom?: AnyActorDefinition[];
  /** The defined task the scenario names, when it names one (registered when loaded). */
  taskDefinition?: DefinedTask;
  algorithm: AlgorithmSettings;
  settings: RunSettings;
}

/** A scenario that cannot be loaded or is invalid; the message names the file and the field. */
export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScenarioError";
  }
}

/**
 * Validates a scenario; `where` (its file) prefixes every error. With `dir` (the file's folder) a
 * relative `model` is resolved against it, and a model that is not there is an error; a defined
 * task is registered for this process.
 */
export function parseScenario(value: unknown, where: string, opts: { dir?: string } = {}): Scenario {
  const r = ScenarioSchema.safeParse(value);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.length > 0 ? i.path.join(".") : "(scenario)"}: ${i.message}`);
    throw new ScenarioError(`${where}: invalid scenario\n${lines.join("\n")}`);
  }
  const { task: taskField, model: modelField, actors: entries, ...rest } = r.data;
  let task: string;
  let taskDefinition: DefinedTask | undefined;
  if (typeof taskField === "string") task = taskField;
  else {
    taskDefinition = taskField;
    task = taskField.name;
    registerDefinedTask(taskField);
  }
  const actors = entries.filter((a): a is RoleName => typeof a === "string");
  const custom = entries.filter((a): a is AnyActorDefinition => typeof a !== "string");
  const model = modelField === undefined ? shippedModelOf(task) : resolveModelField(modelField, where, opts.dir);
  const scenario: Scenario = {
    ...(rest as Omit<Scenario, "task" | "model" | "actors">),
    task,
    model,
    actors,
    ...(custom.length > 0 ? { custom } : {}),
    ...(taskDefinition ? { taskDefinition } : {}),
  };
  // The schema checks settings against a shipped task; a defined task is checked once registered.
  return taskDefinition ? checkTaskSettings(scenario, where) : scenario;
}

/** The task's base model, as the package names it ("models/countdown-base"). */
function shippedModelOf(task: string): string {
  return path.relative(PROJECT_ROOT, taskEntry(task).defaultModel);
}

/**
 * A scenario's `model`: absolute as given; relative to the scenario file's folder; or, when not
 * there, a shipped model's path inside the package ("models/countdown-base" in a shipped
 * scenario, or in a user's copy of one), kept package-relative as the runner reads it.
 */
function resolveModelField(model: string, where: string, dir: string | undefined): string {
  if (dir === undefined) return model;
  const fromFile = path.resolve(dir, model);
  if (fs.existsSync(fromFile)) return fromFile;
  if (!path.isAbsolute(model) && fs.existsSync(path.join(PROJECT_ROOT, model))) return model;
  const how = path.isAbsolute(model)
    ? ""
    : ` (a relative path is read from the scenario file's folder, ${dir}; leave model out to use the task's base model)`;
  throw new ScenarioError(`${where}: invalid scenario\n  model: no model at ${fromFile}${how}`);
}

/**
 * A scenario with some settings replaced (`--set key=value` on the command line), validated like
 * the file's own: an unknown key or a bad value is an error naming it.
 */
export function withSettings(
  s: Scenario,
  settings: Readonly<Record<string, unknown>>,
  where: string,
  opts: { flag?: string } = {},
): Scenario {
  if (Object.keys(settings).length === 0) return s;
  const r = SettingsSchema.safeParse({ ...s.settings, ...settings });
  if (!r.success) {
    // From the command line (`flag`, "--set"), each line names the flag as the user typed it.
    if (opts.flag !== undefined)
      throw new ScenarioError(
        r.error.issues.flatMap((i) => settingIssueLines(i, settings, opts.flag as string)).join("\n"),
      );
    const lines = r.error.issues.map((i) => `  settings.${i.path.join(".") || "(settings)"}: ${i.message}`);
    throw new ScenarioError(`${where}: invalid settings\n${lines.join("\n")}`);
  }
  return checkTaskSettings({ ...s, settings: r.data }, where);
}

const SETTING_NAMES = Object.keys(SettingsSchema.shape);

/** A zod issue about a `--set key=value`, as `--set key=value: what is wrong` lines. */
function settingIssueLines(issue: z.ZodIssue, given: Readonly<Record<string, unknown>>, flag: string): string[] {
  const shown = (key: string): string => {
    const v = given[key];
    return `${flag} ${key}=${typeof v === "string" ? v : JSON.stringify(v)}`;
  };
  if (issue.code === z.ZodIssueCode.unrecognized_keys)
    return issue.keys.map((k) => `${shown(k)}: unknown setting (known: ${SETTING_NAMES.join(", ")})`);
  const key = String(issue.path[0] ?? "");
  let what: string;
  switch (issue.code) {
    case z.ZodIssueCode.invalid_type:
      what = `expected ${issue.expected === "integer" ? "an integer" : `a ${issue.expected}`}`;
      break;
    case z.ZodIssueCode.too_small:
      what =
        issue.type === "string"
          ? `must be at least ${issue.minimum} character(s)`
          : `must be ${issue.inclusive ? "at least" : "more than"} ${issue.minimum}`;
      break;
    case z.ZodIssueCode.too_big:
      what =
        issue.type === "string"
          ? `must be at most ${issue.maximum} character(s)`
          : `must be ${issue.inclusive ? "at most" : "less than"} ${issue.maximum}`;
      break;
    case z.ZodIssueCode.invalid_enum_value:
      what = `expected one of ${issue.options.map((o) => String(o)).join(", ")}`;
      break;
    default:
      what = issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
  }
  // A key the user did not set can still be wrong (a default that clashes with one they set).
  return [`${key in given ? shown(key) : `${flag}: setting ${key}`}: ${what}`];
}

/**
 * The same topology on another task: the task's base model, and the name's task suffix swapped
 * ("r3-countdown" → "r3-functions"). RLC and R3 are wirings, not task code, so this is all it takes.
 */
export function retargetScenario(s: Scenario, task: string): Scenario {
  if (s.task === task) return s;
  const base = s.name.endsWith(`-${s.task}`) ? s.name.slice(0, -(s.task.length + 1)) : s.name;
  const { taskDefinition: _previous, ...rest } = s;
  return checkTaskSettings(
    { ...rest, name: `${base}-${task}`, task, model: shippedModelOf(task) },
    `${s.name} on task ${task}`,
  );
}

/** Settings that depend on the task, checked again after --task or --set changed either. */
function checkTaskSettings(s: Scenario, where: string): Scenario {
  const problem = selfEvalRewardProblem(taskEntry(s.task).spec, s.settings.selfEvalReward);
  if (problem !== undefined) throw new ScenarioError(`${where}: settings.selfEvalReward ${problem}`);
  return s;
}

/** Declares a scenario (identity at run time; typed and validated when loaded). */
export function defineScenario(def: ScenarioDefinition): ScenarioDefinition {
  return def;
}

/**
 * The name of an actor of the scenario's own that its wiring asks for: it must be one the
 * scenario lists in `actors` (matched by name: the wiring and the list may hold copies).
 */
export function customActorName(scenario: Pick<Scenario, "custom">, def: unknown, where: string): string {
  const name = isActorDefinition(def) ? def.name : undefined;
  if (name === undefined) throw new ScenarioError(`${where}: w.actor(...) needs an actor made with defineActor`);
  if (!(scenario.custom ?? []).some((a) => a.name === name))
    throw new ScenarioError(`${where}: the wiring uses the actor "${name}", but "actors" does not include it`);
  return name;
}

/** Every actor's name: the roles, then the scenario's own. */
export function actorNames(scenario: Pick<Scenario, "actors" | "custom">): string[] {
  return [...scenario.actors, ...(scenario.custom ?? []).map((a) => a.name)];
}
