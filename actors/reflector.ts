// Reflector: after a failed attempt, writes a self-reflection with the failure in context (R3).
import type { TaskProblem, TaskSpec } from "../src/tasks/task.js";
import type { Policy } from "../src/engine/policy.js";
import type { CompletionMessage, VerdictMessage } from "../src/messages.js";
import { completionMessage } from "./completion.js";
import type { StepSeeds } from "./seeds.js";
import type { SamplingSettings } from "./student.js";

export function reflectorWork(
  task: TaskSpec,
  policy: Policy,
  seeds: StepSeeds,
  sampling: SamplingSettings,
  instruction?: string,
) {
  return async (batch: VerdictMessage[]): Promise<CompletionMessage[]> => {
    const prompts = batch.map((v) =>
      task.reflectPrompt(v.completion.problem as TaskProblem, task.extractAnswer(v.completion.text), instruction),
    );
    const samples = await policy.complete(prompts, {
      maxTokens: task.maxTokens.reflection,
      temperature: sampling.temperature,
      stop: task.reflectionStop,
      seed: seeds.next("reflector"),
    });
    return batch.map((v, i) =>
      completionMessage(policy, samples[i], {
        parent: v.trace,
        role: "reflection",
        problem: v.completion.problem,
        prompt: prompts[i] as string,
        history: { attempt: v.completion },
      }),
    );
  };
}
