// What an actor needs to know about a task: how to write each role's prompt, how to check an
// answer, and the tokenizer its base model speaks. Actors are generic over this, so adding a
// task (issue 7) adds a TaskSpec, not new actors.
import type { TokenizerSpec } from "../engine/tokenizer.js";
import type { Rng } from "../util/rng.js";

/** A verifier's judgement of one answer: right or wrong, and a machine-readable reason. */
export interface TaskVerdict {
  correct: boolean;
  /** Machine-readable reason ("ok", "wrong value", "unparsable", ...). */
  reason: string;
}

/** RLC's quality-evaluation prompt (QEP) for open-ended tasks: a 0-10 score instead of yes/no. */
export interface QualityEvaluation<P> {
  /** The QEP prompt for (problem, answer). */
  prompt(p: P, answer: string): string;
  /** The score in a judge's reply (untrusted text), clipped to [0, 10]; undefined if there is none. */
  parse(reply: string): number | undefined;
  /** The score a perfect judge would give (for pretraining corpora and for measuring judges). */
  target(p: P, answer: string): number;
  maxTokens: number;
}

/**
 * How good a reflection written after a failed attempt is, apart from whether its retry succeeds:
 * an optional evaluation hook for tasks that can tell (Countdown names its checks on moves). The
 * evaluator reports each as a share of the first-try failures.
 */
export interface ReflectionQuality<P> {
  /** The reflection names a useful correction (Countdown: a legal move that keeps the target reachable). */
  good(p: P, reflection: string): boolean;
  /** ... and states it exactly (Countdown: with the move's result right). */
  exact(p: P, reflection: string): boolean;
}

/** What every task's problem has: a stable id (problems of your own task extend this). */
export interface TaskProblem {
  id: string;
}

/**
 * Everything the actors need to know about a task: how to generate problems, how each role's prompt
 * is written, how untrusted output is cut to an answer and verified, and the token budgets. The
 * shipped tasks' specs are {@link countdownTask}, {@link functionsTask}, {@link bbhMixedTask} (and
 * {@link bbhTask} per sub-task) and {@link translationTask}; a scenario names one by its `task`.
 */
export interface TaskSpec<P extends TaskProblem = TaskProblem> {
  name: string;
  tokenizer: TokenizerSpec;
  /** A training problem drawn with `rng` (the same draws give the same problem). */
  generate(rng: Rng): P;
  /** Held-out problems (disjoint seed space from training). */
  heldOut(n: number): P[];
  /** The Student's prompt for a first attempt. */
  answerPrompt(p: P): string;
  /** RLC's correctness-evaluation prompt for (question, answer). */
  judgePrompt(p: P, answer: string): string;
  /** The judge's two possible replies. */
  judgeReplies: { yes: string; no: string };
  /**
   * The prompt after a failed attempt. `instruction` replaces the task's own reflection
   * instruction (a scenario setting); tasks whose models were trained on one fixed instruction
   * should keep the default.
   */
  reflectPrompt(p: P, attempt: string, instruction?: string): string;
  /** R3's retry prompt: the failed attempt and the reflection in context. */
  retryPrompt(p: P, attempt: string, reflection: string, instruction?: string): string;
  /** Cuts untrusted model output down to the answer the verifier reads. */
  extractAnswer(text: string): string;
  /** The task's verifier: whether `answer` (already extracted) solves `p`. */
  verify(p: P, answer: string): TaskVerdict;
  maxTokens: { answer: number; reflection: number };
  /** Stop strings for a reflection. */
  reflectionStop: string[];
  /**
   * The generator's own right answer (the label), or undefined when the problem has none. Only
   * the oracle-label baseline uses it: the self-improvement loops never see labels.
   */
  demonstration(p: P): string | undefined;
  /** RLC's quality evaluation, for tasks judged by a score rather than right or wrong (translation). */
  quality?: QualityEvaluation<P>;
  /** Reflection-quality rates the held-out evaluation adds (goodReflectionRate, exactReflectionRate). */
  reflectionQuality?: ReflectionQuality<P>;
}
