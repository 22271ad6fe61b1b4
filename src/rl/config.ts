// Algorithm settings, in one place: a zod union discriminated by `name`, with one branch per
// algorithm holding exactly the fields that algorithm reads, and the only defaults. A scenario's
// `algorithm` block is parsed with it (src/run/scenario.ts), and what it parses to is what the
// Learner (actors/learner.ts) is given: no algorithm sees another's fields. A field that belongs
// to another algorithm is an error naming its owner, because the algorithm would silently ignore
// it, and a run that ignores a setting is not the experiment its author wrote down.
import { z } from "zod";

/** The algorithms a scenario's `algorithm.name` may be. */
export const ALGORITHM_NAMES = ["grpo", "rloo", "reinforce", "ppo"] as const;
/** One of {@link ALGORITHM_NAMES}. */
export type AlgorithmName = (typeof ALGORITHM_NAMES)[number];

/**
 * Every default of every algorithm (the loss functions' own defaults are taken from here too).
 * GRPO's are TRL's (clip ε 0.2 both sides, β 0.001, k3); PPO's are RLC's official trlx settings
 * (ppo_epochs 4, cliprange 0.2, init_kl_coef 0.1, target 6, horizon 10000, gamma 0.99, lam 0.95,
 * vf_coef 1, cliprange_value 0.2, cliprange_reward 10; see ../shared/PAPERS.md).
 */
export const ALGORITHM_DEFAULTS = {
  grpo: {
    epochs: 1,
    klCoef: 0.001,
    klEstimator: "k3",
    clipLow: 0.2,
    clipHigh: 0.2,
    scaleByStd: true,
    importanceRatioCap: 3,
  },
  rloo: { epochs: 1, klCoef: 0.001, klEstimator: "k3" },
  reinforce: { epochs: 1, klCoef: 0.001, klEstimator: "k3" },
  ppo: {
    epochs: 4,
    klCoef: 0.1,
    clip: 0.2,
    gamma: 0.99,
    lambda: 0.95,
    vfCoef: 1.0,
    valueClip: 0.2,
    klTarget: 6,
    klHorizon: 10000,
    rewardClip: 10,
  },
  /** Shared by all four. */
  all: { aggregation: "token", trainLayers: "all", weightDecay: 0 },
} as const;

const AGGREGATIONS = ["token", "sequence", "constant"] as const;
const KL_ESTIMATORS = ["k1", "k2", "k3"] as const;

/** The fields every algorithm has; `d` gives the ones whose default is the algorithm's own. */
function commonFields(d: { epochs: number; klCoef: number }) {
  const all = ALGORITHM_DEFAULTS.all;
  return {
    lr: z.number().positive().max(1),
    /** Optimisation passes over each batch (> 1 makes the importance ratio matter). */
    epochs: z.number().int().min(1).max(16).default(d.epochs),
    /** β on the KL to the reference; for ppo the adaptive controller's initial β. */
    klCoef: z.number().min(0).max(10).default(d.klCoef),
    aggregation: z.enum(AGGREGATIONS).default(all.aggregation),
    /**
     * Aggregation "constant" (Dr. GRPO) divides by batch size × maxCompletionLength, as TRL's
     * dr_grpo. Absent: the task's longest generation (its answer or reflection token cap), filled
     * in by the runner, which knows the task.
     */
    maxCompletionLength: z.number().int().min(1).max(100000).optional(),
    /** Parameters that learn: all, or only the top N blocks (RLC's paper unfreezes the top 2); ppo's value head always learns. */
    trainLayers: z.union([z.literal(all.trainLayers), z.number().int().min(1)]).default(all.trainLayers),
    weightDecay: z.number().min(0).max(1).default(all.weightDecay),
  };
}

const G = ALGORITHM_DEFAULTS.grpo;
const GrpoSchema = z
  .object({
    name: z.literal("grpo"),
    ...commonFields(G),
    /** εlow: the ratio's floor is 1 − clipLow. */
    clipLow: z.number().min(0).lt(1).default(G.clipLow),
    /** εhigh: the ratio's ceiling is 1 + clipHigh (DAPO's clip-higher: 0.28). */
    clipHigh: z.number().min(0).max(10).default(G.clipHigh),
    klEstimator: z.enum(KL_ESTIMATORS).default(G.klEstimator),
    /** GRPO divides the group's advantages by its std; Dr. GRPO does not. */
    scaleByStd: z.boolean().default(G.scaleByStd),
    /** Cap on a stale sample's importance ratio (GRPO's dual clip; used when maxStaleness ≥ 1). */
    importanceRatioCap: z.number().gt(1).max(100).default(G.importanceRatioCap),
  })
  .strict();

// REINFORCE and RLOO: no ratio and no clip (they assume on-policy samples); the same KL term as GRPO.
const reinforceFields = (d: typeof ALGORITHM_DEFAULTS.reinforce) => ({
  ...commonFields(d),
  klEstimator: z.enum(KL_ESTIMATORS).default(d.klEstimator),
});
const RlooSchema = z.object({ name: z.literal("rloo"), ...reinforceFields(ALGORITHM_DEFAULTS.rloo) }).strict();
const ReinforceSchema = z
  .object({ name: z.literal("reinforce"), ...reinforceFields(ALGORITHM_DEFAULTS.reinforce) })
  .strict();

const P = ALGORITHM_DEFAULTS.ppo;
const PpoSchema = z
  .object({
    name: z.literal("ppo"),
    ...commonFields(P),
    /** ε of the ratio clip, which for ppo is symmetric (trlx's cliprange): clipLow, or clipHigh, default 0.2. */
    clipLow: z.number().min(0).lt(1).optional(),
    clipHigh: z.number().min(0).lt(1).optional(),
    gamma: z.number().min(0).max(1).default(P.gamma),
    lambda: z.number().min(0).max(1).default(P.lambda),
    vfCoef: z.number().min(0).max(100).default(P.vfCoef),
    /** How far the critic may move from its old value per update. */
    valueClip: z.number().min(0).max(100).default(P.valueClip),
    /** Adaptive KL target, nats per sequence; 0 keeps β fixed at klCoef. */
    klTarget: z.number().min(0).default(P.klTarget),
    klHorizon: z.number().positive().default(P.klHorizon),
    /** The score is clipped to ±rewardClip before it enters the rewards (trlx's cliprange_reward). */
    rewardClip: z.number().positive().default(P.rewardClip),
    /** Sequences per optimizer step (trlx's batch_size); absent: the whole step's batch. */
    minibatchSize: z.number().int().min(1).optional(),
  })
  .strict();

const BRANCHES = { grpo: GrpoSchema, rloo: RlooSchema, reinforce: ReinforceSchema, ppo: PpoSchema } as const;

/** The fields each algorithm has, in schema order. */
export const ALGORITHM_FIELDS: Readonly<Record<AlgorithmName, readonly string[]>> = Object.fromEntries(
  ALGORITHM_NAMES.map((n) => [n, Object.keys(BRANCHES[n].shape)]),
) as unknown as Record<AlgorithmName, readonly string[]>;

const isAlgorithmName = (x: unknown): x is AlgorithmName =>
  typeof x === "string" && (ALGORITHM_NAMES as readonly string[]).includes(x);

const AlgorithmUnion = z.discriminatedUnion("name", [GrpoSchema, RlooSchema, ReinforceSchema, PpoSchema], {
  // zod's own message does not say what was given.
  errorMap: (issue, ctx) =>
    issue.code === z.ZodIssueCode.invalid_union_discriminator
      ? { message: `${nameOf(ctx.data)} is not an algorithm (known: ${ALGORITHM_NAMES.join(", ")})` }
      : { message: ctx.defaultError },
});

function nameOf(data: unknown): string {
  const name = typeof data === "object" && data !== null ? (data as { name?: unknown }).name : undefined;
  return name === undefined ? "a missing name" : JSON.stringify(name);
}

/**
 * Reports each field the named algorithm does not have at its own path (algorithm.gamma), naming
 * the algorithms that own it, and passes on the rest. A strict object alone would report them all
 * in one line at the block's path, without saying whose they are.
 */
function rejectForeignFields(value: unknown, ctx: z.RefinementCtx): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const name = (value as { name?: unknown }).name;
  if (!isAlgorithmName(name)) return value; // the union reports the name
  const own = ALGORITHM_FIELDS[name];
  const kept: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (own.includes(key)) {
      kept[key] = v;
      continue;
    }
    const owners = ALGORITHM_NAMES.filter((n) => ALGORITHM_FIELDS[n].includes(key));
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: [key],
      message:
        owners.length > 0
          ? `${key} is a ${owners.join("/")} setting; algorithm ${name} does not use it`
          : `unknown setting of algorithm ${name} (its settings: ${own.join(", ")})`,
    });
  }
  return kept;
}

/** An algorithm block as a scenario file writes it (defaults omitted). */
export type AlgorithmInput = z.input<typeof AlgorithmUnion>;

/**
 * The algorithm schema: a scenario's `algorithm` field. Cross-field rules: maxCompletionLength only
 * with aggregation "constant"; ppo's clip is symmetric, so clipLow and clipHigh, when both given,
 * agree, and the parsed ppo settings carry ε as both.
 */
export const AlgorithmConfigSchema = z.preprocess(
  rejectForeignFields,
  AlgorithmUnion.superRefine((a, ctx) => {
    if (a.maxCompletionLength !== undefined && a.aggregation !== "constant") {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["maxCompletionLength"],
        message: `maxCompletionLength is the divisor of aggregation "constant"; aggregation "${a.aggregation}" does not use it`,
      });
    }
    if (a.name === "ppo" && a.clipLow !== undefined && a.clipHigh !== undefined && a.clipLow !== a.clipHigh) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["clipHigh"],
        message: "ppo clips the ratio symmetrically: give clipLow only (or clipHigh equal to it)",
      });
    }
  }).transform((a) => {
    if (a.name !== "ppo") return a;
    const clip = a.clipLow ?? a.clipHigh ?? P.clip;
    return { ...a, clipLow: clip, clipHigh: clip };
  }),
);

/** Parsed algorithm settings: what a Scenario holds and what the Learner reads. */
export type AlgorithmConfig = z.output<typeof AlgorithmConfigSchema>;
/** A parsed GRPO algorithm block. */
export type GrpoSettings = Extract<AlgorithmConfig, { name: "grpo" }>;
/** A parsed RLOO algorithm block. */
export type RlooSettings = Extract<AlgorithmConfig, { name: "rloo" }>;
/** A parsed REINFORCE algorithm block. */
export type ReinforceSettings = Extract<AlgorithmConfig, { name: "reinforce" }>;
/** A parsed PPO algorithm block. */
export type PpoSettings = Extract<AlgorithmConfig, { name: "ppo" }>;

/** Parses an algorithm block outside a scenario (tests, code that builds a Learner directly); throws zod's error. */
export function parseAlgorithm(input: AlgorithmInput): AlgorithmConfig {
  return AlgorithmConfigSchema.parse(input);
}

/**
 * A recorded algorithm block (a run directory's run.json) without the fields its algorithm does not
 * have. Runs recorded before each algorithm had its own fields list every algorithm's defaults
 * (gamma on a grpo run, scaleByStd on a ppo run); the recorded algorithm never read those, so they
 * cannot make it a different run. A block whose name is not an algorithm is returned as it is.
 */
export function withoutForeignFields(recorded: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const name = recorded.name;
  if (!isAlgorithmName(name)) return { ...recorded };
  const own = ALGORITHM_FIELDS[name];
  return Object.fromEntries(Object.entries(recorded).filter(([k]) => own.includes(k)));
}
