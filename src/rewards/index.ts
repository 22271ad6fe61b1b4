// Reward and advantage math on plain numbers (no tensors): what the rollout side computes
// before anything reaches the learner.
export * from "./advantages.js";
export * from "./kl.js";
export * from "./selfeval.js";
export * from "./mask.js";
export * from "./guards.js";
export * from "./shaping.js";
export * from "./token-rewards.js";
// Task verifiers are reward logic too: re-exported so every reward lives behind one import.
export { verifyCountdown, extractAnswer, type CountdownVerdict, type CountdownPuzzle } from "../tasks/countdown/verify.js";
