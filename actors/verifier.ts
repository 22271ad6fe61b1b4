// Verifier: the task's binary checker. Model text is parsed, never evaluated.
import type { TaskProblem, TaskSpec } from "../src/tasks/task.js";
import { childTrace, type CompletionMessage, type VerdictMessage } from "../src/messages.js";

export function verifierWork(task: TaskSpec) {
  return async (batch: CompletionMessage[]): Promise<VerdictMessage[]> =>
    batch.map((c) => {
      const v = task.verify(c.problem as TaskProblem, task.extractAnswer(c.text));
      return { kind: "verdict", trace: childTrace(c.trace), completion: c, correct: v.correct, reason: v.reason };
    });
}
