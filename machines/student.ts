// Student: answers problems (first tries and retries) by sampling from the policy.
import type { CompletionMessage, TaskMessage } from "../src/messages.js";
import { createStageMachine } from "./stage.js";

/** What the Student is asked: a task to attempt, or a retry with a reflection in context. */
export interface StudentRequest {
  task: TaskMessage;
  /** Present for a retry (attempt 2): the failed attempt and its reflection. */
  attempt?: CompletionMessage;
  reflection?: CompletionMessage;
  /**
   * The oracle-label baseline: instead of sampling, the Student writes the task's own label
   * (supervised learning). Never set by the self-improvement topologies.
   */
  demonstrate?: boolean;
}

export const studentMachine = createStageMachine<StudentRequest, CompletionMessage>("student", "generating");
