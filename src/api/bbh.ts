/**
 * The BIG-Bench-Hard-style tasks (five sub-tasks: boolean expressions, multi-step arithmetic, Dyck
 * languages, word sorting, object counting): their specs ({@link bbhMixedTask} for all five,
 * {@link bbhTask} for a choice), problem generator, verifier, the JSONL format `selfimprove verify`
 * reads, and the prompts of each role.
 *
 * @module
 */
// The package's `bbh` namespace (src/index.ts) is this deliberate subset of the task; the full
// barrel (src/tasks/bbh/index.ts) also holds each sub-task's generator internals and the
// pretraining corpus's building blocks.
export { bbhTask, bbhMixedTask, BBH_TASKS } from "../tasks/bbh/spec.js";
export { BBH_SUBS, isBbhSub, type BbhSub, type BbhProblem } from "../tasks/bbh/problem.js";
export { generateBbhProblem, generateBbhSet } from "../tasks/bbh/generate.js";
export { verifyBbh, extractBbhAnswer, type BbhReason, type BbhVerdict } from "../tasks/bbh/verify.js";
export {
  bbhProblemSchema,
  parseBbhJsonl,
  verifyBbhJsonl,
  toJsonl,
  type BbhJsonlRecord,
  type BbhVerifyLine,
} from "../tasks/bbh/jsonl.js";
export {
  BBH_TOKENIZER,
  MAX_TOKENS,
  answerPrompt,
  judgePrompt,
  reflectPrompt,
  retryPrompt,
} from "../tasks/bbh/prompts.js";
