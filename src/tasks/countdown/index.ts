export { Rational, DivisionByZeroError } from "./rational.js";
export {
  parseExpression,
  evaluateParsed,
  evaluateExpression,
  OP_CODES,
  type Op,
  type RpnToken,
  type ParsedExpression,
  type ExpressionError,
  type EvaluatedExpression,
  type EvaluationResult,
  type EvaluationLimits,
} from "./expression.js";
export {
  verifyCountdown,
  extractAnswer,
  type CountdownPuzzle,
  type CountdownReason,
  type CountdownVerdict,
} from "./verify.js";
export { countdownReward } from "./reward.js";
export { formatExpr, type ExprTree } from "./format.js";
export {
  generateCountdown,
  generateCountdownSet,
  type CountdownProblem,
  type CountdownGenOptions,
} from "./generate.js";
export {
  solveCountdown,
  solveCountdownSteps,
  type SolveStep,
  type CountdownSolution,
  type SolveOptions,
} from "./solve.js";
export { countdownPuzzleSchema, parseCountdownJsonl, toJsonl, type CountdownJsonlRecord } from "./jsonl.js";
export * from "./prompts.js";
export {
  corpusExample,
  correctAnswer,
  wrongAnswer,
  legalMoves,
  isGoodMove,
  applyMove,
  randomPlay,
  parseReflection,
  reflectionIsGood,
  reflectionMove,
  reflectionMoveIsGood,
  DEFAULT_MIX,
  type CorpusExample,
  type CorpusMix,
  type ExampleKind,
  type Segment,
} from "./corpus.js";
export type { CountdownEvalResult } from "./evaluate.js";
