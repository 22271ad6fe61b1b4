/**
 * The Countdown task: reach a target with + − × ÷ over given numbers. Its {@link countdownTask}
 * spec, puzzle generator, verifier and shaped reward, an exact expression evaluator, a solver, the
 * JSONL format `selfimprove verify` reads, and the prompts of each role.
 *
 * @example A reward of your own, on the shipped verifier
 * ```ts
 * import { countdown } from "selfimprove";
 *
 * function myReward(p: countdown.CountdownPuzzle, text: string): number {
 *   const v = countdown.verifyCountdown(p, countdown.extractAnswer(text));
 *   return v.correct ? 1 : v.reason === "unparsable" ? 0 : 0.1;
 * }
 * ```
 *
 * @module
 */
// The package's `countdown` namespace (src/index.ts) is this deliberate subset of the task; the
// full barrel (src/tasks/countdown/index.ts) also holds the pretraining corpus's building blocks,
// which are the CLI's, not the API's.
export { countdownTask } from "../tasks/countdown/spec.js";
export {
  generateCountdown,
  generateCountdownSet,
  type CountdownProblem,
  type CountdownGenOptions,
} from "../tasks/countdown/generate.js";
export {
  verifyCountdown,
  extractAnswer,
  type CountdownPuzzle,
  type CountdownReason,
  type CountdownVerdict,
} from "../tasks/countdown/verify.js";
export { countdownReward } from "../tasks/countdown/reward.js";
export type { CountdownEvalResult } from "../tasks/countdown/evaluate.js";
export {
  parseExpression,
  evaluateExpression,
  type Op,
  type ParsedExpression,
  type ExpressionError,
  type EvaluationResult,
  type EvaluatedExpression,
  type EvaluationLimits,
} from "../tasks/countdown/expression.js";
export { Rational, DivisionByZeroError } from "../tasks/countdown/rational.js";
export {
  solveCountdown,
  solveCountdownSteps,
  type SolveStep,
  type CountdownSolution,
  type SolveOptions,
} from "../tasks/countdown/solve.js";
export {
  countdownPuzzleSchema,
  parseCountdownJsonl,
  toJsonl,
  type CountdownJsonlRecord,
} from "../tasks/countdown/jsonl.js";
export {
  COUNTDOWN_TOKENIZER,
  MAX_TOKENS,
  questionText,
  answerPrompt,
  judgePrompt,
  reflectPrompt,
  retryPrompt,
} from "../tasks/countdown/prompts.js";
