// Reward and advantage math on plain numbers (no tensors): what the rollout side computes
// before anything reaches the learner. Task-free: a task's own reward (Countdown's
// countdownReward) lives with the task, in src/tasks/<task>/.
export * from "./advantages.js";
export * from "./kl.js";
export * from "./selfeval.js";
export * from "./mask.js";
export * from "./guards.js";
export * from "./token-rewards.js";
