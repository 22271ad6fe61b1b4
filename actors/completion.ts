// Turning a policy sample into a completion message: the one place that says what a
// completion records, whichever actor sampled it.
import { childTrace, type CompletionMessage, type CompletionRole, type Trace } from "../src/messages.js";
import type { Policy, PolicySample } from "../src/engine/policy.js";

export function completionMessage(
  policy: Policy,
  sample: PolicySample | undefined,
  parts: {
    parent: Trace;
    traceAttempt?: number;
    role: CompletionRole;
    problem: unknown;
    prompt: string;
    history: CompletionMessage["history"];
  },
): CompletionMessage {
  if (!sample) throw new Error(`${parts.role}: the policy returned no sample for a prompt`);
  // The sample's own version where the pool recorded it: with overlapping steps the policy may
  // already be one version ahead of the weights that produced it.
  const weightVersion = sample.weightVersion ?? policy.version;
  return {
    kind: "completion",
    trace: childTrace(parts.parent, {
      weightVersion,
      ...(parts.traceAttempt !== undefined ? { attempt: parts.traceAttempt } : {}),
    }),
    role: parts.role,
    problem: parts.problem,
    prompt: parts.prompt,
    promptTokens: policy.tokenizer.encode(parts.prompt),
    tokens: sample.tokens,
    logprobs: sample.logprobs,
    text: sample.text,
    finishReason: sample.finishReason,
    history: parts.history,
  };
}
