// Countdown as a TaskSpec: the glue between the task's pure pieces and the actors.
import type { TaskSpec } from "../task.js";
import type { Rng } from "../../util/rng.js";
import { HELD_OUT_SEED } from "../../paths.js";
import { generateCountdown, generateCountdownSet, type CountdownProblem } from "./generate.js";
import {
  answerPrompt,
  COUNTDOWN_TOKENIZER,
  judgePrompt,
  MAX_TOKENS,
  reflectPrompt,
  retryPrompt,
  SPECIAL,
} from "./prompts.js";
import { extractAnswer, verifyCountdown } from "./verify.js";
import { solveCountdownSteps } from "./solve.js";
import { formatSteps } from "./prompts.js";
import { reflectionIsGood, reflectionMoveIsGood } from "./corpus.js";

/** The Countdown task's {@link TaskSpec}: `task: "countdown"` in a scenario. */
export const countdownTask: TaskSpec<CountdownProblem> = {
  name: "countdown",
  tokenizer: COUNTDOWN_TOKENIZER,
  // Ids are content-based (cd-<target>-<nums>), so they are stable across runs and resumes.
  generate: (rng: Rng) => generateCountdown(rng),
  heldOut: (n: number) => generateCountdownSet(HELD_OUT_SEED, n),
  answerPrompt,
  judgePrompt,
  judgeReplies: { yes: SPECIAL.yes, no: SPECIAL.no },
  reflectPrompt,
  retryPrompt,
  extractAnswer,
  verify: (p, answer) => verifyCountdown(p, answer),
  maxTokens: { answer: MAX_TOKENS.answer, reflection: MAX_TOKENS.reflection },
  reflectionStop: [SPECIAL.retry],
  // The solver's first solution: deterministic, so a demonstration is the same on every run.
  demonstration: (p) => {
    const [first] = solveCountdownSteps(p, { limit: 1 });
    return first === undefined ? undefined : formatSteps(p.nums, first.steps);
  },
  // A reflection names one move ("44+35=79"): good if the move is legal and keeps the target
  // reachable, exact if its stated result is right as well.
  reflectionQuality: { good: reflectionMoveIsGood, exact: reflectionIsGood },
};
