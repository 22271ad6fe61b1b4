// Student: first attempts, and retries with a reflection in context.
import type { TaskProblem, TaskSpec } from "../src/tasks/task.js";
import type { Policy } from "../src/run/policy.js";
import type { CompletionMessage } from "../src/messages.js";
import { completionMessage } from "./completion.js";
import type { StudentRequest } from "../machines/student.js";
import type { StepSeeds } from "./seeds.js";

export interface SamplingSettings {
  temperature: number;
  topK?: number;
}

export function studentWork(task: TaskSpec, policy: Policy, seeds: StepSeeds, sampling: SamplingSettings, reflectionInstruction?: string) {
  return async (batch: StudentRequest[]): Promise<CompletionMessage[]> => {
    const prompts = batch.map((r) => {
      const p = r.task.problem as TaskProblem;
      return r.attempt && r.reflection ? task.retryPrompt(p, task.extractAnswer(r.attempt.text), r.reflection.text, reflectionInstruction) : task.answerPrompt(p);
    });
    const samples = await policy.complete(prompts, {
      maxTokens: task.maxTokens.answer,
      temperature: sampling.temperature,
      ...(sampling.topK ? { topK: sampling.topK } : {}),
      seed: seeds.next("student"),
    });
    return batch.map((r, i) => {
      const retry = r.attempt !== undefined && r.reflection !== undefined;
      return completionMessage(policy, samples[i], {
        parent: retry ? (r.reflection as CompletionMessage).trace : r.task.trace,
        traceAttempt: retry ? 2 : 1,
        role: retry ? "retry" : "attempt",
        problem: r.task.problem,
        prompt: prompts[i] as string,
        history: retry ? { attempt: r.attempt, reflection: r.reflection } : {},
      });
    });
  };
}
