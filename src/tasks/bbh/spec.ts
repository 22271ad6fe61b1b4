// The BBH-style tasks as TaskSpecs: one per sub-task ("bbh-<sub>") and one mixing all five ("bbh").
import type { TaskSpec } from "../task.js";
import type { Rng } from "../../util/rng.js";
import { HELD_OUT_SEED } from "../../paths.js";
import { generateBbhProblem, generateBbhSet } from "./generate.js";
import { BBH_SUBS, type BbhProblem, type BbhSub } from "./problem.js";
import {
  answerPrompt,
  BBH_TOKENIZER,
  judgePrompt,
  MAX_TOKENS,
  reflectPrompt,
  retryPrompt,
  SPECIAL,
} from "./prompts.js";
import { extractBbhAnswer, verifyBbh } from "./verify.js";
import { solveBbh } from "./work.js";

/** A TaskSpec over the given sub-tasks (drawn uniformly); ids are content-based. */
export function bbhTask(subs: readonly BbhSub[] = BBH_SUBS): TaskSpec<BbhProblem> {
  if (subs.length === 0) throw new RangeError("bbhTask: no sub-tasks given");
  const list = [...subs];
  return {
    name: list.length === 1 ? `bbh-${list[0]}` : list.length === BBH_SUBS.length ? "bbh" : `bbh-${list.join("+")}`,
    tokenizer: BBH_TOKENIZER,
    generate: (rng: Rng) => generateBbhProblem(rng, list),
    heldOut: (n: number) => generateBbhSet(HELD_OUT_SEED, n, list),
    answerPrompt,
    judgePrompt,
    judgeReplies: { yes: SPECIAL.yes, no: SPECIAL.no },
    reflectPrompt,
    retryPrompt,
    extractAnswer: extractBbhAnswer,
    verify: (p, answer) => verifyBbh(p, answer),
    maxTokens: { answer: MAX_TOKENS.answer, reflection: MAX_TOKENS.reflection },
    demonstration: solveBbh,
    reflectionStop: [SPECIAL.retry],
  };
}

/** All five sub-tasks mixed. */
export const bbhMixedTask: TaskSpec<BbhProblem> = bbhTask();

/** One TaskSpec per sub-task. */
export const BBH_TASKS: Readonly<Record<BbhSub, TaskSpec<BbhProblem>>> = Object.fromEntries(
  BBH_SUBS.map((sub) => [sub, bbhTask([sub])]),
) as Record<BbhSub, TaskSpec<BbhProblem>>;
