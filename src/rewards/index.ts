/**
 * Reward and advantage math on plain numbers: group advantages (GRPO, Dr. GRPO, RLOO), KL
 * estimators k1/k2/k3, self-evaluation rewards, R3's reflection-only mask, reward guards. What a
 * reward author builds on; task-free (a task's own reward, like Countdown's, lives with the task).
 *
 * @module
 */
export * from "./advantages.js";
export * from "./kl.js";
export * from "./selfeval.js";
export * from "./mask.js";
export * from "./guards.js";
export * from "./token-rewards.js";
