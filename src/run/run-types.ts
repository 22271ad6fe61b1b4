// What a run is asked to do (RunOptions), what each step logs (StepMetrics) and what the run
// reports at the end (RunSummary). Shared by the runner's parts, the CLI, studies and the inspector.
import type { InspectionEvent } from "xstate";
import type { UpdateStats } from "../../machines/learner.js";
import type { Policy } from "../engine/policy.js";
import type { BackendRequest } from "../engine/backend.js";
import type { ExperienceMessage } from "../messages.js";
import type { PoolStepMetrics } from "../pool/run-pool.js";
import type { CountdownEvalResult } from "../tasks/countdown/evaluate.js";
import type { TaskEvalResult } from "../tasks/evaluate.js";
import type { TaskProblem } from "../tasks/task.js";
import type { CompletionRecord } from "./taps.js";

/**
 * One training step's metrics (a line of `metrics.jsonl`): rewards, accuracies, judge agreement,
 * KL, loss, throughput.
 */
export interface StepMetrics {
  step: number;
  weight_version: number;
  updated: boolean;
  skip_reason?: string;
  reward_mean: number;
  reward_std: number;
  frac_reward_zero_std: number;
  first_try_accuracy: number;
  second_try_accuracy: number;
  retry_accuracy: number;
  judge_p_yes: number;
  judge_agreement: number;
  kl: number;
  entropy: number;
  loss: number;
  grad_norm: number;
  experiences: number;
  tokens_per_second: number;
  gave_up: number;
  /** Set when the Learner's checkpoint after this step failed. */
  checkpoint_error?: string;
  /** Generation-pool activity this step (runs with workers > 0): faults, retries, staleness. */
  pool?: PoolStepMetrics;
  /** Everything the Learner's update reported (PPO: policyLoss, valueLoss, approxKl, clipFrac, kl_coef, value_mean...). */
  learner?: Record<string, number>;
  seconds: number;
}

/** A held-out evaluation: Countdown's own (with reflection-quality rates) or any task's. */
export type RunEvalResult = CountdownEvalResult | TaskEvalResult;

/** How a run ended: steps done, where it wrote, and held-out accuracy before and after. */
export interface RunSummary {
  scenario: string;
  /** Steps asked for, and steps done (fewer when the run was stopped). */
  steps: number;
  completedSteps: number;
  stopped: boolean;
  seed: number;
  out: string;
  seconds: number;
  before?: RunEvalResult;
  after?: RunEvalResult;
}

/**
 * How to run a scenario from code ({@link ScenarioRun.create}): output directory, steps, seed,
 * resume, workers, and callbacks for progress.
 */
export interface RunOptions {
  out: string;
  steps?: number;
  seed?: number;
  resume?: boolean;
  /** Skip the held-out evaluations (smoke tests). */
  skipEval?: boolean;
  evalN?: number;
  /** Generation worker threads; overrides the scenario's `workers` (0 = in-process). */
  workers?: number;
  /** Overrides the scenario's `maxStaleness`. */
  maxStaleness?: number;
  /** The workers' backend (default wasm; "auto" prefers a native GPU backend where installed). */
  workerBackend?: BackendRequest;
  /** Called after each step with its metrics. */
  onStep?: (m: StepMetrics) => void;
  /** Called when the run enters a phase (evaluating, a step's rollout, learning...), for progress display. */
  onPhase?: (phase: string) => void;
  /** Things the user should hear about that do not stop the run (a stale lock taken over...). */
  onWarning?: (message: string) => void;
  /** The step's completions (prompt, attempt, reflection, retry, reward), after each step. */
  onCompletions?: (records: CompletionRecord[]) => void;
  /** Receives the run's inspection events (what `--inspect` shows). */
  inspect?: (e: InspectionEvent) => void;
  /**
   * Test seams: a stand-in policy/judge/update replaces the model where given.
   * @internal
   */
  overrides?: {
    policy?: Policy;
    judge?: Policy;
    update?: (batch: ExperienceMessage[]) => Promise<UpdateStats>;
    problems?: (step: number, n: number) => TaskProblem[];
  };
}
