// The messages that flow between actors. Every message carries a Trace, so any trajectory can
// be followed end to end: which task, which attempt, which weight version produced it, and
// which message it answers.

/**
 * Where a message comes from: its task, attempt, sample, group, weight version and parent message,
 * so any trajectory can be followed end to end.
 */
export interface Trace {
  /** Unique message id. */
  id: string;
  /** The message this one answers (a completion's request, a verdict's completion...). */
  parentId?: string;
  taskId: string;
  /** 1 = first try, 2 = retry after a reflection. */
  attempt: number;
  /** Sample index within the task's group (GRPO's G samples per prompt). */
  sample: number;
  /** Policy weight version that produced this message (or its ancestors). */
  weightVersion: number;
  /** Samples compared with each other (GRPO's group): set where a message is fanned out. */
  groupId?: string;
  /** The training step whose rollout this message belongs to (steps overlap with maxStaleness ≥ 1). */
  step?: number;
}

/** A problem to work on, as the task defines it (kept opaque to the wiring). */
export interface TaskMessage<P = unknown> {
  kind: "task";
  trace: Trace;
  problem: P;
}

/** "demonstration": the label written out as if the Student had answered (the oracle-label baseline). */
export type CompletionRole = "attempt" | "reflection" | "retry" | "demonstration";

/** Text a model wrote, with the token-level detail RL needs. */
export interface CompletionMessage<P = unknown> {
  kind: "completion";
  trace: Trace;
  role: CompletionRole;
  problem: P;
  prompt: string;
  promptTokens: number[];
  tokens: number[];
  logprobs: number[];
  text: string;
  finishReason: string;
  /** Earlier turns this completion builds on (attempt for a reflection; both for a retry). */
  history: { attempt?: CompletionMessage<P>; reflection?: CompletionMessage<P> };
}

/** The binary Verifier's view of a completion. */
export interface VerdictMessage<P = unknown> {
  kind: "verdict";
  trace: Trace;
  completion: CompletionMessage<P>;
  correct: boolean;
  reason: string;
}

/** The Teacher's self-evaluation of a completion (RLC). */
export interface JudgmentMessage<P = unknown> {
  kind: "judgment";
  trace: Trace;
  completion: CompletionMessage<P>;
  /** P(yes) normalised over {yes, no}. */
  pYes: number;
  /** Whether a sampled reply said yes (when the scenario samples). */
  sampledYes?: boolean;
  /** The judge's 0-10 quality score (QEP); pYes then carries score / 10. */
  score?: number;
  /** The reward the scenario derives from this judgment, in [0, 1]. */
  reward: number;
}

/** One scored trajectory ready for the Learner: which tokens to train and with what reward. */
export interface ExperienceMessage<P = unknown> {
  kind: "experience";
  trace: Trace;
  /** Samples with the same group id are compared against each other (GRPO). */
  groupId: string;
  /** The trained sequence as segments; only `train: true` segments receive gradient. */
  segments: Array<{ tokens: number[]; logprobs?: number[]; train: boolean; role: string }>;
  reward: number;
  /** Rewards are bounded here (validated before they reach the Learner). */
  source: { actor: string; completion: CompletionMessage<P> };
}

let seq = 0;

/** Process-unique, sortable message ids. */
export function nextId(prefix = "m"): string {
  seq += 1;
  return `${prefix}${seq.toString(36)}`;
}

/** A child trace: same task lineage, new id, parent set. */
export function childTrace(parent: Trace, patch: Partial<Omit<Trace, "id" | "parentId">> = {}): Trace {
  return { ...parent, ...patch, id: nextId(), parentId: parent.id };
}
