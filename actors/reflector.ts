// Reflector: after a failed attempt, writes a self-reflection with the failure in context (R3).
import type { TaskProblem, TaskSpec } from "../src/tasks/task.js";
import type { Policy } from "../src/run/policy.js";
import { childTrace, type CompletionMessage, type VerdictMessage } from "../src/messages.js";
import type { StepSeeds } from "./seeds.js";
import type { SamplingSettings } from "./student.js";

export function reflectorWork(task: TaskSpec, policy: Policy, seeds: StepSeeds, sampling: SamplingSettings, instruction?: string) {
  return async (batch: VerdictMessage[]): Promise<CompletionMessage[]> => {
    const prompts = batch.map((v) => task.reflectPrompt(v.completion.problem as TaskProblem, task.extractAnswer(v.completion.text), instruction));
    const samples = await policy.complete(prompts, {
      maxTokens: task.maxTokens.reflection,
      temperature: sampling.temperature,
      stop: task.reflectionStop,
      seed: seeds.next("reflector"),
    });
    return batch.map((v, i) => {
      const s = samples[i];
      if (!s) throw new Error(`reflector: no sample for request ${i}`);
      return {
        kind: "completion",
        trace: childTrace(v.trace, { weightVersion: policy.version }),
        role: "reflection",
        problem: v.completion.problem,
        prompt: prompts[i] as string,
        promptTokens: policy.tokenizer.encode(prompts[i] as string),
        tokens: s.tokens,
        logprobs: s.logprobs,
        text: s.text,
        finishReason: s.finishReason,
        history: { attempt: v.completion },
      };
    });
  };
}
