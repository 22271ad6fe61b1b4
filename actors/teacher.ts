// Teacher: RLC's self-evaluation. With the correctness prompt (CEP) the judge reads (question,
// answer) and its reward is P(yes) normalised over {yes, no}, or a sampled yes/no. With the
// quality prompt (QEP, open-ended tasks such as translation) it writes a 0-10 score, and the
// reward is that score / 10; a reply with no score counts as 0. Every rule that turns the judge's
// output into a number is the rewards library's (src/rewards/selfeval.ts): the tested functions
// are the ones that run.
import type { QualityEvaluation, TaskProblem, TaskSpec } from "../src/tasks/task.js";
import { PRETRAINABLE_TASKS, TASK_REGISTRY } from "../src/tasks/registry.js";
import type { Policy } from "../src/engine/policy.js";
import { childTrace, type CompletionMessage, type JudgmentMessage } from "../src/messages.js";
import {
  correctnessRewardFromPYes,
  pYesFromLogProbs,
  qualityReward,
  sampledYesReward,
  type SelfEvalReward,
} from "../src/rewards/selfeval.js";
import type { StepSeeds } from "./seeds.js";

export type { SelfEvalReward } from "../src/rewards/selfeval.js";

/**
 * Why `reward` cannot be used with `task`, or undefined when it can: the one check behind the
 * scenario schema, `--task`/`--set` and the Teacher itself ("quality" needs a quality prompt).
 */
export function selfEvalRewardProblem(
  task: Pick<TaskSpec, "name" | "quality">,
  reward: SelfEvalReward,
): string | undefined {
  if (reward !== "quality" || task.quality) return undefined;
  const withOne = PRETRAINABLE_TASKS.filter((t) => TASK_REGISTRY[t].spec.quality);
  return `"quality" needs a quality-evaluation prompt, which task ${task.name} has not (tasks with one: ${withOne.join(", ")})`;
}

function qualityWork(task: TaskSpec, quality: QualityEvaluation<TaskProblem>, judge: Policy, seeds: StepSeeds) {
  return async (batch: CompletionMessage[]): Promise<JudgmentMessage[]> => {
    const prompts = batch.map((c) => quality.prompt(c.problem as TaskProblem, task.extractAnswer(c.text)));
    const replies = await judge.complete(prompts, {
      maxTokens: quality.maxTokens,
      temperature: 1,
      seed: seeds.next("teacher"),
    });
    return batch.map((c, i) => {
      const score = quality.parse(replies[i]?.text ?? "") ?? 0;
      const reward = qualityReward(score);
      return {
        kind: "judgment",
        trace: childTrace(c.trace, { weightVersion: judge.version }),
        completion: c,
        pYes: reward,
        score,
        reward,
      };
    });
  };
}

export function teacherWork(task: TaskSpec, judge: Policy, seeds: StepSeeds, reward: SelfEvalReward) {
  const problem = selfEvalRewardProblem(task, reward);
  if (problem !== undefined) throw new Error(`teacher: selfEvalReward ${problem}`);
  if (reward === "quality") return qualityWork(task, task.quality as QualityEvaluation<TaskProblem>, judge, seeds);
  // A sampled reply long enough to say either answer in full, whatever the tokenizer makes of
  // them (one token each for Countdown's <|yes|> and <|no|>).
  const replyTokens = Math.max(
    1,
    ...[task.judgeReplies.yes, task.judgeReplies.no].map((r) => judge.tokenizer.encode(r).length),
  );
  return async (batch: CompletionMessage[]): Promise<JudgmentMessage[]> => {
    const prompts = batch.map((c) => task.judgePrompt(c.problem as TaskProblem, task.extractAnswer(c.text)));
    const lp = await judge.logProb(
      prompts.flatMap((prompt) => [
        { prompt, continuation: task.judgeReplies.yes },
        { prompt, continuation: task.judgeReplies.no },
      ]),
    );
    const sampled =
      reward === "sampled-yes"
        ? await judge.complete(prompts, { maxTokens: replyTokens, temperature: 1, seed: seeds.next("teacher") })
        : undefined;
    return batch.map((c, i) => {
      const pYes = pYesFromLogProbs(lp[2 * i] as number, lp[2 * i + 1] as number);
      const trace = childTrace(c.trace, { weightVersion: judge.version });
      if (!sampled) return { kind: "judgment", trace, completion: c, pYes, reward: correctnessRewardFromPYes(pYes) };
      const r = sampledYesReward(sampled[i]?.text ?? "");
      return { kind: "judgment", trace, completion: c, pYes, sampledYes: r === 1, reward: r };
    });
  };
}
