// Policy-gradient losses for Trainer.step: batches, GRPO, PPO, REINFORCE, and the KL controller;
// the algorithm settings a scenario and the Learner share (config.ts).
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
