/**
 * Policy-gradient losses for {@link Trainer.step} (GRPO, PPO, REINFORCE), the batches they read,
 * the KL controllers, and the algorithm settings a scenario's `algorithm` block is parsed with
 * ({@link AlgorithmConfigSchema}: each algorithm's own fields and defaults).
 *
 * @module
 */
export * from "./objective.js";
export * from "./batch.js";
export * from "./aggregate.js";
export * from "./ops.js";
export * from "./terms.js";
export * from "./grpo.js";
export * from "./ppo.js";
export * from "./ppo-rollout.js";
export * from "./reinforce.js";
export * from "./adaptive-kl.js";
export * from "./logprobs.js";
export * from "./config.js";
