export { BBH_SUBS, isBbhSub, type BbhSub, type BbhItem, type BbhProblem } from "./problem.js";
export { evalBool, printBool, generateBoolean, type BoolExpr } from "./boolean.js";
export { evalArith, printArith, generateArithmetic, type ArithExpr, type ArithOp } from "./arithmetic.js";
export { generateDyck, DYCK_PAIRS } from "./dyck.js";
export { generateWordSorting, SORT_LEXICON } from "./word-sorting.js";
export { generateObjectCounting, THINGS, type CountCategory } from "./object-counting.js";
export { BBH_GENERATORS, bbhProblem, generateBbhProblem, generateBbhSet } from "./generate.js";
export {
  verifyBbh,
  normaliseBbh,
  extractBbhAnswer,
  finalBbhAnswer,
  MAX_BBH_ANSWER,
  type BbhReason,
  type BbhVerdict,
} from "./verify.js";
export {
  bbhProblemSchema,
  parseBbhJsonl,
  verifyBbhJsonl,
  toJsonl,
  type BbhJsonlRecord,
  type BbhVerifyLine,
} from "./jsonl.js";
export {
  BBH_TOKENIZER,
  answerPrompt,
  judgePrompt,
  reflectPrompt,
  retryPrompt,
  MAX_TOKENS,
  SPECIAL,
} from "./prompts.js";
export { bbhTask, bbhMixedTask, BBH_TASKS } from "./spec.js";
export {
  solveBbh,
  workSteps,
  evaluateWork,
  writeWork,
  readWork,
  WORKED_SUBS,
  type WorkStep,
  type StepValue,
} from "./work.js";
