// Function calling as a TaskSpec: R3's second task, in the spirit of APIGen.
import type { TaskSpec } from "../task.js";
import type { Rng } from "../../util/rng.js";
import { HELD_OUT_SEED } from "../../paths.js";
import { generateFunctionProblem, generateFunctionSet, type FunctionProblem } from "./generate.js";
import {
  answerPrompt,
  FUNCTIONS_TOKENIZER,
  judgePrompt,
  MAX_TOKENS,
  reflectPrompt,
  retryPrompt,
  SPECIAL,
} from "./prompts.js";
import { extractCall, verifyCall } from "./verify.js";

/** The function-calling task's {@link TaskSpec}: `task: "functions"` in a scenario. */
export const functionsTask: TaskSpec<FunctionProblem> = {
  name: "functions",
  tokenizer: FUNCTIONS_TOKENIZER,
  // Ids are content-based (fn-<hash of request and call>), stable across runs and resumes.
  generate: (rng: Rng) => generateFunctionProblem(rng),
  heldOut: (n: number) => generateFunctionSet(HELD_OUT_SEED, n),
  answerPrompt,
  judgePrompt,
  judgeReplies: { yes: SPECIAL.yes, no: SPECIAL.no },
  reflectPrompt,
  retryPrompt,
  extractAnswer: extractCall,
  verify: (p, answer) => verifyCall(p, answer),
  maxTokens: { answer: MAX_TOKENS.answer, reflection: MAX_TOKENS.reflection },
  demonstration: (p) => p.solution,
  reflectionStop: [SPECIAL.retry],
};
