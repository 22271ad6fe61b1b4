// Teacher: RLC's self-evaluation. With the correctness prompt (CEP) the judge reads (question,
// answer) and its reward is P(yes) normalised over {yes, no}, or a sampled yes/no. With the
// quality prompt (QEP, open-ended tasks such as translation) it writes a 0-10 score, and the
// reward is that score / 10; a reply with no score counts as 0.
import type { QualityEvaluation, TaskProblem, TaskSpec } from "../src/tasks/task.js";
import type { Policy } from "../src/engine/policy.js";
import { childTrace, type CompletionMessage, type JudgmentMessage } from "../src/messages.js";
import type { StepSeeds } from "./seeds.js";

export type SelfEvalReward = "p-yes" | "sampled-yes" | "quality";

function qualityWork(task: TaskSpec, quality: QualityEvaluation<TaskProblem>, judge: Policy, seeds: StepSeeds) {
  return async (batch: CompletionMessage[]): Promise<JudgmentMessage[]> => {
    const prompts = batch.map((c) => quality.prompt(c.problem as TaskProblem, task.extractAnswer(c.text)));
    const replies = await judge.complete(prompts, { maxTokens: quality.maxTokens, temperature: 1, seed: seeds.next("teacher") });
    return batch.map((c, i) => {
      const score = quality.parse(replies[i]?.text ?? "") ?? 0;
      return { kind: "judgment", trace: childTrace(c.trace, { weightVersion: judge.version }), completion: c, pYes: score / 10, score, reward: score / 10 };
    });
  };
}

export function teacherWork(task: TaskSpec, judge: Policy, seeds: StepSeeds, reward: SelfEvalReward) {
  if (reward === "quality") {
    if (!task.quality) throw new Error(`teacher: selfEvalReward "quality" needs a quality-evaluation prompt, which task ${task.name} has not`);
    return qualityWork(task, task.quality, judge, seeds);
  }
  return async (batch: CompletionMessage[]): Promise<JudgmentMessage[]> => {
    const prompts = batch.map((c) => task.judgePrompt(c.problem as TaskProblem, task.extractAnswer(c.text)));
    const lp = await judge.logProb(prompts.flatMap((prompt) => [{ prompt, continuation: task.judgeReplies.yes }, { prompt, continuation: task.judgeReplies.no }]));
    let sampled: boolean[] | undefined;
    if (reward === "sampled-yes") {
      const replies = await judge.complete(prompts, { maxTokens: 1, temperature: 1, seed: seeds.next("teacher") });
      sampled = replies.map((r) => r.tokens[0] === judge.tokenizer.id(task.judgeReplies.yes));
    }
    return batch.map((c, i) => {
      const y = lp[2 * i] as number;
      const n = lp[2 * i + 1] as number;
      const m = Math.max(y, n);
      const pYes = Math.exp(y - m) / (Math.exp(y - m) + Math.exp(n - m));
      const sampledYes = sampled?.[i];
      return {
        kind: "judgment",
        trace: childTrace(c.trace, { weightVersion: judge.version }),
        completion: c,
        pYes,
        ...(sampledYes !== undefined ? { sampledYes } : {}),
        reward: sampledYes !== undefined ? (sampledYes ? 1 : 0) : pYes,
      };
    });
  };
}
