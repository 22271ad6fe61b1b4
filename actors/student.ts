// Student: first attempts, retries with a reflection in context, and (for the oracle-label
// baseline only) demonstrations: the task's label written out instead of a sample.
import type { TaskProblem, TaskSpec } from "../src/tasks/task.js";
import type { Policy, PolicySample } from "../src/engine/policy.js";
import type { CompletionMessage } from "../src/messages.js";
import { completionMessage } from "./completion.js";
import type { StudentRequest } from "../machines/student.js";
import type { StepSeeds } from "./seeds.js";

export interface SamplingSettings {
  temperature: number;
  topK?: number;
}

/**
 * The label as if the Student had written it, ending with end-of-text like a sample. It was not
 * sampled, so it has no sampling log-probs (empty): a Learner that needs them (off-policy
 * correction) refuses it by name instead of training on made-up numbers.
 */
function demonstration(task: TaskSpec, policy: Policy, p: TaskProblem): PolicySample {
  const text = task.demonstration(p);
  if (text === undefined)
    throw new Error(`student: task ${task.name} has no label for problem ${p.id}, so it cannot be demonstrated`);
  return {
    text,
    tokens: [...policy.tokenizer.encode(text), policy.tokenizer.eos],
    logprobs: [],
    finishReason: "eos",
    weightVersion: policy.version,
  };
}

export function studentWork(
  task: TaskSpec,
  policy: Policy,
  seeds: StepSeeds,
  sampling: SamplingSettings,
  reflectionInstruction?: string,
) {
  return async (batch: StudentRequest[]): Promise<CompletionMessage[]> => {
    const prompts = batch.map((r) => {
      const p = r.task.problem as TaskProblem;
      return r.attempt && r.reflection
        ? task.retryPrompt(p, task.extractAnswer(r.attempt.text), r.reflection.text, reflectionInstruction)
        : task.answerPrompt(p);
    });
    const sampledAt = batch.flatMap((r, i) => (r.demonstrate ? [] : [i]));
    const sampled =
      sampledAt.length === 0
        ? []
        : await policy.complete(
            sampledAt.map((i) => prompts[i] as string),
            {
              maxTokens: task.maxTokens.answer,
              temperature: sampling.temperature,
              ...(sampling.topK ? { topK: sampling.topK } : {}),
              seed: seeds.next("student"),
            },
          );
    const samples = new Map(sampledAt.map((at, k) => [at, sampled[k]]));
    return batch.map((r, i) => {
      const retry = r.attempt !== undefined && r.reflection !== undefined;
      const sample = r.demonstrate ? demonstration(task, policy, r.task.problem as TaskProblem) : samples.get(i);
      return completionMessage(policy, sample, {
        parent: retry ? (r.reflection as CompletionMessage).trace : r.task.trace,
        traceAttempt: retry ? 2 : 1,
        role: r.demonstrate ? "demonstration" : retry ? "retry" : "attempt",
        problem: r.task.problem,
        prompt: prompts[i] as string,
        history: retry ? { attempt: r.attempt, reflection: r.reflection } : {},
      });
    });
  };
}
