// What a scenario file may say, as a zod schema: the roles it may list, the task it may name, the
// algorithm and settings blocks. Apart from its wiring a scenario is data, so this is the whole
// check that runs before anything loads (parseScenario in scenario.ts turns the result into a
// Scenario); kept apart so the scenario module reads as the API it exports.
import { z } from "zod";
import type { RoleName } from "../../machines/run.js";
import { isKnownTask, taskEntry, unknownTaskMessage } from "../tasks/registry.js";
import { isDefinedTask, taskDefinitionProblem, type DefinedTask } from "../tasks/define-task.js";
import { selfEvalRewardProblem } from "../../actors/teacher.js";
import { AlgorithmConfigSchema } from "../rl/config.js";
import { SettingsSchema } from "./settings.js";
import { actorDefinitionProblem, isActorDefinition, type AnyActorDefinition } from "./define-actor.js";

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
