// Scenarios: a TypeScript file that names the actors, sets the task, model, algorithm and
// hyper-parameters, and wires the actors' ports with (labelled) RxJS operators. Everything but
// the wiring is data, validated before anything runs.
import { z } from "zod";
import { EMPTY, type Observable, type Subscription } from "rxjs";
import type { RoleName } from "../../machines/run.js";
import type { StudentRequest } from "../../machines/student.js";
import type {
  CompletionMessage,
  ExperienceMessage,
  JudgmentMessage,
  TaskMessage,
  VerdictMessage,
} from "../messages.js";
import type { LabeledOp } from "./ops.js";
import { isKnownTask, taskEntry, unknownTaskMessage } from "../tasks/registry.js";
import { isDefinedTask, registerDefinedTask, taskDefinitionProblem, type DefinedTask } from "../tasks/define-task.js";
import { PROJECT_ROOT } from "../paths.js";
import { selfEvalRewardProblem } from "../../actors/teacher.js";
import { AlgorithmConfigSchema, type AlgorithmConfig, type AlgorithmInput } from "../rl/config.js";
import fs from "node:fs";
import path from "node:path";
import { SettingsSchema, type RunSettings } from "./settings.js";
import {
  actorDefinitionProblem,
  isActorDefinition,
  type ActorDefinition,
  type AnyActorDefinition,
} from "./define-actor.js";

/** The built-in roles a scenario's `actors` may list. */
export const ROLE_NAMES = ["student", "teacher", "reflector", "verifier", "learner"] as const;

const ROLE_LIST = ROLE_NAMES.map((r) => `'${r}'`).join(" | ");

/** One entry of `actors`: a role's name, or an actor of the scenario's own (defineActor). */
const ActorEntrySchema = z.custom<RoleName | AnyActorDefinition>().superRefine((a, ctx) => {
  if (typeof a === "string") {
    if (!(ROLE_NAMES as readonly string[]).includes(a))
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `expected one of ${ROLE_LIST} or an actor made with defineActor, received '${a}'`,
      });
  } else if (isActorDefinition(a)) {
    const problem = actorDefinitionProblem(a);
    if (problem !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `actor: ${problem}` });
  } else
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `expected one of ${ROLE_LIST} or an actor made with defineActor`,
    });
});

/** A shipped task's name, a task registered in this process, or a task made with defineTask. */
const TaskFieldSchema = z.custom<string | DefinedTask>().superRefine((t, ctx) => {
  if (typeof t === "string") {
    if (!isKnownTask(t)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: unknownTaskMessage(t) });
  } else if (isDefinedTask(t)) {
    const problem = taskDefinitionProblem(t);
    if (problem !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `task definition: ${problem}` });
  } else
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: "expected a task's name or a task made with defineTask" });
});

const actorName = (a: RoleName | AnyActorDefinition): string => (typeof a === "string" ? a : a.name);

export const ScenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "lower-case letters, digits and dashes"),
    description: z.string().min(1),
    task: TaskFieldSchema,
    /**
     * Checkpoint directory: absolute, or relative to the scenario file's folder (a shipped model's
     * path such as "models/countdown-base" is also found in the package). None: the task's base model.
     */
    model: z.string().min(1).optional(),
    actors: z
      .array(ActorEntrySchema)
      .min(1)
      .refine((a) => new Set(a.map(actorName)).size === a.length, "actors must not repeat")
      .refine((a) => a.includes("learner"), "a scenario needs a learner")
      .refine((a) => a.includes("student"), "a scenario needs a student"),
    /** The algorithm and its settings: each algorithm's own fields and defaults (src/rl/config.ts). */
    algorithm: AlgorithmConfigSchema,
    settings: SettingsSchema,
    wire: z.function(),
  })
  .strict()
  .superRefine((s, ctx) => {
    // A defined task is registered only once the scenario is accepted (parseScenario).
    if (typeof s.task !== "string" || !isKnownTask(s.task)) return;
    const problem = selfEvalRewardProblem(taskEntry(s.task).spec, s.settings.selfEvalReward);
    if (problem !== undefined)
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["settings", "selfEvalReward"], message: problem });
  });

export type { RunSettings };

/** A scenario's parsed algorithm block: the union of src/rl/config.ts, one branch per algorithm. */
export type AlgorithmSettings = AlgorithmConfig;
/**
 * A scenario's parsed `settings` block (steps, tasks per step, group size, source, evaluation,
 * ...), defaults filled in.
 */

/** Something an edge can start from. */
export interface Source<T> {
  readonly name: string;
  readonly stream: Observable<T>;
}

/** Something an edge can end at. */
export interface Sink<T> {
  readonly name: string;
  /** Delivers one message. */
  next(item: T): void;
}

/** The ports of one role actor, as a scenario sees them. */
export interface Ports<Req, Res> {
  readonly name: string;
  readonly in: Sink<Req>;
  readonly out: Source<Res>;
}

/**
 * One edge of a wired scenario as data: its ports, its operators' labels, and how many messages
 * crossed it (what the topology diagram draws).
 */
export interface EdgeInfo {
  from: string;
  to: string;
  ops: Array<{ kind: string; label: string }>;
  /** Messages delivered along the edge so far. */
  count: number;
}

/**
 * What a scenario's `wire` function is given: the source of tasks, each role's ports, the settings,
 * and `edge` to connect them.
 */
export interface Wiring {
  readonly settings: RunSettings;
  readonly tasks: Source<TaskMessage>;
  readonly student: Ports<StudentRequest, CompletionMessage>;
  readonly teacher: Ports<CompletionMessage, JudgmentMessage>;
  readonly reflector: Ports<VerdictMessage, CompletionMessage>;
  readonly verifier: Ports<CompletionMessage, VerdictMessage>;
  readonly learner: { readonly name: "learner"; readonly in: Sink<ExperienceMessage> };
  /** The ports of an actor of the scenario's own (listed in its `actors`), typed by its definition. */
  actor<In, Out>(def: ActorDefinition<In, Out>): Ports<In, Out>;
  /** Connects a source to a sink through labelled operators. */
  edge<A>(from: Source<A>, to: Sink<A>): void;
  /** Connects a source to a sink through one operator. */
  edge<A, B>(from: Source<A>, to: Sink<B>, op1: LabeledOp<A, B>): void;
  /** Connects a source to a sink through two operators, applied in order. */
  edge<A, B, C>(from: Source<A>, to: Sink<C>, op1: LabeledOp<A, B>, op2: LabeledOp<B, C>): void;
  /** Connects a source to a sink through three operators, applied in order. */
  edge<A, B, C, D>(
    from: Source<A>,
    to: Sink<D>,
    op1: LabeledOp<A, B>,
    op2: LabeledOp<B, C>,
    op3: LabeledOp<C, D>,
  ): void;
}

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
 * Connects ports, recording the edge (its ports and operator labels, in wiring order) and
 * counting deliveries along it. The one place edges are recorded: a live run's wiring and
 * recordTopology's stand-in wiring both call it, so the diagram, the inspector and topology.json
 * describe the same edges. Returns the subscription.
 */
export function wireEdge(
  edges: EdgeInfo[],
  from: Source<unknown>,
  to: Sink<unknown>,
  ops: ReadonlyArray<LabeledOp<unknown, unknown>>,
): Subscription {
  const info: EdgeInfo = {
    from: from.name,
    to: to.name,
    ops: ops.map((o) => ({ kind: o.kind, label: o.label })),
    count: 0,
  };
  edges.push(info);
  let stream = from.stream;
  for (const o of ops) stream = stream.pipe(o.fn);
  return stream.subscribe((x) => {
    info.count += 1;
    to.next(x);
  });
}

/**
 * Runs a scenario's wiring against stand-in ports and records its edges, without models or
 * actors: the topology for diagrams, and a check that the wiring only uses declared actors.
 */
export function recordTopology(scenario: Scenario, where: string): EdgeInfo[] {
  const edges: EdgeInfo[] = [];
  const declared = new Set<string>(scenario.actors);
  const source = <T>(name: string): Source<T> => ({ name, stream: EMPTY });
  const sink = <T>(name: string): Sink<T> => ({ name, next: () => {} });
  const check = (name: RoleName): void => {
    if (!declared.has(name))
      throw new ScenarioError(`${where}: the wiring uses the ${name}, but "actors" does not include "${name}"`);
  };
  const role = (name: RoleName) => ({
    name,
    get in() {
      check(name);
      return sink(`${name}.in`);
    },
    get out() {
      check(name);
      return source(`${name}.out`);
    },
  });
  const wiring = {
    settings: scenario.settings,
    tasks: source<TaskMessage>("tasks"),
    student: role("student"),
    teacher: role("teacher"),
    reflector: role("reflector"),
    verifier: role("verifier"),
    learner: {
      name: "learner" as const,
      get in() {
        check("learner");
        return sink<ExperienceMessage>("learner.in");
      },
    },
    actor: (def: ActorDefinition) => {
      const name = customActorName(scenario, def, where);
      return { name, in: sink(`${name}.in`), out: source(`${name}.out`) };
    },
    // The stand-in sources are EMPTY, so wiring records each edge and never delivers anything.
    edge: (from: Source<unknown>, to: Sink<unknown>, ...ops: Array<LabeledOp<unknown, unknown>>) => {
      wireEdge(edges, from, to, ops);
    },
  } as unknown as Wiring;
  try {
    scenario.wire(wiring);
  } catch (err) {
    if (err instanceof ScenarioError) throw err;
    throw new ScenarioError(`${where}: the wiring failed (${err instanceof Error ? err.message : String(err)})`);
  }
  return edges;
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
