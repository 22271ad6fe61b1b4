// A scenario's own actor, beside the five roles: a custom reward model, a critic, a filter that
// calls a service. `defineActor({ name, work })` gives it the roles' life: the stage machine
// (machines/stage.ts: request → work → emit, retry with back-off, give up and report), an input
// port the wiring feeds and an output stream the wiring reads, and the runner waits for it to be
// idle like the others. Its work gets one message and returns zero or more messages.
//
// The definition is plain data plus a function, marked by `kind`: a scenario file may import
// another copy of this module than the runner (tsx's loader), so nothing relies on identity.
import { z } from "zod";
import { createStageMachine } from "../../machines/stage.js";
import { childTrace, type Trace } from "../messages.js";
import type { RunSettings } from "./settings.js";

export const ACTOR_KIND = "selfimprove.actor";

/** What an actor's work is given beside the message. */
export interface ActorContext {
  /** The run's settings (after --set). */
  readonly settings: RunSettings;
  /** A new trace answering `parent`: what a message made from another carries (the trace convention). */
  trace(parent: Trace, patch?: Partial<Omit<Trace, "id" | "parentId">>): Trace;
}

/** One message in, zero or more out (an array, one message, or nothing). */
export type ActorWork<In, Out> = (
  message: In,
  ctx: ActorContext,
) => Out | readonly Out[] | undefined | Promise<Out | readonly Out[] | undefined>;

export interface ActorDefinitionInput<In, Out> {
  /** Lower-case letters, digits and dashes; not a role's name. Its ports are `<name>.in` and `<name>.out`. */
  name: string;
  /** Its statechart: the busy state's name, as diagrams and the inspector show it (default "working"). */
  machine?: { workState?: string };
  work: ActorWork<In, Out>;
}

export interface ActorDefinition<In = unknown, Out = unknown> {
  readonly kind: typeof ACTOR_KIND;
  readonly name: string;
  readonly machine: { readonly workState: string };
  readonly work: ActorWork<In, Out>;
}

/** Any actor definition, whatever its messages: what a scenario's list holds. */
export type AnyActorDefinition = ActorDefinition<never, unknown>;

const NAME = /^[a-z][a-z0-9-]*$/;
/** Names the wiring already uses: the roles, the problem source and the run's root machine. */
export const RESERVED_ACTOR_NAMES: readonly string[] = [
  "student",
  "teacher",
  "reflector",
  "verifier",
  "learner",
  "tasks",
  "run",
];

/** Declares an actor of a scenario's own; list it in the scenario's `actors` and wire it with `w.actor(it)`. */
export function defineActor<In, Out>(def: ActorDefinitionInput<In, Out>): ActorDefinition<In, Out> {
  const actor = {
    kind: ACTOR_KIND,
    name: def.name,
    machine: { workState: def.machine?.workState ?? "working" },
    work: def.work,
  } as const;
  const problem = actorDefinitionProblem(actor);
  if (problem !== undefined) throw new Error(`defineActor: ${problem}`);
  return actor;
}

export const ActorDefinitionSchema = z
  .object({
    kind: z.literal(ACTOR_KIND),
    name: z
      .string()
      .regex(NAME, "lower-case letters, digits and dashes, starting with a letter")
      .refine(
        (n) => !RESERVED_ACTOR_NAMES.includes(n),
        (n) => ({ message: `"${n}" is taken (${RESERVED_ACTOR_NAMES.join(", ")})` }),
      ),
    machine: z.object({
      workState: z
        .string()
        .regex(/^[a-zA-Z][a-zA-Z0-9-]*$/, "letters, digits and dashes")
        .refine(
          (s) => s !== "idle" && s !== "emitting" && s !== "retrying" && s !== "gaveUp",
          "names one of the machine's other states",
        ),
    }),
    work: z.custom<(...args: never[]) => unknown>((x) => typeof x === "function", "expected a function"),
  })
  .strict();

export function isActorDefinition(x: unknown): x is ActorDefinition {
  return x !== null && typeof x === "object" && (x as { kind?: unknown }).kind === ACTOR_KIND;
}

/** What is wrong with an actor definition ("field: problem"), or undefined. */
export function actorDefinitionProblem(x: unknown): string | undefined {
  const r = ActorDefinitionSchema.safeParse(x);
  return r.success ? undefined : r.error.issues.map((i) => `${i.path.join(".") || "(actor)"}: ${i.message}`).join("; ");
}

// One machine per definition, so the run, `viz` and the inspector draw and track the same one.
const machines = new WeakMap<AnyActorDefinition, ReturnType<typeof createStageMachine<unknown, unknown>>>();

/** The actor's statechart: the roles' stage machine, with its id the actor's name. */
export function actorMachine(def: AnyActorDefinition) {
  let m = machines.get(def);
  if (!m) {
    m = createStageMachine<unknown, unknown>(def.name, def.machine.workState);
    machines.set(def, m);
  }
  return m;
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "a nested array";
  return typeof x === "object" ? "an object without a trace" : `a ${typeof x}`;
}

/**
 * The batch work the stage machine runs: `work` on each message in order, its outputs checked to
 * be messages (objects with a trace). A throw, or an output that is not a message, fails the
 * batch: the machine retries it and gives it up after `maxRetries`, reported as the roles' are.
 */
export function batchWork(
  definition: AnyActorDefinition,
  settings: RunSettings,
): (batch: unknown[]) => Promise<unknown[]> {
  // The wiring delivers what its edges typed as the actor's input; the work is called with it.
  const def = definition as unknown as ActorDefinition;
  const ctx: ActorContext = { settings, trace: (parent, patch) => childTrace(parent, patch) };
  return async (batch) => {
    const out: unknown[] = [];
    for (const message of batch) {
      const r = await def.work(message, ctx);
      const items: readonly unknown[] = r === undefined ? [] : Array.isArray(r) ? r : [r];
      for (const item of items) {
        const trace = (item as { trace?: { id?: unknown } } | null)?.trace;
        if (item === null || typeof item !== "object" || Array.isArray(item) || typeof trace?.id !== "string") {
          const from = (message as { trace?: { id?: unknown } } | null)?.trace?.id;
          throw new Error(
            `actor ${def.name}: its work returned ${describe(item)}${typeof from === "string" ? ` for message ${from}` : ""}; a message is an object with a trace (ctx.trace(parent) makes one)`,
          );
        }
        out.push(item);
      }
    }
    return out;
  };
}
