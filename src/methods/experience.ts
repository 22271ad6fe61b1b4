// Turning judged trajectories into what the Learner trains on. Each builder says which tokens
// get gradient: R3 trains only the reflection (the rewards library's reflection mask decides,
// src/rewards/mask.ts); RLC and verifier-reward RL train the answer.
import type { CompletionMessage, ExperienceMessage, JudgmentMessage, VerdictMessage } from "../messages.js";
import { childTrace } from "../messages.js";
import { R3_TRAINED_ROLES, trainRoles } from "../rewards/mask.js";

function segmentsOf(c: CompletionMessage, train: boolean, role: string): ExperienceMessage["segments"][number] {
  return { tokens: c.tokens, logprobs: c.logprobs, train, role };
}

/** A completion as a span of the conversation, with the log-probs it was sampled with. */
function spanOf(c: CompletionMessage, role: string): { tokens: number[]; logprobs: number[]; role: string } {
  return { tokens: c.tokens, logprobs: c.logprobs, role };
}

/**
 * R3: a retry's verdict rewards the reflection that preceded it. The sequence is the whole
 * conversation (reflect prompt, reflection, retry) but only the reflection is trained; the
 * group is the G reflections written for the same failed attempt.
 */
export function r3Experience(retry: VerdictMessage): ExperienceMessage {
  const c = retry.completion;
  const reflection = c.history.reflection;
  if (c.role !== "retry" || !reflection)
    throw new Error(`r3Experience: message ${c.trace.id} is not a retry with a reflection`);
  return {
    kind: "experience",
    trace: childTrace(retry.trace),
    groupId: reflection.trace.groupId ?? reflection.trace.id,
    // The reflect prompt holds everything before the reflection (question, failed attempt,
    // instruction); the retry's prompt is that plus the reflection, so the spans are the whole
    // conversation once. Which of them is trained is R3's mask rule, not decided here.
    segments: trainRoles(
      [
        { tokens: reflection.promptTokens, role: "reflect-prompt" },
        spanOf(reflection, "reflection"),
        spanOf(c, "retry"),
      ],
      R3_TRAINED_ROLES,
    ),
    reward: retry.correct ? 1 : 0,
    source: { actor: "verifier", completion: c },
  };
}

function answerExperience(
  c: CompletionMessage,
  reward: number,
  actor: string,
  parent: ExperienceMessage["trace"],
): ExperienceMessage {
  return {
    kind: "experience",
    trace: childTrace(parent),
    groupId: c.trace.groupId ?? c.trace.id,
    segments: [{ tokens: c.promptTokens, train: false, role: "prompt" }, segmentsOf(c, true, "answer")],
    reward,
    source: { actor, completion: c },
  };
}

/** RLC: the Teacher's self-evaluation is the answer's reward; no label is used. */
export function rlcExperience(j: JudgmentMessage): ExperienceMessage {
  return answerExperience(j.completion, j.reward, "teacher", j.trace);
}

/** RL with a verifiable reward: 1 for a right answer, 0 otherwise. */
export function verifierExperience(v: VerdictMessage): ExperienceMessage {
  return answerExperience(v.completion, v.correct ? 1 : 0, "verifier", v.trace);
}
