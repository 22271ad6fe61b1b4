// A scenario's run settings: one schema, validated with the scenario and again after `--set`.
// Its own module so that what a run's parts hand their settings to (an actor of the scenario's
// own, src/run/define-actor.ts) can name the type without importing the scenario module.
import { z } from "zod";
import { SELF_EVAL_REWARDS } from "../rewards/selfeval.js";

export const SettingsSchema = z
  .object({
    steps: z.number().int().min(1),
    seed: z.number().int().min(0).default(0),
    /** Problems drawn per step. */
    tasksPerStep: z.number().int().min(1),
    /** Samples per problem (GRPO's group) or reflections per failure (R3). */
    groupSize: z.number().int().min(1).max(256),
    temperature: z.number().min(0).max(10).default(1),
    /** Which model judges for RLC: the frozen initial checkpoint (as the official code) or the current policy. */
    judge: z.enum(["frozen", "policy"]).default("frozen"),
    /**
     * RLC's self-evaluation reward: P(yes), or 1 when a sampled reply says yes (the correctness
     * prompt); or "quality": the sampled 0-10 score of the quality prompt / 10 (tasks that have one).
     */
    selfEvalReward: z.enum(SELF_EVAL_REWARDS).default("p-yes"),
    /**
     * R3's reflection instruction, in place of the task's own (for Countdown the <|reflect|>
     * token the base model was trained on). Any text; it is tokenised like the rest of the prompt.
     */
    reflectionPrompt: z.string().min(1).max(200).optional(),
    /** Where problems come from: fresh draws, or R3's failure set (rejection sampling). */
    source: z.enum(["fresh", "failure-set"]).default("fresh"),
    /** Rejection sampling: attempts per candidate problem; a problem is kept if all fail. */
    failureSamples: z.number().int().min(1).max(64).default(8),
    /** Held-out problems evaluated before and after (and every evalEvery steps). */
    evalN: z.number().int().min(1).default(200),
    evalEvery: z.number().int().min(0).default(0),
    checkpointEvery: z.number().int().min(0).default(10),
    maxBatch: z.number().int().min(1).default(256),
    maxRetries: z.number().int().min(0).default(2),
    /** Generation worker threads (issue 4): 0 keeps generation in-process, for debugging. */
    workers: z.number().int().min(0).max(64).default(0),
    /** Weight versions generation may lag the Learner by: 0 = exactly on-policy. */
    maxStaleness: z.number().int().min(0).max(16).default(0),
  })
  .strict();

/** A scenario's run settings (steps, tasks per step, group size, sampling, evaluation, workers) after validation and defaults. */
export type RunSettings = z.infer<typeof SettingsSchema>;
